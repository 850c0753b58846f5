//! Notification preferences (Cal.com's organization defaults with user overrides): per event and channel, whether
//! a notification goes out. A user's own choice wins, else their organization's, else on. The API's
//! `/v2/me/notification-preferences` and organization operations and the settings page read and write them here.

use convene_core::TeamId;
use convene_store::notification_preferences::{self as prefs, Owner, Preference};
use convene_store::{Db, StoreError};

pub const EVENTS: [&str; 4] = [
    "bookingConfirmed",
    "bookingCancelled",
    "bookingRescheduled",
    "bookingReminder",
];
pub const CHANNELS: [&str; 4] = ["email", "webPush", "sms", "inApp"];

/// One change: (event, channel, on / off / back to inheriting).
pub type Change = (&'static str, &'static str, Option<bool>);

/// One event and channel: the owner's own choice, and what applies (their choice, else inherited, else on).
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub event: &'static str,
    pub channel: &'static str,
    pub own: Option<bool>,
    pub effective: bool,
}

/// Every event and channel for `owner`: for an organization its defaults, for a user their choices over their
/// `organization`'s.
pub async fn settings(db: &Db, owner: Owner, organization: Option<i64>) -> Result<Vec<Setting>, StoreError> {
    let own = prefs::list(db, owner).await?;
    let inherited = match (owner, organization) {
        (Owner::User(_), Some(org)) => prefs::list(db, Owner::Organization(TeamId(org))).await?,
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(EVENTS.len() * CHANNELS.len());
    for event in EVENTS {
        for channel in CHANNELS {
            let find = |list: &[Preference]| {
                list.iter()
                    .find(|p| p.event == event && p.channel == channel)
                    .map(|p| p.enabled)
            };
            let own = find(&own);
            out.push(Setting {
                event,
                channel,
                own,
                effective: own.or(find(&inherited)).unwrap_or(true),
            });
        }
    }
    Ok(out)
}

/// Applies `changes` for `owner` in one transaction.
pub async fn apply(db: &Db, owner: Owner, changes: &[Change]) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    for (event, channel, enabled) in changes {
        prefs::set(&mut tx, owner, event, channel, *enabled, jiff::Timestamp::now()).await?;
    }
    tx.commit().await?;
    Ok(())
}
