//! Invitations and the organization's pages in real headless Chromium: an organization's owner invites someone
//! from the members page and makes a team; the invitee opens the emailed link, finds the time zone filled in from
//! the browser, chooses the rest and lands in the app; the owner then puts them in the team and gives it a
//! round-robin event type they host. axe-core finds no serious or critical violation on any page on the way.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::web_a11y::violations;
use crate::web_browser::Browser;
use crate::web_browser::by_id::{click, type_into, wait_for};
use crate::web_signup::{invitation_path, organization_with_owner};
use convene_store::{event_types, users};
use fantoccini::{Client, Locator};

const OWNER: &str = "owen@chrome-org.test";
const INVITEE: &str = "ivy@chrome-org.test";

async fn sign_in(c: &Client, email: &str, password: &str) {
    wait_for(c, "login-form").await;
    type_into(c, "email", email).await;
    type_into(c, "password", password).await;
    click(c, "sign-in").await;
}

#[tokio::test]
async fn an_owner_invites_someone_who_onboards_and_hosts_a_round_robin_team_event() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    let org = organization_with_owner(&app, "chrome-org", OWNER).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let base = &app.address;
    let mut found = Vec::new();

    // The owner invites from the members page and makes a team.
    c.goto(&format!("{base}/settings/organizations/{org}/members"))
        .await
        .expect("open");
    sign_in(c, OWNER, PASSWORD).await;
    wait_for(c, "invite-form").await;
    found.extend(violations(c, &axe).await);
    type_into(c, "email", INVITEE).await;
    click(c, "send-invite").await;
    wait_for(c, "notice").await;
    found.extend(violations(c, &axe).await);
    // The organization's notification defaults, set from their tab.
    click(c, "org-tab-notifications").await;
    wait_for(c, "org-notifications-form").await;
    found.extend(violations(c, &axe).await);
    c.find(Locator::Id("bookingReminder.sms"))
        .await
        .expect("a default's select")
        .select_by_value("off")
        .await
        .expect("choose off");
    let old = c.find(Locator::Css("html")).await.expect("page");
    click(c, "save-notifications").await;
    crate::web_browser::wait_replaced(c, &old).await;
    wait_for(c, "notice").await;
    found.extend(violations(c, &axe).await);
    click(c, "org-tab-teams").await;
    wait_for(c, "new-team-form").await;
    found.extend(violations(c, &axe).await);
    type_into(c, "name", "Support").await;
    click(c, "create-team").await;
    wait_for(c, "add-member-form").await;
    found.extend(violations(c, &axe).await);
    let team_page = c.current_url().await.expect("url");
    click(c, "sign-out").await;
    wait_for(c, "login-form").await;

    // The invitee onboards from the emailed link.
    c.goto(&format!("{base}{}", invitation_path(&app).await))
        .await
        .expect("open the link");
    wait_for(c, "onboarding-form").await;
    found.extend(violations(c, &axe).await);
    let browser_zone = c
        .execute("return Intl.DateTimeFormat().resolvedOptions().timeZone", vec![])
        .await
        .expect("the browser's zone");
    let zone_field = c
        .find(Locator::Id("timeZone"))
        .await
        .expect("zone field")
        .prop("value")
        .await
        .expect("value")
        .expect("a value");
    assert_eq!(
        Some(zone_field.as_str()),
        browser_zone.as_str(),
        "the zone comes from the browser"
    );
    type_into(c, "name", "Ivy Invitee").await;
    type_into(c, "username", "ivy").await;
    type_into(c, "password", "ivy's long password").await;
    click(c, "onboarding-submit").await;
    wait_for(c, "new-event-type").await;
    found.extend(violations(c, &axe).await);
    let ivy = users::find_by_email(&app.db, INVITEE)
        .await
        .expect("find")
        .expect("ivy");
    assert_eq!(ivy.time_zone, zone_field);
    click(c, "sign-out").await;
    wait_for(c, "login-form").await;

    // The owner puts them in the team and gives it a round-robin event type they host.
    c.goto(team_page.as_str()).await.expect("team page");
    sign_in(c, OWNER, PASSWORD).await;
    wait_for(c, "add-member-form").await;
    type_into(c, "email", INVITEE).await;
    click(c, "add-member").await;
    wait_for(c, "team-members").await;
    click(c, "team-event-types").await;
    wait_for(c, "team-event-form").await;
    found.extend(violations(c, &axe).await);
    type_into(c, "title", "Support call").await;
    type_into(c, "slug", "support-call").await;
    click(c, "kind-ROUND_ROBIN").await;
    click(c, &format!("host-{}", ivy.id)).await;
    click(c, "save-team-event").await;
    wait_for(c, "team-event-types").await;
    found.extend(violations(c, &axe).await);

    let team = url::Url::parse(team_page.as_str())
        .expect("url")
        .path_segments()
        .and_then(|mut s| s.nth(4).map(str::to_owned))
        .and_then(|id| id.parse::<i64>().ok())
        .expect("team id");
    let made = event_types::list_for_team(&app.db, convene_core::TeamId(team))
        .await
        .expect("list");
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].scheduling_type.as_deref(), Some("ROUND_ROBIN"));
    assert_eq!(
        event_types::hosts(&app.db, made[0].id).await.expect("hosts"),
        vec![ivy.id]
    );
    assert!(found.is_empty(), "accessibility: {found:#?}");
}
