//! Account emails: password reset (our addition) and Cal.com's email verification codes. The API and the web
//! pages are faces over these; both kinds of email always go through the platform's transport, and only hashes of
//! the tokens and codes are stored. Rate limits are the faces' job (they share the login limiter's keys).

pub mod email_verification;
pub mod password_reset;
