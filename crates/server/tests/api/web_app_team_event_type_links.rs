//! A team event type's page, over plain HTTP: private links made and deleted there are the team API's (listed with
//! their address, working on the booker, refused beside their box, out of reach of a plain member); the destination
//! calendar chosen there is the team API's `destinationCalendar`, a read-only one refused, and another manager
//! saving the page keeps the calendar the first chose (it is not theirs to choose, but it is not theirs to lose).

use crate::helpers::{Person, TestApp};
use crate::web_app_bookings::{get, signed_in, with_password};
use crate::web_app_calendars::{csrf_of, post};
use convene_core::{ConnectionKind, Role, UserId};
use convene_store::calendars::{self, ListedCalendar, NewConnection};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Team {
    app: TestApp,
    org: i64,
    team: i64,
    event: i64,
    owner: Person,
    /// A plain member of the team and its only host.
    mia: Person,
    page: String,
}

const ADA: &str = "ada@tet-links.test";
const MIA: &str = "mia@tet-links.test";
const OWNER: &str = "owner@tet-links.test";

async fn team() -> Team {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("tet-links").await;
    let mia = app.member(org, MIA, Role::Member).await;
    app.member(org, ADA, Role::Admin).await;
    for email in [OWNER, MIA, ADA] {
        with_password(&app, email).await;
    }
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "Sales", "slug": "sales" }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("team id");
    app.post(
        &format!("/v2/organizations/{org}/teams/{team}/memberships"),
        &owner.key,
        json!({ "userId": mia.id, "role": "MEMBER", "accepted": true }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let event = app
        .post(
            &format!("/v2/organizations/{org}/teams/{team}/event-types"),
            &owner.key,
            json!({ "title": "Demo", "slug": "demo", "lengthInMinutes": 30, "schedulingType": "collective",
                    "hosts": [{ "userId": mia.id }] }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("event type id");
    let page = format!("/settings/organizations/{org}/teams/{team}/event-types/{event}");
    Team {
        app,
        org,
        team,
        event,
        owner,
        mia,
        page,
    }
}

impl Team {
    fn api(&self) -> String {
        format!(
            "/v2/organizations/{}/teams/{}/event-types/{}",
            self.org, self.team, self.event
        )
    }

    async fn links(&self) -> Vec<Value> {
        self.app
            .get(&format!("{}/private-links", self.api()), &self.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .as_array()
            .expect("a list")
            .clone()
    }

    async fn destination(&self) -> Option<Value> {
        self.app
            .get(&self.api(), &self.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .get("destinationCalendar")
            .cloned()
            .filter(|d| !d.is_null())
    }

    /// Posts the page's form with its required boxes and `destination`.
    async fn save(&self, client: &reqwest::Client, csrf: &str, destination: &str) -> (StatusCode, String) {
        let mia = self.mia.id.to_string();
        let form = [
            ("csrf", csrf),
            ("title", "Demo"),
            ("slug", "demo"),
            ("lengthInMinutes", "30"),
            ("hosts", mia.as_str()),
            ("destinationCalendar", destination),
        ];
        post(&self.app, client, &self.page, &form).await
    }
}

#[tokio::test]
async fn a_team_managers_private_links_are_the_team_apis_and_a_plain_member_cannot_touch_them() {
    let t = team().await;
    let app = &t.app;
    let owner = signed_in(app, OWNER).await;
    let (status, page) = get(app, &owner, &t.page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"private-links\"") && page.contains("id=\"no-links\""),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let create = format!("{}/private-links", t.page);

    let (status, _) = post(app, &owner, &create, &[("maxUsageCount", "3")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, page) = post(app, &owner, &create, &[("csrf", &csrf), ("maxUsageCount", "lots")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"maxUsageCount-error\""), "{page}");
    assert!(page.contains("value=\"lots\""), "what was typed is kept: {page}");
    assert!(t.links().await.is_empty());

    let (status, to) = post(app, &owner, &create, &[("csrf", &csrf), ("maxUsageCount", "3")]).await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("{}?notice=link-created#private-links", t.page).as_str()
        )
    );
    let links = t.links().await;
    assert_eq!(links.len(), 1, "{links:?}");
    let url = links[0]["bookingUrl"].as_str().expect("url");
    let link_id = links[0]["linkId"].as_str().expect("id");
    let (_, page) = get(app, &owner, &t.page).await;
    assert!(page.contains(&format!(">{url}</code>")), "the full address: {page}");
    assert!(page.contains("3 of 3 uses left"), "{page}");
    let booker = format!("/d/{link_id}/demo");
    assert_eq!(crate::web_booking::get(app, &booker).await.status, StatusCode::OK);

    // A plain member of the team is refused the page and its forms, as the team API refuses them (403: the team is
    // theirs to see); someone of another organization finds nothing; the manager deletes the link.
    let delete = format!("{}/private-links/{link_id}/delete", t.page);
    let mia = signed_in(app, MIA).await;
    assert_eq!(get(app, &mia, &t.page).await.0, StatusCode::FORBIDDEN);
    let mia_csrf = csrf_of(&get(app, &mia, "/event-types").await.1);
    let (status, _) = post(app, &mia, &delete, &[("csrf", &mia_csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = post(app, &mia, &create, &[("csrf", &mia_csrf), ("maxUsageCount", "1")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    app.organization("elsewhere").await;
    with_password(app, "owner@elsewhere.test").await;
    let stranger = signed_in(app, "owner@elsewhere.test").await;
    assert_eq!(get(app, &stranger, &t.page).await.0, StatusCode::NOT_FOUND);
    let stranger_csrf = csrf_of(&get(app, &stranger, "/event-types").await.1);
    let (status, _) = post(app, &stranger, &delete, &[("csrf", &stranger_csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(t.links().await.len(), 1);
    let (status, to) = post(app, &owner, &delete, &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("{}?notice=link-deleted#private-links", t.page).as_str()
        )
    );
    assert!(t.links().await.is_empty());
    assert_eq!(
        crate::web_booking::get(app, &booker).await.status,
        StatusCode::NOT_FOUND
    );
    let (status, _) = post(app, &owner, &delete, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a link already gone");
}

async fn calendar(app: &TestApp, user_id: i64, external_id: &str, name: &str, read_only: bool) {
    let connection = calendars::insert_connection(
        &app.db,
        &NewConnection {
            user_id: UserId(user_id),
            kind: ConnectionKind::CalDav,
            label: "Work server",
            username: Some(external_id),
            server_url: Some("https://dav.invalid/"),
        },
    )
    .await
    .expect("connection");
    let listed = ListedCalendar {
        external_id,
        name,
        read_only,
        is_primary: false,
    };
    calendars::upsert_calendar(&app.db, connection, UserId(user_id), &listed)
        .await
        .expect("calendar");
}

#[tokio::test]
async fn the_destination_chosen_on_the_team_page_is_the_team_apis_and_another_manager_keeps_it() {
    let t = team().await;
    let app = &t.app;
    calendar(app, t.owner.id, "owner-work", "Owner work", false).await;
    calendar(app, t.owner.id, "holidays", "Holidays", true).await;
    let ada_id = convene_store::users::find_by_email(&app.db, ADA)
        .await
        .expect("find")
        .expect("ada")
        .id;
    calendar(app, ada_id.0, "ada-work", "Ada work", false).await;

    let owner = signed_in(app, OWNER).await;
    let (_, page) = get(app, &owner, &t.page).await;
    assert!(
        page.contains("<option value=\"caldav_calendar:owner-work\">Owner work (CalDav Server)</option>"),
        "{page}"
    );
    assert!(!page.contains("caldav_calendar:holidays"), "read-only: {page}");
    assert!(
        !page.contains("ada-work"),
        "only one's own calendars are offered: {page}"
    );
    let csrf = csrf_of(&page);
    let (status, page) = t.save(&owner, &csrf, "caldav_calendar:holidays").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"destinationCalendar-error\""), "{page}");
    assert!(page.contains("value=\"Demo\""), "the rest of the form is kept: {page}");
    assert_eq!(t.destination().await, None);

    let (status, to) = t.save(&owner, &csrf, "caldav_calendar:owner-work").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert_eq!(
        t.destination().await,
        Some(json!({ "integration": "caldav_calendar", "externalId": "owner-work" }))
    );

    // Another manager sees the owner's calendar as chosen, saves the page untouched, and it stays.
    let ada = signed_in(app, ADA).await;
    let (status, page) = get(app, &ada, &t.page).await;
    assert_eq!(status, StatusCode::OK);
    let chosen = "<option value=\"caldav_calendar:owner-work\" selected>Owner work (CalDav Server), another manager";
    assert!(page.contains(chosen), "{page}");
    assert!(page.contains("caldav_calendar:ada-work"), "{page}");
    let ada_csrf = csrf_of(&page);
    let (status, _) = t.save(&ada, &ada_csrf, "caldav_calendar:owner-work").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.destination().await,
        Some(json!({ "integration": "caldav_calendar", "externalId": "owner-work" }))
    );
    let (status, _) = t.save(&ada, &ada_csrf, "caldav_calendar:ada-work").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.destination().await,
        Some(json!({ "integration": "caldav_calendar", "externalId": "ada-work" })),
        "one calendar for the team event type: the new choice replaces the old"
    );
    let (status, _) = t.save(&ada, &ada_csrf, "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(t.destination().await, None, "back to each host's own");

    // The page's own refusals are in the reader's language, beside their field, what was typed kept.
    let no_hosts = [
        ("csrf", ada_csrf.as_str()),
        ("title", "Demo"),
        ("slug", "demo"),
        ("lengthInMinutes", "30"),
    ];
    let (status, page) = post(app, &ada, &t.page, &no_hosts).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("<p class=\"field-error\" id=\"hosts-error\">Choose at least one host.</p>"),
        "{page}"
    );
    let german = convene_store::users::UserPatch {
        locale: Some("de".to_owned()),
        ..convene_store::users::UserPatch::default()
    };
    convene_store::users::update(&app.db, ada_id, &german)
        .await
        .expect("update");
    let bad_length = [
        ("csrf", ada_csrf.as_str()),
        ("title", "Demo"),
        ("slug", "demo"),
        ("lengthInMinutes", "lang"),
    ];
    let (status, page) = post(app, &ada, &t.page, &bad_length).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("id=\"lengthInMinutes-error\">Geben Sie eine ganze Zahl von Minuten ein.</p>"),
        "{page}"
    );
    assert!(page.contains("value=\"lang\""), "{page}");
}
