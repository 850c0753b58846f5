//! The host's app in real headless Chromium: sign in (sent there from the page asked for), create a schedule
//! and an event type through the pages, see the event type bookable on its public page — and axe-core finds no
//! serious or critical violation on the app's main pages.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::web_a11y::violations;
use crate::web_browser::Browser;
use fantoccini::{Client, Locator};

const HOST: &str = "chrome@app.test";

async fn click(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .click()
        .await
        .expect("click");
}

async fn type_into(c: &Client, id: &str, text: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn wait_for(c: &Client, id: &str) {
    c.wait()
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("waiting for #{id}: {e}"));
}

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

    assert!(found.is_empty(), "accessibility: {found:#?}");
}
