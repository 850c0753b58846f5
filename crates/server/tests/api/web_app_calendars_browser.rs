//! Settings → Calendars in real headless Chromium against a real CalDAV server (Radicale, started here): a wrong
//! password is refused beside its field, the right one connects and lists the account's calendars, one is unticked
//! as busy, the destination is chosen. axe-core finds no serious or critical violation there, nor on the
//! out-of-office page.

use crate::calendars::radicale::Radicale;
use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::web_a11y::violations;
use crate::web_browser::Browser;
use crate::web_browser::by_id::{click, type_into, wait_for};
use convene_core::UserId;
use convene_store::calendars;
use fantoccini::{Client, Locator};

const HOST: &str = "caldav@chrome.test";
const DAV_USER: &str = "host";
const DAV_PASSWORD: &str = "radicale-pass";

/// Clicks a form's submit button and waits until the page that answers it has replaced this one: the page may
/// already show a notice from the step before, so waiting for a notice alone could read the store too early.
async fn submit_and_wait(c: &Client, id: &str) {
    let button = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    button.click().await.expect("click");
    for _ in 0..100 {
        if button.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    wait_for(c, "notice").await;
}

#[tokio::test]
async fn a_host_connects_a_caldav_server_chooses_busy_calendars_and_the_destination() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let server = Radicale::start(&[(DAV_USER, DAV_PASSWORD)]).await;
    server
        .make_calendar(DAV_USER, DAV_PASSWORD, "work", "Work", &["VEVENT"])
        .await;
    server
        .make_calendar(DAV_USER, DAV_PASSWORD, "home", "Home", &["VEVENT"])
        .await;
    let app = TestApp::spawn().await;
    let person = app.account(HOST).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;
    let mut found = Vec::new();

    c.goto(&format!("{base}/settings/calendars")).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", HOST).await;
    type_into(c, "password", PASSWORD).await;
    click(c, "sign-in").await;
    wait_for(c, "caldav-form").await;
    assert!(c.find(Locator::Id("no-calendars")).await.is_ok());
    found.extend(violations(c, &axe).await);

    let dav = server.url().to_string();
    type_into(c, "caldav-url", &dav).await;
    type_into(c, "caldav-username", DAV_USER).await;
    type_into(c, "caldav-password", "wrong").await;
    click(c, "connect-caldav").await;
    wait_for(c, "caldav-password-error").await;
    let kept = c
        .find(Locator::Id("caldav-username"))
        .await
        .expect("field")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some(DAV_USER), "what was typed is kept");
    found.extend(violations(c, &axe).await);

    type_into(c, "caldav-password", DAV_PASSWORD).await;
    click(c, "connect-caldav").await;
    wait_for(c, "connections").await;
    let listed = c
        .find(Locator::Id("connections"))
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert!(listed.contains("Work") && listed.contains("Home"), "{listed}");
    found.extend(violations(c, &axe).await);

    let mine = calendars::calendars_of_user(&app.db, UserId(person.id))
        .await
        .expect("calendars");
    let home = mine.iter().find(|cal| cal.name == "Home").expect("Home");
    let work = mine.iter().find(|cal| cal.name == "Work").expect("Work");
    assert!(home.selected && work.selected);
    click(c, &format!("busy-{}", home.id)).await;
    submit_and_wait(c, &format!("save-selection-{}", home.connection_id)).await;
    let after = calendars::calendars_of_user(&app.db, UserId(person.id))
        .await
        .expect("calendars");
    assert!(!after.iter().find(|cal| cal.id == home.id).expect("Home").selected);
    assert!(after.iter().find(|cal| cal.id == work.id).expect("Work").selected);

    let select = c.find(Locator::Id("destination")).await.expect("select");
    select.select_by_value(&home.id.to_string()).await.expect("choose Home");
    submit_and_wait(c, "save-destination").await;
    let destination = calendars::destination(&app.db, UserId(person.id), None)
        .await
        .expect("read")
        .expect("a destination");
    assert_eq!(destination.id, home.id);
    wait_for(c, &format!("destination-tag-{}", home.id)).await;
    found.extend(violations(c, &axe).await);

    c.goto(&format!("{base}/availability/out-of-office"))
        .await
        .expect("open");
    wait_for(c, "new-ooo-form").await;
    found.extend(violations(c, &axe).await);

    assert!(found.is_empty(), "accessibility: {found:#?}");
}
