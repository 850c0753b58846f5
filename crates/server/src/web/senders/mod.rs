//! Settings → Email senders: an organization admin's own senders (list with health, add, edit, test, make
//! default, delete) and the organization's delivery log — the web face of [`crate::email::sender_admin`], so the
//! page and the API behave the same.
//!
//! The pages work without JavaScript, so every button is a plain form POST carrying the session's CSRF token:
//! tests answer with the page again showing the result, changes redirect back to the page with a notice, and a
//! validation error shows the form again with the field's message (secrets are never put back into a page). They
//! sit in the app's navigation and speak the app's language (the user's setting, else the browser's).
//!
//! [`gate`] lets requests in, [`form`] reads what was posted, [`page`] and [`views`] show the page ([`labels`]
//! names stored codes), [`handlers`] are the routes, [`delivery_log`] shows sent emails, and [`refusal`] is every
//! page shown instead.

mod delivery_log;
mod form;
mod gate;
mod handlers;
mod labels;
mod page;
mod refusal;
mod views;

pub use delivery_log::delivery_page;
pub use handlers::{
    create, delete, delete_page, make_default, senders_page, test_email, test_saved, test_unsaved, update,
};
