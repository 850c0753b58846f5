//! A sender's settings as submitted (API body or settings form) and their validation: field rules, the host's
//! addresses, the provider's needs, and the teams it may serve.

use super::{SenderError, SenderOrg};
use crate::email::Mailer;
use crate::email::host_guard::{HostRefused, NOT_PUBLIC};
use convene_core::text::is_line_break_or_control;
use convene_core::{EmailAddress, FieldError, HeaderText, TeamId};
use convene_store::smtp_senders::{SenderFields, SenderRecord};
use convene_store::teams;
use serde::Deserialize;
use std::time::Duration;
use utoipa::ToSchema;

/// Create or update a sender. On update every field is optional and secrets are kept unless given
/// (`null` clears one).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SenderInput {
    pub from_email: Option<String>,
    pub from_name: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub smtp_user: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub smtp_password: Option<Option<String>>,
    /// Implicit TLS on 465, STARTTLS (required) otherwise. Default true.
    pub smtp_secure: Option<bool>,
    /// `SMTP` (default), `SENDGRID` or `SPARKPOST`.
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub api_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub ip_pool: Option<Option<String>>,
    pub is_default: Option<bool>,
    pub team_ids: Option<Vec<i64>>,
}

/// Tells "absent" (outer `None`) from `null` (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Validated settings (secrets in plaintext only until sealed).
pub(super) struct Valid {
    pub(super) fields: SenderFields,
    pub(super) smtp_user: Option<Option<String>>,
    pub(super) smtp_password: Option<Option<String>>,
    pub(super) api_key: Option<Option<String>>,
    pub(super) team_ids: Option<Vec<TeamId>>,
    pub(super) is_default: Option<bool>,
}

/// A secret-bearing field: no control characters or line breaks (CR/LF would smuggle SMTP commands; U+2028 is a
/// line break to some readers), bounded length.
fn secret_field(field: &str, value: Option<Option<String>>) -> Result<Option<Option<String>>, FieldError> {
    match &value {
        Some(Some(v)) if v.is_empty() => Err(FieldError::coded(
            field,
            "refusal-empty",
            "must not be empty (use null to remove it)",
        )),
        Some(Some(v)) if v.chars().any(is_line_break_or_control) => Err(FieldError::coded(
            field,
            "refusal-control-chars",
            "must not contain line breaks or control characters",
        )),
        Some(Some(v)) if v.len() > 1024 => {
            Err(FieldError::coded(field, "refusal-too-large", "must be at most 1024 bytes").arg("max", 1024))
        }
        _ => Ok(value),
    }
}

/// A host name or IP literal: letters, digits, dots, dashes (and colons inside brackets or bare IPv6).
fn host_field(raw: &str) -> Result<String, FieldError> {
    let host = raw.trim().to_ascii_lowercase();
    if host.is_empty() {
        return Err(FieldError::coded("smtpHost", "refusal-empty", "must not be empty"));
    }
    if host.chars().any(is_line_break_or_control) {
        return Err(FieldError::coded(
            "smtpHost",
            "refusal-control-chars",
            "must not contain line breaks or control characters",
        ));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let is_ip = bare.parse::<std::net::IpAddr>().is_ok();
    let is_name = bare.len() <= 253
        && bare.split('.').all(|label| {
            !label.is_empty() && label.len() <= 63 && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !is_ip && !is_name {
        return Err(FieldError::coded(
            "smtpHost",
            "refusal-host",
            "must be a host name or an IP address",
        ));
    }
    Ok(bare.to_owned())
}

/// Checks the merged settings of a new or updated sender. `existing` gives the values a PATCH keeps.
pub(super) async fn validate(
    mailer: &Mailer,
    input: SenderInput,
    existing: Option<&SenderRecord>,
) -> Result<Valid, FieldError> {
    let from_email = match (&input.from_email, existing) {
        (Some(raw), _) => EmailAddress::parse("fromEmail", raw)?.as_str().to_owned(),
        (None, Some(e)) => e.from_email.clone(),
        (None, None) => return Err(FieldError::coded("fromEmail", "refusal-required", "is required")),
    };
    let from_name = match (&input.from_name, existing) {
        (Some(raw), _) => {
            let name = HeaderText::parse("fromName", raw)?;
            if name.as_str().chars().count() > 100 {
                return Err(
                    FieldError::coded("fromName", "refusal-too-long", "must be at most 100 characters").arg("max", 100),
                );
            }
            name.as_str().to_owned()
        }
        (None, Some(e)) => e.from_name.clone(),
        (None, None) => return Err(FieldError::coded("fromName", "refusal-required", "is required")),
    };
    let provider = match (&input.provider, existing) {
        (Some(p), _) if matches!(p.as_str(), "SMTP" | "SENDGRID" | "SPARKPOST") => p.clone(),
        (Some(_), _) => {
            return Err(FieldError::coded(
                "provider",
                "refusal-provider",
                "must be SMTP, SENDGRID or SPARKPOST",
            ));
        }
        (None, Some(e)) => e.provider.clone(),
        (None, None) => "SMTP".to_owned(),
    };
    let smtp_secure = input.smtp_secure.or(existing.map(|e| e.smtp_secure)).unwrap_or(true);
    let smtp_host = match (&input.smtp_host, existing) {
        (Some(raw), _) => Some(host_field(raw)?),
        (None, Some(e)) => e.smtp_host.clone(),
        (None, None) => None,
    };
    let smtp_port = match input.smtp_port.or(existing.and_then(|e| e.smtp_port)) {
        Some(p) if !(1..=65535).contains(&p) => {
            return Err(
                FieldError::coded("smtpPort", "refusal-between", "must be between 1 and 65535")
                    .arg("min", 1)
                    .arg("max", 65535),
            );
        }
        Some(p) => Some(p),
        None => smtp_host.as_ref().map(|_| if smtp_secure { 465 } else { 587 }),
    };
    let ip_pool = match (&input.ip_pool, existing) {
        (Some(Some(pool)), _) => {
            if !(1..=64).contains(&pool.len())
                || !pool.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(
                    FieldError::coded("ipPool", "refusal-ip-pool", "must be 1–64 letters, digits, '_' or '-'")
                        .arg("max", 64),
                );
            }
            Some(pool.clone())
        }
        (Some(None), _) => None,
        (None, Some(e)) => e.ip_pool.clone(),
        (None, None) => None,
    };
    if ip_pool.is_some() && provider != "SPARKPOST" {
        return Err(FieldError::coded(
            "ipPool",
            "refusal-sparkpost-only",
            "is only used with the SPARKPOST provider",
        ));
    }
    let smtp_user = secret_field("smtpUser", input.smtp_user)?;
    let smtp_password = secret_field("smtpPassword", input.smtp_password)?;
    let api_key = secret_field("apiKey", input.api_key)?;
    let will_have_api_key = match &api_key {
        Some(v) => v.is_some(),
        None => existing.is_some_and(|e| e.api_key_sealed.is_some()),
    };
    if provider == "SMTP" && smtp_host.is_none() {
        return Err(FieldError::coded(
            "smtpHost",
            "refusal-required",
            "is required for an SMTP sender",
        ));
    }
    if provider != "SMTP" && !will_have_api_key {
        return Err(FieldError::coded(
            "apiKey",
            "refusal-required",
            "is required for a provider sender",
        ));
    }
    if provider == "SMTP" && api_key.as_ref().is_some_and(Option::is_some) {
        return Err(FieldError::coded(
            "apiKey",
            "refusal-provider-only",
            "is only used with the SENDGRID or SPARKPOST provider",
        ));
    }
    // The host must resolve now, and only to addresses a sender may use.
    if let Some(host) = &smtp_host {
        let port = u16::try_from(smtp_port.unwrap_or(587)).unwrap_or(587);
        mailer
            .settings
            .host_policy
            .resolve(host, port, Duration::from_secs(5))
            .await
            .map_err(|refused| match refused {
                HostRefused::Dns(message) => FieldError::coded(
                    "smtpHost",
                    "refusal-host-unresolved",
                    format!("could not be resolved: {message}"),
                )
                .arg("why", message),
                HostRefused::NotPublic => FieldError::coded("smtpHost", "refusal-host-not-public", NOT_PUBLIC),
            })?;
    }
    Ok(Valid {
        fields: SenderFields {
            from_email,
            from_name,
            provider,
            smtp_host,
            smtp_port,
            smtp_secure,
            ip_pool,
        },
        smtp_user,
        smtp_password,
        api_key,
        team_ids: input.team_ids.map(|ids| ids.into_iter().map(TeamId).collect()),
        is_default: input.is_default,
    })
}

/// Every team id must be a team of this organization.
pub(super) async fn check_teams(mailer: &Mailer, org: &SenderOrg, team_ids: &[TeamId]) -> Result<(), SenderError> {
    for (i, team) in team_ids.iter().enumerate() {
        let found = teams::find(mailer.db(), *team).await?;
        if found.is_none_or(|t| t.parent_id != Some(org.id())) {
            return Err(FieldError::coded(
                format!("teamIds[{i}]"),
                "refusal-not-org-team",
                "is not a team of this organization",
            )
            .into());
        }
    }
    Ok(())
}
