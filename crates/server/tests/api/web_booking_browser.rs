//! Booking in real headless Chromium: with and without JavaScript, links from the emails, the host's approval,
//! two browsers racing for one slot, and switching the time zone.

use crate::helpers::TestApp;
use crate::web_booking::{BOOKER, emailed_link, host};
use crate::web_browser::Browser;
use crate::web_browser::by_css::{click, text_of};
use crate::web_browser::by_id::type_into;
use fantoccini::{Client, Locator};
use serde_json::json;

/// The text of `css` once it reads `want`, or what it last read after 10 s (elements replaced by a navigation in
/// the meantime are looked up again).
async fn text_when(c: &Client, css: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = c.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text == want {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last
}

/// Opens the booker on 7 January 2030 (UTC) and picks 10:00.
async fn pick_monday_ten(c: &Client, base: &str) {
    c.goto(&format!("{base}{BOOKER}?month=2030-01&tz=UTC"))
        .await
        .expect("open booker");
    click(c, "a[data-day='7']").await;
    click(c, "button[data-start='2030-01-07T10:00:00.000Z']").await;
}

/// Fills the form (the required company, a guest) and books; returns the result page's heading.
async fn fill_and_book(c: &Client) -> String {
    c.wait()
        .for_element(Locator::Id("booking-form"))
        .await
        .expect("the form");
    c.find(Locator::Id("submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    // The required fields are refused beside themselves, and what was typed stays.
    c.wait()
        .for_element(Locator::Id("name-error"))
        .await
        .expect("name error");
    type_into(c, "name", "Zoë Browser").await;
    type_into(c, "email", "zoe@example.test").await;
    type_into(c, "guests", "guest@example.test").await;
    c.find(Locator::Id("submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    // The page that comes back (not the one typed into) carries the name in its markup.
    c.wait()
        .for_element(Locator::Css("input#name[value='Zoë Browser']"))
        .await
        .expect("the name is kept");
    let company_error = text_of(c, "#f-company-error").await;
    assert!(!company_error.is_empty());
    type_into(c, "f-company", "Acme").await;
    c.find(Locator::Id("submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    text_of(c, "#result-heading").await
}

async fn book_and_cancel_by_email(javascript: bool) {
    let app = TestApp::spawn().await;
    host(&app, json!({})).await;
    let browser = if javascript {
        Browser::launch().await
    } else {
        Browser::launch_without_javascript().await
    };
    let c = &browser.client;
    let base = app.address.clone();
    pick_monday_ten(c, &base).await;
    assert_eq!(fill_and_book(c).await, "This meeting is scheduled");
    let when = text_of(c, "#when").await;
    assert!(when.contains("January 7, 2030, 10:00 – 10:30 (UTC)"), "{when}");
    assert!(text_of(c, "#who").await.contains("guest@example.test"));

    // Reschedule through the emailed link to the next day.
    let reschedule = emailed_link(&app, "booking_scheduled_attendee", "Reschedule").await;
    c.goto(&format!("{base}{reschedule}&tz=UTC"))
        .await
        .expect("reschedule link");
    c.wait()
        .for_element(Locator::Id("reschedule-from"))
        .await
        .expect("the former time");
    // Each month link is followed before the next (with JavaScript the booker swaps in place, so wait to see it).
    click(c, "#next-month").await;
    assert_eq!(text_when(c, "#month-label", "February 2030").await, "February 2030");
    click(c, "#prev-month").await;
    assert_eq!(text_when(c, "#month-label", "January 2030").await, "January 2030");
    click(c, "a[data-day='8']").await;
    click(c, "button[data-start='2030-01-08T11:00:00.000Z']").await;
    type_into(c, "reason", "Clash").await;
    click(c, "#submit").await;
    c.wait()
        .for_element(Locator::Id("result-heading"))
        .await
        .expect("result");
    let moved = text_of(c, "#when").await;
    assert!(moved.contains("January 8, 2030, 11:00"), "{moved}");

    // Cancel through the link in the email about the new time.
    let cancel = emailed_link(&app, "booking_rescheduled_attendee", "Cancel").await;
    c.goto(&format!("{base}{cancel}")).await.expect("cancel link");
    type_into(c, "reason", "Plans changed").await;
    click(c, "#decide-submit").await;
    c.wait()
        .for_element(Locator::Css("#result-heading[data-status='cancelled']"))
        .await
        .expect("cancelled");
    browser.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn an_invitee_books_reschedules_and_cancels_through_the_pages_and_emailed_links() {
    book_and_cancel_by_email(true).await;
}

#[tokio::test]
async fn the_same_booking_works_with_javascript_disabled() {
    book_and_cancel_by_email(false).await;
}

#[tokio::test]
async fn the_host_confirms_a_request_from_the_emailed_link() {
    let app = TestApp::spawn().await;
    host(&app, json!({ "confirmationPolicy": { "type": "always" } })).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    pick_monday_ten(c, &app.address).await;
    assert_eq!(fill_and_book(c).await, "Waiting for the host's confirmation");
    let confirm = emailed_link(&app, "booking_awaiting_approval_organizer", "Confirm").await;
    c.goto(&format!("{}{confirm}", app.address))
        .await
        .expect("confirm link");
    click(c, "#decide-submit").await;
    c.wait()
        .for_element(Locator::Css("#result-heading[data-status='accepted']"))
        .await
        .expect("confirmed");
    assert!(!text_of(c, "#done").await.is_empty());
    browser.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn two_browsers_race_for_one_slot_and_the_loser_sees_fresh_times() {
    let app = TestApp::spawn().await;
    host(&app, json!({})).await;
    let (first, second) = tokio::join!(Browser::launch(), Browser::launch());
    let (a, b) = (&first.client, &second.client);
    let day = format!("{}{BOOKER}?month=2030-01&date=2030-01-07&tz=UTC", app.address);
    a.goto(&day).await.expect("a opens");
    b.goto(&day).await.expect("b opens");
    click(a, "button[data-start='2030-01-07T10:00:00.000Z']").await;
    a.wait()
        .for_element(Locator::Id("booking-form"))
        .await
        .expect("a has the form");
    click(b, "button[data-start='2030-01-07T10:00:00.000Z']").await;
    let notice = text_of(b, "#notice").await;
    assert!(notice.contains("no longer free"), "{notice}");
    assert!(
        b.find(Locator::Css("button[data-start='2030-01-07T10:00:00.000Z']"))
            .await
            .is_err(),
        "the taken time is gone"
    );
    b.find(Locator::Css("button[data-start='2030-01-07T10:30:00.000Z']"))
        .await
        .expect("fresh times offered");
    first.client.clone().close().await.expect("close");
    second.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn switching_the_time_zone_changes_the_times_shown() {
    let app = TestApp::spawn().await;
    host(&app, json!({})).await;
    for javascript in [true, false] {
        let browser = if javascript {
            Browser::launch().await
        } else {
            Browser::launch_without_javascript().await
        };
        let c = &browser.client;
        c.goto(&format!("{}{BOOKER}?month=2030-01&date=2030-01-07&tz=UTC", app.address))
            .await
            .expect("open");
        assert_eq!(
            text_of(c, "button[data-start='2030-01-07T09:00:00.000Z']").await,
            "09:00"
        );
        c.find(Locator::Id("tz"))
            .await
            .expect("zone select")
            .select_by_label("Asia/Tokyo")
            .await
            .expect("choose Tokyo");
        if !javascript {
            click(c, "#apply-prefs").await;
        }
        // 09:00 UTC is 18:00 in Tokyo; the page keeps the chosen day. The page reloads with the new zone, so the
        // old button may still be there (or go stale) for a moment: look again until the label changes.
        let label = text_when(c, "button[data-start='2030-01-07T09:00:00.000Z']", "18:00").await;
        assert_eq!(label, "18:00", "javascript: {javascript}");
        browser.client.clone().close().await.expect("close");
    }
}

/// Whether the page still holds what a script put on `window` earlier: a full reload would have cleared it.
async fn same_document(c: &Client) -> bool {
    c.execute("return window.__sameDocument === 42;", Vec::new())
        .await
        .expect("script")
        .as_bool()
        .unwrap_or(false)
}

#[tokio::test]
async fn with_javascript_the_booker_changes_day_month_and_zone_without_reloading() {
    let app = TestApp::spawn().await;
    host(&app, json!({})).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&format!("{}{BOOKER}?month=2030-01&tz=UTC&clock=24", app.address))
        .await
        .expect("open");
    c.execute("window.__sameDocument = 42; return true;", Vec::new())
        .await
        .expect("mark the document");

    click(c, "a[data-day='7']").await;
    assert_eq!(
        text_of(c, "button[data-start='2030-01-07T09:00:00.000Z']").await,
        "09:00"
    );
    assert!(same_document(c).await, "choosing a day swapped the booker in place");
    let address = c.current_url().await.expect("url");
    assert!(
        address.as_str().contains("date=2030-01-07"),
        "the address follows: {address}"
    );
    let focused = c
        .execute(
            "return document.activeElement && document.activeElement.id;",
            Vec::new(),
        )
        .await
        .expect("focus");
    assert_eq!(focused, "day-label", "focus moves to the chosen day's times");

    c.find(Locator::Id("tz"))
        .await
        .expect("zone select")
        .select_by_label("Asia/Tokyo")
        .await
        .expect("choose Tokyo");
    let label = text_when(c, "button[data-start='2030-01-07T09:00:00.000Z']", "18:00").await;
    assert_eq!(label, "18:00");
    assert!(same_document(c).await, "switching the zone did not reload");

    click(c, "#next-month").await;
    let month = text_when(c, "#month-label", "February 2030").await;
    assert_eq!(month, "February 2030");
    assert!(same_document(c).await, "the next month came without a reload");
    c.back().await.expect("back");
    let back = text_when(c, "#month-label", "January 2030").await;
    assert_eq!(
        back, "January 2030",
        "the browser's back button returns to the month before"
    );
    browser.client.clone().close().await.expect("close");
}
