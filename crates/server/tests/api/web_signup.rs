//! Sign-up and invitations over plain HTTP: an organization's admin invites an address, the emailed link opens the
//! onboarding form once (name, username, password, time zone), and the newcomer lands in the app signed in, with a
//! default schedule and the membership accepted; open sign-up exists only when the instance allows it. Every form
//! refuses a missing CSRF token.

use crate::helpers::{PASSWORD, TestApp};
use crate::web_app_bookings::get;
use crate::web_booking::emailed_text;
use convene_core::{Role, TeamId, UserId};
use convene_server::ServerSettings;
use convene_store::teams::TeamFields;
use convene_store::{memberships, schedules, users};
use reqwest::StatusCode;

pub const OWNER: &str = "olga@invite.test";
pub const NEWCOMER: &str = "nina@invite.test";

/// A browser-like client: cookies kept, redirects not followed.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form with a CSRF token")
        .to_owned()
}

/// Signs `email` in with `password`.
pub async fn signed_in_with(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let c = client();
    let csrf = csrf_of(&get(app, &c, "/auth/login").await.1);
    let answer = c
        .post(format!("{}/auth/login", app.address))
        .form(&[("email", email), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{email} signs in");
    c
}

pub async fn post(app: &TestApp, c: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let answer = c
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("send");
    let status = answer.status();
    let to = answer
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned());
    (status, to.unwrap_or(answer.text().await.expect("html")))
}

/// An organization whose OWNER can sign in with [`PASSWORD`]; its id.
pub async fn organization_with_owner(app: &TestApp, slug: &str, owner: &str) -> i64 {
    let person = app.account(owner).await;
    let fields = TeamFields {
        name: Some(format!("Org {slug}")),
        slug: Some(slug.into()),
        ..TeamFields::default()
    };
    (convene_server::tenancy::create_organization(&app.db, &fields, UserId(person.id))
        .await
        .expect("org")
        .id)
        .0
}

/// The path of the invitation link in the last invitation email.
pub async fn invitation_path(app: &TestApp) -> String {
    let text = emailed_text(app, "invitation").await;
    let at = text.find("/auth/invitation?token=").expect("an invitation link");
    text[at..].split_whitespace().next().expect("the link").to_owned()
}

/// The owner invites `email` as `role` from the members page.
pub async fn invite(app: &TestApp, owner: &reqwest::Client, org: i64, email: &str, role: &str) -> (StatusCode, String) {
    let page = get(app, owner, &format!("/settings/organizations/{org}/members"))
        .await
        .1;
    post(
        app,
        owner,
        &format!("/settings/organizations/{org}/members/invite"),
        &[("csrf", &csrf_of(&page)), ("email", email), ("role", role)],
    )
    .await
}

#[tokio::test]
async fn an_invitation_link_sets_up_the_account_once_and_lands_in_the_app() {
    let app = TestApp::spawn().await;
    let org = organization_with_owner(&app, "invite", OWNER).await;
    let owner = signed_in_with(&app, OWNER, PASSWORD).await;
    let (status, to) = invite(&app, &owner, org, NEWCOMER, "ADMIN").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (_, members) = get(&app, &owner, &format!("/settings/organizations/{org}/members")).await;
    assert!(members.contains(NEWCOMER) && members.contains("Invited"), "{members}");
    let link = invitation_path(&app).await;

    let newcomer = client();
    let (status, form) = get(&app, &newcomer, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("Org invite") && form.contains("data-browser-zone"),
        "{form}"
    );
    let token = link.split("token=").nth(1).expect("token");
    let csrf = csrf_of(&form);
    let typed = |password: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("token", token.to_owned()),
            ("name", "Nina Newcomer".to_owned()),
            ("username", "nina".to_owned()),
            ("password", password.to_owned()),
            ("timeZone", "Europe/Berlin".to_owned()),
        ]
    };
    let short: Vec<(&str, String)> = typed("short");
    let short: Vec<(&str, &str)> = short.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, again) = post(&app, &newcomer, "/auth/invitation", &short).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        again.contains("id=\"password-error\"") && again.contains("Nina Newcomer"),
        "{again}"
    );

    let good = typed("a long enough password");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, to) = post(&app, &newcomer, "/auth/invitation", &good).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/event-types?notice=welcome")
    );
    let (status, landing) = get(&app, &newcomer, "/event-types?notice=welcome").await;
    assert_eq!(status, StatusCode::OK, "signed in");
    assert!(landing.contains("Welcome"), "{landing}");

    let user = users::find_by_email(&app.db, NEWCOMER)
        .await
        .expect("find")
        .expect("user");
    assert_eq!(
        (user.username.as_str(), user.time_zone.as_str()),
        ("nina", "Europe/Berlin")
    );
    assert!(user.verified_email().is_some(), "the link came through the mailbox");
    let schedule = schedules::find_default(&app.db, user.user_id())
        .await
        .expect("find")
        .expect("a default schedule");
    assert_eq!(schedule.time_zone, "Europe/Berlin");
    let membership = memberships::of_user(&app.db, TeamId(org), user.user_id())
        .await
        .expect("find")
        .expect("member");
    assert!(membership.accepted);
    assert_eq!(membership.role(), Role::Admin);

    let (status, used) = get(&app, &client(), &link).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the link works once");
    assert!(used.contains("Invitation link not valid"), "{used}");
    // The new password signs in.
    signed_in_with(&app, NEWCOMER, "a long enough password").await;
}

#[tokio::test]
async fn the_invitation_form_refuses_a_missing_csrf_token() {
    let app = TestApp::spawn().await;
    let org = organization_with_owner(&app, "csrf", OWNER).await;
    let owner = signed_in_with(&app, OWNER, PASSWORD).await;
    let (status, _) = post(
        &app,
        &owner,
        &format!("/settings/organizations/{org}/members/invite"),
        &[("email", NEWCOMER), ("role", "MEMBER")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    invite(&app, &owner, org, NEWCOMER, "MEMBER").await;
    let link = invitation_path(&app).await;
    let newcomer = client();
    get(&app, &newcomer, &link).await;
    let token = link.split("token=").nth(1).expect("token");
    let (status, _) = post(
        &app,
        &newcomer,
        "/auth/invitation",
        &[
            ("token", token),
            ("name", "N"),
            ("username", "n"),
            ("password", "long password"),
            ("timeZone", "UTC"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let user = users::find_by_email(&app.db, NEWCOMER)
        .await
        .expect("find")
        .expect("user");
    assert!(user.password_hash.is_none(), "nothing was set");
}

#[tokio::test]
async fn sign_up_is_by_invitation_unless_the_instance_opens_it() {
    let closed = TestApp::spawn().await;
    let (status, page) = get(&closed, &client(), "/auth/signup").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Sign-up is by invitation"));
    assert!(!get(&closed, &client(), "/auth/login").await.1.contains("/auth/signup"));

    let app = TestApp::spawn_with(ServerSettings {
        open_signup: true,
        ..TestApp::settings()
    })
    .await;
    let c = client();
    assert!(get(&app, &c, "/auth/login").await.1.contains("/auth/signup"));
    let (status, form) = get(&app, &c, "/auth/signup").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&form);
    let (status, again) = post(
        &app,
        &c,
        "/auth/signup",
        &[
            ("csrf", &csrf),
            ("email", "not an address"),
            ("name", "Sam"),
            ("username", "sam"),
            ("password", "long password"),
            ("timeZone", "UTC"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        again.contains("id=\"email-error\"") && again.contains("not an address"),
        "{again}"
    );
    let (status, to) = post(
        &app,
        &c,
        "/auth/signup",
        &[
            ("csrf", &csrf),
            ("email", "sam@open.test"),
            ("name", "Sam"),
            ("username", "sam"),
            ("password", "long password"),
            ("timeZone", "America/New_York"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/event-types?notice=welcome")
    );
    assert_eq!(get(&app, &c, "/availability").await.0, StatusCode::OK);
    let user = users::find_by_email(&app.db, "sam@open.test")
        .await
        .expect("find")
        .expect("user");
    assert!(
        schedules::find_default(&app.db, user.user_id())
            .await
            .expect("find")
            .is_some()
    );
    assert!(user.verified_email().is_none(), "nobody proved the address yet");

    let other = client();
    let csrf = csrf_of(&get(&app, &other, "/auth/signup").await.1);
    let (status, taken) = post(
        &app,
        &other,
        "/auth/signup",
        &[
            ("csrf", &csrf),
            ("email", "sam2@open.test"),
            ("name", "Sam"),
            ("username", "sam"),
            ("password", "long password"),
            ("timeZone", "UTC"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(taken.contains("id=\"username-error\""), "{taken}");
}
