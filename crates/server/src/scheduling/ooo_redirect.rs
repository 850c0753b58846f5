//! Where an away host's bookers are sent: the out-of-office entries that name a teammate (`toUserId`), each with
//! the teammate and, when the teammate has a visible event type of the same slug, that slug — so the booker can
//! offer "book the teammate instead" as Cal.com does.

use convene_core::UserId;
use convene_store::users::UserRecord;
use convene_store::{Db, StoreError, event_types, out_of_office, users};
use jiff::Timestamp;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// One absence with a teammate covering it.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    /// One of `ooo_input::REASONS`.
    pub reason: String,
    pub teammate: UserRecord,
    /// The teammate's event type with the slug the invitee was booking, when it is public.
    pub event_slug: Option<String>,
}

impl Redirect {
    /// Whether the absence touches [from, to).
    pub fn overlaps(&self, from: Timestamp, to: Timestamp) -> bool {
        self.start_at < to && self.end_at > from
    }
}

/// `host`'s redirecting absences overlapping [from, to), for the event type `slug`. An entry whose teammate no
/// longer exists is left out: there is nobody to send the booker to.
pub async fn redirects(
    db: &Db,
    host: UserId,
    slug: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Redirect>, StoreError> {
    let entries = out_of_office::redirecting(db, host, from, to).await?;
    let mut found: HashMap<UserId, Option<(UserRecord, Option<String>)>> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let Some(to_user) = entry.to_user_id else { continue };
        if let Entry::Vacant(slot) = found.entry(to_user) {
            let teammate = users::find(db, to_user).await?;
            let target = match teammate {
                Some(user) => {
                    let same = event_types::find_by_username_slug(db, &user.username, slug).await?;
                    let event_slug = same.filter(|e| !e.hidden).map(|e| e.slug);
                    Some((user, event_slug))
                }
                None => None,
            };
            slot.insert(target);
        }
        if let Some(Some((teammate, event_slug))) = found.get(&to_user) {
            out.push(Redirect {
                start_at: entry.start_at,
                end_at: entry.end_at,
                reason: entry.reason,
                teammate: teammate.clone(),
                event_slug: event_slug.clone(),
            });
        }
    }
    Ok(out)
}
