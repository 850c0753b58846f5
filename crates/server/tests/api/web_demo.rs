//! `convene serve --demo`: the seed gives the owner event types (personal and team), upcoming, pending and past
//! bookings and a webhook, once; every page it prints answers, signed in with the printed password.

use crate::helpers::TestApp;
use crate::web_app_bookings::get;
use crate::web_signup::signed_in_with;
use reqwest::StatusCode;

#[tokio::test]
async fn the_demo_seeds_once_and_every_printed_page_answers() {
    let app = TestApp::spawn().await;
    let demo = convene_server::demo::seed(&app.db, &app.state.keyring, &app.address)
        .await
        .expect("seed")
        .expect("the first start seeds");
    assert_eq!(app.count_rows("event_types").await, 4);
    assert_eq!(app.count_rows("bookings").await, 3);
    assert_eq!(app.count_rows("webhooks").await, 1);
    assert_eq!(app.count_rows("schedules").await, 3, "everyone has working hours");

    let owner = &demo.data.accounts[0].1;
    let c = signed_in_with(&app, &owner.user.email, &owner.password).await;
    let booking_page = demo
        .booking_page
        .strip_prefix(&app.address)
        .expect("a link to this server");
    let (status, page) = get(&app, &c, booking_page).await;
    assert_eq!(status, StatusCode::OK, "{booking_page}");
    assert!(page.contains("Intro call"));
    for path in &demo.app_pages {
        let (status, page) = get(&app, &c, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
    }
    let (_, upcoming) = get(&app, &c, "/bookings").await;
    assert!(upcoming.contains("Ada Lovelace"), "the upcoming booking is listed");
    let (_, pending) = get(&app, &c, "/bookings?tab=unconfirmed").await;
    assert!(
        pending.contains("Grace Hopper"),
        "the pending booking waits for confirmation"
    );
    let (_, past) = get(&app, &c, "/bookings?tab=past").await;
    assert!(past.contains("Alan Turing"), "the past booking is listed");

    let again = convene_server::demo::seed(&app.db, &app.state.keyring, &app.address)
        .await
        .expect("seed again");
    assert!(again.is_none(), "a second start leaves the demo as it is");
    assert_eq!(app.count_rows("bookings").await, 3);
}
