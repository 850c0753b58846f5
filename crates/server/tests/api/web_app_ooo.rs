//! Availability → Out of office over plain HTTP: an entry made on the page (checked as `/v2/me/ooo` checks it, a bad
//! day refused beside its field with what was typed kept) with a reason, a note and a teammate to cover; the day then
//! offers no slot and the troubleshooter says why; nobody else can delete it; forms refuse a missing CSRF token.

use crate::helpers::TestApp;
use crate::scheduling::{host_with_event, slots, starts};
use crate::web_app_bookings::{get, signed_in, with_password};
use crate::web_app_calendars::{csrf_of, post};
use convene_core::{Role, TeamId, UserId};
use convene_store::{memberships, out_of_office, users};
use reqwest::StatusCode;
use serde_json::json;

const HOST: &str = "away@ooo-pages.test";
const OTHER: &str = "other@ooo-pages.test";

#[tokio::test]
async fn time_away_made_on_the_page_closes_the_day_names_the_cover_and_is_explained() {
    let app = TestApp::spawn().await;
    let (host, event) = host_with_event(
        &app,
        HOST,
        "UTC",
        json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], "startTime": "09:00", "endTime": "17:00" }]),
        json!({ "title": "Meet", "slug": "meet", "lengthInMinutes": 60 }),
    )
    .await;
    let (org, _) = app.organization("ooo-org").await;
    users::join_organization(&app.db, UserId(host.id), TeamId(org))
        .await
        .expect("join");
    memberships::insert(&app.db, TeamId(org), UserId(host.id), Role::Member, true, false)
        .await
        .expect("membership");
    let cover = app.member(org, "cover@ooo-pages.test", Role::Member).await;
    with_password(&app, HOST).await;
    let client = signed_in(&app, HOST).await;
    let day = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(10))
        .expect("date")
        .to_string();

    let (status, page) = get(&app, &client, "/availability/out-of-office").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"no-ooo\""), "{page}");
    assert!(
        page.contains("id=\"availability-tab-ooo\" aria-current=\"page\""),
        "{page}"
    );
    assert!(
        page.contains(&format!("<option value=\"{}\"", cover.id)),
        "the teammate is offered: {page}"
    );
    let csrf = csrf_of(&page);

    let (status, _) = post(
        &app,
        &client,
        "/availability/out-of-office",
        &[("start", &day), ("end", &day), ("reason", "vacation")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, page) = post(
        &app,
        &client,
        "/availability/out-of-office",
        &[
            ("csrf", &csrf),
            ("start", &day),
            ("end", "someday"),
            ("reason", "vacation"),
            ("notes", "Skiing"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"end-error\""), "{page}");
    assert!(page.contains(">Skiing</textarea>"), "the note is kept: {page}");
    assert!(page.contains("<option value=\"vacation\" selected"), "{page}");

    let cover_id = cover.id.to_string();
    let (status, to) = post(
        &app,
        &client,
        "/availability/out-of-office",
        &[
            ("csrf", &csrf),
            ("start", &day),
            ("end", &day),
            ("reason", "vacation"),
            ("notes", "Skiing"),
            ("toUserId", &cover_id),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/availability/out-of-office?notice=created")
    );
    let entries = out_of_office::list_for_user(&app.db, UserId(host.id), 0, 10)
        .await
        .expect("list");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].reason.as_str(), entries[0].to_user_id),
        ("vacation", Some(cover.id))
    );
    let (_, page) = get(&app, &client, "/availability/out-of-office").await;
    assert!(page.contains("Skiing") && page.contains("Vacation"), "{page}");

    let offered = starts(&slots(&app, &format!("eventTypeId={event}&start={day}&end={day}&timeZone=UTC")).await);
    assert!(offered.is_empty(), "{offered:?}");
    let (_, page) = get(
        &app,
        &client,
        &format!("/availability/troubleshoot?date={day}&eventType={event}"),
    )
    .await;
    assert!(page.contains("You are out of office"), "{page}");

    // Someone else can't delete it.
    app.account(OTHER).await;
    let other = signed_in(&app, OTHER).await;
    let other_csrf = csrf_of(&get(&app, &other, "/availability/out-of-office").await.1);
    let delete = format!("/availability/out-of-office/{}/delete", entries[0].id);
    let (status, _) = post(&app, &other, &delete, &[("csrf", &other_csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = post(&app, &client, &delete, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let offered = starts(&slots(&app, &format!("eventTypeId={event}&start={day}&end={day}&timeZone=UTC")).await);
    assert!(!offered.is_empty());
}
