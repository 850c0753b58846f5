//! Settings → Email senders: an organization admin's own senders (list with health, add, edit, test, make
//! default, delete) and the organization's delivery log.
//!
//! The CSP allows no JavaScript, so every button is a plain form POST carrying the session's CSRF token: tests
//! answer with the page again showing the result, changes redirect back to the page with a notice, and a
//! validation error shows the form again with the field's message (secrets are never put back into a page).
//! The work itself is the API's (`api::smtp_configurations`), so the page and the API behave the same.

use super::pages::{internal, render, same_origin};
use super::session::{self, tokens_match};
use crate::AppState;
use crate::api::ApiError;
use crate::api::smtp_configurations::{self as service, SenderInput, SenderOrg, SenderOutput};
use crate::email::sender_test::TestResult;
use crate::scheduling::time_text::{ts, utc_iso};
use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection, RawFormRejection};
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use convene_core::{TeamId, UserId};
use convene_store::outbox::{self, Filter, Scope};
use convene_store::sessions::SessionRecord;
use convene_store::teams;
use convene_store::users::{self, UserRecord};
use serde::Deserialize;
use std::collections::HashMap;

/// How many emails the delivery log shows.
const LOG_SIZE: i64 = 50;
/// Teams listed as checkboxes (an organization with more is beyond this page).
const MAX_TEAMS: i64 = 500;
const PROVIDERS: [&str; 3] = ["SMTP", "SENDGRID", "SPARKPOST"];

// ---------------------------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "settings_message.html")]
struct SettingsMessage<'a> {
    title: &'a str,
    message: &'a str,
}

fn page_message(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &SettingsMessage { title, message })
}

struct Choice {
    value: &'static str,
    selected: bool,
}

struct TeamBox {
    id: i64,
    name: String,
    checked: bool,
    /// Another sender serves the team: it is unticked there first (a team has one sender).
    taken: bool,
    /// "uses …" when another sender has the team.
    note: String,
}

/// The fields of a sender form: the add form or one sender's edit form.
struct FormView {
    /// Prefix of the element ids: empty for the add form, `s<id>-` for an edit form.
    p: String,
    from_email: String,
    from_name: String,
    providers: Vec<Choice>,
    smtp_host: String,
    smtp_port: String,
    smtp_secure: bool,
    ip_pool: String,
    is_default: bool,
    /// The default sender's box stays ticked: another sender is made the default instead.
    default_locked: bool,
    editing: bool,
    has_smtp_credentials: bool,
    has_api_key: bool,
    teams: Vec<TeamBox>,
    error_field: String,
    error_message: String,
    /// An edit form with an error is shown unfolded.
    open: bool,
}

impl FormView {
    /// The message for `field` if the last submission failed there (team errors name `teamIds[i]`).
    fn err(&self, field: &str) -> Option<String> {
        let matches = self.error_field == field || (field == "teamIds" && self.error_field.starts_with("teamIds"));
        matches.then(|| format!("{}: {}", self.error_field, self.error_message))
    }
}

struct ResultView {
    title: String,
    success: bool,
    stage: &'static str,
    message: String,
    smtp_code: String,
    duration_ms: u64,
    route: String,
}

struct SenderCard {
    id: i64,
    from_email: String,
    from_name: String,
    provider: String,
    server: String,
    credentials: String,
    is_default: bool,
    status: String,
    status_class: String,
    teams: String,
    last_error: String,
    last_success: String,
    last_failure: String,
    last_tested: String,
    to_email: String,
    form: FormView,
}

struct DeliveryRow {
    id: i64,
    created: String,
    kind: String,
    recipient: String,
    status: String,
    route: String,
    last_error: String,
}

#[derive(Template)]
#[template(path = "senders.html")]
struct SendersPage {
    org_id: i64,
    org_name: String,
    base: String,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    result: Option<ResultView>,
    senders: Vec<SenderCard>,
    add: FormView,
    deliveries: Vec<DeliveryRow>,
}

#[derive(Template)]
#[template(path = "sender_delete.html")]
struct DeletePage {
    base: String,
    csrf: String,
    id: i64,
    from_name: String,
    from_email: String,
    is_default: bool,
}

struct AttemptRow {
    attempt: i64,
    started: String,
    route: String,
    outcome: String,
    smtp_code: String,
    reply: String,
    duration_ms: i64,
}

#[derive(Template)]
#[template(path = "email_delivery.html")]
struct DeliveryPage {
    org_id: i64,
    org_name: String,
    id: i64,
    kind: String,
    recipient: String,
    subject: String,
    status: String,
    attempts: i64,
    route: String,
    last_code: String,
    last_error: String,
    created: String,
    sent: String,
    rows: Vec<AttemptRow>,
}

fn base_of(org: i64) -> String {
    format!("/settings/organizations/{org}/email-senders")
}

fn when_ms(ms: Option<i64>) -> String {
    ms.map_or_else(|| "—".to_owned(), |t| pretty(&utc_iso(ts(t))))
}

/// `2030-01-07T09:00:00.000Z` → `2030-01-07 09:00:00 UTC`.
fn pretty(iso: &str) -> String {
    match iso.split_once('.') {
        Some((head, _)) => format!("{} UTC", head.replacen('T', " ", 1)),
        None => iso.to_owned(),
    }
}

fn when_iso(iso: Option<&String>) -> String {
    iso.map_or_else(|| "—".to_owned(), |s| pretty(s))
}

fn dash(text: Option<String>) -> String {
    text.filter(|t| !t.is_empty()).unwrap_or_else(|| "—".to_owned())
}

fn providers(selected: &str) -> Vec<Choice> {
    PROVIDERS
        .iter()
        .map(|p| Choice {
            value: p,
            selected: *p == selected,
        })
        .collect()
}

/// A route of the delivery log, with the sender's address when it is one of the organization's.
fn route_label(route: &str, senders: &[SenderOutput]) -> String {
    let id = route
        .strip_prefix("sender:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| id.parse::<i64>().ok());
    match id.and_then(|id| senders.iter().find(|s| s.id == id)) {
        Some(s) => format!("{route} ({})", s.from_email),
        None => route.to_owned(),
    }
}

fn result_view(title: String, r: TestResult) -> ResultView {
    ResultView {
        title,
        success: r.success,
        stage: r.stage,
        message: r.message,
        smtp_code: r.smtp_code.map_or_else(|| "—".to_owned(), |c| c.to_string()),
        duration_ms: r.duration_ms,
        route: r.route.unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The submitted form
// ---------------------------------------------------------------------------------------------------------------

/// A urlencoded body as name/value pairs (team checkboxes repeat a name).
struct FormData(Vec<(String, String)>);

impl FormData {
    fn parse(raw: Result<RawForm, RawFormRejection>) -> Self {
        match raw {
            Ok(RawForm(bytes)) => FormData(form_urlencoded::parse(&bytes).into_owned().collect()),
            Err(_) => FormData(Vec::new()),
        }
    }

    fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// A trimmed text field; `None` when empty.
    fn text(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// A secret as typed (never trimmed); `None` when empty.
    fn secret(&self, name: &str) -> Option<String> {
        Some(self.get(name).to_owned()).filter(|v| !v.is_empty())
    }

    fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The API's input from a sender form. On an edit (`editing`) empty secrets keep the stored ones unless the
/// "remove" box is ticked, and an empty IP pool clears it.
fn input_of(form: &FormData, editing: bool) -> Result<SenderInput, ApiError> {
    let smtp_port = match form.text("smtpPort") {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| ApiError::field("smtpPort", "must be a whole number"))?,
        ),
    };
    let team_ids = form
        .all("teamIds")
        .filter(|v| !v.is_empty())
        .enumerate()
        .map(|(i, raw)| {
            raw.parse::<i64>()
                .map_err(|_| ApiError::field(&format!("teamIds[{i}]"), "is not a team of this organization"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A team ticked twice (a hand-made request) is assigned once.
    let mut team_ids = team_ids;
    team_ids.sort_unstable();
    team_ids.dedup();
    let clear_credentials = editing && form.ticked("clearSmtpCredentials");
    let clear_api_key = editing && form.ticked("clearApiKey");
    let secret = |name: &str, clear: bool| match form.secret(name) {
        Some(value) => Some(Some(value)),
        None if clear => Some(None),
        None => None,
    };
    Ok(SenderInput {
        from_email: Some(form.get("fromEmail").trim().to_owned()),
        from_name: Some(form.get("fromName").trim().to_owned()),
        smtp_host: form.text("smtpHost"),
        smtp_port,
        smtp_user: secret("smtpUser", clear_credentials),
        smtp_password: secret("smtpPassword", clear_credentials),
        smtp_secure: Some(form.ticked("smtpSecure")),
        provider: Some(form.text("provider").unwrap_or_else(|| "SMTP".to_owned())),
        api_key: secret("apiKey", clear_api_key),
        ip_pool: match form.text("ipPool") {
            Some(pool) => Some(Some(pool)),
            None if editing => Some(None),
            None => None,
        },
        is_default: form.ticked("isDefault").then_some(true),
        team_ids: Some(team_ids),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Access
// ---------------------------------------------------------------------------------------------------------------

/// The signed-in user and their session, or the response to give instead (sign-in redirect).
async fn signed_in(state: &AppState, jar: &CookieJar) -> Result<(SessionRecord, UserRecord), Response> {
    let session = match session::current(state, jar).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(Redirect::to("/auth/login").into_response()),
        Err(e) => return Err(internal(e)),
    };
    match users::find(&state.db, UserId(session.user_id)).await {
        Ok(Some(user)) => Ok((session, user)),
        Ok(None) => Err(Redirect::to("/auth/login").into_response()),
        Err(e) => Err(internal(e)),
    }
}

fn denied(e: ApiError) -> Response {
    match e {
        ApiError::Forbidden(why) if why == service::CUSTOM_SMTP_OFF => page_message(
            StatusCode::FORBIDDEN,
            "Custom SMTP is not enabled",
            "Custom SMTP is not enabled for this organization, so its emails go out through the platform's server. \
             An instance admin can turn on the organization's custom-smtp feature.",
        ),
        ApiError::Forbidden(why) => page_message(StatusCode::FORBIDDEN, "Not allowed", &why),
        ApiError::NotFound(what) => page_message(StatusCode::NOT_FOUND, "Not found", &what),
        other => internal(format!("{other:?}")),
    }
}

/// An OWNER or ADMIN of the organization (and, with `feature`, its custom-smtp feature on).
async fn org_access(state: &AppState, user: &UserRecord, org_id: i64, feature: bool) -> Result<SenderOrg, Response> {
    let org = service::org_admin(state, user, org_id).await.map_err(denied)?;
    if feature {
        service::require_custom_smtp(state, &org).await.map_err(denied)?;
    }
    Ok(org)
}

fn expired() -> Response {
    page_message(
        StatusCode::FORBIDDEN,
        "Session expired",
        "The form expired or came from another site. Please open the page again and retry.",
    )
}

fn bad_path() -> Response {
    page_message(StatusCode::NOT_FOUND, "Not found", "There is no such page.")
}

/// Everything a POST needs before it acts: same origin, a session, its CSRF token in the form, and an admin of
/// an organization with the feature.
struct Post {
    user: UserRecord,
    csrf: String,
    org: SenderOrg,
    form: FormData,
}

async fn post_gate(
    state: &AppState,
    headers: &HeaderMap,
    jar: &CookieJar,
    org_id: i64,
    raw: Result<RawForm, RawFormRejection>,
) -> Result<Post, Response> {
    if !same_origin(headers) {
        return Err(expired());
    }
    let (session, user) = signed_in(state, jar).await?;
    let form = FormData::parse(raw);
    if !tokens_match(&session.csrf_token, form.get("csrf")) {
        return Err(expired());
    }
    let org = org_access(state, &user, org_id, true).await?;
    Ok(Post {
        user,
        csrf: session.csrf_token,
        org,
        form,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------------------------

/// What a POST puts on the page besides the current state.
#[derive(Default)]
struct Extras {
    notice: Option<String>,
    error: Option<String>,
    result: Option<ResultView>,
    /// The add form as submitted (kept on a failed save or after an unsaved test).
    add: Option<(FormData, Option<(String, String)>)>,
    /// One edit form as submitted, with its error.
    edit: Option<(i64, FormData, (String, String))>,
}

fn team_boxes(
    all: &[(i64, String)],
    checked: &dyn Fn(i64) -> bool,
    owner: &HashMap<i64, i64>,
    this: Option<i64>,
    senders: &[SenderOutput],
) -> Vec<TeamBox> {
    all.iter()
        .map(|(id, name)| TeamBox {
            id: *id,
            name: name.clone(),
            checked: checked(*id),
            taken: owner.get(id).is_some_and(|sender| Some(*sender) != this),
            note: match owner.get(id) {
                Some(sender) if Some(*sender) != this => senders
                    .iter()
                    .find(|s| s.id == *sender)
                    .map(|s| format!("uses {}; untick it there to move it here", s.from_email))
                    .unwrap_or_default(),
                _ => String::new(),
            },
        })
        .collect()
}

/// A form filled from a submission (non-secret fields only).
fn submitted_form(
    p: String,
    form: &FormData,
    editing: Option<&SenderOutput>,
    teams: Vec<TeamBox>,
    error: Option<(String, String)>,
) -> FormView {
    let (error_field, error_message) = error.unwrap_or_default();
    FormView {
        p,
        from_email: form.get("fromEmail").trim().to_owned(),
        from_name: form.get("fromName").trim().to_owned(),
        providers: providers(form.get("provider")),
        smtp_host: form.get("smtpHost").trim().to_owned(),
        smtp_port: form.get("smtpPort").trim().to_owned(),
        smtp_secure: form.ticked("smtpSecure"),
        ip_pool: form.get("ipPool").trim().to_owned(),
        is_default: form.ticked("isDefault") || editing.is_some_and(|s| s.is_default),
        default_locked: editing.is_some_and(|s| s.is_default),
        editing: editing.is_some(),
        has_smtp_credentials: editing.is_some_and(|s| s.has_smtp_credentials),
        has_api_key: editing.is_some_and(|s| s.has_api_key),
        teams,
        open: !error_field.is_empty(),
        error_field,
        error_message,
    }
}

/// A sender's edit form with its stored settings.
fn stored_form(s: &SenderOutput, teams: Vec<TeamBox>) -> FormView {
    FormView {
        p: format!("s{}-", s.id),
        from_email: s.from_email.clone(),
        from_name: s.from_name.clone(),
        providers: providers(&s.provider),
        smtp_host: s.smtp_host.clone().unwrap_or_default(),
        smtp_port: s.smtp_port.map(|p| p.to_string()).unwrap_or_default(),
        smtp_secure: s.smtp_secure,
        ip_pool: s.ip_pool.clone().unwrap_or_default(),
        is_default: s.is_default,
        default_locked: s.is_default,
        editing: true,
        has_smtp_credentials: s.has_smtp_credentials,
        has_api_key: s.has_api_key,
        teams,
        error_field: String::new(),
        error_message: String::new(),
        open: false,
    }
}

/// The settings page with the organization's current senders and log, plus what a POST adds.
async fn page(
    state: &AppState,
    user: &UserRecord,
    csrf: &str,
    org: &SenderOrg,
    status: StatusCode,
    x: Extras,
) -> Response {
    let org_id = org.id();
    let senders = match service::list(state, org).await {
        Ok(list) => list,
        Err(e) => return internal(format!("{e:?}")),
    };
    let all_teams: Vec<(i64, String)> = match teams::list_teams(&state.db, TeamId(org_id), 0, MAX_TEAMS).await {
        Ok(list) => list.into_iter().map(|t| (t.id, t.name)).collect(),
        Err(e) => return internal(e),
    };
    let emails = match outbox::list(&state.db, Scope::Organization(org_id), &Filter::default(), LOG_SIZE).await {
        Ok(rows) => rows,
        Err(e) => return internal(e),
    };
    // team id → the sender that has it
    let owner: HashMap<i64, i64> = senders
        .iter()
        .flat_map(|s| s.team_ids.iter().map(move |t| (*t, s.id)))
        .collect();
    let team_names = |ids: &[i64]| {
        let names: Vec<&str> = all_teams
            .iter()
            .filter(|(id, _)| ids.contains(id))
            .map(|(_, n)| n.as_str())
            .collect();
        if names.is_empty() {
            "—".to_owned()
        } else {
            names.join(", ")
        }
    };
    let cards = senders
        .iter()
        .map(|s| {
            let form = match &x.edit {
                Some((id, submitted, error)) if *id == s.id => {
                    let ticked: Vec<i64> = submitted.all("teamIds").filter_map(|v| v.parse().ok()).collect();
                    let boxes = team_boxes(&all_teams, &|t| ticked.contains(&t), &owner, Some(s.id), &senders);
                    submitted_form(format!("s{}-", s.id), submitted, Some(s), boxes, Some(error.clone()))
                }
                _ => {
                    let boxes = team_boxes(&all_teams, &|t| s.team_ids.contains(&t), &owner, Some(s.id), &senders);
                    stored_form(s, boxes)
                }
            };
            let health = &s.health;
            SenderCard {
                id: s.id,
                from_email: s.from_email.clone(),
                from_name: s.from_name.clone(),
                provider: s.provider.clone(),
                server: match (&s.smtp_host, s.smtp_port) {
                    (Some(host), Some(port)) => {
                        format!("{host}:{port} ({})", if s.smtp_secure { "TLS" } else { "STARTTLS" })
                    }
                    (Some(host), None) => host.clone(),
                    _ => "—".to_owned(),
                },
                credentials: match (s.has_smtp_credentials, s.has_api_key) {
                    (true, true) => "SMTP login and API key stored",
                    (true, false) => "SMTP login stored",
                    (false, true) => "API key stored",
                    (false, false) => "none",
                }
                .to_owned(),
                is_default: s.is_default,
                status: health.status.clone(),
                status_class: health.status.to_ascii_lowercase(),
                teams: team_names(&s.team_ids),
                last_error: dash(health.last_error.clone()),
                last_success: when_iso(health.last_success_at.as_ref()),
                last_failure: when_iso(health.last_failure_at.as_ref()),
                last_tested: when_iso(health.last_tested_at.as_ref()),
                to_email: user.email.clone(),
                form,
            }
        })
        .collect();
    let add = match &x.add {
        Some((submitted, error)) => {
            let ticked: Vec<i64> = submitted.all("teamIds").filter_map(|v| v.parse().ok()).collect();
            let boxes = team_boxes(&all_teams, &|t| ticked.contains(&t), &owner, None, &senders);
            submitted_form(String::new(), submitted, None, boxes, error.clone())
        }
        None => {
            let boxes = team_boxes(&all_teams, &|_| false, &owner, None, &senders);
            let mut form = submitted_form(String::new(), &FormData(Vec::new()), None, boxes, None);
            form.smtp_secure = true;
            form.is_default = senders.is_empty();
            form
        }
    };
    let deliveries = emails
        .into_iter()
        .map(|e| DeliveryRow {
            id: e.id,
            created: when_ms(Some(e.created_at)),
            kind: e.kind,
            recipient: e.to_email,
            status: e.status,
            route: e
                .sent_route
                .as_deref()
                .map_or_else(|| "—".to_owned(), |r| route_label(r, &senders)),
            last_error: dash(e.last_error),
        })
        .collect();
    render(
        status,
        &SendersPage {
            org_id,
            org_name: org.name().to_owned(),
            base: base_of(org_id),
            csrf: csrf.to_owned(),
            notice: x.notice,
            error: x.error,
            result: x.result,
            senders: cards,
            add,
            deliveries,
        },
    )
}

/// Where a service error goes on the page: a field's message under the field, anything else in the banner.
/// `None` for the errors that get a page of their own ([`denied`]).
fn shown(e: &ApiError) -> Option<(StatusCode, (String, String))> {
    match e {
        ApiError::Validation(f) => Some((StatusCode::BAD_REQUEST, (f.field.clone(), f.message.clone()))),
        ApiError::BadRequest(m) => Some((StatusCode::BAD_REQUEST, (String::new(), m.clone()))),
        ApiError::NotFound(m) => Some((StatusCode::NOT_FOUND, (String::new(), m.clone()))),
        ApiError::Conflict(m) => Some((StatusCode::CONFLICT, (String::new(), m.clone()))),
        _ => None,
    }
}

/// The banner text of a failure without a field.
fn banner(error: &(String, String)) -> Option<String> {
    if error.0.is_empty() {
        Some(error.1.clone())
    } else {
        Some(format!("Please correct {}: {}", error.0, error.1))
    }
}

fn done(org: &SenderOrg, notice: &str, anchor: Option<i64>) -> Response {
    let anchor = anchor.map(|id| format!("#sender-{id}")).unwrap_or_default();
    Redirect::to(&format!("{}?notice={notice}{anchor}", base_of(org.id()))).into_response()
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(code: &str) -> Option<String> {
    Some(
        match code {
            "created" => "Sender saved.",
            "updated" => "Sender updated. Its health starts again as untested.",
            "default" => "Default sender changed.",
            "deleted" => "Sender deleted. Its emails now go through the default sender, or the platform's server.",
            _ => return None,
        }
        .to_owned(),
    )
}

/// `GET /settings/organizations/{orgId}/email-senders`.
pub async fn senders_page(
    State(state): State<AppState>,
    jar: CookieJar,
    path: Result<Path<i64>, PathRejection>,
    query: Result<Query<NoticeQuery>, QueryRejection>,
) -> Response {
    let Ok(Path(org_id)) = path else { return bad_path() };
    let (session, user) = match signed_in(&state, &jar).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let org = match org_access(&state, &user, org_id, true).await {
        Ok(org) => org,
        Err(r) => return r,
    };
    let notice = query.ok().and_then(|Query(q)| q.notice).and_then(|n| notice_text(&n));
    let extras = Extras {
        notice,
        ..Extras::default()
    };
    page(&state, &user, &session.csrf_token, &org, StatusCode::OK, extras).await
}

/// `POST /settings/organizations/{orgId}/email-senders`: adds a sender.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    path: Result<Path<i64>, PathRejection>,
    raw: Result<RawForm, RawFormRejection>,
) -> Response {
    let Ok(Path(org_id)) = path else { return bad_path() };
    let post = match post_gate(&state, &headers, &jar, org_id, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let outcome = match input_of(&post.form, false) {
        Ok(input) => service::create(&state, &post.org, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(sender) => done(&post.org, "created", Some(sender.id)),
        Err(e) => {
            let Some((status, error)) = shown(&e) else {
                return denied(e);
            };
            let extras = Extras {
                error: banner(&error),
                add: Some((post.form, Some(error))),
                ..Extras::default()
            };
            page(&state, &post.user, &post.csrf, &post.org, status, extras).await
        }
    }
}

/// `POST /settings/organizations/{orgId}/email-senders/test-connection`: tests the add form's settings
/// without saving them.
pub async fn test_unsaved(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    path: Result<Path<i64>, PathRejection>,
    raw: Result<RawForm, RawFormRejection>,
) -> Response {
    let Ok(Path(org_id)) = path else { return bad_path() };
    let post = match post_gate(&state, &headers, &jar, org_id, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let outcome = match input_of(&post.form, false) {
        Ok(input) => service::test_unsaved_settings(&state, &post.org, input).await,
        Err(e) => Err(e),
    };
    let (status, extras) = match outcome {
        Ok(result) => (
            StatusCode::OK,
            Extras {
                result: Some(result_view("Test of the unsaved settings".to_owned(), result)),
                add: Some((post.form, None)),
                ..Extras::default()
            },
        ),
        Err(e) => {
            let Some((status, error)) = shown(&e) else {
                return denied(e);
            };
            (
                status,
                Extras {
                    error: banner(&error),
                    add: Some((post.form, Some(error))),
                    ..Extras::default()
                },
            )
        }
    };
    page(&state, &post.user, &post.csrf, &post.org, status, extras).await
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}`: saves a sender's edit form.
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    path: Result<Path<(i64, i64)>, PathRejection>,
    raw: Result<RawForm, RawFormRejection>,
) -> Response {
    let Ok(Path((org_id, id))) = path else {
        return bad_path();
    };
    let post = match post_gate(&state, &headers, &jar, org_id, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let outcome = match input_of(&post.form, true) {
        Ok(input) => service::update(&state, &post.org, id, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(sender) => done(&post.org, "updated", Some(sender.id)),
        Err(e) => {
            let Some((status, error)) = shown(&e) else {
                return denied(e);
            };
            let extras = Extras {
                error: banner(&error),
                edit: Some((id, post.form, error)),
                ..Extras::default()
            };
            page(&state, &post.user, &post.csrf, &post.org, status, extras).await
        }
    }
}

/// Shows the outcome of a test of a saved sender on the page.
async fn show_test(
    state: &AppState,
    post: Post,
    id: i64,
    what: &str,
    outcome: Result<TestResult, ApiError>,
) -> Response {
    let (status, extras) = match outcome {
        Ok(result) => {
            let name = match service::get(state, &post.org, id).await {
                Ok(s) => s.from_email,
                Err(_) => format!("sender {id}"),
            };
            (
                StatusCode::OK,
                Extras {
                    result: Some(result_view(format!("{what} for {name}"), result)),
                    ..Extras::default()
                },
            )
        }
        Err(e) => {
            let Some((status, error)) = shown(&e) else {
                return denied(e);
            };
            (
                status,
                Extras {
                    error: banner(&error),
                    ..Extras::default()
                },
            )
        }
    };
    page(state, &post.user, &post.csrf, &post.org, status, extras).await
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}/test-connection`.
pub async fn test_saved(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    path: Result<Path<(i64, i64)>, PathRejection>,
    raw: Result<RawForm, RawFormRejection>,
) -> Response {
    let Ok(Path((org_id, id))) = path else {
        return bad_path();
    };
    let post = match post_gate(&state, &headers, &jar, org_id, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let outcome = service::test_saved_sender(&state, &post.org, id).await;
    show_test(&state, post, id, "Test connection", outcome).await
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}/test-email`.
pub async fn test_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    path: Result<Path<(i64, i64)>, PathRejection>,
    raw: Result<RawForm, RawFormRejection>,
) -> Response {
    let Ok(Path((org_id, id))) = path else {
        return bad_path();
    };
    let post = match post_gate(&state, &headers, &jar, org_id, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let outcome = match service::test_recipient(Some(post.form.get("toEmail").trim())) {
        Ok(to) => service::send_test(&state, &post.org, id, &to).await,
        Err(e) => Err(e),
    };
    show_test(&state, post, id, "Test email", outcome).await
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}/default`.
pub async fn make_default(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    path: Result<Path<(i64, i64)>, PathRejection>,
    raw: Result<RawForm, RawFormRejection>,
) -> Response {
    let Ok(Path((org_id, id))) = path else {
        return bad_path();
    };
    let post = match post_gate(&state, &headers, &jar, org_id, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match service::make_default(&state, &post.org, id).await {
        Ok(sender) => done(&post.org, "default", Some(sender.id)),
        Err(e) => {
            let Some((status, error)) = shown(&e) else {
                return denied(e);
            };
            let extras = Extras {
                error: banner(&error),
                ..Extras::default()
            };
            page(&state, &post.user, &post.csrf, &post.org, status, extras).await
        }
    }
}

/// `GET /settings/organizations/{orgId}/email-senders/{id}/delete`: asks for confirmation.
pub async fn delete_page(
    State(state): State<AppState>,
    jar: CookieJar,
    path: Result<Path<(i64, i64)>, PathRejection>,
) -> Response {
    let Ok(Path((org_id, id))) = path else {
        return bad_path();
    };
    let (session, user) = match signed_in(&state, &jar).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let org = match org_access(&state, &user, org_id, true).await {
        Ok(org) => org,
        Err(r) => return r,
    };
    match service::get(&state, &org, id).await {
        Ok(sender) => render(
            StatusCode::OK,
            &DeletePage {
                base: base_of(org.id()),
                csrf: session.csrf_token,
                id: sender.id,
                from_name: sender.from_name,
                from_email: sender.from_email,
                is_default: sender.is_default,
            },
        ),
        Err(e) => denied(e),
    }
}

/// `POST /settings/organizations/{orgId}/email-senders/{id}/delete`: deletes after the confirmation page.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    path: Result<Path<(i64, i64)>, PathRejection>,
    raw: Result<RawForm, RawFormRejection>,
) -> Response {
    let Ok(Path((org_id, id))) = path else {
        return bad_path();
    };
    let post = match post_gate(&state, &headers, &jar, org_id, raw).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match service::delete(&state, &post.org, id).await {
        Ok(_) => done(&post.org, "deleted", None),
        Err(e) => {
            let Some((status, error)) = shown(&e) else {
                return denied(e);
            };
            let extras = Extras {
                error: banner(&error),
                ..Extras::default()
            };
            page(&state, &post.user, &post.csrf, &post.org, status, extras).await
        }
    }
}

/// `GET /settings/organizations/{orgId}/email-deliveries/{id}`: one email of the organization with every
/// route tried (never its body). For the organization's admins, like the API's delivery log.
pub async fn delivery_page(
    State(state): State<AppState>,
    jar: CookieJar,
    path: Result<Path<(i64, i64)>, PathRejection>,
) -> Response {
    let Ok(Path((org_id, id))) = path else {
        return bad_path();
    };
    let (_, user) = match signed_in(&state, &jar).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let org = match org_access(&state, &user, org_id, false).await {
        Ok(org) => org,
        Err(r) => return r,
    };
    let email = match outbox::find(&state.db, id).await {
        Ok(Some(e)) if e.organization_id == Some(org.id()) => e,
        Ok(_) => return page_message(StatusCode::NOT_FOUND, "Not found", "Email delivery not found"),
        Err(e) => return internal(e),
    };
    let attempts = match outbox::attempts(&state.db, email.id).await {
        Ok(list) => list,
        Err(e) => return internal(e),
    };
    // Sender names for the routes, when the feature is on (the list is the feature's).
    let senders = match service::require_custom_smtp(&state, &org).await {
        Ok(()) => service::list(&state, &org).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let rows = attempts
        .into_iter()
        .map(|a| AttemptRow {
            attempt: a.attempt,
            started: when_ms(Some(a.started_at)),
            route: route_label(&a.route, &senders),
            outcome: a.outcome,
            smtp_code: a.smtp_code.map_or_else(|| "—".to_owned(), |c| c.to_string()),
            reply: dash(a.reply),
            duration_ms: a.duration_ms,
        })
        .collect();
    render(
        StatusCode::OK,
        &DeliveryPage {
            org_id: org.id(),
            org_name: org.name().to_owned(),
            id: email.id,
            kind: email.kind,
            recipient: email.to_email,
            subject: email.subject,
            status: email.status,
            attempts: email.attempts,
            route: email
                .sent_route
                .as_deref()
                .map_or_else(|| "—".to_owned(), |r| route_label(r, &senders)),
            last_code: email.last_code.map_or_else(|| "—".to_owned(), |c| c.to_string()),
            last_error: dash(email.last_error),
            created: when_ms(Some(email.created_at)),
            sent: when_ms(email.sent_at),
            rows,
        },
    )
}
