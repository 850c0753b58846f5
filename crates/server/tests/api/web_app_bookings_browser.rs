//! The bookings pages in real headless Chromium: the host declines one request with a reason and confirms the next
//! on the booking's page, then cancels it from the list — and axe-core finds no serious or critical violation on the
//! list or the booking's page.

use crate::helpers::TestApp;
use crate::npm;
use crate::web_a11y::violations;
use crate::web_app_bookings::{ADA, with_password};
use crate::web_booking::{book_through_pages, host};
use crate::web_browser::Browser;
use crate::web_browser::by_id::{click, type_into, wait_for};
use convene_store::bookings;
use fantoccini::{Client, Locator};
use serde_json::json;

/// The status the booking's page shows.
async fn shown_status(c: &Client) -> String {
    c.find(Locator::Id("booking-status"))
        .await
        .expect("status")
        .attr("data-status")
        .await
        .expect("attr")
        .expect("data-status")
}

async fn book(app: &TestApp, event: i64) -> String {
    book_through_pages(app, event)
        .await
        .trim_start_matches("/booking/")
        .split('?')
        .next()
        .expect("uid")
        .to_owned()
}

async fn stored_status(app: &TestApp, uid: &str) -> String {
    bookings::find_by_uid(&app.db, uid)
        .await
        .expect("read")
        .expect("booking")
        .status
        .to_string()
}

#[tokio::test]
async fn a_host_declines_a_request_confirms_the_next_and_cancels_it_from_the_list() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    let event = host(
        &app,
        json!({ "confirmationPolicy": { "type": "always", "blockUnconfirmedBookingsInBooker": true } }),
    )
    .await;
    with_password(&app, ADA).await;
    let first = book(&app, event).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;
    let mut found = Vec::new();

    c.goto(&format!("{base}/bookings?tab=unconfirmed")).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", ADA).await;
    type_into(c, "password", crate::helpers::PASSWORD).await;
    click(c, "sign-in").await;
    wait_for(c, &format!("booking-{first}")).await;
    found.extend(violations(c, &axe).await);

    click(c, &format!("open-{first}")).await;
    wait_for(c, "decline-form").await;
    found.extend(violations(c, &axe).await);
    type_into(c, "decline-reason", "Away that week").await;
    click(c, "decline").await;
    wait_for(c, "notice").await;
    assert_eq!(shown_status(c).await, "rejected");
    assert_eq!(stored_status(&app, &first).await, "rejected");

    // The declined request freed the slot: the next one takes it.
    let second = book(&app, event).await;
    c.goto(&format!("{base}/bookings?tab=unconfirmed")).await.expect("list");
    wait_for(c, &format!("open-{second}")).await;
    click(c, &format!("open-{second}")).await;
    wait_for(c, "confirm-form").await;
    click(c, "confirm").await;
    wait_for(c, "notice").await;
    assert_eq!(shown_status(c).await, "accepted");
    found.extend(violations(c, &axe).await);

    c.goto(&format!("{base}/bookings")).await.expect("upcoming");
    wait_for(c, &format!("cancel-{second}")).await;
    click(c, &format!("cancel-{second}")).await;
    wait_for(c, "notice").await;
    assert!(
        c.current_url()
            .await
            .expect("url")
            .as_str()
            .ends_with("/bookings?notice=cancel")
    );
    assert!(
        c.find(Locator::Id(&format!("booking-{second}"))).await.is_err(),
        "gone from Upcoming"
    );
    assert_eq!(stored_status(&app, &second).await, "cancelled");
    found.extend(violations(c, &axe).await);

    assert!(found.is_empty(), "accessibility: {found:#?}");
}
