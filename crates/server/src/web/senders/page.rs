//! The settings page itself — the organization's senders with their health, the add form and the delivery log —
//! and what an action adds to it: a notice, a test's result, or a failure shown under its field or in the banner
//! with the submitted form kept. All in the admin's language (`OrgAdmin::t`).

use super::delivery_log::delivery_rows;
use super::form::FormData;
use super::gate::{AdminForm, OrgAdmin};
use super::labels;
use super::refusal::Refusal;
use super::views::{ResultView, SendersPage, base_of, sender_card, stored_form, submitted_form, team_boxes};
use crate::email::sender_admin::{self as service, SenderError, SenderOrg};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::app::{Nav, Section};
use crate::web::respond::render;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_store::outbox::{self, Filter, Scope};
use convene_store::teams;
use std::collections::HashMap;

/// How many emails the delivery log shows.
const LOG_SIZE: i64 = 50;
/// Teams listed as checkboxes (an organization with more is beyond this page).
const MAX_TEAMS: i64 = 500;

/// What a POST puts on the page besides the current state.
#[derive(Default)]
pub(super) struct Extras {
    pub(super) notice: Option<String>,
    pub(super) error: Option<String>,
    pub(super) result: Option<ResultView>,
    /// The add form as submitted (kept on a failed save or after an unsaved test).
    pub(super) add: Option<(FormData, Option<(String, String)>)>,
    /// One edit form as submitted, with its error.
    pub(super) edit: Option<(i64, FormData, (String, String))>,
}

/// The settings page with the organization's current senders and log, plus what a POST adds.
pub(super) async fn page(state: &AppState, admin: &OrgAdmin, status: StatusCode, extras: Extras) -> Response {
    match settings_page(state, admin, extras).await {
        Ok(view) => render(status, &view),
        Err(refusal) => refusal.into_response(),
    }
}

async fn settings_page(state: &AppState, admin: &OrgAdmin, x: Extras) -> Result<SendersPage, Refusal> {
    let org_id = admin.org.id();
    let t = admin.t;
    let senders = service::list(&state.mailer, &admin.org)
        .await
        .map_err(|e| Refusal::sender(t, e))?;
    let all_teams: Vec<(i64, String)> = teams::list_teams(&state.db, org_id, 0, MAX_TEAMS)
        .await?
        .into_iter()
        .map(|team| (team.id.0, team.name))
        .collect();
    let emails = outbox::list(&state.db, Scope::Organization(org_id), &Filter::default(), LOG_SIZE).await?;
    let emails_shown = emails.len();
    // team id → the sender that has it
    let owner: HashMap<i64, i64> = senders
        .iter()
        .flat_map(|s| s.team_ids.iter().map(move |team| (*team, s.id)))
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
                    let ticked = submitted.ticked_teams();
                    let boxes = team_boxes(
                        t,
                        &all_teams,
                        &|team| ticked.contains(&team),
                        &owner,
                        Some(s.id),
                        &senders,
                    );
                    submitted_form(format!("s{}-", s.id), submitted, Some(s), boxes, Some(error.clone()))
                }
                _ => {
                    let boxes = team_boxes(
                        t,
                        &all_teams,
                        &|team| s.team_ids.contains(&team),
                        &owner,
                        Some(s.id),
                        &senders,
                    );
                    stored_form(s, boxes)
                }
            };
            sender_card(t, s, team_names(&s.team_ids), &admin.user.email, form)
        })
        .collect();
    let add = match &x.add {
        Some((submitted, error)) => {
            let ticked = submitted.ticked_teams();
            let boxes = team_boxes(t, &all_teams, &|team| ticked.contains(&team), &owner, None, &senders);
            submitted_form(String::new(), submitted, None, boxes, error.clone())
        }
        None => {
            let boxes = team_boxes(t, &all_teams, &|_| false, &owner, None, &senders);
            let mut form = submitted_form(String::new(), &FormData::default(), None, boxes, None);
            form.smtp_secure = true;
            form.is_default = senders.is_empty();
            form
        }
    };
    Ok(SendersPage {
        nav: Nav::new(state, &admin.user, admin.csrf.clone(), t, Some(Section::Senders)).await?,
        t,
        tab: "senders",
        org_id: org_id.0,
        org_name: admin.org.name().to_owned(),
        intro: t.text_with("senders-intro", &[("org", admin.org.name())]),
        log_intro: t.text_with(
            "senders-log-intro",
            &[("count", &emails_shown.to_string()), ("org", admin.org.name())],
        ),
        base: base_of(org_id.0),
        csrf: admin.csrf.clone(),
        notice: x.notice,
        error: x.error,
        result: x.result,
        deliveries: delivery_rows(t, emails, &senders),
        senders: cards,
        add,
    })
}

/// Which submitted form a failed action shows again.
#[derive(Debug, Clone, Copy)]
pub(super) enum Keep {
    /// None: the failure shows in the banner only.
    Nothing,
    /// The add form.
    AddForm,
    /// The edit form of this sender.
    EditForm(i64),
}

/// A failure the settings page shows in `t` (under a field, or in the banner); `Err` for the failures that get a
/// page of their own.
fn on_page(t: Lang, e: SenderError) -> Result<(StatusCode, (String, String)), Refusal> {
    match e {
        SenderError::Invalid(f) => {
            let said = t.refusal(&f);
            Ok((StatusCode::BAD_REQUEST, (f.field, said)))
        }
        SenderError::NotFound => Ok((StatusCode::NOT_FOUND, (String::new(), t.text("senders-no-sender")))),
        other => Err(Refusal::sender(t, other)),
    }
}

impl AdminForm {
    /// Shows the settings page again with the failure of this form's action, keeping what was typed (`keep`).
    pub(super) async fn failed(self, state: &AppState, e: SenderError, keep: Keep) -> Response {
        let t = self.admin.t;
        let (status, error) = match on_page(t, e) {
            Ok(shown) => shown,
            Err(refusal) => return refusal.into_response(),
        };
        let mut extras = Extras {
            error: banner(t, &error),
            ..Extras::default()
        };
        match keep {
            Keep::Nothing => {}
            Keep::AddForm => extras.add = Some((self.form, Some(error))),
            Keep::EditForm(id) => extras.edit = Some((id, self.form, error)),
        }
        page(state, &self.admin, status, extras).await
    }
}

/// The banner text of a failure: the message alone, or the field's label with it.
pub(super) fn banner(t: Lang, (field, message): &(String, String)) -> Option<String> {
    if field.is_empty() {
        Some(message.clone())
    } else {
        let label = labels::field(t, field);
        Some(t.text_with("senders-correct", &[("field", &label), ("why", message)]))
    }
}

/// After a change: back to the page (at the sender's card) with a notice.
pub(super) fn done(org: &SenderOrg, notice: &str, anchor: Option<i64>) -> Response {
    let anchor = anchor.map(|id| format!("#sender-{id}")).unwrap_or_default();
    Redirect::to(&format!("{}?notice={notice}{anchor}", base_of(org.id().0))).into_response()
}

/// The notice a redirect's `?notice=` code stands for, in `t`.
pub(super) fn notice_text(t: Lang, code: &str) -> Option<String> {
    let id = match code {
        "created" => "senders-created",
        "updated" => "senders-updated",
        "default" => "senders-made-default",
        "deleted" => "senders-deleted",
        _ => return None,
    };
    Some(t.text(id))
}
