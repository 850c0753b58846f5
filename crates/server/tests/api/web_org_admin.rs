//! The organization's admin pages over plain HTTP: only its OWNERs and ADMINs get in (a MEMBER is refused, another
//! organization's admin finds nothing); roles change and people leave, but the last OWNER stays; teams are made and
//! staffed with the organization's members; the instance admin alone lists organizations and sets their flags.

use crate::helpers::{PASSWORD, TestApp};
use crate::web_app_bookings::get;
use crate::web_signup::{csrf_of, organization_with_owner, post, signed_in_with};
use convene_core::{Role, TeamId, UserId};
use convene_store::{features, memberships, users};
use reqwest::StatusCode;

const OWNER: &str = "otto@acme-admin.test";

/// An accepted member of `org` with `role` who can sign in with [`PASSWORD`].
async fn member(app: &TestApp, org: i64, email: &str, role: Role) -> i64 {
    let person = app.account(email).await;
    users::join_organization(&app.db, UserId(person.id), TeamId(org))
        .await
        .expect("join");
    memberships::insert(&app.db, TeamId(org), UserId(person.id), role, true, false)
        .await
        .expect("membership")
        .0
}

#[tokio::test]
async fn only_the_organizations_admins_open_its_pages_and_nobody_sees_another_organization() {
    let app = TestApp::spawn().await;
    let org = organization_with_owner(&app, "acme", OWNER).await;
    member(&app, org, "mia@acme-admin.test", Role::Member).await;
    member(&app, org, "ada@acme-admin.test", Role::Admin).await;
    let other = organization_with_owner(&app, "globex", "gus@globex-admin.test").await;

    let admin = signed_in_with(&app, "ada@acme-admin.test", PASSWORD).await;
    let (status, page) = get(&app, &admin, &format!("/settings/organizations/{org}/members")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(OWNER) && page.contains("mia@acme-admin.test"));
    assert!(page.contains("id=\"nav-organization\"") && page.contains("aria-current=\"page\""));
    assert!(!page.contains("gus@globex-admin.test"));
    for path in ["members", "teams"] {
        let (status, page) = get(&app, &admin, &format!("/settings/organizations/{other}/{path}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another organization's {path}");
        assert!(!page.contains("gus@globex-admin.test"));
    }

    let member = signed_in_with(&app, "mia@acme-admin.test", PASSWORD).await;
    for path in ["members", "teams"] {
        let (status, page) = get(&app, &member, &format!("/settings/organizations/{org}/{path}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a MEMBER on {path}");
        assert!(!page.contains(OWNER));
    }
    let (_, home) = get(&app, &member, "/event-types").await;
    assert!(
        !home.contains("nav-organization"),
        "a MEMBER's navigation has no organization link"
    );
    // A MEMBER's forged form is refused too.
    let csrf = csrf_of(&home);
    let (status, _) = post(
        &app,
        &member,
        &format!("/settings/organizations/{org}/members/invite"),
        &[("csrf", &csrf), ("email", "x@acme-admin.test"), ("role", "MEMBER")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        users::find_by_email(&app.db, "x@acme-admin.test")
            .await
            .expect("find")
            .is_none()
    );
    assert_eq!(
        get(&app, &member, "/admin/organizations").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn roles_change_and_members_leave_but_the_last_owner_stays() {
    let app = TestApp::spawn().await;
    let org = organization_with_owner(&app, "acme", OWNER).await;
    let mia = member(&app, org, "mia@acme-admin.test", Role::Member).await;
    let ada = member(&app, org, "ada@acme-admin.test", Role::Admin).await;
    let owner_membership = memberships::of_user(
        &app.db,
        TeamId(org),
        users::find_by_email(&app.db, OWNER)
            .await
            .expect("f")
            .expect("u")
            .user_id(),
    )
    .await
    .expect("find")
    .expect("owner")
    .id;
    let base = format!("/settings/organizations/{org}/members");

    // An ADMIN can't touch an OWNER, nor make one.
    let admin = signed_in_with(&app, "ada@acme-admin.test", PASSWORD).await;
    let csrf = csrf_of(&get(&app, &admin, &base).await.1);
    let (status, page) = post(
        &app,
        &admin,
        &format!("{base}/{mia}/role"),
        &[("csrf", &csrf), ("role", "OWNER")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Only an OWNER"), "{page}");
    let (status, _) = post(
        &app,
        &admin,
        &format!("{base}/{owner_membership}/remove"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let owner = signed_in_with(&app, OWNER, PASSWORD).await;
    let csrf = csrf_of(&get(&app, &owner, &base).await.1);
    let (status, to) = post(
        &app,
        &owner,
        &format!("{base}/{mia}/role"),
        &[("csrf", &csrf), ("role", "ADMIN")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, format!("{base}?notice=role").as_str())
    );
    let role = memberships::find(&app.db, TeamId(org), convene_core::MembershipId(mia))
        .await
        .expect("f")
        .expect("m")
        .role();
    assert_eq!(role, Role::Admin);

    // The owner can't demote themselves while they are the only one (their own row has no form; a forged post fails).
    let (status, page) = post(
        &app,
        &owner,
        &format!("{base}/{owner_membership}/role"),
        &[("csrf", &csrf), ("role", "MEMBER")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("at least one OWNER"), "{page}");

    let (status, _) = post(&app, &owner, &format!("{base}/{ada}/remove"), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let ada_user = users::find_by_email(&app.db, "ada@acme-admin.test")
        .await
        .expect("f")
        .expect("u");
    assert!(ada_user.organization_id.is_none(), "removed from the organization");
    assert_eq!(
        get(&app, &admin, &base).await.0,
        StatusCode::NOT_FOUND,
        "and no longer gets in"
    );
}

#[tokio::test]
async fn an_admin_makes_a_team_and_staffs_it_with_members_of_the_organization() {
    let app = TestApp::spawn().await;
    let org = organization_with_owner(&app, "acme", OWNER).await;
    member(&app, org, "mia@acme-admin.test", Role::Member).await;
    app.account("stranger@elsewhere.test").await;
    let owner = signed_in_with(&app, OWNER, PASSWORD).await;
    let teams = format!("/settings/organizations/{org}/teams");
    let (status, empty) = get(&app, &owner, &teams).await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.contains("id=\"no-teams\""));
    let csrf = csrf_of(&empty);
    let (status, page) = post(&app, &owner, &teams, &[("csrf", &csrf), ("name", ""), ("slug", "")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"name-error\">Enter the team"), "{page}");
    let (status, to) = post(
        &app,
        &owner,
        &teams,
        &[("csrf", &csrf), ("name", "Sales"), ("slug", "")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let team_path = to.split('?').next().expect("path").to_owned();
    let team: i64 = team_path.rsplit('/').next().expect("id").parse().expect("team id");

    let (status, to) = post(
        &app,
        &owner,
        &format!("{team_path}/members"),
        &[
            ("csrf", &csrf),
            ("email", "stranger@elsewhere.test"),
            ("role", "MEMBER"),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "only the organization's members join: {to}"
    );
    let (status, _) = post(
        &app,
        &owner,
        &format!("{team_path}/members"),
        &[("csrf", &csrf), ("email", "mia@acme-admin.test"), ("role", "MEMBER")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get(&app, &owner, &team_path).await;
    assert!(page.contains("mia@acme-admin.test"), "{page}");
    let mia = users::find_by_email(&app.db, "mia@acme-admin.test")
        .await
        .expect("f")
        .expect("u");
    let membership = memberships::of_user(&app.db, TeamId(team), mia.user_id())
        .await
        .expect("f")
        .expect("member");
    assert!(membership.accepted);
    let (status, _) = post(
        &app,
        &owner,
        &format!("{team_path}/members/{}/remove", membership.id),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        memberships::of_user(&app.db, TeamId(team), mia.user_id())
            .await
            .expect("f")
            .is_none()
    );
}

#[tokio::test]
async fn the_instance_admin_lists_organizations_and_sets_their_flags() {
    let app = TestApp::spawn().await;
    let org = organization_with_owner(&app, "acme", OWNER).await;
    let owner = signed_in_with(&app, OWNER, PASSWORD).await;
    assert_eq!(get(&app, &owner, "/admin/organizations").await.0, StatusCode::NOT_FOUND);

    let root = signed_in_with(&app, "root@convene.test", "instance-admin-pw").await;
    let (status, page) = get(&app, &root, "/admin/organizations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Org acme") && page.contains(&format!("id=\"flag-{org}-custom-smtp\" data-enabled=\"false\""))
    );
    let csrf = csrf_of(&page);
    let path = format!("/admin/organizations/{org}/features/custom-smtp");
    let (status, _) = post(&app, &root, &path, &[("enabled", "true")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, _) = post(&app, &owner, &path, &[("csrf", &csrf), ("enabled", "true")]).await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "not the owner's to set"
    );
    assert!(
        features::find(&app.db, TeamId(org), "custom-smtp")
            .await
            .expect("find")
            .is_none()
    );
    let (status, _) = post(&app, &root, &path, &[("csrf", &csrf), ("enabled", "true")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let flag = features::find(&app.db, TeamId(org), "custom-smtp")
        .await
        .expect("find")
        .expect("set");
    assert!(flag.enabled);
}

/// Organization → Notifications: its ADMINs set the defaults members inherit (a member's page then shows the
/// organization's choice); a MEMBER is refused, another organization's admin finds nothing, a bad value is named,
/// and a form without the session's token is refused.
#[tokio::test]
async fn the_organizations_admins_set_the_notification_defaults_its_members_inherit() {
    let app = TestApp::spawn().await;
    let org = organization_with_owner(&app, "notify", "otto@notify-admin.test").await;
    member(&app, org, "mia@notify-admin.test", Role::Member).await;
    member(&app, org, "ada@notify-admin.test", Role::Admin).await;
    let other = organization_with_owner(&app, "elsewhere", "gus@elsewhere-admin.test").await;
    let path = format!("/settings/organizations/{org}/notifications");

    let admin = signed_in_with(&app, "ada@notify-admin.test", PASSWORD).await;
    let (status, page) = get(&app, &admin, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"org-notifications-form\""), "{page}");
    assert!(
        page.contains("id=\"org-tab-notifications\" aria-current=\"page\""),
        "{page}"
    );
    assert!(page.contains("Not set (on)"), "{page}");
    let csrf = csrf_of(&page);
    let (status, _) = get(&app, &admin, &format!("/settings/organizations/{other}/notifications")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organization's defaults");

    let (status, _) = post(&app, &admin, &path, &[("bookingConfirmed.email", "off")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, page) = post(
        &app,
        &admin,
        &path,
        &[("csrf", &csrf), ("bookingConfirmed.email", "maybe")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Booking confirmed, Email: choose on, off or the default."),
        "{page}"
    );

    let (status, to) = post(
        &app,
        &admin,
        &path,
        &[("csrf", &csrf), ("bookingConfirmed.email", "off")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, format!("{path}?notice=saved").as_str())
    );
    let (_, page) = get(&app, &admin, &path).await;
    assert!(
        page.contains("<option value=\"off\" selected>"),
        "the default is shown as set: {page}"
    );

    let member_client = signed_in_with(&app, "mia@notify-admin.test", PASSWORD).await;
    let (_, mine) = get(&app, &member_client, "/settings/notifications").await;
    let confirmed_email = &mine[mine.find("id=\"bookingConfirmed.email\"").expect("the select")..];
    assert!(
        confirmed_email[..confirmed_email.find("</select>").expect("end")].contains("As my organization sets it (Off)"),
        "the member inherits the default: {mine}"
    );
    let (status, page) = get(&app, &member_client, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a MEMBER");
    assert!(!page.contains("org-notifications-form"));
    let member_csrf = csrf_of(&mine);
    let (status, _) = post(
        &app,
        &member_client,
        &path,
        &[("csrf", &member_csrf), ("bookingConfirmed.email", "on")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a MEMBER's forged form");
    let (_, page) = get(&app, &admin, &path).await;
    assert!(page.contains("<option value=\"off\" selected>"), "unchanged: {page}");
}
