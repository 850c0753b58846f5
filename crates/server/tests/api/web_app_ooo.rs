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
    assert!(
        page.contains("id=\"end-error\">Enter a date (YYYY-MM-DD).</p>"),
        "the page's own words, in the reader's language: {page}"
    );
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
        ("vacation", Some(UserId(cover.id)))
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

/// Cal.com's redirect: on the away host's booker the day shows the host away with the reason and links to the
/// teammate's booker for the same slug at the same day and zone, which lists the teammate's times; a teammate
/// without that event type is linked by their profile; an absence without a teammate stays a closed day.
#[tokio::test]
async fn an_away_day_on_the_booker_offers_the_teammate_at_the_same_day() {
    let app = TestApp::spawn().await;
    let every_day = json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], "startTime": "09:00", "endTime": "17:00" }]);
    let meet = json!({ "title": "Meet", "slug": "meet", "lengthInMinutes": 60 });
    let (host, _) = host_with_event(&app, "away@booker-ooo.test", "UTC", every_day.clone(), meet.clone()).await;
    let (cover, _) = host_with_event(&app, "cover@booker-ooo.test", "UTC", every_day.clone(), meet).await;
    let (solo, _) = host_with_event(
        &app,
        "solo@booker-ooo.test",
        "UTC",
        every_day,
        json!({ "title": "Other", "slug": "other", "lengthInMinutes": 30 }),
    )
    .await;
    let name = |id: i64| {
        let db = app.db.clone();
        async move {
            users::find(&db, UserId(id))
                .await
                .expect("find")
                .expect("user")
                .username
        }
    };
    let (host_name, cover_name, solo_name) = (name(host.id).await, name(cover.id).await, name(solo.id).await);
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let day_at = |n: i64| today.checked_add(jiff::Span::new().days(n)).expect("date");
    let whole_day = |d: jiff::civil::Date| {
        let start = d.to_zoned(jiff::tz::TimeZone::UTC).expect("zoned").timestamp();
        (start, start + jiff::SignedDuration::from_millis(86_400_000 - 1))
    };
    let entry = |d: jiff::civil::Date, reason: &str, to: Option<i64>| {
        let (start_at, end_at) = whole_day(d);
        out_of_office::OooFields {
            start_at,
            end_at,
            notes: None,
            reason: reason.into(),
            to_user_id: to.map(UserId),
        }
    };
    let (away, fallback, closed) = (day_at(10), day_at(11), day_at(12));
    for f in [
        entry(away, "vacation", Some(cover.id)),
        entry(fallback, "sick", Some(solo.id)),
        entry(closed, "travel", None),
    ] {
        out_of_office::insert(&app.db, UserId(host.id), &f).await.expect("ooo");
    }
    let month = |d: jiff::civil::Date| format!("{:04}-{:02}", d.year(), d.month());
    let booker = |d: jiff::civil::Date| format!("/{host_name}/meet?tz=UTC&month={}&date={d}", month(d));

    let page = crate::web_booking::get(&app, &booker(away)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.html;
    assert!(html.contains("id=\"away\""), "{html}");
    assert!(html.contains("is away"), "{html}");
    assert!(html.contains("Reason: Vacation"), "{html}");
    assert!(
        !html.contains("id=\"slots\""),
        "no time of the away host is offered: {html}"
    );
    assert!(
        html.contains(&format!(
            "data-day=\"{}\" aria-current=\"date\" class=\"away\"",
            away.day()
        )),
        "the day is marked away in the month: {html}"
    );
    let teammate = page.attr_near("id=\"away-teammate\"", "href").expect("teammate link");
    assert!(teammate.starts_with(&format!("/{cover_name}/meet?")), "{teammate}");
    for part in [
        "tz=UTC".to_owned(),
        format!("month={}", month(away)),
        format!("date={away}"),
    ] {
        assert!(teammate.contains(&part), "{part} carried: {teammate}");
    }

    let theirs = crate::web_booking::get(&app, &teammate).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(theirs.html.contains("id=\"slots\""), "{}", theirs.html);
    assert!(
        theirs.html.contains(&format!("data-start=\"{away}T09:00:00.000Z\"")),
        "the teammate's times that day: {}",
        theirs.html
    );
    assert!(!theirs.html.contains("id=\"away\""), "{}", theirs.html);

    let page = crate::web_booking::get(&app, &booker(fallback)).await;
    let profile = page.attr_near("id=\"away-teammate\"", "href").expect("teammate link");
    assert!(profile.starts_with(&format!("/{solo_name}?")), "{profile}");
    assert!(page.html.contains("Reason: Sick leave"), "{}", page.html);

    let page = crate::web_booking::get(&app, &booker(closed)).await;
    assert!(!page.html.contains("id=\"away\""), "{}", page.html);
    assert!(page.html.contains("id=\"no-slots-day\""), "{}", page.html);
}
