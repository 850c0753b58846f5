//! The submitted sender form: name/value pairs (team checkboxes repeat a name) and the service's input built
//! from them.

use crate::email::sender_admin::SenderInput;
use axum::extract::RawForm;
use axum::extract::rejection::RawFormRejection;
use convene_core::FieldError;

/// A urlencoded body as name/value pairs.
#[derive(Debug, Default)]
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    /// The pairs of a body; an unreadable body reads as empty (its CSRF check then fails).
    pub(super) fn parse(raw: Result<RawForm, RawFormRejection>) -> Self {
        match raw {
            Ok(RawForm(bytes)) => FormData(form_urlencoded::parse(&bytes).into_owned().collect()),
            Err(_) => FormData(Vec::new()),
        }
    }

    pub(super) fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// A trimmed text field; `None` when empty.
    pub(super) fn text(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// A secret as typed (never trimmed); `None` when empty.
    fn secret(&self, name: &str) -> Option<String> {
        Some(self.get(name).to_owned()).filter(|v| !v.is_empty())
    }

    pub(super) fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub(super) fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The team ids ticked (unreadable values left out).
    pub(super) fn ticked_teams(&self) -> Vec<i64> {
        self.all("teamIds").filter_map(|v| v.parse().ok()).collect()
    }
}

/// The service's input from a sender form. On an edit (`editing`) empty secrets keep the stored ones unless the
/// "remove" box is ticked, and an empty IP pool clears it.
pub(super) fn input_of(form: &FormData, editing: bool) -> Result<SenderInput, FieldError> {
    let smtp_port = match form.text("smtpPort") {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| FieldError::coded("smtpPort", "refusal-whole-number", "must be a whole number"))?,
        ),
    };
    let mut team_ids = form
        .all("teamIds")
        .filter(|v| !v.is_empty())
        .enumerate()
        .map(|(i, raw)| {
            raw.parse::<i64>().map_err(|_| {
                FieldError::coded(
                    format!("teamIds[{i}]"),
                    "refusal-not-org-team",
                    "is not a team of this organization",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A team ticked twice (a hand-made request) is assigned once.
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
