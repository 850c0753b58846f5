//! Telling an organization's admins that one of its senders started failing: one email per sender per day,
//! through the platform (the failing sender is the one thing that can't carry it).

use super::compose;
use super::routes::Mailer;
use super::senders::SenderConfig;
use convene_core::email::EmailKind;
use convene_store::outbox::{self, NewEmail};
use convene_store::{memberships, smtp_senders};
use jiff::Timestamp;

const ONE_DAY_MS: i64 = 24 * 3600 * 1000;

/// Queues the alert to the organization's OWNERs and ADMINs unless one went out for `sender` in the day before `now`;
/// a failure to queue is only logged.
pub async fn sender_failing(mailer: &Mailer, sender: &SenderConfig, error: &str, now: Timestamp) {
    if let Err(e) = queue(mailer, sender, error, now).await {
        tracing::warn!(sender_id = sender.id.0, error = %e, "could not queue the sender-failing alert");
    }
}

async fn queue(mailer: &Mailer, sender: &SenderConfig, error: &str, now: Timestamp) -> anyhow::Result<()> {
    let mut tx = mailer.db().begin().await?;
    if !smtp_senders::claim_alert(&mut tx, sender.id, now, ONE_DAY_MS).await? {
        return Ok(());
    }
    let link = format!(
        "{}/settings/organizations/{}/email-senders",
        mailer.settings.public_url, sender.organization_id
    );
    let rendered = compose::sender_failing(&sender.from_email, error, &link)?;
    let admins = memberships::list(&mut tx, sender.organization_id, 0, 1000).await?;
    for admin in admins
        .iter()
        .filter(|m| m.accepted && (m.role == "ADMIN" || m.role == "OWNER"))
    {
        let email = NewEmail {
            message_id: mailer.new_message_id(),
            organization_id: Some(sender.organization_id),
            user_id: Some(admin.user_id),
            to_email: admin.user_email.clone(),
            to_name: admin.user_name.clone(),
            subject: rendered.subject.clone(),
            body_text: rendered.text.clone(),
            body_html: rendered.html.clone(),
            ..NewEmail::of(EmailKind::SenderFailing)
        };
        outbox::enqueue(&mut tx, &email, now).await?;
    }
    tx.commit().await?;
    tracing::warn!(
        sender_id = sender.id.0,
        "sender started failing; organization admins alerted"
    );
    Ok(())
}
