//! The choice of one of the owner's verified addresses or numbers for the workflow editor's steps that send to
//! one (`email_address`, `sms_number`, `whatsapp_number`). What is offered is what `workflows::input` accepts:
//! an address the editing user proved (for a team's workflow too), a number the user proved for a personal
//! workflow or the team proved for a team's. An item a stored step already uses stays offered even when it is not
//! in those lists (another admin chose it), since the service keeps an unchanged choice whoever edits the step.

use super::shell::Refusal;
use crate::i18n::Lang;
use crate::state::AppState;
use convene_core::UserId;
use convene_store::workflows::{StepRecord, WorkflowOwner};
use convene_store::{verified_emails, verified_phones};

/// At most this many addresses or numbers are offered.
const MAX_ITEMS: i64 = 200;

/// The verified items a step may choose, and what the page says when there are none.
pub(crate) struct Verified {
    /// (id, address) of each address.
    pub emails: Vec<(String, String)>,
    /// (id, number) of each number.
    pub phones: Vec<(String, String)>,
    pub no_emails: String,
    pub no_phones: String,
    /// Where the user proves their own items; None when the page has no place for them (a team's numbers).
    pub emails_link: Option<&'static str>,
    pub phones_link: Option<&'static str>,
}

impl Verified {
    /// The items `owner`'s workflow edited by `caller` may send to, with those the `stored` steps use.
    pub(crate) async fn load(
        state: &AppState,
        t: Lang,
        owner: WorkflowOwner,
        caller: UserId,
        stored: &[StepRecord],
    ) -> Result<Verified, Refusal> {
        let mut emails: Vec<(String, String)> = verified_emails::list(&state.db, caller, 0, MAX_ITEMS)
            .await?
            .into_iter()
            .map(|e| (e.id.to_string(), e.email))
            .collect();
        let (phones, no_phones, phones_link) = match owner {
            WorkflowOwner::User(user) => (
                verified_phones::list_for_user(&state.db, user, 0, MAX_ITEMS).await?,
                t.text("app-wf-no-verified-phones"),
                Some("/settings/verified"),
            ),
            WorkflowOwner::Team(team) => (
                verified_phones::list_for_team(&state.db, team, 0, MAX_ITEMS).await?,
                t.text("app-wf-no-team-phones"),
                None,
            ),
        };
        let mut phones: Vec<(String, String)> =
            phones.into_iter().map(|p| (p.id.to_string(), p.phone_number)).collect();
        for s in stored {
            if let (Some(id), Some(email)) = (s.verified_email_id, &s.email) {
                keep(&mut emails, id.to_string(), email);
            }
            if let (Some(id), Some(phone)) = (s.verified_phone_id, &s.phone) {
                keep(&mut phones, id.to_string(), phone);
            }
        }
        Ok(Verified {
            emails,
            phones,
            no_emails: t.text("app-wf-no-verified-emails"),
            no_phones,
            emails_link: Some("/settings/verified"),
            phones_link,
        })
    }
}

/// Adds (id, label) unless an item with that id is offered already.
fn keep(items: &mut Vec<(String, String)>, id: String, label: &str) {
    if !items.iter().any(|(i, _)| *i == id) {
        items.push((id, label.to_owned()));
    }
}
