//! Settings → Email senders over plain HTTP: who may open it, adding a sender through the form, tests from the
//! page, validation messages, CSRF, the delivery log — and no secret ever in a page.
//!
//! The organization's SMTP server is a [`FakeSmtp`] on 127.0.0.1 with STARTTLS (senders always require TLS) and a
//! certificate from the [`EmailRig`]'s CA, which the server trusts; the instance allows loopback for senders.

use crate::helpers::TestApp;
use crate::helpers::email::EmailRig;
use convene_core::TeamId;
use convene_core::email::EmailKind;
use convene_store::outbox::{self, NewEmail};
use convene_testkit::FakeSmtp;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) use crate::helpers::PASSWORD;
pub(crate) const ADMIN: &str = "admin@acme.test";
/// What the organization's SMTP server wants; both must never appear in a page.
pub(crate) const SMTP_USER: &str = "relay-login-7Qx";
pub(crate) const SMTP_PASSWORD: &str = "smtp-Secret-9zK!";
const API_KEY: &str = "SG.api-key-never-shown-4Rt";

/// The [`Tenants`] (everyone signs in with [`PASSWORD`]) and the organization's SMTP server: STARTTLS with a
/// certificate from the rig's CA, wanting [`SMTP_USER`] and [`SMTP_PASSWORD`].
pub(crate) struct SendersPage {
    pub app: TestApp,
    pub smtp: FakeSmtp,
    pub org: i64,
    pub other_org: i64,
    pub team: i64,
    /// The owner's API key, to read senders back through the API.
    pub owner_key: String,
}

impl SendersPage {
    /// `secure_cookies` as the browser tests want it (true: browsers accept Secure cookies on localhost);
    /// `feature`: the organization's custom-smtp flag.
    pub(crate) async fn start(secure_cookies: bool, feature: bool) -> SendersPage {
        let mut builder = EmailRig::builder().email(|s| s.test_timeout = Duration::from_secs(10));
        if secure_cookies {
            builder = builder.secure_cookies();
        }
        let rig = builder.start().await;
        let smtp = rig.starttls_server(Some((SMTP_USER, SMTP_PASSWORD))).await;
        let tenants = rig.tenants(false).await;
        if feature {
            rig.set_custom_smtp(tenants.org, true).await;
        }
        SendersPage {
            app: rig.app,
            smtp,
            org: tenants.org,
            other_org: tenants.other_org,
            team: tenants.team,
            owner_key: tenants.owner.key,
        }
    }

    pub(crate) fn page_path(&self) -> String {
        format!("/settings/organizations/{}/email-senders", self.org)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.address)
    }

    /// A client signed in as `email`.
    pub(crate) async fn signed_in(&self, email: &str) -> reqwest::Client {
        self.signed_in_with(email, HeaderMap::new()).await
    }

    /// A client signed in as `email` that sends `headers` (say, a browser's Accept-Language) on every request.
    pub(crate) async fn signed_in_with(&self, email: &str, headers: HeaderMap) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("client");
        let html = client
            .get(self.url("/auth/login"))
            .send()
            .await
            .expect("send")
            .text()
            .await
            .expect("html");
        let form = [("email", email), ("password", PASSWORD), ("csrf", &csrf_of(&html))];
        let answer = client
            .post(self.url("/auth/login"))
            .form(&form)
            .send()
            .await
            .expect("send");
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "signed in as {email}");
        client
    }

    pub(crate) async fn get(&self, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
        let answer = client.get(self.url(path)).send().await.expect("send");
        (answer.status(), answer.text().await.expect("html"))
    }

    /// A form POST; returns status, the Location (if a redirect) and the HTML.
    pub(crate) async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let answer = client.post(self.url(path)).form(form).send().await.expect("send");
        let location = answer
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (answer.status(), location, answer.text().await.expect("html"))
    }

    /// The senders as the API lists them.
    pub(crate) async fn api_senders(&self) -> Vec<Value> {
        self.app
            .get(
                &format!("/v2/organizations/{}/smtp-configurations", self.org),
                &self.owner_key,
            )
            .await
            .expect_success(StatusCode::OK)
            .as_array()
            .expect("a list")
            .clone()
    }
}

/// The CSRF token of the first form in a page.
pub(crate) fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token in {html}"))
        .to_owned()
}

pub(crate) fn assert_no_secrets(html: &str) {
    for secret in [SMTP_USER, SMTP_PASSWORD, API_KEY] {
        assert!(!html.contains(secret), "a secret ({secret}) is in the page: {html}");
    }
}

/// The add form filled for the fake server (`team`: a team id to tick, or empty).
pub(crate) fn sender_form<'a>(csrf: &'a str, port: &'a str, team: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("fromEmail", "bookings@acme.example"),
        ("fromName", "Acme Bookings"),
        ("provider", "SMTP"),
        ("smtpHost", "127.0.0.1"),
        ("smtpPort", port),
        ("smtpUser", SMTP_USER),
        ("smtpPassword", SMTP_PASSWORD),
        ("apiKey", ""),
        ("ipPool", ""),
        ("isDefault", "true"),
        ("teamIds", team),
    ]
}

#[tokio::test]
async fn visitors_who_are_not_signed_in_are_sent_to_sign_in() {
    let rig = SendersPage::start(false, true).await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for path in [
        rig.page_path(),
        format!("{}/1/delete", rig.page_path()),
        format!("/settings/organizations/{}/email-deliveries/1", rig.org),
    ] {
        let answer = anonymous.get(rig.url(&path)).send().await.expect("send");
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "GET {path}");
        let next = form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
        assert_eq!(
            answer.headers()["location"],
            format!("/auth/login?next={next}"),
            "GET {path}"
        );
    }
    // Signing in there comes back to the page asked for.
    let page = rig.page_path();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let to_sign_in = browser.get(rig.url(&page)).send().await.expect("send");
    let login = to_sign_in.headers()["location"].to_str().expect("location").to_owned();
    let html = browser
        .get(rig.url(&login))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(html.contains(&format!(r#"name="next" value="{page}""#)), "{html}");
    let form = [
        ("email", ADMIN),
        ("password", PASSWORD),
        ("csrf", &csrf_of(&html)),
        ("next", &page),
    ];
    let signed_in = browser
        .post(rig.url("/auth/login"))
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], page.as_str());
    let (status, html) = rig.get(&browser, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("fromEmail"), "the senders page itself: {html}");
    let answer = anonymous
        .post(rig.url(&rig.page_path()))
        .form(&[("csrf", "x"), ("fromEmail", "a@b.example")])
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/auth/login");
    assert!(rig.api_senders().await.is_empty());
}

#[tokio::test]
async fn only_the_organizations_owners_and_admins_get_the_page() {
    let rig = SendersPage::start(false, true).await;
    let path = rig.page_path();

    let member = rig.signed_in("member@acme.test").await;
    let (status, html) = rig.get(&member, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("ADMIN or OWNER"), "{html}");
    assert!(!html.contains("add-form"), "{html}");
    let (_, home) = rig.get(&member, "/").await;
    assert!(!home.contains("email-senders"), "no settings link for a member: {home}");
    // Even with the member's own valid token, a POST is refused.
    let csrf = csrf_of(&home);
    let (status, _, _) = rig.post(&member, &path, &sender_form(&csrf, "25", "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let other = rig.signed_in("admin@globex.test").await;
    let (status, html) = rig.get(&other, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("not a member of this organization"), "{html}");
    let (status, _) = rig
        .get(
            &other,
            &format!("/settings/organizations/{}/email-deliveries/1", rig.org),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Their own organization's page is theirs (its feature is off there).
    let (status, html) = rig
        .get(
            &other,
            &format!("/settings/organizations/{}/email-senders", rig.other_org),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Custom SMTP is not enabled"), "{html}");

    for who in ["owner@acme.test", ADMIN] {
        let client = rig.signed_in(who).await;
        let (_, home) = rig.get(&client, "/").await;
        assert!(
            home.contains(&format!("href=\"{path}\"")),
            "the landing page links the settings for {who}: {home}"
        );
        let (status, html) = rig.get(&client, &path).await;
        assert_eq!(status, StatusCode::OK, "{who}: {html}");
        assert!(html.contains("id=\"add-form\""), "{html}");
    }
    assert!(rig.api_senders().await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn with_the_feature_off_the_page_explains_and_refuses() {
    let rig = SendersPage::start(false, false).await;
    let admin = rig.signed_in(ADMIN).await;
    let (status, html) = rig.get(&admin, &rig.page_path()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Custom SMTP is not enabled"), "{html}");
    assert!(html.contains("custom-smtp feature"), "{html}");
    let (_, home) = rig.get(&admin, "/").await;
    let (status, _, html) = rig
        .post(&admin, &rig.page_path(), &sender_form(&csrf_of(&home), "25", ""))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Custom SMTP is not enabled"), "{html}");
    // (The API refuses to list them with the feature off too: count the rows.)
    assert_eq!(
        rig.app.count_rows("smtp_senders").await,
        0,
        "the refused form stored a sender"
    );
}

#[tokio::test]
async fn an_admin_adds_tests_edits_and_deletes_a_sender_without_a_secret_in_any_page() {
    let rig = SendersPage::start(false, true).await;
    let admin = rig.signed_in(ADMIN).await;
    let path = rig.page_path();
    let (status, html) = rig.get(&admin, &path).await;
    assert_eq!(status, StatusCode::OK);
    for field in [
        "fromEmail",
        "fromName",
        "provider",
        "smtpHost",
        "smtpPort",
        "smtpSecure",
        "smtpUser",
        "smtpPassword",
        "apiKey",
        "ipPool",
        "isDefault",
        "teamIds",
    ] {
        assert!(html.contains(&format!("name=\"{field}\"")), "the add form has {field}");
    }
    assert!(html.contains("type=\"password\" id=\"smtpPassword\""), "{html}");
    assert!(html.contains("type=\"password\" id=\"apiKey\""), "{html}");
    assert!(
        html.contains(">Sales</label>") || html.contains("> Sales"),
        "team checkbox: {html}"
    );
    let csrf = csrf_of(&html);
    let mut pages = vec![html];

    // The unsaved settings first: connects and signs in, nothing saved.
    let port = rig.smtp.port().to_string();
    let team = rig.team.to_string();
    let form = sender_form(&csrf, &port, &team);
    let (status, _, html) = rig.post(&admin, &format!("{path}/test-connection"), &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"test-outcome\">success<"), "{html}");
    assert!(html.contains("Connected and authenticated"), "{html}");
    assert!(html.contains("value=\"bookings@acme.example\""), "inputs kept: {html}");
    assert!(rig.api_senders().await.is_empty(), "a test saves nothing");
    pages.push(html);

    // Save.
    let (status, location, _) = rig.post(&admin, &path, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with(&format!("{path}?notice=created")), "{location}");
    let senders = rig.api_senders().await;
    let [sender] = senders.as_slice() else {
        panic!("one sender: {senders:?}")
    };
    let id = sender["id"].as_i64().expect("id");
    assert_eq!(sender["fromEmail"], "bookings@acme.example");
    assert_eq!(sender["smtpPort"], rig.smtp.port());
    assert_eq!(sender["smtpSecure"], false);
    assert_eq!(sender["isDefault"], true);
    assert_eq!(sender["teamIds"], json!([rig.team]));
    assert_eq!(sender["hasSmtpCredentials"], true);
    let (status, html) = rig.get(&admin, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"notice\""), "{html}");
    assert!(html.contains(&format!("id=\"default-{id}\"")), "default marker: {html}");
    assert!(
        html.contains(&format!("id=\"status-{id}\" data-status=\"UNTESTED\">Not tested yet<")),
        "{html}"
    );
    assert!(html.contains(&format!("id=\"teams-{id}\">Sales<")), "{html}");
    // A team has one sender: in the add form it is taken, to be unticked on this sender first.
    assert!(
        html.contains(&format!(
            "id=\"team-{team}\" name=\"teamIds\" value=\"{team}\" disabled>"
        )),
        "{html}"
    );
    pages.push(html);

    // Test connection: the page shows the answer and the health changes.
    let (status, _, html) = rig
        .post(&admin, &format!("{path}/{id}/test-connection"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"test-outcome\">success<"), "{html}");
    assert!(html.contains("id=\"test-stage\">AUTH<"), "{html}");
    assert!(
        html.contains(&format!("id=\"status-{id}\" data-status=\"OK\">OK<")),
        "health updated: {html}"
    );
    pages.push(html);

    // Send test email: the reply is on the page and the message arrived.
    let (status, _, html) = rig
        .post(
            &admin,
            &format!("{path}/{id}/test-email"),
            &[("csrf", &csrf), ("toEmail", "check@example.test")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"test-outcome\">success<"), "{html}");
    assert!(html.contains("Accepted: "), "the server's reply: {html}");
    let received = rig.smtp.wait_for_messages(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, vec!["check@example.test".to_owned()]);
    assert_eq!(received[0].auth_user.as_deref(), Some(SMTP_USER));
    pages.push(html);

    // Edit with the secrets left blank: they are kept (the test still signs in).
    let edit = [
        ("csrf", csrf.as_str()),
        ("fromEmail", "bookings@acme.example"),
        ("fromName", "Acme Reservations"),
        ("provider", "SMTP"),
        ("smtpHost", "127.0.0.1"),
        ("smtpPort", port.as_str()),
        ("smtpUser", ""),
        ("smtpPassword", ""),
        ("apiKey", ""),
        ("ipPool", ""),
    ];
    let (status, location, html) = rig.post(&admin, &format!("{path}/{id}"), &edit).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert!(location.contains("notice=updated"), "{location}");
    let sender = &rig.api_senders().await[0];
    assert_eq!(sender["fromName"], "Acme Reservations");
    assert_eq!(sender["hasSmtpCredentials"], true, "blank secrets are kept");
    assert_eq!(sender["teamIds"], json!([]), "no team ticked");
    assert_eq!(sender["isDefault"], true, "still the default");
    let (_, _, html) = rig
        .post(&admin, &format!("{path}/{id}/test-connection"), &[("csrf", &csrf)])
        .await;
    assert!(html.contains("Connected and authenticated"), "{html}");
    pages.push(html);

    // A second sender, then make it the default.
    let second = [
        ("csrf", csrf.as_str()),
        ("fromEmail", "news@acme.example"),
        ("fromName", "Acme News"),
        ("provider", "SENDGRID"),
        ("apiKey", API_KEY),
    ];
    let (status, _, html) = rig.post(&admin, &path, &second).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let second_id = rig
        .api_senders()
        .await
        .iter()
        .find(|s| s["fromEmail"] == "news@acme.example")
        .expect("the second sender")["id"]
        .as_i64()
        .expect("id");
    let (status, location, _) = rig
        .post(&admin, &format!("{path}/{second_id}/default"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = rig.get(&admin, &location).await;
    assert!(html.contains(&format!("id=\"default-{second_id}\"")), "{html}");
    assert!(!html.contains(&format!("id=\"default-{id}\"")), "{html}");
    pages.push(html);

    // Delete: a confirmation page first, then the POST.
    let (status, html) = rig.get(&admin, &format!("{path}/{id}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"confirm-delete\""), "{html}");
    assert_eq!(rig.api_senders().await.len(), 2, "asking deletes nothing");
    pages.push(html);
    let (status, location, _) = rig
        .post(&admin, &format!("{path}/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.contains("notice=deleted"), "{location}");
    let left = rig.api_senders().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], second_id);
    let (_, html) = rig.get(&admin, &path).await;
    pages.push(html);

    for html in &pages {
        assert_no_secrets(html);
    }
}

#[tokio::test]
async fn forms_without_the_sessions_token_or_from_another_site_are_refused() {
    let rig = SendersPage::start(false, true).await;
    let admin = rig.signed_in(ADMIN).await;
    let path = rig.page_path();
    let (_, html) = rig.get(&admin, &path).await;
    let csrf = csrf_of(&html);
    let port = rig.smtp.port().to_string();

    for token in ["", "forged", &"0".repeat(csrf.len())] {
        let (status, _, html) = rig.post(&admin, &path, &sender_form(token, &port, "")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "token {token:?}");
        assert!(html.contains("Session expired"), "{html}");
    }
    let cross_site = admin
        .post(rig.url(&path))
        .header("origin", "https://evil.example")
        .form(&sender_form(&csrf, &port, ""))
        .send()
        .await
        .expect("send");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert!(rig.api_senders().await.is_empty(), "nothing created");

    // Another signed-in user's token is not this session's.
    let other = rig.signed_in("owner@acme.test").await;
    let (_, other_html) = rig.get(&other, &path).await;
    let other_csrf = csrf_of(&other_html);
    assert_ne!(other_csrf, csrf);
    let (status, _, _) = rig.post(&admin, &path, &sender_form(&other_csrf, &port, "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // With the right token it works; then every action on it needs the token too.
    let (status, _, _) = rig.post(&admin, &path, &sender_form(&csrf, &port, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = rig.api_senders().await[0]["id"].as_i64().expect("id");
    for action in ["", "/test-connection", "/test-email", "/default", "/delete"] {
        let (status, _, _) = rig
            .post(
                &admin,
                &format!("{path}/{id}{action}"),
                &[
                    ("csrf", "forged"),
                    ("toEmail", "x@example.test"),
                    ("fromName", "Changed"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}");
    }
    let (status, _, _) = rig
        .post(
            &admin,
            &format!("{path}/test-connection"),
            &sender_form("forged", &port, ""),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let senders = rig.api_senders().await;
    assert_eq!(senders.len(), 1, "not deleted");
    assert_eq!(senders[0]["fromName"], "Acme Bookings", "not changed");
    assert!(rig.smtp.messages().is_empty(), "no test email sent");
}

#[tokio::test]
async fn validation_errors_name_the_field_and_keep_what_was_typed_but_no_secret() {
    let rig = SendersPage::start(false, true).await;
    let admin = rig.signed_in(ADMIN).await;
    let path = rig.page_path();
    let (_, html) = rig.get(&admin, &path).await;
    let csrf = csrf_of(&html);

    // (field, what was typed, another field and its value, the refusal's words beside the field)
    let cases: [(&str, &str, &str, &str, &str); 4] = [
        (
            "fromEmail",
            "not an email",
            "smtpHost",
            "127.0.0.1",
            "Enter an email address.",
        ),
        ("smtpPort", "abc", "smtpHost", "127.0.0.1", "Enter a whole number."),
        (
            "smtpHost",
            "10.0.0.1",
            "smtpPort",
            "25",
            "This host is not on the public internet; a sender needs a public server.",
        ),
        (
            "fromName",
            "Line\u{7}break",
            "smtpHost",
            "127.0.0.1",
            "Line breaks and control characters are not allowed here.",
        ),
    ];
    for (field, bad, other, other_value, said) in cases {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("fromEmail", "bookings@acme.example"),
            ("fromName", "Acme Bookings"),
            ("provider", "SMTP"),
            ("smtpPort", "25"),
            ("smtpUser", SMTP_USER),
            ("smtpPassword", SMTP_PASSWORD),
            ("ipPool", ""),
        ];
        form.retain(|(k, _)| *k != field && *k != other);
        form.push((field, bad));
        form.push((other, other_value));
        let (status, _, html) = rig.post(&admin, &path, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {html}");
        assert!(
            html.contains(&format!("id=\"{field}-error\">{said}<")),
            "{field}'s message under the field: {html}"
        );
        assert!(html.contains("id=\"error\""), "banner: {html}");
        if field != "fromEmail" {
            assert!(html.contains("value=\"bookings@acme.example\""), "inputs kept: {html}");
        }
        assert_no_secrets(&html);
    }
    // The address policy's refusal (the API answers its English sentence, the page the catalogue's).
    let form = [
        ("csrf", csrf.as_str()),
        ("fromEmail", "bookings@acme.example"),
        ("fromName", "Acme Bookings"),
        ("smtpHost", "169.254.169.254"),
    ];
    let (_, _, html) = rig.post(&admin, &path, &form).await;
    assert!(
        html.contains("id=\"smtpHost-error\">This host is not on the public internet"),
        "{html}"
    );
    assert!(html.contains("value=\"169.254.169.254\""), "{html}");
    assert!(rig.api_senders().await.is_empty());

    // An edit form's error shows on that sender's form, unfolded.
    let port = rig.smtp.port().to_string();
    let (status, _, _) = rig.post(&admin, &path, &sender_form(&csrf, &port, "")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = rig.api_senders().await[0]["id"].as_i64().expect("id");
    let edit = [
        ("csrf", csrf.as_str()),
        ("fromEmail", "bookings@acme.example"),
        ("fromName", "Acme Bookings"),
        ("provider", "SMTP"),
        ("smtpHost", "127.0.0.1"),
        ("smtpPort", "70000"),
        ("smtpPassword", SMTP_PASSWORD),
    ];
    let (status, _, html) = rig.post(&admin, &format!("{path}/{id}"), &edit).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains(&format!("id=\"s{id}-smtpPort-error\">Enter a number from 1 to 65535.<")),
        "{html}"
    );
    assert!(html.contains(&format!("<details id=\"edit-{id}\" open>")), "{html}");
    assert!(html.contains("value=\"70000\""), "{html}");
    assert_no_secrets(&html);
    // Test email to a bad address: the field's message.
    let (status, _, html) = rig
        .post(
            &admin,
            &format!("{path}/{id}/test-email"),
            &[("csrf", &csrf), ("toEmail", "nobody")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("toEmail"), "{html}");
}

#[tokio::test]
async fn the_delivery_log_lists_the_organizations_emails_with_a_page_for_each() {
    let rig = SendersPage::start(false, true).await;
    let admin = rig.signed_in(ADMIN).await;
    let email = |org: i64, to: &str| NewEmail {
        message_id: format!("<{to}@log.convene.test>"),
        organization_id: Some(TeamId(org)),
        to_email: to.to_owned(),
        subject: "Booked".to_owned(),
        body_text: "secret body text".to_owned(),
        body_html: "<p>secret body text</p>".to_owned(),
        ..NewEmail::of(EmailKind::BookingScheduledAttendee)
    };
    let ours = outbox::enqueue(
        &rig.app.db,
        &email(rig.org, "guest@example.test"),
        jiff::Timestamp::now(),
    )
    .await
    .expect("enqueue");
    let theirs = outbox::enqueue(
        &rig.app.db,
        &email(rig.other_org, "other@example.test"),
        jiff::Timestamp::now(),
    )
    .await
    .expect("enqueue");
    let (status, html) = rig.get(&admin, &rig.page_path()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"delivery-{ours}\"")), "{html}");
    assert!(html.contains("guest@example.test"), "{html}");
    assert!(
        !html.contains("other@example.test"),
        "another organization's email: {html}"
    );
    let detail = format!("/settings/organizations/{}/email-deliveries/{ours}", rig.org);
    assert!(html.contains(&format!("href=\"{detail}\"")), "{html}");
    let (status, html) = rig.get(&admin, &detail).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("booking_scheduled_attendee") && html.contains("guest@example.test"),
        "{html}"
    );
    assert!(!html.contains("secret body text"), "never the body: {html}");
    let (status, _) = rig
        .get(
            &admin,
            &format!("/settings/organizations/{}/email-deliveries/{theirs}", rig.org),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
