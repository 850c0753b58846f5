//! Dynamic group links (`/alice+bob`): the group's page, a booker that offers only times when everyone is free,
//! booking them all through the form, and rescheduling that booking through its emailed link.

use crate::helpers::{Person, TestApp};
use crate::scheduling::{BOOKINGS, SLOTS, starts};
use crate::team_events::schedule;
use crate::web_booking::{form_fields, get, post, submit};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const GROUP: &str = "/ann-example-test+bob-example-test";

/// Ann works 09:00–11:00 and Bob 10:00–17:00 (UTC, weekdays): together only 10:00–11:00.
async fn pair(app: &TestApp) -> (Person, Person) {
    let ann = app.user("ann@example.test").await;
    let bob = app.user("bob@example.test").await;
    schedule(app, &ann, "09:00", "11:00").await;
    schedule(app, &bob, "10:00", "17:00").await;
    (ann, bob)
}

/// The `value` of every slot button on a booker page.
fn slot_values(html: &str) -> Vec<String> {
    html.match_indices("name=\"start\" value=\"")
        .map(|(at, m)| {
            let rest = &html[at + m.len()..];
            rest[..rest.find('"').expect("closing quote")].to_owned()
        })
        .collect()
}

/// The booker's hidden slot fields (everything the hold form posts besides `start`).
fn slot_form(html: &str) -> Vec<(String, String)> {
    let form = &html[html.find("action=\"/booking/hold\"").expect("slot form")..];
    let form = &form[..form.find("</form>").expect("form end")];
    form.match_indices("type=\"hidden\"")
        .filter_map(|(at, _)| {
            let tag = &form[at..at + form[at..].find('>')?];
            let value_of = |attr: &str| {
                let key = format!("{attr}=\"");
                let v = &tag[tag.find(&key)? + key.len()..];
                Some(v[..v.find('"')?].replace("&#38;", "&").replace("&#43;", "+"))
            };
            Some((value_of("name")?, value_of("value")?))
        })
        .collect()
}

async fn hold(app: &TestApp, booker_html: &str, start: &str) -> String {
    let mut fields = slot_form(booker_html);
    fields.push(("start".into(), start.into()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let held = post(app, "/booking/hold", &pairs).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.html);
    held.location()
}

async fn booking(app: &TestApp, who: &Person, uid: &str) -> Value {
    app.versioned(
        Method::GET,
        &format!("/v2/bookings/{uid}"),
        Some(&who.key),
        None,
        Some(BOOKINGS),
    )
    .await
    .expect_success(StatusCode::OK)
    .clone()
}

#[tokio::test]
async fn the_group_page_names_everyone_and_links_the_group_booker() {
    let app = TestApp::spawn().await;
    pair(&app).await;
    let page = get(&app, GROUP).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("ann-example-test") || page.html.contains("ann@"));
    assert!(page.html.contains("Group meeting"), "{}", page.html);
    assert!(page.html.contains(&format!("href=\"{GROUP}/dynamic")), "{}", page.html);
    let german = get(&app, &format!("{GROUP}?lang=de")).await;
    assert!(german.html.contains("Gruppentermin"));

    assert_eq!(
        get(&app, "/ann-example-test+nobody-here").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/ann-example-test+nobody-here/dynamic").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_group_booker_offers_only_times_when_everyone_is_free() {
    let app = TestApp::spawn().await;
    pair(&app).await;
    let page = get(
        &app,
        &format!("{GROUP}/dynamic?month=2030-01&date=2030-01-07&tz=UTC&clock=24"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert_eq!(
        slot_values(&page.html),
        ["2030-01-07T10:00:00.000Z", "2030-01-07T10:30:00.000Z"],
        "30-minute slots in the hour both work"
    );
    let hour = get(
        &app,
        &format!("{GROUP}/dynamic?month=2030-01&date=2030-01-07&tz=UTC&duration=60"),
    )
    .await;
    assert_eq!(slot_values(&hour.html), ["2030-01-07T10:00:00.000Z"]);
    // A length the group event doesn't offer falls back to its default.
    let odd = get(
        &app,
        &format!("{GROUP}/dynamic?month=2030-01&date=2030-01-07&tz=UTC&duration=7"),
    )
    .await;
    assert_eq!(slot_values(&odd.html).len(), 2);
}

#[tokio::test]
async fn booking_a_group_books_everyone_and_its_reschedule_link_moves_them_all() {
    let app = TestApp::spawn().await;
    let (ann, bob) = pair(&app).await;
    let booker = get(&app, &format!("{GROUP}/dynamic?month=2030-01&date=2030-01-07&tz=UTC")).await;
    let form_path = hold(&app, &booker.html, "2030-01-07T10:00:00.000Z").await;
    let form = get(&app, &form_path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(form.html.contains("Group meeting"));
    let done = submit(
        &app,
        &form_path,
        &[("name", "Zoë Invitee"), ("email", "zoe@example.test")],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let result_path = done.location();
    let uid = result_path
        .trim_start_matches("/booking/")
        .split('?')
        .next()
        .expect("uid")
        .to_owned();

    let seen_by_bob = booking(&app, &bob, &uid).await;
    let hosts: Vec<&str> = seen_by_bob["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .filter_map(|h| h["email"].as_str())
        .collect();
    assert_eq!(hosts.len(), 2, "{seen_by_bob}");
    assert!(
        seen_by_bob["eventTypeId"].is_null(),
        "no stored event type: {seen_by_bob}"
    );
    // The hour is now taken for each of them, on the group's page and on Ann's own slots.
    let again = get(&app, &format!("{GROUP}/dynamic?month=2030-01&date=2030-01-07&tz=UTC")).await;
    assert_eq!(slot_values(&again.html), ["2030-01-07T10:30:00.000Z"]);
    let own = app
        .versioned(
            Method::GET,
            "/v2/slots?usernames=ann-example-test,bob-example-test&start=2030-01-07&end=2030-01-07",
            None,
            None,
            Some(SLOTS),
        )
        .await;
    assert_eq!(starts(&own), ["2030-01-07T10:30:00.000+00:00"]);

    // The attendee's reschedule link opens the group booker and moves everyone.
    let result = get(&app, &result_path).await;
    let link = result.attr_near("id=\"reschedule\"", "href").expect("reschedule link");
    let entry = get(&app, &link).await;
    assert_eq!(entry.status, StatusCode::SEE_OTHER);
    let moving = entry.location();
    assert!(moving.starts_with(&format!("{GROUP}/dynamic?")), "{moving}");
    let page = get(&app, &format!("{moving}&month=2030-01&date=2030-01-07")).await;
    assert!(page.html.contains("id=\"reschedule-from\""), "{}", page.html);
    let mut fields = slot_form(&page.html);
    fields.push(("start".into(), "2030-01-07T10:30:00.000Z".into()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let form_path = post(&app, "/booking/hold", &pairs).await.location();
    assert!(!form_fields(&form_path).is_empty());
    let moved = submit(&app, &form_path, &[("reason", "Clash")]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    let new_uid = moved
        .location()
        .trim_start_matches("/booking/")
        .split('?')
        .next()
        .expect("uid")
        .to_owned();
    let moved_booking = booking(&app, &ann, &new_uid).await;
    assert_eq!(moved_booking["start"], "2030-01-07T10:30:00.000Z");
    assert_eq!(
        moved_booking["hosts"].as_array().map(Vec::len),
        Some(2),
        "{moved_booking}"
    );
    assert_eq!(booking(&app, &ann, &uid).await["status"], "cancelled");
}
