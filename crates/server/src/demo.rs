//! `convene serve --demo`: what a newcomer needs to see every page at work. On top of the demo organization
//! (`tenancy::seed_demo`: an owner, an admin, a member and the Sales team) each person gets working hours, the
//! owner two personal event types (one needs confirmation) and Sales a round-robin and a collective one; the owner
//! has an upcoming, a pending and a past booking, and a webhook. Event types go through
//! `scheduling::event_type_input` and the webhook through `webhooks::manage`, as the API's do. Bookings are written
//! directly (a past one could not be booked) and send no emails. Seeding happens once: a second start finds the
//! owner and leaves everything as it is.

use crate::accounts::onboarding::ensure_default_schedule;
use crate::credentials::new_uid;
use crate::scheduling::event_type_input::{EventTypeInput, merged_fields};
use crate::tenancy::{self, DemoData};
use crate::webhooks::manage::{self, WebhookChange};
use convene_core::BookingStatus;
use convene_core::net_guard::PrivatePolicy;
use convene_core::{TimeZoneId, UserId};
use convene_keyring::Keyring;
use convene_store::bookings::{self, NewAttendee, NewBooking};
use convene_store::event_types::{self, EventTypeRecord, Owner};
use convene_store::webhooks::WebhookOwner;
use convene_store::{Db, now_ms};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What the demo made, and where to look.
pub struct Demo {
    pub data: DemoData,
    /// The owner's public page.
    pub booking_page: String,
    /// Pages worth opening, signed in as the owner (paths).
    pub app_pages: Vec<String>,
}

async fn event_type(
    db: &Db,
    owner: Owner,
    user: Option<UserId>,
    input: serde_json::Value,
) -> anyhow::Result<EventTypeRecord> {
    let input: EventTypeInput = serde_json::from_value(input)?;
    let fields = merged_fields(db, user, input, None)
        .await
        .map_err(|e| anyhow::anyhow!("demo event type: {e}"))?;
    Ok(event_types::insert(db, owner, &fields).await?)
}

/// The start of the weekday `days` ahead (or back) at 10:00 UTC, skipping to Monday from a weekend.
fn weekday_at_ten(days: i64) -> Timestamp {
    let day_start = (now_ms() / DAY_MS + days) * DAY_MS;
    // 1970-01-01 was a Thursday: day 0 → Thursday, so (day + 3) % 7 gives Monday = 0.
    let weekday = (day_start / DAY_MS + 3).rem_euclid(7);
    let shift = match weekday {
        5 => 2,
        6 => 1,
        _ => 0,
    };
    Timestamp::from_millisecond(day_start + shift * DAY_MS + 10 * HOUR_MS).unwrap_or(Timestamp::UNIX_EPOCH)
}

async fn booking(
    db: &Db,
    event: &EventTypeRecord,
    host: i64,
    start: Timestamp,
    status: BookingStatus,
    who: (&str, &str),
) -> anyhow::Result<()> {
    let uid = new_uid();
    let responses = json!({ "name": who.0, "email": who.1 }).to_string();
    bookings::insert(
        db,
        &NewBooking {
            uid: uid.clone(),
            event_type_id: Some(event.id),
            host_id: UserId(host),
            title: format!("{} between Olivia Owner and {}", event.title, who.0),
            description: String::new(),
            start_at: start,
            end_at: start + SignedDuration::from_mins(event.length_minutes),
            before_buffer_ms: 0,
            after_buffer_ms: 0,
            status,
            location: None,
            metadata: "{}".to_owned(),
            responses,
            rescheduled_from_uid: None,
            ical_uid: format!("{uid}@convene"),
            ical_sequence: 0,
            recurring_event_uid: None,
        },
        &[NewAttendee {
            name: who.0.to_owned(),
            email: who.1.to_owned(),
            time_zone: "Europe/London".to_owned(),
            language: "en".to_owned(),
            phone: None,
            is_guest: false,
            seat_uid: None,
            seat_responses: None,
        }],
    )
    .await?;
    Ok(())
}

/// Seeds the demo unless it exists; `public_url` is where the printed links point.
pub async fn seed(db: &Db, keyring: &Keyring, public_url: &str) -> anyhow::Result<Option<Demo>> {
    let Some(data) = tenancy::seed_demo(db).await? else {
        return Ok(None);
    };
    let zone = TimeZoneId::parse("timeZone", "Europe/London").map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = db.begin().await?;
    for (_, account) in &data.accounts {
        ensure_default_schedule(&mut tx, account.user.user_id(), &zone).await?;
    }
    tx.commit().await?;
    let owner = data.accounts[0].1.user.clone();
    let member = data.accounts[2].1.user.clone();
    let intro = event_type(
        db,
        Owner::User(owner.user_id()),
        Some(owner.user_id()),
        json!({ "title": "Intro call", "slug": "intro", "lengthInMinutes": 30,
                "description": "A first conversation: what you need and how we can help." }),
    )
    .await?;
    let consult = event_type(
        db,
        Owner::User(owner.user_id()),
        Some(owner.user_id()),
        json!({ "title": "Consultation", "slug": "consultation", "lengthInMinutes": 60,
                "confirmationPolicy": { "type": "always" } }),
    )
    .await?;
    let team = data.team.team_id();
    let round_robin = event_type(
        db,
        Owner::Team(team, "ROUND_ROBIN"),
        None,
        json!({ "title": "Product demo", "slug": "product-demo", "lengthInMinutes": 30 }),
    )
    .await?;
    event_types::set_hosts(db, round_robin.id, &[owner.id, member.id]).await?;
    let collective = event_type(
        db,
        Owner::Team(team, "COLLECTIVE"),
        None,
        json!({ "title": "Kick-off", "slug": "kick-off", "lengthInMinutes": 45 }),
    )
    .await?;
    event_types::set_hosts(db, collective.id, &[owner.id, member.id]).await?;
    booking(
        db,
        &intro,
        owner.id.0,
        weekday_at_ten(2),
        BookingStatus::Accepted,
        ("Ada Lovelace", "ada@example.com"),
    )
    .await?;
    booking(
        db,
        &consult,
        owner.id.0,
        weekday_at_ten(3) + SignedDuration::from_hours(4),
        BookingStatus::Pending,
        ("Grace Hopper", "grace@example.com"),
    )
    .await?;
    booking(
        db,
        &intro,
        owner.id.0,
        weekday_at_ten(-7),
        BookingStatus::Accepted,
        ("Alan Turing", "alan@example.com"),
    )
    .await?;
    manage::create(
        db,
        keyring,
        PrivatePolicy::PublicOnly,
        WebhookOwner::User(owner.id),
        WebhookChange {
            subscriber_url: Some("https://webhook.example.com/convene-demo".to_owned()),
            triggers: Some(vec!["BOOKING_CREATED".to_owned(), "BOOKING_CANCELLED".to_owned()]),
            active: Some(true),
            ..WebhookChange::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo webhook: {e}"))?;
    let base = public_url.trim_end_matches('/');
    Ok(Some(Demo {
        booking_page: format!("{base}/{}", owner.username),
        app_pages: vec![
            "/event-types".to_owned(),
            "/availability".to_owned(),
            "/bookings".to_owned(),
            "/bookings?tab=unconfirmed".to_owned(),
            "/settings/webhooks".to_owned(),
            format!("/settings/organizations/{}/members", data.organization.id),
            format!(
                "/settings/organizations/{}/teams/{}",
                data.organization.id, data.team.id
            ),
        ],
        data,
    }))
}
