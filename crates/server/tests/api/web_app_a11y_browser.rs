//! axe-core in Chromium on every page of the host's app, each one filled: an org owner with personal and team event
//! types, a booking of each status (upcoming, unconfirmed, declined, cancelled, past), a schedule, a webhook, an API
//! key, an out-of-office entry, a workflow, a routing form with a response, private links, a connected calendar and
//! a verified address and number; the instance admin's page as the instance admin. The list of pages is checked
//! against the router's source, so a page added to `web/app` without a place here fails this test.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::routing_forms::{Rig, form_webhook};
use crate::scheduling::{BOOKINGS, EVENT_TYPES, SCHEDULES, book, weekdays_9_to_5};
use crate::web_a11y::violations;
use crate::web_app_bookings::{get, signed_in, with_password};
use crate::web_app_calendars::{csrf_of, post};
use crate::web_browser::Browser;
use convene_core::{ConnectionKind, UserId};
use convene_store::Db;
use convene_store::calendars::{self, ListedCalendar, NewConnection};
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeSet;

const OWNER: &str = "owner@acme.test";

/// The GET routes of `web/app`'s router, as written there (`{ORG}` spelled out).
fn app_get_routes() -> BTreeSet<String> {
    let source = include_str!("../../src/web/app/mod.rs");
    source
        .split(".route(")
        .skip(1)
        .filter(|route| route.contains("get("))
        .map(|route| {
            let route = route.trim_start();
            if let Some(rest) = route.strip_prefix("&format!(\"{ORG}") {
                let path = rest.split('"').next().expect("a format string");
                format!(
                    "/settings/organizations/{{org_id}}{}",
                    path.replace("{{", "{").replace("}}", "}")
                )
            } else {
                route
                    .strip_prefix('"')
                    .and_then(|r| r.split('"').next())
                    .unwrap_or_else(|| panic!("a route path this test cannot read: {route}"))
                    .to_owned()
            }
        })
        .collect()
}

async fn sql(app: &TestApp, statement: &str) {
    let statement = statement.to_owned();
    match &app.db {
        Db::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await
            .map(|_| ()),
        Db::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .expect("run the statement");
}

async fn versioned_post(
    app: &TestApp,
    path: &str,
    key: &str,
    body: serde_json::Value,
    version: &str,
) -> serde_json::Value {
    let answer = app
        .versioned(Method::POST, path, Some(key), Some(body), Some(version))
        .await;
    answer.expect_success(StatusCode::CREATED).clone()
}

async fn booking_uid(app: &TestApp, event: i64, start: &str, email: &str) -> String {
    book(app, event, start, email).await.expect_success(StatusCode::CREATED)["uid"]
        .as_str()
        .expect("uid")
        .to_owned()
}

async fn sign_in(c: &Client, base: &str, email: &str, password: &str) {
    c.goto(&format!("{base}/auth/login")).await.expect("sign-in page");
    for (id, text) in [("email", email), ("password", password)] {
        let field = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }
    let old = c.find(Locator::Css("html")).await.expect("page");
    c.find(Locator::Id("sign-in"))
        .await
        .expect("sign-in button")
        .click()
        .await
        .expect("click");
    crate::web_browser::wait_replaced(c, &old).await;
}

/// Opens `path` and answers the serious and critical violations there, each named with the page.
async fn check(c: &Client, base: &str, axe: &str, path: &str) -> Vec<String> {
    c.goto(&format!("{base}{path}")).await.expect("open");
    violations(c, axe)
        .await
        .into_iter()
        .map(|v| format!("{path} → {v}"))
        .collect()
}

#[tokio::test]
async fn every_page_of_the_app_filled_with_data_has_no_serious_accessibility_violation() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let t = Rig::start().await;
    let app = t.app();
    let (org, team, key) = (t.org, t.team, t.owner.key.clone());
    with_password(app, OWNER).await;

    // The owner's own hours, event types and bookings of every status.
    let schedule = versioned_post(
        app,
        "/v2/schedules",
        &key,
        json!({ "name": "Work", "timeZone": "UTC", "isDefault": true, "availability": weekdays_9_to_5() }),
        SCHEDULES,
    )
    .await["id"]
        .as_i64()
        .expect("schedule id");
    let intro = versioned_post(
        app,
        "/v2/event-types",
        &key,
        json!({ "title": "Intro", "slug": "owner-intro", "lengthInMinutes": 30 }),
        EVENT_TYPES,
    )
    .await["id"]
        .as_i64()
        .expect("event type id");
    let consult = versioned_post(
        app,
        "/v2/event-types",
        &key,
        json!({ "title": "Consultation", "slug": "consultation", "lengthInMinutes": 60,
                "confirmationPolicy": { "type": "always" } }),
        EVENT_TYPES,
    )
    .await["id"]
        .as_i64()
        .expect("event type id");
    let upcoming = booking_uid(app, intro, "2030-01-07T10:00:00Z", "ada@example.test").await;
    let pending = booking_uid(app, consult, "2030-01-08T10:00:00Z", "grace@example.test").await;
    let declined = booking_uid(app, consult, "2030-01-09T10:00:00Z", "bo@example.test").await;
    versioned_post_ok(
        app,
        &format!("/v2/bookings/{declined}/decline"),
        &key,
        json!({ "reason": "Busy" }),
    )
    .await;
    let cancelled = booking_uid(app, intro, "2030-01-10T10:00:00Z", "cy@example.test").await;
    versioned_post_ok(
        app,
        &format!("/v2/bookings/{cancelled}/cancel"),
        &key,
        json!({ "cancellationReason": "Sick" }),
    )
    .await;
    let past = booking_uid(app, intro, "2030-01-11T10:00:00Z", "alan@example.test").await;
    // A past booking could not be booked: one is moved back a week from now, as if time had passed.
    let week_ago = convene_store::now_ms() - 7 * 86_400_000;
    sql(
        app,
        &format!(
            "UPDATE bookings SET start_at = {week_ago}, end_at = {} WHERE uid = '{past}'",
            week_ago + 1_800_000
        ),
    )
    .await;

    // Away, a webhook, a workflow, a routing form answered once and a connected calendar.
    app.post(
        &format!("/v2/organizations/{org}/users/{}/ooo", t.owner.id),
        &key,
        json!({ "start": "2030-02-04T00:00:00Z", "end": "2030-02-06T00:00:00Z", "reason": "vacation",
                "toUserId": t.member.id }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    for links in [
        format!("/v2/event-types/{intro}/private-links"),
        format!(
            "/v2/organizations/{org}/teams/{team}/event-types/{}/private-links",
            t.event
        ),
    ] {
        app.post(&links, &key, json!({ "maxUsageCount": 3 }))
            .await
            .expect_success(StatusCode::CREATED);
    }
    let webhook = form_webhook(app, &t.owner).await;
    let form = t.create_form().await;
    t.respond(
        &form,
        json!({"name": "Ada", "email": "ada@example.test", "Company size": "250", "Topic": "Sales"}),
    )
    .await;
    let connection = calendars::insert_connection(
        &app.db,
        &NewConnection {
            user_id: UserId(t.owner.id),
            kind: ConnectionKind::CalDav,
            label: "Work server",
            username: Some("owner"),
            server_url: Some("https://dav.invalid/"),
        },
    )
    .await
    .expect("connection");
    let listed = ListedCalendar {
        external_id: "work",
        name: "Work",
        read_only: false,
        is_primary: true,
    };
    calendars::upsert_calendar(&app.db, connection, UserId(t.owner.id), &listed)
        .await
        .expect("calendar");
    let now = jiff::Timestamp::now();
    let work_email = convene_store::verified_emails::add(&app.db, UserId(t.owner.id), "owner.work@acme.test", now)
        .await
        .expect("verified email")
        .id
        .to_string();
    convene_store::verified_phones::add_for_user(&app.db, UserId(t.owner.id), "+37255556666", now)
        .await
        .expect("verified phone");
    let http = signed_in(app, OWNER).await;
    let csrf = csrf_of(&get(app, &http, "/workflows").await.1);
    let intro_id = intro.to_string();
    let (status, to) = post(
        app,
        &http,
        "/workflows",
        &[
            ("csrf", csrf.as_str()),
            ("stepCount", "2"),
            ("name", "Day before"),
            ("trigger", "beforeEvent"),
            ("offset", "24"),
            ("unit", "hour"),
            ("eventTypes", intro_id.as_str()),
            ("step0-action", "email_attendee"),
            ("step0-template", "reminder"),
            ("step0-subject", "See you at {EVENT_TIME}"),
            ("step0-body", ""),
            // A step to one of the owner's verified addresses, so the editor shows that choice made.
            ("step1-action", "email_address"),
            ("step1-template", "reminder"),
            ("step1-subject", "Booked: {EVENT_NAME}"),
            ("step1-body", ""),
            ("step1-verifiedEmail", work_email.as_str()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let workflow = to.trim_end_matches("?notice=saved").to_owned();

    // The team's workflows of both families, through the API.
    let team_workflows = format!("/v2/organizations/{org}/teams/{team}/workflows");
    let steps = json!([{ "action": "email_attendee", "stepNumber": 1, "recipient": "attendee",
                         "template": "reminder", "sender": "Acme", "includeCalendarEvent": false,
                         "message": { "subject": "Hello {ATTENDEE_NAME}", "html": "" } }]);
    let team_workflow = app
        .post(
            &team_workflows,
            &key,
            json!({ "name": "Team day before",
                    "activation": { "isActiveOnAllEventTypes": false, "activeOnEventTypeIds": [t.event] },
                    "trigger": { "type": "beforeEvent", "offset": { "value": 24, "unit": "hour" } },
                    "steps": steps }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("workflow id");
    let form_workflow = app
        .post(
            &format!("{team_workflows}/routing-form"),
            &key,
            json!({ "name": "Thanks for asking",
                    "activation": { "isActiveOnAllRoutingForms": false, "activeOnRoutingFormIds": [form] },
                    "trigger": { "type": "formSubmitted" },
                    "steps": steps }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("workflow id");

    let o = format!("/settings/organizations/{org}");
    let team_event = t.event;
    // Each route of the router and the pages that stand for it (several for the bookings tabs and detail).
    let owner_pages: Vec<(&str, Vec<String>)> = vec![
        ("/availability", vec!["/availability".into()]),
        ("/availability/{id}", vec![format!("/availability/{schedule}")]),
        (
            "/availability/{id}/delete",
            vec![format!("/availability/{schedule}/delete")],
        ),
        (
            "/availability/troubleshoot",
            vec![format!("/availability/troubleshoot?date=2030-01-07&eventType={intro}")],
        ),
        (
            "/availability/out-of-office",
            vec!["/availability/out-of-office".into()],
        ),
        ("/event-types", vec!["/event-types".into()]),
        ("/event-types/new", vec!["/event-types/new".into()]),
        ("/event-types/{id}", vec![format!("/event-types/{intro}")]),
        ("/event-types/{id}/delete", vec![format!("/event-types/{intro}/delete")]),
        (
            "/bookings",
            vec![
                "/bookings".into(),
                "/bookings?tab=unconfirmed".into(),
                "/bookings?tab=past".into(),
                "/bookings?tab=cancelled".into(),
            ],
        ),
        (
            "/bookings/{uid}",
            [&upcoming, &pending, &declined, &cancelled, &past]
                .iter()
                .map(|uid| format!("/bookings/{uid}"))
                .collect(),
        ),
        ("/settings/profile", vec!["/settings/profile".into()]),
        ("/settings/notifications", vec!["/settings/notifications".into()]),
        ("/settings/api-keys", vec!["/settings/api-keys".into()]),
        ("/settings/email", vec!["/settings/email".into()]),
        ("/settings/verified", vec!["/settings/verified".into()]),
        ("/settings/webhooks", vec!["/settings/webhooks".into()]),
        ("/settings/webhooks/{id}", vec![format!("/settings/webhooks/{webhook}")]),
        ("/settings/calendars", vec!["/settings/calendars".into()]),
        ("/workflows", vec!["/workflows".into()]),
        ("/workflows/new", vec!["/workflows/new".into()]),
        ("/workflows/{id}", vec![workflow]),
        ("/routing-forms", vec!["/routing-forms".into()]),
        ("/routing-forms/new", vec!["/routing-forms/new".into()]),
        ("/routing-forms/{id}", vec![format!("/routing-forms/{form}")]),
        (
            "/routing-forms/{id}/responses",
            vec![format!("/routing-forms/{form}/responses")],
        ),
        ("/settings/organizations/{org_id}/members", vec![format!("{o}/members")]),
        (
            "/settings/organizations/{org_id}/notifications",
            vec![format!("{o}/notifications")],
        ),
        ("/settings/organizations/{org_id}/teams", vec![format!("{o}/teams")]),
        (
            "/settings/organizations/{org_id}/teams/{team_id}",
            vec![format!("{o}/teams/{team}")],
        ),
        (
            "/settings/organizations/{org_id}/teams/{team_id}/event-types",
            vec![format!("{o}/teams/{team}/event-types")],
        ),
        (
            "/settings/organizations/{org_id}/teams/{team_id}/event-types/{id}",
            vec![format!("{o}/teams/{team}/event-types/{team_event}")],
        ),
        (
            "/settings/organizations/{org_id}/teams/{team_id}/workflows",
            vec![format!("{o}/teams/{team}/workflows")],
        ),
        (
            "/settings/organizations/{org_id}/teams/{team_id}/workflows/new",
            vec![format!("{o}/teams/{team}/workflows/new")],
        ),
        (
            "/settings/organizations/{org_id}/teams/{team_id}/workflows/{id}",
            vec![format!("{o}/teams/{team}/workflows/{team_workflow}")],
        ),
        (
            "/settings/organizations/{org_id}/teams/{team_id}/workflows/routing-form",
            vec![format!("{o}/teams/{team}/workflows/routing-form")],
        ),
        (
            "/settings/organizations/{org_id}/teams/{team_id}/workflows/routing-form/new",
            vec![format!("{o}/teams/{team}/workflows/routing-form/new")],
        ),
        (
            "/settings/organizations/{org_id}/teams/{team_id}/workflows/routing-form/{id}",
            vec![format!("{o}/teams/{team}/workflows/routing-form/{form_workflow}")],
        ),
    ];
    // Pages for someone signed out, and the instance admin's.
    let signed_out_pages = [
        ("/auth/signup", "/auth/signup".to_owned()),
        ("/auth/invitation", "/auth/invitation?token=not-a-real-token".to_owned()),
    ];
    let admin_page = ("/admin/organizations", "/admin/organizations".to_owned());

    let listed: BTreeSet<String> = owner_pages
        .iter()
        .map(|(route, _)| (*route).to_owned())
        .chain(signed_out_pages.iter().map(|(route, _)| (*route).to_owned()))
        .chain([admin_page.0.to_owned()])
        .collect();
    assert_eq!(
        listed,
        app_get_routes(),
        "every GET page of web/app has a place in this test"
    );

    // The pages are filled: each tab holds its booking and only its own (one that is over is not upcoming, one to
    // come is not past), the lists their items.
    let tabs = [
        ("/bookings", vec![&upcoming, &pending]),
        ("/bookings?tab=unconfirmed", vec![&pending]),
        ("/bookings?tab=past", vec![&past]),
        ("/bookings?tab=cancelled", vec![&declined, &cancelled]),
    ];
    for (path, expected) in &tabs {
        let page = get(app, &http, path).await.1;
        for uid in [&upcoming, &pending, &declined, &cancelled, &past] {
            let shown = page.contains(&format!("id=\"booking-{uid}\""));
            assert_eq!(shown, expected.contains(&uid), "{path} and booking {uid}: {page}");
        }
    }
    for (path, expected) in [
        ("/availability/out-of-office", "2030"),
        ("/workflows", "Day before"),
        ("/routing-forms", "Contact us"),
        ("/settings/calendars", "Work server"),
        ("/settings/webhooks", "127.0.0.1:9/forms"),
    ] {
        let page = get(app, &http, path).await.1;
        assert!(page.contains(expected), "{path} shows {expected}: {page}");
    }

    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;
    let mut found = Vec::new();
    sign_in(c, base, OWNER, PASSWORD).await;
    for (_, paths) in &owner_pages {
        for path in paths {
            let (status, page) = get(app, &http, path).await;
            assert_eq!(status, StatusCode::OK, "{path} answers the owner: {page}");
            found.extend(check(c, base, &axe, path).await);
        }
    }
    // The email senders page is the org's too, though `web/` serves it.
    found.extend(check(c, base, &axe, &format!("{o}/email-senders")).await);
    c.delete_all_cookies().await.expect("sign out");
    for (_, path) in &signed_out_pages {
        found.extend(check(c, base, &axe, path).await);
    }
    sign_in(c, base, "root@convene.test", "instance-admin-pw").await;
    found.extend(check(c, base, &axe, &admin_page.1).await);

    assert!(found.is_empty(), "accessibility, by page: {found:#?}");
}

async fn versioned_post_ok(app: &TestApp, path: &str, key: &str, body: serde_json::Value) {
    app.versioned(Method::POST, path, Some(key), Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::OK);
}
