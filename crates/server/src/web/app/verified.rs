//! Settings → Verified contacts: the addresses and phone numbers the user proved they own (which workflows may
//! write to), and proving another one — a code sent to it, then the code back. The codes, their checks and their
//! limits are `accounts::{email_verification, phone_verification, verification_limits}`, as under
//! `/v2/verified-resources`, so the page and the API accept the same codes and share one budget of them.

use super::shell::{Host, HostForm, Nav, Refusal, Section};
use crate::accounts::email_verification::{self, VerificationError};
use crate::accounts::{phone_verification, verification_limits};
use crate::i18n::Lang;
use crate::limits::{ClientAddress, LimitError};
use crate::state::AppState;
use crate::web::limited::{wait_text_in, with_retry_after};
use crate::web::respond::render;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_core::EmailAddress;
use convene_store::{verified_emails, verified_phones};
use serde::Deserialize;

const PER_PAGE: i64 = 20;

/// One of the page's two flows: its form as it stands, and what was refused in it.
#[derive(Default)]
pub(crate) struct Flow {
    /// The address or number typed (once a code went out, as the code was sent to it).
    pub typed: String,
    /// A code went to `typed`: the form asks for it.
    pub sent: bool,
    pub code: String,
    /// The refused field (`email`, `email-code`, `phone` or `phone-code`) and the sentence shown beside it.
    pub field: &'static str,
    pub error: Option<String>,
}

impl Flow {
    fn typed(typed: String) -> Flow {
        Flow {
            typed,
            ..Flow::default()
        }
    }

    fn sent(typed: String) -> Flow {
        Flow {
            typed,
            sent: true,
            ..Flow::default()
        }
    }

    fn refused(mut self, field: &'static str, error: String) -> Flow {
        self.field = field;
        self.error = Some(error);
        self
    }

    /// The refusal beside `field`, if it is the refused one.
    pub(crate) fn at(&self, field: &str) -> Option<&str> {
        (self.field == field).then_some(self.error.as_deref()).flatten()
    }
}

#[derive(Template)]
#[template(path = "app/verified.html")]
struct VerifiedPage {
    nav: Nav,
    t: Lang,
    tab: &'static str,
    notice: Option<String>,
    /// (id, address) and (id, number), this page of each.
    emails: Vec<(i64, String)>,
    phones: Vec<(i64, String)>,
    page: i64,
    more: bool,
    email: Flow,
    phone: Flow,
}

impl VerifiedPage {
    /// "We sent a code to …", for the flow whose code went out.
    fn sent_to(&self, flow: &Flow) -> String {
        self.t.text_with("app-verified-code-sent", &[("to", &flow.typed)])
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    notice: Option<String>,
    page: Option<i64>,
}

/// A page's answer: its status and the two flows.
struct Shown {
    status: StatusCode,
    email: Flow,
    phone: Flow,
}

async fn verified_page(
    state: &AppState,
    host: &Host,
    notice: Option<String>,
    number: i64,
    shown: Shown,
) -> Result<Response, Refusal> {
    let per_page = usize::try_from(PER_PAGE).unwrap_or(usize::MAX);
    let skip = (number - 1) * PER_PAGE;
    let mut emails = verified_emails::list(&state.db, host.id(), skip, PER_PAGE + 1).await?;
    let mut phones = verified_phones::list_for_user(&state.db, host.id(), skip, PER_PAGE + 1).await?;
    let more = emails.len() > per_page || phones.len() > per_page;
    emails.truncate(per_page);
    phones.truncate(per_page);
    let page = VerifiedPage {
        nav: host.nav(state, Section::Settings).await?,
        t: host.t,
        tab: "verified",
        notice,
        emails: emails.into_iter().map(|e| (e.id.0, e.email)).collect(),
        phones: phones.into_iter().map(|p| (p.id.0, p.phone_number)).collect(),
        page: number,
        more,
        email: shown.email,
        phone: shown.phone,
    };
    Ok(render(shown.status, &page))
}

/// Which of the page's two flows a form belongs to.
#[derive(Clone, Copy)]
enum Side {
    Email,
    Phone,
}

/// The page again, first of the lists, with `flow` as it stands on its side and the other side blank.
async fn again(state: &AppState, host: &Host, status: StatusCode, side: Side, flow: Flow) -> Result<Response, Refusal> {
    let (email, phone) = match side {
        Side::Email => (flow, Flow::default()),
        Side::Phone => (Flow::default(), flow),
    };
    verified_page(state, host, None, 1, Shown { status, email, phone }).await
}

/// `GET /settings/verified?page=`.
pub async fn show(
    State(state): State<AppState>,
    host: Host,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let query = query.ok().map(|q| q.0);
    let notice = match query.as_ref().and_then(|q| q.notice.as_deref()) {
        Some("email-added") => Some(host.t.text("app-verified-email-added")),
        Some("phone-added") => Some(host.t.text("app-verified-phone-added")),
        _ => None,
    };
    let number = query.and_then(|q| q.page).unwrap_or(1).clamp(1, 10_000);
    let shown = Shown {
        status: StatusCode::OK,
        email: Flow::default(),
        phone: Flow::default(),
    };
    verified_page(&state, &host, notice, number, shown).await
}

/// A refused code, number or text in the page's language, and the status it answers; `None` for failures of
/// our own (logged, never shown).
fn said(t: Lang, e: &VerificationError) -> Option<(StatusCode, String)> {
    let (status, key) = match e {
        VerificationError::CodeMissing => (StatusCode::BAD_REQUEST, "app-verified-code-missing"),
        VerificationError::CodeWrong => (StatusCode::BAD_REQUEST, "app-verified-code-wrong"),
        VerificationError::PhoneInvalid => (StatusCode::BAD_REQUEST, "app-verified-phone-invalid"),
        VerificationError::TextsUnavailable(_) => (StatusCode::BAD_REQUEST, "app-verified-texts-unavailable"),
        VerificationError::PhoneRejected(_) => (StatusCode::BAD_REQUEST, "app-verified-phone-rejected"),
        // For now, as the API answers it (503).
        VerificationError::TextFailed(_) => (StatusCode::SERVICE_UNAVAILABLE, "app-verified-text-failed"),
        VerificationError::Emails(_) | VerificationError::Store(_) => return None,
    };
    Some((status, t.text(key)))
}

/// A limit reached: the sentence with the wait, and the seconds for `Retry-After`.
fn limited(t: Lang, e: LimitError) -> Result<(String, u64), Refusal> {
    match e {
        LimitError::Limited(limited) => {
            let wait = wait_text_in(t, limited.retry_after_secs);
            let what = t.text("app-verified-too-many");
            let text = t.text_with("limit-try-again", &[("what", &what), ("wait", &wait)]);
            Ok((text, limited.retry_after_secs))
        }
        LimitError::Store(e) => Err(e.into()),
    }
}

/// `POST /settings/verified/email`: mails a code to the typed address.
pub async fn send_email_code(
    State(state): State<AppState>,
    client: ClientAddress,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let typed = post.form.get("email").trim().to_owned();
    let email = match EmailAddress::parse("email", &typed) {
        Ok(email) => email,
        Err(e) => {
            let flow = Flow::typed(typed).refused("email", host.t.refusal(&e));
            return again(&state, host, StatusCode::BAD_REQUEST, Side::Email, flow).await;
        }
    };
    if let Err(e) = verification_limits::email_code(&state.limits, host.id(), client, &email).await {
        let (text, secs) = limited(host.t, e)?;
        let flow = Flow::typed(typed).refused("email", text);
        let page = again(&state, host, StatusCode::TOO_MANY_REQUESTS, Side::Email, flow).await?;
        return Ok(with_retry_after(page, secs));
    }
    match email_verification::send_code(&state.db, &state.mailer, &host.user, &email, None).await {
        Ok(()) => {
            let flow = Flow::sent(email.as_str().to_owned());
            again(&state, host, StatusCode::OK, Side::Email, flow).await
        }
        Err(e) => refused(&state, host, Side::Email, Flow::typed(typed), "email", &e).await,
    }
}

/// `POST /settings/verified/email/verify`: the code back; the address joins the list.
pub async fn verify_email(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let typed = post.form.get("email").trim().to_owned();
    let code = post.form.get("code").trim().to_owned();
    let email = match EmailAddress::parse("email", &typed) {
        Ok(email) => email,
        Err(e) => {
            let flow = Flow::typed(typed).refused("email", host.t.refusal(&e));
            return again(&state, host, StatusCode::BAD_REQUEST, Side::Email, flow).await;
        }
    };
    match email_verification::verify(&state.db, &host.user, &email, &code).await {
        Ok(_) => Ok(Redirect::to("/settings/verified?notice=email-added").into_response()),
        Err(e) => {
            let flow = Flow {
                code,
                ..Flow::sent(typed)
            };
            refused(&state, host, Side::Email, flow, "email-code", &e).await
        }
    }
}

/// `POST /settings/verified/phone`: texts a code to the typed number, when this server can send texts.
pub async fn send_phone_code(
    State(state): State<AppState>,
    client: ClientAddress,
    post: HostForm,
) -> Result<Response, Refusal> {
    let host = &post.host;
    let typed = post.form.get("phone").trim().to_owned();
    // A number that can't be texted, or no way to text, is said before anything counts against the limits.
    let checked = phone_verification::parse_phone(&typed)
        .and_then(|phone| phone_verification::texts_available(&state.mailer).map(|()| phone));
    let phone = match checked {
        Ok(phone) => phone,
        Err(e) => return refused(&state, host, Side::Phone, Flow::typed(typed), "phone", &e).await,
    };
    if let Err(e) = verification_limits::phone_code(&state.limits, host.id(), client, &phone).await {
        let (text, secs) = limited(host.t, e)?;
        let flow = Flow::typed(typed).refused("phone", text);
        let page = again(&state, host, StatusCode::TOO_MANY_REQUESTS, Side::Phone, flow).await?;
        return Ok(with_retry_after(page, secs));
    }
    match phone_verification::send_code(&state.db, &state.mailer, &host.user, &phone, None).await {
        Ok(()) => again(&state, host, StatusCode::OK, Side::Phone, Flow::sent(phone)).await,
        Err(e) => refused(&state, host, Side::Phone, Flow::typed(typed), "phone", &e).await,
    }
}

/// `POST /settings/verified/phone/verify`: the code back; the number joins the list.
pub async fn verify_phone(State(state): State<AppState>, post: HostForm) -> Result<Response, Refusal> {
    let host = &post.host;
    let typed = post.form.get("phone").trim().to_owned();
    let code = post.form.get("code").trim().to_owned();
    match phone_verification::verify(&state.db, &host.user, &typed, &code, None).await {
        Ok(_) => Ok(Redirect::to("/settings/verified?notice=phone-added").into_response()),
        Err(e @ VerificationError::PhoneInvalid) => {
            refused(&state, host, Side::Phone, Flow::typed(typed), "phone", &e).await
        }
        Err(e) => {
            let flow = Flow {
                code,
                ..Flow::sent(typed)
            };
            refused(&state, host, Side::Phone, flow, "phone-code", &e).await
        }
    }
}

/// The page again with `side`'s `field` refused for `e`; a failure of our own is logged, never shown.
async fn refused(
    state: &AppState,
    host: &Host,
    side: Side,
    flow: Flow,
    field: &'static str,
    e: &VerificationError,
) -> Result<Response, Refusal> {
    match said(host.t, e) {
        Some((status, text)) => again(state, host, status, side, flow.refused(field, text)).await,
        None => Err(Refusal::Failed(e.to_string())),
    }
}
