//! The host's app in real headless Chromium: sign in (sent there from the page asked for), create a schedule
//! and an event type through the pages, see the event type bookable on its public page — and axe-core finds no
//! serious or critical violation on the app's main pages.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::web_a11y::violations;
use crate::web_browser::Browser;
use crate::web_browser::by_id::{click, type_into, wait_for};
use fantoccini::{Client, Locator};

const HOST: &str = "chrome@app.test";

#[tokio::test]
async fn a_host_sets_hours_creates_an_event_type_and_sees_it_bookable() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    app.account(HOST).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;
    let mut found = Vec::new();

    c.goto(&format!("{base}/availability")).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", HOST).await;
    type_into(c, "password", PASSWORD).await;
    click(c, "sign-in").await;
    wait_for(c, "new-schedule-form").await;
    found.extend(violations(c, &axe).await);

    type_into(c, "name", "Work hours").await;
    type_into(c, "timeZone", "Asia/Tokyo").await;
    click(c, "create-schedule").await;
    wait_for(c, "schedule-form").await;
    found.extend(violations(c, &axe).await);
    let mut schedule_url = c.current_url().await.expect("schedule url");
    schedule_url.set_query(None);
    click(c, "save").await;
    wait_for(c, "notice").await;

    c.goto(&format!("{base}/event-types/new")).await.expect("new");
    wait_for(c, "event-type-form").await;
    found.extend(violations(c, &axe).await);
    type_into(c, "title", "Intro call").await;
    type_into(c, "slug", "intro").await;
    click(c, "save").await;
    wait_for(c, "notice").await;

    c.goto(&format!("{base}/event-types")).await.expect("list");
    wait_for(c, "event-types").await;
    found.extend(violations(c, &axe).await);
    let link = c
        .find(Locator::Css("input[data-copy-source]"))
        .await
        .expect("the public link")
        .prop("value")
        .await
        .expect("value")
        .expect("a link");
    assert!(link.ends_with("/chrome-app-test/intro"), "{link}");
    c.goto(&format!("{base}/bookings")).await.expect("bookings");
    wait_for(c, "booking-search").await;
    found.extend(violations(c, &axe).await);

    c.goto(&format!(
        "{base}/chrome-app-test/intro?month=2030-01&date=2030-01-07&tz=UTC"
    ))
    .await
    .expect("booker");
    c.wait()
        .for_element(Locator::Css("button[data-start='2030-01-07T00:00:00.000Z']"))
        .await
        .expect("Monday 09:00 in Tokyo (00:00 UTC) is bookable: the schedule made on the page is used");
    assert!(
        c.find(Locator::Css("button[data-start='2030-01-07T09:00:00.000Z']"))
            .await
            .is_err(),
        "09:00 UTC is after the Tokyo working day"
    );

    // A date override on the schedule's page: Monday 7 January works 13:00–14:00 Tokyo only. Chromium's date and
    // time boxes take typed keys in the machine's locale order, so the values are set as a person's picker would.
    c.goto(schedule_url.as_str()).await.expect("schedule page");
    wait_for(c, "overrideDate-1").await;
    c.execute(
        "document.getElementById('overrideDate-1').value = '2030-01-07';\
         document.getElementById('overrideStart-1').value = '13:00';\
         document.getElementById('overrideEnd-1').value = '14:00';",
        vec![],
    )
    .await
    .expect("fill the override");
    click_and_wait(c, "save").await;
    wait_for(c, "notice").await;
    let kept = c
        .find(Locator::Id("overrideDate-1"))
        .await
        .expect("the saved override")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        kept.as_deref(),
        Some("2030-01-07"),
        "the override is listed after saving"
    );
    found.extend(violations(c, &axe).await);

    c.goto(&format!(
        "{base}/chrome-app-test/intro?month=2030-01&date=2030-01-07&tz=UTC"
    ))
    .await
    .expect("booker after the override");
    c.wait()
        .for_element(Locator::Css("button[data-start='2030-01-07T04:00:00.000Z']"))
        .await
        .expect("13:00 in Tokyo (04:00 UTC) is bookable on the overridden Monday");
    assert!(
        c.find(Locator::Css("button[data-start='2030-01-07T00:00:00.000Z']"))
            .await
            .is_err(),
        "09:00 Tokyo is no longer offered on the overridden Monday"
    );
    assert!(
        c.find(Locator::Css("button[data-start='2030-01-07T05:00:00.000Z']"))
            .await
            .is_err(),
        "14:00 Tokyo ends the overridden day"
    );
    c.goto(&format!(
        "{base}/chrome-app-test/intro?month=2030-01&date=2030-01-08&tz=UTC"
    ))
    .await
    .expect("the next day");
    c.wait()
        .for_element(Locator::Css("button[data-start='2030-01-08T00:00:00.000Z']"))
        .await
        .expect("Tuesday keeps the weekly hours: the override is for one date");

    assert!(found.is_empty(), "accessibility: {found:#?}");
}

/// Picks `value` in the select `id`.
async fn choose(c: &Client, id: &str, value: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("#{id} = {value}: {e}"));
}

/// Clicks `id` and waits for the page that answers to replace the current one.
async fn click_and_wait(c: &Client, id: &str) {
    let old = c.find(Locator::Css("html")).await.expect("page");
    click(c, id).await;
    crate::web_browser::wait_replaced(c, &old).await;
}

#[tokio::test]
async fn a_host_adds_two_booking_questions_and_an_invitee_answers_them() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    let host = app.account(HOST).await;
    app.versioned(
        reqwest::Method::POST,
        "/v2/schedules",
        Some(&host.key),
        Some(serde_json::json!({
            "name": "Work", "timeZone": "UTC", "isDefault": true,
            "availability": crate::scheduling::weekdays_9_to_5(),
        })),
        Some(crate::scheduling::SCHEDULES),
    )
    .await
    .expect_success(reqwest::StatusCode::CREATED);
    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;

    c.goto(&format!("{base}/event-types/new")).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", HOST).await;
    type_into(c, "password", PASSWORD).await;
    click(c, "sign-in").await;
    wait_for(c, "event-type-form").await;
    type_into(c, "title", "Discovery").await;
    type_into(c, "slug", "discovery").await;
    choose(c, "q-0-type", "text").await;
    type_into(c, "q-0-label", "Company").await;
    click(c, "q-0-required").await;
    click_and_wait(c, "add-question").await;
    // The page that answers keeps the first question and offers a second blank one.
    wait_for(c, "q-1-type").await;
    choose(c, "q-1-type", "radio").await;
    type_into(c, "q-1-label", "Team size").await;
    type_into(c, "q-1-slug", "size").await;
    type_into(c, "q-1-options", "Small\nLarge").await;
    click(c, "d-notes-hidden").await;
    let mut found = violations(c, &axe).await;
    click_and_wait(c, "save").await;
    wait_for(c, "notice").await;
    found.extend(violations(c, &axe).await);
    assert!(found.is_empty(), "accessibility: {found:#?}");

    // Enter in a question's box saves the form (the browser's default button is the hidden save, not "add a
    // question"): the edit page, opened without a notice, answers with the saved one.
    let saved_url = c.current_url().await.expect("url");
    let mut edit_url = saved_url.clone();
    edit_url.set_query(None);
    c.goto(edit_url.as_str()).await.expect("edit page");
    wait_for(c, "q-0-label").await;
    assert!(c.find(Locator::Id("notice")).await.is_err(), "no notice before saving");
    let old = c.find(Locator::Css("html")).await.expect("page");
    let label = c.find(Locator::Id("q-0-label")).await.expect("label box");
    label.clear().await.expect("clear");
    let typed = format!("Company name{}", char::from(fantoccini::key::Key::Enter));
    label.send_keys(&typed).await.expect("type and press Enter");
    crate::web_browser::wait_replaced(c, &old).await;
    wait_for(c, "notice").await;
    assert!(
        c.current_url().await.expect("url").as_str().contains("notice=saved"),
        "Enter saved the form"
    );
    assert_eq!(
        c.find(Locator::Id("q-0-label"))
            .await
            .expect("label")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("Company name")
    );

    c.goto(&format!(
        "{base}/chrome-app-test/discovery?month=2030-01&date=2030-01-07&tz=UTC"
    ))
    .await
    .expect("booker");
    c.wait()
        .for_element(Locator::Css("button[data-start='2030-01-07T10:00:00.000Z']"))
        .await
        .expect("10:00 is offered")
        .click()
        .await
        .expect("pick 10:00");
    wait_for(c, "booking-form").await;
    assert!(
        c.find(Locator::Id("notes")).await.is_err(),
        "the notes the host hid are not asked"
    );
    type_into(c, "name", "Ines Invitee").await;
    type_into(c, "email", "ines@example.test").await;
    type_into(c, "f-company", "Acme").await;
    c.find(Locator::Css("input[name='f-size'][value='Large']"))
        .await
        .expect("the radio question is asked")
        .click()
        .await
        .expect("choose Large");
    click_and_wait(c, "submit").await;
    let heading = c
        .wait()
        .for_element(Locator::Id("result-heading"))
        .await
        .expect("booked");
    let uid = heading
        .attr("data-booking-uid")
        .await
        .expect("attr")
        .expect("a booking uid");

    let booking = app
        .versioned(
            reqwest::Method::GET,
            &format!("/v2/bookings/{uid}"),
            Some(&host.key),
            None,
            Some(crate::scheduling::BOOKINGS),
        )
        .await;
    let data = booking.expect_success(reqwest::StatusCode::OK);
    let responses = &data["bookingFieldsResponses"];
    assert_eq!(responses["company"], "Acme", "{data}");
    assert_eq!(responses["size"], "Large", "{responses}");
}
