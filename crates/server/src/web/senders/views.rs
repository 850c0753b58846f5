//! What the settings pages show: the page templates and the view of each sender, form, test result and date, in
//! the page's language (`t`; the templates take their words from it too).

use super::form::FormData;
use super::labels;
use crate::email::probe::TestResult;
use crate::email::sender_admin::SenderOutput;
use crate::i18n::Lang;
use crate::time_text::utc_iso;
use crate::web::app::Nav;
use crate::web::respond::render;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use std::collections::HashMap;

const PROVIDERS: [&str; 3] = ["SMTP", "SENDGRID", "SPARKPOST"];

#[derive(Template)]
#[template(path = "settings_message.html")]
pub(super) struct SettingsMessage<'a> {
    pub(super) t: Lang,
    pub(super) title: &'a str,
    pub(super) message: &'a str,
}

/// A short page of its own (title and message already in `t`).
pub(super) fn page_message(status: StatusCode, t: Lang, title: &str, message: &str) -> Response {
    render(status, &SettingsMessage { t, title, message })
}

pub(super) struct Choice {
    pub(super) value: &'static str,
    pub(super) selected: bool,
}

pub(super) struct TeamBox {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) checked: bool,
    /// Another sender serves the team: it is unticked there first (a team has one sender).
    pub(super) taken: bool,
    /// Which sender has the team, when another one does.
    pub(super) note: String,
}

/// The fields of a sender form: the add form or one sender's edit form.
pub(super) struct FormView {
    /// Prefix of the element ids: empty for the add form, `s<id>-` for an edit form.
    pub(super) p: String,
    pub(super) from_email: String,
    pub(super) from_name: String,
    pub(super) providers: Vec<Choice>,
    pub(super) smtp_host: String,
    pub(super) smtp_port: String,
    pub(super) smtp_secure: bool,
    pub(super) ip_pool: String,
    pub(super) is_default: bool,
    /// The default sender's box stays ticked: another sender is made the default instead.
    pub(super) default_locked: bool,
    pub(super) editing: bool,
    pub(super) has_smtp_credentials: bool,
    pub(super) has_api_key: bool,
    pub(super) teams: Vec<TeamBox>,
    pub(super) error_field: String,
    /// The refusal of `error_field`, in the page's language.
    pub(super) error_message: String,
    /// An edit form with an error is shown unfolded.
    pub(super) open: bool,
}

impl FormView {
    /// The message for `field` if the last submission failed there (team errors name `teamIds[i]`).
    fn err(&self, field: &str) -> Option<String> {
        let matches = self.error_field == field || (field == "teamIds" && self.error_field.starts_with("teamIds"));
        matches.then(|| self.error_message.clone())
    }
}

pub(super) struct ResultView {
    pub(super) title: String,
    pub(super) success: bool,
    pub(super) stage: &'static str,
    pub(super) message: String,
    pub(super) smtp_code: String,
    pub(super) duration_ms: u64,
    pub(super) route: String,
}

pub(super) struct SenderCard {
    pub(super) id: i64,
    pub(super) from_email: String,
    pub(super) from_name: String,
    pub(super) provider: String,
    pub(super) server: String,
    pub(super) credentials: String,
    pub(super) is_default: bool,
    /// The health as stored (`OK`…), for the badge's class and `data-status`.
    pub(super) status_code: String,
    /// The health in the page's language.
    pub(super) status: String,
    pub(super) status_class: String,
    pub(super) teams: String,
    pub(super) last_error: String,
    pub(super) last_success: String,
    pub(super) last_failure: String,
    pub(super) last_tested: String,
    pub(super) to_email: String,
    pub(super) form: FormView,
}

#[derive(Template)]
#[template(path = "senders.html")]
pub(super) struct SendersPage {
    pub(super) nav: Nav,
    pub(super) t: Lang,
    /// The organization tab shown as current.
    pub(super) tab: &'static str,
    pub(super) org_id: i64,
    pub(super) org_name: String,
    /// How the organization's emails leave, naming it.
    pub(super) intro: String,
    /// Above the delivery log: how many emails it shows.
    pub(super) log_intro: String,
    pub(super) base: String,
    pub(super) csrf: String,
    pub(super) notice: Option<String>,
    pub(super) error: Option<String>,
    pub(super) result: Option<ResultView>,
    pub(super) senders: Vec<SenderCard>,
    pub(super) add: FormView,
    pub(super) deliveries: Vec<DeliveryRow>,
}

#[derive(Template)]
#[template(path = "sender_delete.html")]
pub(super) struct DeletePage {
    pub(super) nav: Nav,
    pub(super) t: Lang,
    pub(super) tab: &'static str,
    pub(super) org_id: i64,
    pub(super) org_name: String,
    pub(super) base: String,
    pub(super) csrf: String,
    pub(super) id: i64,
    pub(super) from_name: String,
    pub(super) from_email: String,
    pub(super) is_default: bool,
}

pub(super) fn base_of(org: i64) -> String {
    format!("/settings/organizations/{org}/email-senders")
}

pub(super) fn when(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "—".to_owned(), |t| pretty(&utc_iso(t)))
}

/// `2030-01-07T09:00:00.000Z` → `2030-01-07 09:00:00 UTC`.
pub(super) fn pretty(iso: &str) -> String {
    match iso.split_once('.') {
        Some((head, _)) => format!("{} UTC", head.replacen('T', " ", 1)),
        None => iso.to_owned(),
    }
}

pub(super) fn when_iso(iso: Option<&String>) -> String {
    iso.map_or_else(|| "—".to_owned(), |s| pretty(s))
}

pub(super) fn dash(text: Option<String>) -> String {
    text.filter(|t| !t.is_empty()).unwrap_or_else(|| "—".to_owned())
}

pub(super) fn providers(selected: &str) -> Vec<Choice> {
    PROVIDERS
        .iter()
        .map(|p| Choice {
            value: p,
            selected: *p == selected,
        })
        .collect()
}

/// A test's outcome under `title` (already in the page's language): our own words in `t`, a server's as it said
/// them.
pub(super) fn result_view(t: Lang, title: String, r: TestResult) -> ResultView {
    let message = match &r.said {
        Some(said) => {
            let args: Vec<(&str, &str)> = said.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.text_with(said.id, &args)
        }
        None => r.message,
    };
    ResultView {
        title,
        success: r.success,
        stage: r.stage,
        message,
        smtp_code: r.smtp_code.map_or_else(|| "—".to_owned(), |c| c.to_string()),
        duration_ms: r.duration_ms,
        route: r.route.unwrap_or_default(),
    }
}

/// The team checkboxes of one form: `this` is the sender it edits (`None` for the add form); a team another
/// sender serves says which, in `t`.
pub(super) fn team_boxes(
    t: Lang,
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
                    .map(|s| t.text_with("senders-team-taken", &[("sender", &s.from_email)]))
                    .unwrap_or_default(),
                _ => String::new(),
            },
        })
        .collect()
}

/// A form filled from a submission (non-secret fields only).
pub(super) fn submitted_form(
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
pub(super) fn stored_form(s: &SenderOutput, teams: Vec<TeamBox>) -> FormView {
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

/// A sender's card: its settings, health, teams and edit form.
pub(super) fn sender_card(t: Lang, s: &SenderOutput, teams: String, to_email: &str, form: FormView) -> SenderCard {
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
        credentials: t.text(match (s.has_smtp_credentials, s.has_api_key) {
            (true, true) => "senders-creds-both",
            (true, false) => "senders-creds-login",
            (false, true) => "senders-creds-key",
            (false, false) => "senders-creds-none",
        }),
        is_default: s.is_default,
        status_code: health.status.clone(),
        status: labels::health(t, &health.status),
        status_class: health.status.to_ascii_lowercase(),
        teams,
        last_error: dash(health.last_error.clone()),
        last_success: when_iso(health.last_success_at.as_ref()),
        last_failure: when_iso(health.last_failure_at.as_ref()),
        last_tested: when_iso(health.last_tested_at.as_ref()),
        to_email: to_email.to_owned(),
        form,
    }
}

/// One email of the log on the settings page.
pub(super) struct DeliveryRow {
    pub(super) id: i64,
    pub(super) created: String,
    /// The kind as stored (the API's filter value), and in the page's language.
    pub(super) kind: &'static str,
    pub(super) kind_words: String,
    pub(super) recipient: String,
    /// The status as stored (`sent`…), for `data-status`.
    pub(super) status_code: &'static str,
    /// The status in the page's language.
    pub(super) status: String,
    pub(super) route: String,
    pub(super) last_error: String,
}

/// One attempt on one route, on an email's page.
pub(super) struct AttemptRow {
    pub(super) attempt: i64,
    pub(super) started: String,
    pub(super) route: String,
    /// The outcome as stored (`sent`…), for `data-outcome`.
    pub(super) outcome_code: String,
    /// The outcome in the page's language.
    pub(super) outcome: String,
    pub(super) smtp_code: String,
    pub(super) reply: String,
    pub(super) duration_ms: i64,
}

/// One email with every route tried.
#[derive(Template)]
#[template(path = "email_delivery.html")]
pub(super) struct DeliveryPage {
    pub(super) nav: Nav,
    pub(super) t: Lang,
    pub(super) tab: &'static str,
    /// "Email 42", in the page's language.
    pub(super) title: String,
    pub(super) org_id: i64,
    pub(super) org_name: String,
    pub(super) kind: &'static str,
    pub(super) kind_words: String,
    pub(super) recipient: String,
    pub(super) subject: String,
    pub(super) status_code: &'static str,
    pub(super) status: String,
    pub(super) attempts: i64,
    pub(super) route: String,
    pub(super) last_code: String,
    pub(super) last_error: String,
    pub(super) created: String,
    pub(super) sent: String,
    pub(super) rows: Vec<AttemptRow>,
}

/// A route of the delivery log, with the sender's address when it is one of the organization's.
pub(super) fn route_label(route: &str, senders: &[SenderOutput]) -> String {
    let id = route
        .strip_prefix("sender:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| id.parse::<i64>().ok());
    match id.and_then(|id| senders.iter().find(|s| s.id == id)) {
        Some(s) => format!("{route} ({})", s.from_email),
        None => route.to_owned(),
    }
}
