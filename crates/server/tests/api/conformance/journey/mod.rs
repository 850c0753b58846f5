//! One realistic walk through every operation convene shares with Cal.com's reference: an organization
//! with a host who publishes event types and gets booked, a team with its own event types, members,
//! webhooks, out-of-office entries. Every answer is recorded for validation; a step that later steps depend
//! on must succeed, everything else is recorded whatever it answers.

mod accounts;
mod bookings;
mod calendars;
pub use calendars::GOOGLE_PRIMARY;
mod org_wide;
mod organizations;
mod routing_forms;
mod scheduling;
mod teams;
mod verified_resources;
mod webhooks;
mod workflows;

use super::record::{Exchange, Recorder};
use crate::helpers::TestApp;
use convene_core::Role;
use convene_testkit::FakeTwilio;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The `cal-api-version` each versioned resource serves today.
pub const SCHEDULES: &str = "2024-06-11";
pub const EVENT_TYPES: &str = "2024-06-14";
pub const SLOTS: &str = "2024-09-04";
pub const BOOKINGS: &str = "2024-08-13";

/// A Monday in the future on which the host works; all bookings of the journey happen that week.
pub const MONDAY: &str = "2030-01-07";

/// The people and ids the steps share.
pub struct Journey<'a> {
    pub rec: Recorder<'a>,
    pub org: i64,
    /// Owns the organization and hosts the personal event types.
    pub host_id: i64,
    pub host_key: String,
    pub host_username: String,
    /// An ADMIN of the organization, member of its team.
    pub admin_id: i64,
    /// An intro event type (custom questions, two locations) and one that needs confirmation.
    pub intro: i64,
    pub review: i64,
    pub team: i64,
    /// Where phone verification codes are texted.
    pub twilio: &'a FakeTwilio,
}

impl<'a> Journey<'a> {
    /// Sends a request with a key and a version, expecting `status`; returns `data`.
    pub async fn ok(
        &mut self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<Value>,
        version: Option<&str>,
        status: StatusCode,
    ) -> Value {
        self.rec.ok(method, path, Some(key), body, version, status).await
    }
}

/// Runs every step and returns what was exchanged.
pub async fn run<'a>(app: &'a TestApp, twilio: &'a FakeTwilio) -> Vec<Exchange> {
    let (org, owner) = app.organization("conformance").await;
    let admin = app.member(org, "admin@conformance.test", Role::Admin).await;
    let host_username = convene_store::users::find(&app.db, convene_core::UserId(owner.id))
        .await
        .expect("read the host")
        .expect("the host exists")
        .username;
    let mut journey = Journey {
        rec: Recorder::new(app),
        org,
        host_id: owner.id,
        host_key: owner.key,
        host_username,
        admin_id: admin.id,
        intro: 0,
        review: 0,
        team: 0,
        twilio,
    };
    accounts::run(&mut journey).await;
    scheduling::run(&mut journey).await;
    bookings::run(&mut journey).await;
    organizations::run(&mut journey).await;
    teams::run(&mut journey).await;
    org_wide::run(&mut journey).await;
    webhooks::run(&mut journey).await;
    workflows::run(&mut journey).await;
    routing_forms::run(&mut journey).await;
    verified_resources::run(&mut journey).await;
    calendars::run(&mut journey).await;
    journey.rec.exchanges
}

/// A booking body for `event` at `start` (UTC) from an attendee in another time zone.
pub fn booking(event: i64, start: &str, email: &str) -> Value {
    json!({
        "eventTypeId": event,
        "start": start,
        "attendee": { "name": "Ada Attendee", "email": email, "timeZone": "America/New_York", "language": "en" },
    })
}

/// The `uid` of a booking answer's `data`.
pub fn uid(data: &Value) -> String {
    data["uid"].as_str().expect("a booking uid").to_owned()
}

/// The `id` of an answer's `data`.
pub fn id(data: &Value) -> i64 {
    data["id"].as_i64().expect("an id")
}
