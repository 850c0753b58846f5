//! Accounts: password sign-in, password reset (our addition), Cal.com's verified resources (codes proving
//! a user's or a team's email addresses and phone numbers), and email
//! changes that take effect only once the new address is confirmed. The API and the web pages are faces over
//! these. Newcomers arrive by invitation from an organization's or team's admin, or by open sign-up where the
//! instance allows it, and choose their profile on the way in ([`onboarding`]). Account emails always go through the platform's transport, and only hashes of the tokens and codes are
//! stored. Sign-in applies its own limits; the faces apply the others ([`crate::limits`]).

pub mod codes;
pub mod email_change;
pub mod email_verification;
pub mod invitations;
pub mod notification_preferences;
pub mod onboarding;
pub mod password_change;
pub mod password_reset;
pub mod phone_verification;
pub mod profile;
pub mod sign_in;
pub mod signup;
pub mod verification_limits;
