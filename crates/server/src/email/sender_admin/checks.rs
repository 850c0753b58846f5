//! The test buttons: trying unsaved settings, a saved sender's connection, or a test email through it. A saved
//! sender's outcome is recorded as its health.

use super::input::{SenderInput, Valid, validate};
use super::manage::load;
use super::{SenderError, SenderOrg};
use crate::email::Mailer;
use crate::email::probe::{self, Said, TestResult};
use crate::email::providers::{Provider, ProviderClient};
use crate::email::senders::SenderConfig;
use crate::email::settings::Credentials;
use convene_core::{EmailAddress, FieldError, SenderId, TeamId};
use convene_store::smtp_senders::{self, SenderRecord};
use secrecy::SecretString;

/// Tests settings that were never saved: DNS, connect, TLS, greeting, EHLO and AUTH — no email sent. A host
/// that doesn't resolve, or resolves inside, is the test's answer (stage DNS) rather than an error.
pub async fn test_unsaved_settings(
    mailer: &Mailer,
    org: &SenderOrg,
    input: SenderInput,
) -> Result<TestResult, SenderError> {
    let valid = match validate(mailer, input, None).await {
        Ok(valid) => valid,
        Err(e) if e.field == "smtpHost" => {
            return Ok(TestResult {
                success: false,
                stage: "DNS",
                said: e.id.map(|id| Said { id, args: e.args }),
                message: e.message,
                smtp_code: None,
                duration_ms: 0,
                route: None,
                recipient_refused: false,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let record = unsaved_record(org.id(), &valid);
    // Nothing is sealed in an unsaved record, so opening its secrets can't fail.
    let mut config = SenderConfig::from_record(&record, mailer.keyring(), &mailer.settings, mailer.http())
        .map_err(SenderError::Keyring)?;
    // Unsaved secrets were never sealed; put them in directly.
    if let Some(smtp) = &mut config.smtp
        && let Some(Some(user)) = &valid.smtp_user
    {
        smtp.credentials = Some(Credentials {
            username: user.clone(),
            password: SecretString::from(valid.smtp_password.clone().flatten().unwrap_or_default()),
        });
    }
    if let Some(api) = &mut config.api
        && let Some(Some(key)) = &valid.api_key
    {
        api.api_key = SecretString::from(key.clone());
    }
    if let (None, Some(Some(key))) = (&config.api, &valid.api_key) {
        config = with_api(config, &record, key, mailer);
    }
    Ok(probe::test_connection(mailer, &config).await)
}

fn with_api(mut config: SenderConfig, record: &SenderRecord, key: &str, mailer: &Mailer) -> SenderConfig {
    let settings = &mailer.settings;
    let provider = match record.provider.as_str() {
        "SENDGRID" => Provider::SendGrid,
        _ => Provider::SparkPost,
    };
    config.api = Some(ProviderClient {
        provider,
        base_url: match provider {
            Provider::SendGrid => settings.sendgrid_api_url.clone(),
            Provider::SparkPost => settings.sparkpost_api_url.clone(),
        },
        api_key: SecretString::from(key.to_owned()),
        ip_pool: record.ip_pool.clone(),
        http: mailer.http().clone(),
    });
    config
}

/// A record shaped like a stored sender for settings that were never saved (no secrets inside).
fn unsaved_record(org: TeamId, valid: &Valid) -> SenderRecord {
    let f = &valid.fields;
    SenderRecord {
        id: SenderId(0),
        organization_id: org,
        from_email: f.from_email.clone(),
        from_name: f.from_name.clone(),
        provider: f.provider.clone(),
        smtp_host: f.smtp_host.clone(),
        smtp_port: f.smtp_port,
        smtp_secure: f.smtp_secure,
        smtp_user_sealed: None,
        smtp_password_sealed: None,
        api_key_sealed: None,
        ip_pool: f.ip_pool.clone(),
        is_default: false,
        health_status: "UNTESTED".to_owned(),
        last_error: None,
        last_success_at: None,
        last_failure_at: None,
        last_tested_at: None,
        consecutive_failures: 0,
        circuit_open_until: None,
        circuit_opens: 0,
        alerted_at: None,
        version: 0,
        created_at: jiff::Timestamp::UNIX_EPOCH,
        updated_at: jiff::Timestamp::UNIX_EPOCH,
    }
}

/// The sender ready to test, or the test's answer when its stored secrets can't be opened (sealed under a key
/// this server no longer has, or copied from another row).
fn saved_config(mailer: &Mailer, record: &SenderRecord) -> Result<SenderConfig, TestResult> {
    SenderConfig::from_record(record, mailer.keyring(), &mailer.settings, mailer.http()).map_err(|e| {
        tracing::error!(sender_id = record.id.0, error = %e, "cannot open a sender's secrets");
        TestResult {
            success: false,
            stage: "AUTH",
            message: "the stored credentials cannot be opened with this server's encryption keys; enter them again"
                .to_owned(),
            smtp_code: None,
            duration_ms: 0,
            route: None,
            recipient_refused: false,
            said: Some(Said::new("senders-probe-sealed")),
        }
    })
}

/// Records a test's outcome as the sender's health. A test email refused for its recipient says nothing bad
/// about the sender: the server answered, authenticated and took the sender address.
async fn record_test(mailer: &Mailer, record: &SenderRecord, result: &TestResult) -> Result<(), SenderError> {
    let now = jiff::Timestamp::now();
    let healthy = result.success || result.recipient_refused;
    let health = smtp_senders::Health {
        status: if healthy {
            "OK"
        } else if result.stage == "AUTH" && result.smtp_code.is_some_and(|c| c == 535 || c == 530) {
            "AUTH_FAILED"
        } else {
            "FAILING"
        },
        last_error: (!healthy).then(|| format!("{}: {}", result.stage, result.message)),
        success_at: healthy.then_some(now),
        failure_at: (!healthy).then_some(now),
        tested_at: Some(now),
        consecutive_failures: record.consecutive_failures,
        circuit_open_until: record.circuit_open_until,
        circuit_opens: record.circuit_opens,
    };
    smtp_senders::record_health(mailer.db(), record.id, record.version, &health, now).await?;
    mailer.directory.invalidate(record.organization_id);
    Ok(())
}

/// Tests a saved sender (DNS, connect, TLS, greeting, EHLO and AUTH — no email sent) and records the outcome
/// as its health.
pub async fn test_saved_sender(mailer: &Mailer, org: &SenderOrg, id: SenderId) -> Result<TestResult, SenderError> {
    let record = load(mailer, org, id).await?;
    let result = match saved_config(mailer, &record) {
        Ok(config) => probe::test_connection(mailer, &config).await,
        Err(unusable) => unusable,
    };
    record_test(mailer, &record, &result).await?;
    Ok(result)
}

/// The recipient of a test email (`toEmail`).
pub fn test_recipient(raw: Option<&str>) -> Result<EmailAddress, FieldError> {
    EmailAddress::parse("toEmail", raw.unwrap_or_default())
}

/// Sends a test message through exactly this sender (no fallback), records the outcome as its health and
/// reports the server's reply.
pub async fn send_test(
    mailer: &Mailer,
    org: &SenderOrg,
    id: SenderId,
    to: &EmailAddress,
) -> Result<TestResult, SenderError> {
    let record = load(mailer, org, id).await?;
    let result = match saved_config(mailer, &record) {
        Ok(config) => probe::test_email(mailer, &config, to.as_str()).await,
        Err(unusable) => unusable,
    };
    record_test(mailer, &record, &result).await?;
    Ok(result)
}
