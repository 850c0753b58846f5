//! The organization senders API, `/v2/organizations/{orgId}/smtp-configurations`: who may use it (OWNER and ADMIN
//! of an organization with the `custom-smtp` feature, and instance admins), what a sender looks like, the address
//! rules for its host, the refusal of control characters, the test buttons against a fake SMTP server, and what
//! happens to the secrets: sealed at rest, never in a response or a log line, bound to their row and field.
//!
//! Every request of this file goes through [`Rig::call`], which fails the test when a response (headers or body)
//! carries any of the plaintext secrets used here. Servers that save senders pointing at the fake SMTP servers
//! (127.0.0.1) allow the loopback networks; the address matrix runs with the default policy (public only).

use crate::helpers::{Answer, Person, TestApp};
use convene_core::{EmailAddress, HeaderText, Role};
use convene_server::ServerSettings;
use convene_server::email::host_guard::HostPolicy;
use convene_server::email::smtp::TlsTrust;
use convene_server::email::worker::process_due;
use convene_server::email::{EmailSettings, Security, SmtpServer, SmtpTimeouts, TransportConfig};
use convene_store::smtp_senders::{self, Secret, SenderFields, SenderRecord};
use convene_store::{Db, now_ms};
use convene_testkit::{Behavior, FakeSmtp, FakeSmtpConfig, Greeting, TestCa, TlsMode};
use mail_parser::MessageParser;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USER: &str = "mailer-Login-7Qx";
const PASSWORD: &str = "Sup3r-Secret-Pa55";
const API_KEY: &str = "SG.live-key-123";
const OTHER_PASSWORD: &str = "Other-S3cret-Pa66";
const WRONG_PASSWORD: &str = "Wr0ng-S3cret-Pa77";
const OTHER_API_KEY: &str = "SG.other-key-456";
/// Every plaintext secret this file ever sends: none may appear in any response or log line.
const SECRETS: [&str; 6] = [USER, PASSWORD, API_KEY, OTHER_PASSWORD, WRONG_PASSWORD, OTHER_API_KEY];

const FROM_EMAIL: &str = "bookings@acme.example";
const FROM_NAME: &str = "Acme Bookings";
const NOT_PUBLIC: &str = "SMTP host must be a public address";

/// Exactly the fields of a sender in a response.
const SENDER_FIELDS: [&str; 16] = [
    "createdAt",
    "fromEmail",
    "fromName",
    "hasApiKey",
    "hasSmtpCredentials",
    "health",
    "id",
    "ipPool",
    "isDefault",
    "organizationId",
    "provider",
    "smtpHost",
    "smtpPort",
    "smtpSecure",
    "teamIds",
    "updatedAt",
];
const HEALTH_FIELDS: [&str; 5] = ["lastError", "lastFailureAt", "lastSuccessAt", "lastTestedAt", "status"];

/// Which addresses the server lets senders use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hosts {
    /// 127.0.0.0/8 and ::1 allowed (where the fake servers listen).
    Loopback,
    /// The default: public addresses only.
    PublicOnly,
}

/// A server (platform transport: a plain fake SMTP server), organization "acme" with an owner, an admin, a member
/// and a team; organization "globex" with its owner and an admin; and a user of neither.
struct Rig {
    app: TestApp,
    ca: TestCa,
    platform: FakeSmtp,
    org: i64,
    owner: Person,
    admin: Person,
    member: Person,
    team: i64,
    other_org: i64,
    other_owner: Person,
    other_admin: Person,
    outsider: Person,
}

impl Rig {
    /// With the `custom-smtp` feature on for both organizations when `feature`.
    async fn start(hosts: Hosts, feature: bool, tweak: impl FnOnce(&mut EmailSettings)) -> Rig {
        let ca = TestCa::new();
        let platform = FakeSmtp::start(FakeSmtpConfig::default()).await;
        let allowed_private = match hosts {
            Hosts::Loopback => vec![
                "127.0.0.0/8".parse().expect("a network"),
                "::1/128".parse().expect("a network"),
            ],
            Hosts::PublicOnly => Vec::new(),
        };
        let mut email = EmailSettings {
            transport: TransportConfig::Smtp(SmtpServer {
                host: "127.0.0.1".to_owned(),
                port: platform.port(),
                security: Security::Plain,
                credentials: None,
            }),
            from_email: EmailAddress::parse("from_email", "notifications@convene.test").expect("a valid From"),
            from_name: HeaderText::parse("from_name", "Convene").expect("a valid From name"),
            hello_name: "convene.test".to_owned(),
            trust: TlsTrust::new(Some(ca.ca_pem().as_bytes())).expect("the test CA is usable"),
            timeouts: SmtpTimeouts {
                connect: Duration::from_secs(2),
                greeting: Duration::from_secs(2),
                command: Duration::from_secs(2),
                data: Duration::from_secs(2),
            },
            test_timeout: Duration::from_secs(8),
            host_policy: Arc::new(HostPolicy { allowed_private }),
            ..EmailSettings::default()
        };
        tweak(&mut email);
        let app = TestApp::spawn_with(ServerSettings {
            secure_cookies: false,
            rate_limit_per_minute: NonZeroU32::new(1_000_000).expect("non-zero"),
            email,
            ..ServerSettings::default()
        })
        .await;
        let (org, owner) = app.organization("acme").await;
        let admin = app.member(org, "admin@acme.test", Role::Admin).await;
        let member = app.member(org, "member@acme.test", Role::Member).await;
        let (other_org, other_owner) = app.organization("globex").await;
        let other_admin = app.member(other_org, "admin@globex.test", Role::Admin).await;
        let outsider = app.user("nobody@example.test").await;
        let mut rig = Rig {
            app,
            ca,
            platform,
            org,
            owner,
            admin,
            member,
            team: 0,
            other_org,
            other_owner,
            other_admin,
            outsider,
        };
        rig.team = rig.new_team(org, "Sales").await;
        if feature {
            rig.set_feature(org, true).await;
            rig.set_feature(other_org, true).await;
        }
        rig
    }

    /// A request whose response must not carry any plaintext secret (headers or body, as sent on the wire).
    async fn call(&self, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> Answer {
        let mut request = self
            .app
            .client
            .request(method.clone(), format!("{}{path}", self.app.address));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a response body");
        assert_no_secret(
            &format!("{headers:?}\n{text}"),
            &format!("the response to {method} {path}"),
        );
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    async fn post(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }

    async fn patch(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(key), Some(body)).await
    }

    async fn get(&self, path: &str, key: &str) -> Answer {
        self.call(Method::GET, path, Some(key), None).await
    }

    async fn delete(&self, path: &str, key: &str) -> Answer {
        self.call(Method::DELETE, path, Some(key), None).await
    }

    async fn set_feature(&self, org: i64, on: bool) {
        self.call(
            Method::PUT,
            &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
            Some(&self.app.admin_key),
            Some(json!({ "enabled": on })),
        )
        .await
        .expect_success(StatusCode::OK);
    }

    async fn new_team(&self, org: i64, name: &str) -> i64 {
        let owner = if org == self.org {
            &self.owner
        } else {
            &self.other_owner
        };
        self.post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": name }),
        )
        .await
        .expect_success(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("team id")
    }

    fn base(&self) -> String {
        senders_of(self.org)
    }

    fn one(&self, id: i64) -> String {
        format!("{}/{id}", self.base())
    }

    /// Creates a sender as the owner and returns it.
    async fn create(&self, body: Value) -> Value {
        let created = self.post(&self.base(), &self.owner.key, body).await;
        let sender = created.expect_success(StatusCode::CREATED).clone();
        assert_shape(&sender);
        sender
    }

    async fn create_id(&self, body: Value) -> i64 {
        self.create(body).await["id"].as_i64().expect("sender id")
    }

    async fn sender(&self, id: i64) -> Value {
        let sender = self
            .get(&self.one(id), &self.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .clone();
        assert_shape(&sender);
        sender
    }

    async fn list(&self) -> Vec<Value> {
        let list = self.get(&self.base(), &self.owner.key).await;
        let senders = list
            .expect_success(StatusCode::OK)
            .as_array()
            .expect("an array")
            .clone();
        senders.iter().for_each(assert_shape);
        senders
    }

    /// The stored row of a sender of "acme".
    async fn record(&self, id: i64) -> SenderRecord {
        smtp_senders::find(&self.app.db, self.org, id)
            .await
            .expect("read the sender")
            .expect("the sender exists")
    }

    async fn test_saved(&self, id: i64) -> Value {
        self.call(
            Method::POST,
            &format!("{}/test-connection", self.one(id)),
            Some(&self.owner.key),
            None,
        )
        .await
        .expect_success(StatusCode::OK)
        .clone()
    }

    async fn test_unsaved(&self, body: Value) -> Value {
        self.post(&format!("{}/test-connection", self.base()), &self.owner.key, body)
            .await
            .expect_success(StatusCode::OK)
            .clone()
    }

    async fn test_email(&self, id: i64, to: &str) -> Value {
        self.post(
            &format!("{}/test-email", self.one(id)),
            &self.owner.key,
            json!({ "toEmail": to }),
        )
        .await
        .expect_success(StatusCode::OK)
        .clone()
    }
}

fn senders_of(org: i64) -> String {
    format!("/v2/organizations/{org}/smtp-configurations")
}

fn assert_no_secret(text: &str, what: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} carries the secret {secret:?}: {text}");
    }
}

/// Exactly the documented fields, health included; never a username, password or API key.
fn assert_shape(sender: &Value) {
    let keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(sender), SENDER_FIELDS, "sender fields: {sender}");
    assert_eq!(keys(&sender["health"]), HEALTH_FIELDS, "health fields: {sender}");
    for key in ["smtpUser", "smtpPassword", "apiKey", "password", "username"] {
        assert!(sender.get(key).is_none(), "{key} in {sender}");
    }
    assert!(
        sender["createdAt"].as_str().is_some_and(|t| t.contains('T')),
        "{sender}"
    );
    assert!(
        sender["updatedAt"].as_str().is_some_and(|t| t.contains('T')),
        "{sender}"
    );
}

/// An SMTP sender on 127.0.0.1:`port` with STARTTLS (the fake servers' usual setup) and credentials.
fn smtp_body(port: u16) -> Value {
    json!({
        "fromEmail": FROM_EMAIL,
        "fromName": FROM_NAME,
        "smtpHost": "127.0.0.1",
        "smtpPort": port,
        "smtpSecure": false,
        "smtpUser": USER,
        "smtpPassword": PASSWORD,
    })
}

fn with(mut body: Value, extra: Value) -> Value {
    let target = body.as_object_mut().expect("an object body");
    for (k, v) in extra.as_object().expect("an object").clone() {
        match k.strip_prefix('-') {
            Some(removed) => {
                target.remove(removed);
            }
            None => {
                target.insert(k, v);
            }
        }
    }
    body
}

/// A fake SMTP server with STARTTLS (certificate for 127.0.0.1 from the trusted CA) requiring USER/PASSWORD.
async fn starttls_server(ca: &TestCa) -> FakeSmtp {
    FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&["localhost", "127.0.0.1"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

fn defaults(senders: &[Value]) -> Vec<i64> {
    senders
        .iter()
        .filter(|s| s["isDefault"] == true)
        .map(|s| s["id"].as_i64().expect("id"))
        .collect()
}

fn ids(senders: &[Value]) -> Vec<i64> {
    let mut ids: Vec<i64> = senders.iter().map(|s| s["id"].as_i64().expect("id")).collect();
    ids.sort_unstable();
    ids
}

/// Every route, as (name, method, path, body), with `id` for the routes of one sender.
fn routes(base: &str, id: i64, create: &Value) -> Vec<(&'static str, Method, String, Option<Value>)> {
    vec![
        ("list", Method::GET, base.to_owned(), None),
        ("create", Method::POST, base.to_owned(), Some(create.clone())),
        ("get", Method::GET, format!("{base}/{id}"), None),
        (
            "patch",
            Method::PATCH,
            format!("{base}/{id}"),
            Some(json!({ "fromName": "Renamed", "smtpPassword": OTHER_PASSWORD })),
        ),
        ("delete", Method::DELETE, format!("{base}/{id}"), None),
        (
            "test unsaved",
            Method::POST,
            format!("{base}/test-connection"),
            Some(create.clone()),
        ),
        ("test saved", Method::POST, format!("{base}/{id}/test-connection"), None),
        (
            "test email",
            Method::POST,
            format!("{base}/{id}/test-email"),
            Some(json!({ "toEmail": "check@example.com" })),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------------------------
// Access
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn members_other_organizations_and_strangers_can_neither_read_nor_change_a_sender() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let body = smtp_body(smtp.port());
    let id = rig.create_id(body.clone()).await;
    let before = rig.record(id).await;
    let globex = senders_of(rig.other_org);

    let forbidden = [
        ("MEMBER", &rig.member.key),
        ("another organization's ADMIN", &rig.other_admin.key),
        ("a user of no organization", &rig.outsider.key),
    ];
    for (route, method, path, request) in routes(&rig.base(), id, &body) {
        for (who, key) in forbidden {
            let answer = rig.call(method.clone(), &path, Some(key), request.clone()).await;
            answer.expect_error(StatusCode::FORBIDDEN);
            assert!(answer.body.get("data").is_none(), "{who} on {route}: {}", answer.body);
        }
        for key in [None, Some("cal_live_not-a-real-key")] {
            let answer = rig.call(method.clone(), &path, key, request.clone()).await;
            answer.expect_error(StatusCode::UNAUTHORIZED);
            assert!(
                answer.body.get("data").is_none(),
                "{route} with {key:?}: {}",
                answer.body
            );
        }
    }
    // Through its own organization's path, another organization's admin finds no such sender.
    for (route, method, path, request) in routes(&globex, id, &body) {
        if matches!(route, "list" | "create" | "test unsaved") {
            continue;
        }
        let answer = rig.call(method, &path, Some(&rig.other_admin.key), request).await;
        answer.expect_error(StatusCode::NOT_FOUND);
        assert!(answer.body.get("data").is_none(), "{route}: {}", answer.body);
    }
    let theirs = rig.get(&globex, &rig.other_admin.key).await;
    assert_eq!(theirs.expect_success(StatusCode::OK), &json!([]));
    // And the other way round: acme's owner can't reach globex's sender through acme's path.
    let created = rig.post(&globex, &rig.other_admin.key, body.clone()).await;
    let foreign = created.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    let foreign_before = smtp_senders::find(&rig.app.db, rig.other_org, foreign)
        .await
        .expect("read");
    for (route, method, path, request) in routes(&rig.base(), foreign, &body) {
        if matches!(route, "list" | "create" | "test unsaved") {
            continue;
        }
        let answer = rig.call(method, &path, Some(&rig.owner.key), request).await;
        answer.expect_error(StatusCode::NOT_FOUND);
        assert!(answer.body.get("data").is_none(), "{route}: {}", answer.body);
    }
    let foreign_after = smtp_senders::find(&rig.app.db, rig.other_org, foreign)
        .await
        .expect("read");
    assert_eq!(
        foreign_after.map(|r| (r.from_name, r.smtp_password_sealed, r.version)),
        foreign_before.map(|r| (r.from_name, r.smtp_password_sealed, r.version))
    );

    // Nothing changed, nothing was tested, nothing was sent.
    let after = rig.record(id).await;
    assert_eq!(
        (
            &after.from_name,
            &after.smtp_password_sealed,
            after.version,
            &after.health_status
        ),
        (
            &before.from_name,
            &before.smtp_password_sealed,
            before.version,
            &before.health_status
        )
    );
    assert_eq!(rig.list().await.len(), 1);
    assert_eq!(smtp.connections(), 0, "a refused caller made the server connect");
    assert_eq!(rig.platform.connections(), 0);
}

#[tokio::test]
async fn owners_admins_and_instance_admins_can_use_every_route() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let body = smtp_body(smtp.port());
    let first = rig.create_id(body.clone()).await;
    let callers = [
        ("OWNER", rig.owner.key.clone()),
        ("ADMIN", rig.admin.key.clone()),
        ("instance admin", rig.app.admin_key.clone()),
    ];
    let mut sent = 0;
    for (who, key) in &callers {
        let created = rig.post(&rig.base(), key, body.clone()).await;
        let id = created.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
        assert_eq!(created.data()["isDefault"], false, "{who}");
        let listed = rig.get(&rig.base(), key).await;
        assert!(
            ids(listed.expect_success(StatusCode::OK).as_array().expect("array")).contains(&id),
            "{who}"
        );
        assert_eq!(
            rig.get(&rig.one(id), key).await.expect_success(StatusCode::OK)["id"],
            id
        );
        let renamed = rig
            .patch(&rig.one(id), key, json!({ "fromName": format!("Renamed by {who}") }))
            .await;
        assert_eq!(
            renamed.expect_success(StatusCode::OK)["fromName"],
            format!("Renamed by {who}")
        );
        let unsaved = rig
            .post(&format!("{}/test-connection", rig.base()), key, body.clone())
            .await;
        assert_eq!(
            unsaved.expect_success(StatusCode::OK)["success"],
            true,
            "{who}: {}",
            unsaved.body
        );
        let saved = rig
            .call(
                Method::POST,
                &format!("{}/test-connection", rig.one(id)),
                Some(key),
                None,
            )
            .await;
        assert_eq!(
            saved.expect_success(StatusCode::OK)["success"],
            true,
            "{who}: {}",
            saved.body
        );
        let email = rig
            .post(
                &format!("{}/test-email", rig.one(id)),
                key,
                json!({ "toEmail": "check@example.com" }),
            )
            .await;
        assert_eq!(
            email.expect_success(StatusCode::OK)["success"],
            true,
            "{who}: {}",
            email.body
        );
        sent += 1;
        let deleted = rig.delete(&rig.one(id), key).await;
        assert_eq!(deleted.expect_success(StatusCode::OK)["id"], id);
        rig.get(&rig.one(id), key).await.expect_error(StatusCode::NOT_FOUND);
    }
    assert_eq!(smtp.wait_for_messages(sent, Duration::from_secs(5)).await.len(), sent);
    assert_eq!(ids(&rig.list().await), [first]);
}

#[tokio::test]
async fn without_the_custom_smtp_feature_every_route_is_403_and_says_so() {
    let rig = Rig::start(Hosts::Loopback, false, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let body = smtp_body(smtp.port());
    let check_off = |answer: Answer, who: &str, route: &str| {
        let message = answer.expect_error(StatusCode::FORBIDDEN);
        assert!(message.contains("custom-smtp"), "{who} on {route}: {message}");
        assert!(answer.body.get("data").is_none(), "{}", answer.body);
    };
    for (route, method, path, request) in routes(&rig.base(), 1, &body) {
        for (who, key) in [
            ("OWNER", &rig.owner.key),
            ("ADMIN", &rig.admin.key),
            ("instance admin", &rig.app.admin_key),
        ] {
            check_off(
                rig.call(method.clone(), &path, Some(key), request.clone()).await,
                who,
                route,
            );
        }
    }
    assert_eq!(smtp.connections(), 0);

    // An instance admin turns it on: it works.
    rig.set_feature(rig.org, true).await;
    let id = rig.create_id(body.clone()).await;
    assert_eq!(ids(&rig.list().await), [id]);
    // Off again: 403 again, even for reading, and the sender stays stored.
    rig.set_feature(rig.org, false).await;
    for (route, method, path, request) in routes(&rig.base(), id, &body) {
        check_off(
            rig.call(method, &path, Some(&rig.admin.key), request).await,
            "ADMIN",
            route,
        );
    }
    rig.set_feature(rig.org, true).await;
    assert_eq!(ids(&rig.list().await), [id]);
    // The flag of one organization says nothing about another's.
    let answer = rig.get(&senders_of(rig.other_org), &rig.other_owner.key).await;
    check_off(answer, "globex OWNER", "list");
}

#[tokio::test]
async fn the_instance_setting_turns_custom_smtp_on_for_every_organization() {
    let rig = Rig::start(Hosts::Loopback, false, |e| e.custom_smtp_for_all = true).await;
    let id = rig.create_id(smtp_body(closed_port())).await;
    assert_eq!(ids(&rig.list().await), [id]);
    let theirs = rig.get(&senders_of(rig.other_org), &rig.other_admin.key).await;
    assert_eq!(theirs.expect_success(StatusCode::OK), &json!([]));
    // The role rules still hold.
    rig.get(&rig.base(), &rig.member.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------------------------
// What a sender is
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_sender_has_exactly_the_documented_fields_and_defaults() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let minimal = json!({ "fromEmail": "Bookings@Acme.Example", "fromName": "Acme", "smtpHost": "127.0.0.1" });
    let sender = rig.create(minimal.clone()).await;
    assert_eq!(
        sender,
        json!({
            "id": sender["id"],
            "organizationId": rig.org,
            "fromEmail": "bookings@acme.example",
            "fromName": "Acme",
            "smtpHost": "127.0.0.1",
            "smtpPort": 465,
            "smtpSecure": true,
            "provider": "SMTP",
            "ipPool": null,
            "isDefault": true,
            "teamIds": [],
            "hasSmtpCredentials": false,
            "hasApiKey": false,
            "health": {
                "status": "UNTESTED",
                "lastError": null,
                "lastSuccessAt": null,
                "lastFailureAt": null,
                "lastTestedAt": null,
            },
            "createdAt": sender["createdAt"],
            "updatedAt": sender["updatedAt"],
        })
    );
    assert_eq!(rig.sender(sender["id"].as_i64().expect("id")).await, sender);

    let starttls = rig.create(with(minimal.clone(), json!({ "smtpSecure": false }))).await;
    assert_eq!(
        (&starttls["smtpSecure"], &starttls["smtpPort"]),
        (&json!(false), &json!(587))
    );
    let explicit = rig.create(with(minimal.clone(), json!({ "smtpPort": 2525 }))).await;
    assert_eq!(
        (&explicit["smtpSecure"], &explicit["smtpPort"]),
        (&json!(true), &json!(2525))
    );
    let user_only = rig.create(with(minimal.clone(), json!({ "smtpUser": USER }))).await;
    assert_eq!(
        (&user_only["hasSmtpCredentials"], &user_only["hasApiKey"]),
        (&json!(true), &json!(false))
    );

    let sendgrid = rig
        .create(json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SENDGRID", "apiKey": API_KEY }))
        .await;
    assert_eq!(
        (
            &sendgrid["provider"],
            &sendgrid["smtpHost"],
            &sendgrid["smtpPort"],
            &sendgrid["hasApiKey"],
            &sendgrid["hasSmtpCredentials"]
        ),
        (
            &json!("SENDGRID"),
            &Value::Null,
            &Value::Null,
            &json!(true),
            &json!(false)
        )
    );
    let sparkpost = rig
        .create(
            json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SPARKPOST",
            "apiKey": OTHER_API_KEY, "ipPool": "transactional", "smtpUser": "SMTP_Injection",
            "smtpPassword": OTHER_PASSWORD, "smtpHost": "127.0.0.1", "smtpPort": 587, "smtpSecure": false }),
        )
        .await;
    assert_eq!(
        (
            &sparkpost["ipPool"],
            &sparkpost["hasApiKey"],
            &sparkpost["hasSmtpCredentials"]
        ),
        (&json!("transactional"), &json!(true), &json!(true))
    );
    for sender in rig.list().await {
        assert_eq!(sender["organizationId"], rig.org);
    }
}

#[tokio::test]
async fn the_first_sender_is_the_default_and_there_is_always_exactly_one() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let body = smtp_body(closed_port());
    // Even asked not to be, the first sender is the default.
    let a = rig.create(with(body.clone(), json!({ "isDefault": false }))).await;
    assert_eq!(a["isDefault"], true);
    let a = a["id"].as_i64().expect("id");
    let b = rig.create(body.clone()).await;
    assert_eq!(b["isDefault"], false);
    let b = b["id"].as_i64().expect("id");
    assert_eq!(defaults(&rig.list().await), [a]);
    let c = rig.create(with(body.clone(), json!({ "isDefault": true }))).await;
    assert_eq!(c["isDefault"], true);
    let c = c["id"].as_i64().expect("id");
    assert_eq!(defaults(&rig.list().await), [c]);
    assert_eq!(rig.sender(a).await["isDefault"], false);

    // PATCH isDefault true moves it; false on the default is refused; false elsewhere changes nothing.
    let patched = rig
        .patch(&rig.one(a), &rig.owner.key, json!({ "isDefault": true }))
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["isDefault"], true);
    assert_eq!(defaults(&rig.list().await), [a]);
    rig.patch(&rig.one(a), &rig.owner.key, json!({ "isDefault": false }))
        .await
        .expect_field_error("isDefault");
    assert_eq!(defaults(&rig.list().await), [a]);
    let patched = rig
        .patch(&rig.one(b), &rig.owner.key, json!({ "isDefault": false }))
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["isDefault"], false);
    assert_eq!(defaults(&rig.list().await), [a]);

    // Deleting the default promotes another one.
    let deleted = rig.delete(&rig.one(a), &rig.owner.key).await;
    assert_eq!(deleted.expect_success(StatusCode::OK)["id"], a);
    assert_shape(deleted.data());
    let left = rig.list().await;
    assert_eq!(ids(&left), [b, c]);
    assert_eq!(defaults(&left).len(), 1, "{left:?}");
    // Deleting a non-default keeps the default.
    let default = defaults(&left)[0];
    let other = if default == b { c } else { b };
    rig.delete(&rig.one(other), &rig.owner.key)
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(defaults(&rig.list().await), [default]);
    // The only sender: it can't stop being the default, and deleting it leaves none.
    rig.patch(&rig.one(default), &rig.owner.key, json!({ "isDefault": false }))
        .await
        .expect_field_error("isDefault");
    rig.delete(&rig.one(default), &rig.owner.key)
        .await
        .expect_success(StatusCode::OK);
    assert!(rig.list().await.is_empty());
    rig.delete(&rig.one(default), &rig.owner.key)
        .await
        .expect_error(StatusCode::NOT_FOUND);
    rig.patch(&rig.one(default), &rig.owner.key, json!({ "fromName": "x" }))
        .await
        .expect_error(StatusCode::NOT_FOUND);
    // And the next one is the default again.
    assert_eq!(rig.create(body).await["isDefault"], true);
}

/// Several first senders at once: each create reads "no sender yet" and inserts itself as the default.
#[tokio::test]
async fn concurrent_first_senders_leave_exactly_one_default() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let body = smtp_body(closed_port());
    let base = rig.base();
    let answers = futures::future::join_all((0..10).map(|_| rig.post(&base, &rig.owner.key, body.clone()))).await;
    for answer in &answers {
        assert!(
            !answer.status.is_server_error(),
            "a concurrent create failed: {} {}",
            answer.status,
            answer.body
        );
    }
    let senders = rig.list().await;
    assert_eq!(defaults(&senders).len(), 1, "{senders:?}");
}

#[tokio::test]
async fn patch_changes_only_what_it_is_given_and_keeps_the_secrets() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let created = rig.create(smtp_body(smtp.port())).await;
    let id = created["id"].as_i64().expect("id");
    let sealed = rig.record(id).await;
    assert_eq!(created["hasSmtpCredentials"], true);

    // Nothing given: nothing changes.
    let same = rig.patch(&rig.one(id), &rig.owner.key, json!({})).await;
    let same = same.expect_success(StatusCode::OK).clone();
    assert_shape(&same);
    for field in SENDER_FIELDS.iter().filter(|f| **f != "updatedAt") {
        assert_eq!(same[*field], created[*field], "{field}");
    }

    // One field at a time; the rest, secrets included, stay.
    let changes = [
        json!({ "fromName": "Acme Scheduling" }),
        json!({ "fromEmail": "hello@acme.example" }),
        json!({ "smtpPort": smtp.port() }),
        json!({ "smtpSecure": false }),
        json!({ "teamIds": [rig.team] }),
    ];
    let mut expected = created.clone();
    for change in changes {
        let patched = rig.patch(&rig.one(id), &rig.owner.key, change.clone()).await;
        let patched = patched.expect_success(StatusCode::OK).clone();
        assert_shape(&patched);
        for (k, v) in change.as_object().expect("object") {
            expected[k] = v.clone();
        }
        for field in SENDER_FIELDS.iter().filter(|f| !matches!(**f, "updatedAt" | "health")) {
            assert_eq!(patched[*field], expected[*field], "{field} after {change}");
        }
        assert!(patched["updatedAt"].as_str() >= created["createdAt"].as_str());
        let now = rig.record(id).await;
        assert_eq!(
            (&now.smtp_user_sealed, &now.smtp_password_sealed),
            (&sealed.smtp_user_sealed, &sealed.smtp_password_sealed),
            "the secrets were re-sealed or lost by {change}"
        );
    }
    // The kept credentials still authenticate.
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(true), &json!("AUTH")),
        "{test}"
    );

    // A new password replaces the old one only; a wrong one fails at AUTH; the right one again works.
    let patched = rig
        .patch(&rig.one(id), &rig.owner.key, json!({ "smtpPassword": WRONG_PASSWORD }))
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["hasSmtpCredentials"], true);
    let now = rig.record(id).await;
    assert_eq!(now.smtp_user_sealed, sealed.smtp_user_sealed);
    assert_ne!(now.smtp_password_sealed, sealed.smtp_password_sealed);
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("AUTH")),
        "{test}"
    );
    rig.patch(&rig.one(id), &rig.owner.key, json!({ "smtpPassword": PASSWORD }))
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(rig.test_saved(id).await["success"], true);

    // null clears: the password alone leaves the user (still "has credentials"), then the user too.
    let cleared = rig
        .patch(&rig.one(id), &rig.owner.key, json!({ "smtpPassword": null }))
        .await;
    assert_eq!(cleared.expect_success(StatusCode::OK)["hasSmtpCredentials"], true);
    assert_eq!(rig.record(id).await.smtp_password_sealed, None);
    let cleared = rig
        .patch(&rig.one(id), &rig.owner.key, json!({ "smtpUser": null }))
        .await;
    assert_eq!(cleared.expect_success(StatusCode::OK)["hasSmtpCredentials"], false);
    let now = rig.record(id).await;
    assert_eq!((now.smtp_user_sealed, now.smtp_password_sealed), (None, None));

    // A provider's API key: kept on other changes, cleared by null only when the provider no longer needs it.
    let sg = rig
        .create(json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SENDGRID", "apiKey": API_KEY }))
        .await;
    let sg = sg["id"].as_i64().expect("id");
    let key_sealed = rig.record(sg).await.api_key_sealed;
    let renamed = rig
        .patch(&rig.one(sg), &rig.owner.key, json!({ "fromName": "Renamed" }))
        .await;
    assert_eq!(renamed.expect_success(StatusCode::OK)["hasApiKey"], true);
    assert_eq!(rig.record(sg).await.api_key_sealed, key_sealed);
    rig.patch(&rig.one(sg), &rig.owner.key, json!({ "apiKey": null }))
        .await
        .expect_field_error("apiKey");
    let replaced = rig
        .patch(&rig.one(sg), &rig.owner.key, json!({ "apiKey": OTHER_API_KEY }))
        .await;
    assert_eq!(replaced.expect_success(StatusCode::OK)["hasApiKey"], true);
    assert_ne!(rig.record(sg).await.api_key_sealed, key_sealed);
    assert_eq!(smtp.messages().len(), 0, "a connection test sent an email");
}

#[tokio::test]
async fn team_ids_assign_teams_of_this_organization_only() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let body = smtp_body(closed_port());
    let marketing = rig.new_team(rig.org, "Marketing").await;
    let foreign = rig.new_team(rig.other_org, "Their team").await;
    let a = rig.create(with(body.clone(), json!({ "teamIds": [rig.team] }))).await;
    assert_eq!(a["teamIds"], json!([rig.team]));
    let a = a["id"].as_i64().expect("id");
    assert_eq!(rig.sender(a).await["teamIds"], json!([rig.team]));

    // Another organization's team, the organization itself, or no team at all: 400 naming the entry.
    for (team_ids, field) in [
        (json!([foreign]), "teamIds[0]"),
        (json!([rig.team, foreign]), "teamIds[1]"),
        (json!([rig.other_org]), "teamIds[0]"),
        (json!([rig.org]), "teamIds[0]"),
        (json!([987_654_321]), "teamIds[0]"),
    ] {
        rig.post(
            &rig.base(),
            &rig.owner.key,
            with(body.clone(), json!({ "teamIds": team_ids.clone() })),
        )
        .await
        .expect_field_error(field);
        rig.patch(&rig.one(a), &rig.owner.key, json!({ "teamIds": team_ids }))
            .await
            .expect_field_error(field);
    }
    assert_eq!(rig.list().await.len(), 1);
    assert_eq!(rig.sender(a).await["teamIds"], json!([rig.team]));

    let both = rig
        .patch(&rig.one(a), &rig.owner.key, json!({ "teamIds": [rig.team, marketing] }))
        .await;
    let mut got: Vec<i64> = both.expect_success(StatusCode::OK)["teamIds"]
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t.as_i64().expect("team id"))
        .collect();
    got.sort_unstable();
    let mut want = vec![rig.team, marketing];
    want.sort_unstable();
    assert_eq!(got, want);
    // Leaving teamIds out keeps them; [] removes them.
    let kept = rig
        .patch(&rig.one(a), &rig.owner.key, json!({ "fromName": "Kept" }))
        .await;
    assert_eq!(
        kept.expect_success(StatusCode::OK)["teamIds"].as_array().map(Vec::len),
        Some(2)
    );
    let none = rig.patch(&rig.one(a), &rig.owner.key, json!({ "teamIds": [] })).await;
    assert_eq!(none.expect_success(StatusCode::OK)["teamIds"], json!([]));
}

/// Gives `team_ids` to sender `id` by PATCH (or to a new sender when `id` is None); the answer must not be a 5xx.
async fn assign(rig: &Rig, id: Option<i64>, team_ids: Value) -> Answer {
    let answer = match id {
        Some(id) => {
            rig.patch(&rig.one(id), &rig.owner.key, json!({ "teamIds": team_ids }))
                .await
        }
        None => {
            let body = with(smtp_body(closed_port()), json!({ "teamIds": team_ids }));
            rig.post(&rig.base(), &rig.owner.key, body).await
        }
    };
    assert!(
        !answer.status.is_server_error(),
        "assigning teams {team_ids}: {} {}",
        answer.status,
        answer.body
    );
    answer
}

/// How many of the organization's senders list `team`.
async fn senders_serving(rig: &Rig, team: i64) -> usize {
    rig.list()
        .await
        .iter()
        .filter(|s| s["teamIds"].as_array().is_some_and(|t| t.contains(&json!(team))))
        .count()
}

#[tokio::test]
async fn a_team_already_served_by_another_sender_moves_or_is_refused_cleanly() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let a = rig
        .create_id(with(smtp_body(closed_port()), json!({ "teamIds": [rig.team] })))
        .await;
    let b = rig.create_id(smtp_body(closed_port())).await;
    // A team has at most one sender: giving it to b either moves it (200) or is refused with a 4xx.
    let moved = assign(&rig, Some(b), json!([rig.team])).await;
    let (sa, sb) = (rig.sender(a).await, rig.sender(b).await);
    if moved.status.is_success() {
        assert_eq!((&sa["teamIds"], &sb["teamIds"]), (&json!([]), &json!([rig.team])));
    } else {
        assert_eq!((&sa["teamIds"], &sb["teamIds"]), (&json!([rig.team]), &json!([])));
    }
    // The same when creating a sender for it.
    assign(&rig, None, json!([rig.team])).await;
    assert_eq!(senders_serving(&rig, rig.team).await, 1);
}

#[tokio::test]
async fn a_team_listed_twice_is_assigned_once_or_refused_cleanly() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let a = rig.create_id(smtp_body(closed_port())).await;
    assign(&rig, Some(a), json!([rig.team, rig.team])).await;
    assign(&rig, None, json!([rig.team, rig.team])).await;
    assert!(senders_serving(&rig, rig.team).await <= 1);
}

#[tokio::test]
async fn unknown_fields_bad_providers_ports_and_types_are_400() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let body = smtp_body(closed_port());
    let id = rig.create_id(body.clone()).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "smtpPass": "x" }), "smtpPass"),
        (json!({ "password": "x" }), "password"),
        (json!({ "id": 5 }), "id"),
        (json!({ "organizationId": rig.other_org }), "organizationId"),
        (json!({ "hasSmtpCredentials": true }), "hasSmtpCredentials"),
        (json!({ "health": { "status": "OK" } }), "health"),
        (json!({ "provider": "MAILGUN" }), "provider"),
        (json!({ "provider": "smtp" }), "provider"),
        (json!({ "provider": "" }), "provider"),
        (json!({ "provider": 1 }), "provider"),
        (json!({ "smtpPort": 0 }), "smtpPort"),
        (json!({ "smtpPort": 65536 }), "smtpPort"),
        (json!({ "smtpPort": -25 }), "smtpPort"),
        (json!({ "smtpPort": "25" }), "smtpPort"),
        (json!({ "smtpPort": 25.5 }), "smtpPort"),
        (json!({ "smtpSecure": "true" }), "smtpSecure"),
        (json!({ "isDefault": "yes" }), "isDefault"),
        (json!({ "teamIds": "1" }), "teamIds"),
        (json!({ "smtpPassword": "" }), "smtpPassword"),
        (json!({ "smtpUser": "" }), "smtpUser"),
        (json!({ "smtpHost": "" }), "smtpHost"),
        (json!({ "smtpHost": "mail host.example" }), "smtpHost"),
        (json!({ "fromEmail": "not-an-address" }), "fromEmail"),
        (json!({ "fromName": "" }), "fromName"),
        (json!({ "fromName": "x".repeat(101) }), "fromName"),
        (json!({ "ipPool": "pool" }), "ipPool"),
        (json!({ "apiKey": API_KEY }), "apiKey"),
        (json!({ "provider": "SENDGRID" }), "apiKey"),
    ];
    for (change, field) in cases {
        rig.post(&rig.base(), &rig.owner.key, with(body.clone(), change.clone()))
            .await
            .expect_field_error(field);
        rig.patch(&rig.one(id), &rig.owner.key, change.clone())
            .await
            .expect_field_error(field);
    }
    // Required on create.
    for missing in ["fromEmail", "fromName", "smtpHost"] {
        let mut partial = body.clone();
        partial.as_object_mut().expect("object").remove(missing);
        rig.post(&rig.base(), &rig.owner.key, partial)
            .await
            .expect_field_error(missing);
    }
    assert_eq!(rig.list().await.len(), 1);
    let record = rig.record(id).await;
    assert_eq!(
        (record.from_email.as_str(), record.provider.as_str()),
        (FROM_EMAIL, "SMTP")
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------------------------

/// Special addresses in every spelling, and a name that resolves to 127.0.0.1.
const NOT_PUBLIC_HOSTS: [&str; 22] = [
    "0.0.0.0",
    "[::1]",
    "::1",
    "::ffff:10.0.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "fd00::1",
    "127.0.0.1",
    "10.0.0.1",
    "192.168.0.1",
    "localhost",
    "LOCALHOST",
    "[::]",
    "::ffff:127.0.0.1",
    "[::ffff:a9fe:a9fe]",
    "64:ff9b::a00:1",
    "2002:a00:1::",
    "fe80::1",
    "172.16.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
];

/// Other spellings of loopback that a resolver may or may not read as numbers: refused either way.
const ODD_SPELLINGS: [&str; 5] = ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "localhost."];

#[tokio::test]
async fn private_and_special_addresses_are_refused_on_create_patch_and_test() {
    let rig = Rig::start(Hosts::PublicOnly, true, |_| {}).await;
    let body = json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "smtpPort": 587, "smtpSecure": false });
    // A public IP literal is accepted without any lookup (and this test never connects to it).
    let id = rig
        .create_id(with(body.clone(), json!({ "smtpHost": "8.8.8.8" })))
        .await;
    let refused = |answer: &Answer, host: &str, how: &str| {
        answer.expect_field_error("smtpHost");
        assert_eq!(
            answer.body["error"]["details"]["errors"][0]["message"], NOT_PUBLIC,
            "{how} {host}: {}",
            answer.body
        );
    };
    for host in NOT_PUBLIC_HOSTS {
        let with_host = with(body.clone(), json!({ "smtpHost": host }));
        refused(
            &rig.post(&rig.base(), &rig.owner.key, with_host.clone()).await,
            host,
            "create",
        );
        refused(
            &rig.patch(&rig.one(id), &rig.owner.key, json!({ "smtpHost": host }))
                .await,
            host,
            "patch",
        );
        let test = rig.test_unsaved(with_host).await;
        assert_eq!(
            (&test["success"], &test["stage"]),
            (&json!(false), &json!("DNS")),
            "{host}: {test}"
        );
        assert!(
            test["message"].as_str().is_some_and(|m| m.contains(NOT_PUBLIC)),
            "{host}: {test}"
        );
    }
    for host in ODD_SPELLINGS {
        let with_host = with(body.clone(), json!({ "smtpHost": host }));
        rig.post(&rig.base(), &rig.owner.key, with_host.clone())
            .await
            .expect_field_error("smtpHost");
        rig.patch(&rig.one(id), &rig.owner.key, json!({ "smtpHost": host }))
            .await
            .expect_field_error("smtpHost");
        assert_eq!(rig.test_unsaved(with_host).await["success"], false, "{host}");
    }
    // A name that does not resolve.
    let unresolvable = "no-such-host.invalid";
    let with_host = with(body.clone(), json!({ "smtpHost": unresolvable }));
    for answer in [
        rig.post(&rig.base(), &rig.owner.key, with_host.clone()).await,
        rig.patch(&rig.one(id), &rig.owner.key, json!({ "smtpHost": unresolvable }))
            .await,
    ] {
        let message = answer.expect_error(StatusCode::BAD_REQUEST);
        assert_eq!(answer.body["error"]["details"]["field"], "smtpHost");
        assert!(message.contains("could not be resolved"), "{message}");
    }
    let test = rig.test_unsaved(with_host).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("DNS")),
        "{test}"
    );
    assert!(
        test["message"]
            .as_str()
            .is_some_and(|m| m.contains("could not be resolved")),
        "{test}"
    );

    assert_eq!(ids(&rig.list().await), [id]);
    assert_eq!(rig.sender(id).await["smtpHost"], "8.8.8.8");
}

#[tokio::test]
async fn a_stored_sender_on_a_private_address_is_refused_again_when_tested() {
    // A row written behind the API's back (an older version, a restored backup, a changed policy): the tests
    // check the address again and never connect.
    let rig = Rig::start(Hosts::PublicOnly, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let mut stored = Vec::new();
    for host in ["127.0.0.1", "localhost", "::ffff:127.0.0.1"] {
        let mut tx = rig.app.db.begin().await.expect("begin");
        let fields = SenderFields {
            from_email: FROM_EMAIL.to_owned(),
            from_name: FROM_NAME.to_owned(),
            provider: "SMTP".to_owned(),
            smtp_host: Some(host.to_owned()),
            smtp_port: Some(i64::from(smtp.port())),
            smtp_secure: false,
            ip_pool: None,
        };
        let first = stored.is_empty();
        stored.push(
            smtp_senders::insert(&mut tx, rig.org, &fields, first, now_ms())
                .await
                .expect("insert"),
        );
        tx.commit().await.expect("commit");
    }
    for id in stored {
        let test = rig.test_saved(id).await;
        assert_eq!(
            (&test["success"], &test["stage"]),
            (&json!(false), &json!("DNS")),
            "{test}"
        );
        assert!(
            test["message"].as_str().is_some_and(|m| m.contains(NOT_PUBLIC)),
            "{test}"
        );
        let email = rig.test_email(id, "check@example.com").await;
        assert_eq!(
            (&email["success"], &email["stage"]),
            (&json!(false), &json!("DNS")),
            "{email}"
        );
        assert_eq!(rig.sender(id).await["health"]["status"], "FAILING");
    }
    assert_eq!(smtp.connections(), 0, "connected to a refused address");
    assert_eq!(rig.platform.connections(), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Control characters
// ---------------------------------------------------------------------------------------------------------------

const CONTROLS: [&str; 8] = ["\r\n", "\n", "\r", "\0", "\t", "\u{7f}", "\u{85}", "\u{1b}"];

#[tokio::test]
async fn line_breaks_and_control_characters_are_refused_in_every_field() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let smtp_sender = smtp_body(smtp.port());
    let sendgrid = json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SENDGRID", "apiKey": API_KEY });
    let sparkpost = json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SPARKPOST",
        "apiKey": API_KEY, "ipPool": "transactional" });
    let smtp_id = rig.create_id(smtp_sender.clone()).await;
    let sendgrid_id = rig.create_id(sendgrid.clone()).await;
    let sparkpost_id = rig.create_id(sparkpost.clone()).await;
    let before = rig.list().await;

    // (field, base body, sender to PATCH, value around the control character)
    let fields: [(&str, &Value, i64, (&str, &str)); 7] = [
        (
            "fromEmail",
            &smtp_sender,
            smtp_id,
            ("bookings@acme.example", "Bcc: victim@example.com"),
        ),
        ("fromName", &smtp_sender, smtp_id, ("Acme", "Bcc: victim@example.com")),
        ("smtpHost", &smtp_sender, smtp_id, ("127.0.0.1", "evil.example")),
        ("smtpUser", &smtp_sender, smtp_id, (USER, "MAIL FROM:<x@evil.example>")),
        (
            "smtpPassword",
            &smtp_sender,
            smtp_id,
            (PASSWORD, "RCPT TO:<x@evil.example>"),
        ),
        ("apiKey", &sendgrid, sendgrid_id, (API_KEY, "X-Injected: 1")),
        ("ipPool", &sparkpost, sparkpost_id, ("transactional", "other")),
    ];
    for (field, base, id, (head, tail)) in fields {
        for control in CONTROLS {
            let value = format!("{head}{control}{tail}");
            let what = format!("{field} with {control:?}");
            let body = with(base.clone(), json!({ field: value }));
            let created = rig.post(&rig.base(), &rig.owner.key, body.clone()).await;
            assert_eq!(
                created.body["error"]["details"]["field"], field,
                "create, {what}: {}",
                created.body
            );
            created.expect_field_error(field);
            rig.patch(&rig.one(id), &rig.owner.key, json!({ field: value }))
                .await
                .expect_field_error(field);
            let test = rig
                .post(&format!("{}/test-connection", rig.base()), &rig.owner.key, body)
                .await;
            if field == "smtpHost" {
                // The unsaved test reports a host it cannot use as its answer.
                assert_eq!(
                    test.expect_success(StatusCode::OK)["success"],
                    false,
                    "{what}: {}",
                    test.body
                );
            } else {
                test.expect_field_error(field);
            }
            // At the end of the value (where trimming could hide it): refused, or stored without it.
            let value = format!("{head}{control}");
            let created = rig
                .post(&rig.base(), &rig.owner.key, with(base.clone(), json!({ field: value })))
                .await;
            if created.status.is_success() {
                let id = created.data()["id"].as_i64().expect("id");
                let stored = rig.record(id).await;
                let visible = [
                    stored.from_email,
                    stored.from_name,
                    stored.smtp_host.unwrap_or_default(),
                ];
                assert!(
                    visible.iter().all(|v| !v.chars().any(char::is_control)),
                    "{what} at the end was stored: {visible:?}"
                );
                assert!(
                    matches!(field, "fromEmail" | "fromName" | "smtpHost"),
                    "{what} at the end was accepted"
                );
                rig.delete(&rig.one(id), &rig.owner.key)
                    .await
                    .expect_success(StatusCode::OK);
            } else {
                created.expect_field_error(field);
            }
        }
    }
    // The test email's address too.
    for control in CONTROLS {
        rig.post(
            &format!("{}/test-email", rig.one(smtp_id)),
            &rig.owner.key,
            json!({ "toEmail": format!("check@example.com{control}RCPT TO:<victim@example.com>") }),
        )
        .await
        .expect_field_error("toEmail");
    }
    assert_eq!(smtp.messages().len(), 0);
    // Nothing stored changed.
    let after = rig.list().await;
    assert_eq!(ids(&after), ids(&before));
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(a, b);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Test connection
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_connection_succeeds_against_a_working_server_without_sending_anything() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let body = smtp_body(smtp.port());
    let test = rig.test_unsaved(body.clone()).await;
    assert_eq!(
        (&test["success"], &test["stage"], &test["smtpCode"]),
        (&json!(true), &json!("AUTH"), &Value::Null),
        "{test}"
    );
    assert!(test["durationMs"].is_u64(), "{test}");
    assert!(test["message"].is_string(), "{test}");
    // Nothing was saved by the unsaved test.
    assert!(rig.list().await.is_empty());

    let id = rig.create_id(body).await;
    let before = rig.sender(id).await;
    assert_eq!(before["health"]["lastTestedAt"], Value::Null);
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(true), &json!("AUTH")),
        "{test}"
    );
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(
        (&health["status"], &health["lastError"]),
        (&json!("OK"), &Value::Null),
        "{health}"
    );
    assert!(
        health["lastTestedAt"].is_string() && health["lastSuccessAt"].is_string(),
        "{health}"
    );
    assert_eq!(health["lastFailureAt"], Value::Null);

    // No credentials: the test stops after the greeting (and EHLO/STARTTLS) and says so.
    let open = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(rig.ca.leaf(&["127.0.0.1"])),
        credentials: None,
    })
    .await;
    let anonymous = with(
        smtp_body(open.port()),
        json!({ "-smtpUser": null, "-smtpPassword": null }),
    );
    let test = rig.test_unsaved(anonymous).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(true), &json!("GREETING")),
        "{test}"
    );

    // Implicit TLS (smtpSecure true on a port other than 587/25).
    let implicit = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::Implicit(rig.ca.leaf(&["127.0.0.1"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let test = rig
        .test_unsaved(with(smtp_body(implicit.port()), json!({ "smtpSecure": true })))
        .await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(true), &json!("AUTH")),
        "{test}"
    );

    for server in [&smtp, &open, &implicit] {
        assert!(server.connections() > 0);
        assert!(server.messages().is_empty(), "a connection test sent an email");
        assert!(
            !server
                .commands()
                .iter()
                .any(|c| c.to_ascii_uppercase().starts_with("MAIL")),
            "a connection test started a transaction: {:?}",
            server.commands()
        );
    }
    assert_eq!(rig.platform.connections(), 0);
}

#[tokio::test]
async fn a_server_that_never_greets_is_reported_at_greeting_within_the_bound() {
    let rig = Rig::start(Hosts::Loopback, true, |e| {
        e.timeouts.greeting = Duration::from_millis(300);
        e.test_timeout = Duration::from_secs(2);
    })
    .await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let body = smtp_body(smtp.port());
    let started = Instant::now();
    let test = rig.test_unsaved(body.clone()).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("GREETING")),
        "{test}"
    );

    let id = rig.create_id(body).await;
    let started = Instant::now();
    let test = rig.test_saved(id).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("GREETING")),
        "{test}"
    );
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(health["status"], "FAILING", "{health}");
    assert!(
        health["lastError"].as_str().is_some_and(|e| e.contains("GREETING")),
        "{health}"
    );
    assert!(
        health["lastTestedAt"].is_string() && health["lastFailureAt"].is_string(),
        "{health}"
    );
    assert_eq!(health["lastSuccessAt"], Value::Null);
}

#[tokio::test]
async fn a_test_answers_within_the_test_timeout_even_when_the_phase_timeouts_are_longer() {
    let rig = Rig::start(Hosts::Loopback, true, |e| {
        e.timeouts.greeting = Duration::from_secs(30);
        e.test_timeout = Duration::from_secs(1);
    })
    .await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        greeting: Greeting::Silent,
        ..Behavior::default()
    });
    let id = rig.create_id(smtp_body(smtp.port())).await;
    let started = Instant::now();
    let test = rig.test_saved(id).await;
    let email = rig.test_email(id, "check@example.com").await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(test["success"], false, "{test}");
    assert_eq!(email["success"], false, "{email}");
    assert_eq!(rig.platform.connections(), 0);
}

#[tokio::test]
async fn refusals_are_reported_with_their_stage_and_code() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    // 421 instead of a greeting.
    let busy = starttls_server(&rig.ca).await;
    busy.set_behavior(Behavior {
        greeting: Greeting::Reply(421, "4.3.2 try later".into()),
        ..Behavior::default()
    });
    let test = rig.test_unsaved(smtp_body(busy.port())).await;
    assert_eq!(
        (&test["success"], &test["stage"], &test["smtpCode"]),
        (&json!(false), &json!("GREETING"), &json!(421)),
        "{test}"
    );
    // Nothing listening.
    let test = rig.test_unsaved(smtp_body(closed_port())).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("CONNECT")),
        "{test}"
    );
    let id = rig.create_id(smtp_body(closed_port())).await;
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"]),
        (&json!(false), &json!("CONNECT")),
        "{test}"
    );
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(health["status"], "FAILING");
    assert!(health["lastTestedAt"].is_string());
}

#[tokio::test]
async fn a_535_is_reported_at_auth_and_marks_the_sender_auth_failed() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        auth: Some((535, "5.7.8 Authentication credentials invalid".into())),
        ..Behavior::default()
    });
    let body = smtp_body(smtp.port());
    let test = rig.test_unsaved(body.clone()).await;
    assert_eq!(
        (&test["success"], &test["stage"], &test["smtpCode"]),
        (&json!(false), &json!("AUTH"), &json!(535)),
        "{test}"
    );
    let id = rig.create_id(body).await;
    let test = rig.test_saved(id).await;
    assert_eq!(
        (&test["success"], &test["stage"], &test["smtpCode"]),
        (&json!(false), &json!("AUTH"), &json!(535)),
        "{test}"
    );
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(health["status"], "AUTH_FAILED", "{health}");
    assert!(
        health["lastError"].is_string() && health["lastFailureAt"].is_string(),
        "{health}"
    );

    // A plainly wrong password is the same answer; once the server accepts, the health is OK again.
    smtp.set_behavior(Behavior::default());
    let wrong = rig
        .test_unsaved(with(smtp_body(smtp.port()), json!({ "smtpPassword": WRONG_PASSWORD })))
        .await;
    assert_eq!(
        (&wrong["stage"], &wrong["smtpCode"]),
        (&json!("AUTH"), &json!(535)),
        "{wrong}"
    );
    assert_eq!(rig.test_saved(id).await["success"], true);
    assert_eq!(rig.sender(id).await["health"]["status"], "OK");
}

#[tokio::test]
async fn a_certificate_for_another_name_or_from_an_unknown_ca_fails_at_tls() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let other_name = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(rig.ca.leaf(&["other.test"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let unknown_ca = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::StartTls(TestCa::new().leaf(&["localhost", "127.0.0.1"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let implicit_other_name = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::Implicit(rig.ca.leaf(&["other.test"])),
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    let no_starttls = FakeSmtp::start(FakeSmtpConfig {
        tls: TlsMode::None,
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
    })
    .await;
    for (what, body) in [
        ("a certificate for other.test", smtp_body(other_name.port())),
        ("a certificate from an unknown CA", smtp_body(unknown_ca.port())),
        (
            "implicit TLS with a certificate for other.test",
            with(smtp_body(implicit_other_name.port()), json!({ "smtpSecure": true })),
        ),
        ("a server without STARTTLS", smtp_body(no_starttls.port())),
    ] {
        let test = rig.test_unsaved(body.clone()).await;
        assert_eq!(
            (&test["success"], &test["stage"]),
            (&json!(false), &json!("TLS")),
            "{what}: {test}"
        );
        let id = rig.create_id(body).await;
        let test = rig.test_saved(id).await;
        assert_eq!(
            (&test["success"], &test["stage"]),
            (&json!(false), &json!("TLS")),
            "{what}: {test}"
        );
        assert_eq!(rig.sender(id).await["health"]["status"], "FAILING", "{what}");
        let email = rig.test_email(id, "check@example.com").await;
        assert_eq!(email["success"], false, "{what}: {email}");
    }
    // The credentials never went out in clear, and nothing was delivered anywhere.
    assert!(
        !no_starttls
            .commands()
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("AUTH") || c.to_ascii_uppercase().starts_with("MAIL")),
        "{:?}",
        no_starttls.commands()
    );
    for server in [&other_name, &unknown_ca, &implicit_other_name, &no_starttls] {
        assert!(server.messages().is_empty());
    }
    assert_eq!(rig.platform.connections(), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Test email
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_test_email_goes_through_exactly_that_sender() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let second = starttls_server(&rig.ca).await;
    let id = rig.create_id(smtp_body(smtp.port())).await;
    let other = rig
        .create_id(with(
            smtp_body(second.port()),
            json!({ "fromEmail": "hello@globex.example", "fromName": "Second Sender" }),
        ))
        .await;
    let result = rig.test_email(id, "Check@Example.com").await;
    assert_eq!(
        (&result["success"], &result["smtpCode"]),
        (&json!(true), &json!(250)),
        "{result}"
    );
    let received = smtp.wait_for_messages(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.rcpt_to, ["check@example.com"]);
    assert_eq!(message.mail_from, FROM_EMAIL);
    assert!(message.tls, "sent in clear");
    assert_eq!(message.auth_user.as_deref(), Some(USER));
    let parsed = MessageParser::default()
        .parse(&message.data)
        .expect("mail-parser reads it");
    let from = parsed.from().and_then(|a| a.first()).expect("a From");
    assert_eq!((from.name(), from.address()), (Some(FROM_NAME), Some(FROM_EMAIL)));
    let to = parsed.to().and_then(|a| a.first()).expect("a To");
    assert_eq!(to.address(), Some("check@example.com"));
    assert_eq!(rig.sender(id).await["health"]["status"], "OK");

    // The other sender's test goes to its own server; nothing went to the platform, nothing was queued.
    assert_eq!(rig.test_email(other, "check@example.com").await["success"], true);
    let received = second.wait_for_messages(1, Duration::from_secs(5)).await;
    let parsed = MessageParser::default().parse(&received[0].data).expect("parses");
    let from = parsed.from().and_then(|a| a.first()).expect("a From");
    assert_eq!(
        (from.name(), from.address()),
        (Some("Second Sender"), Some("hello@globex.example"))
    );
    assert_eq!(smtp.messages().len(), 1);
    assert!(
        process_due(&rig.app.state, now_ms())
            .await
            .expect("a worker batch")
            .is_empty()
    );
    assert_eq!(rig.platform.connections(), 0);
}

#[tokio::test]
async fn a_refused_test_email_reports_the_reply_and_never_falls_back_to_the_platform() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        rcpt_reject: vec![("gone@example.com".into(), 550, "5.1.1 no such user".into())],
        ..Behavior::default()
    });
    let id = rig.create_id(smtp_body(smtp.port())).await;
    let result = rig.test_email(id, "gone@example.com").await;
    assert_eq!(
        (&result["success"], &result["smtpCode"]),
        (&json!(false), &json!(550)),
        "{result}"
    );
    assert!(
        result["message"].as_str().is_some_and(|m| m.contains("no such user")),
        "{result}"
    );
    assert!(smtp.messages().is_empty());

    // Other failures don't fall back either: a sender whose server is down.
    let down = rig.create_id(smtp_body(closed_port())).await;
    let result = rig.test_email(down, "check@example.com").await;
    assert_eq!(
        (&result["success"], &result["stage"]),
        (&json!(false), &json!("CONNECT")),
        "{result}"
    );
    let busy = starttls_server(&rig.ca).await;
    busy.set_behavior(Behavior {
        data_end: Some((451, "4.3.0 try again later".into())),
        ..Behavior::default()
    });
    let temporary = rig.create_id(smtp_body(busy.port())).await;
    let result = rig.test_email(temporary, "check@example.com").await;
    assert_eq!(
        (&result["success"], &result["smtpCode"]),
        (&json!(false), &json!(451)),
        "{result}"
    );

    // Nothing was queued for later either.
    assert!(
        process_due(&rig.app.state, now_ms())
            .await
            .expect("a worker batch")
            .is_empty()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rig.platform.connections(), 0, "a test email fell back to the platform");
    assert!(rig.platform.messages().is_empty());
}

#[tokio::test]
async fn a_test_email_refused_for_its_recipient_does_not_mark_a_working_sender_failing() {
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    smtp.set_behavior(Behavior {
        rcpt_reject: vec![("gone@example.com".into(), 550, "5.1.1 no such user".into())],
        ..Behavior::default()
    });
    let id = rig.create_id(smtp_body(smtp.port())).await;
    assert_eq!(rig.test_saved(id).await["success"], true);
    let result = rig.test_email(id, "gone@example.com").await;
    assert_eq!((&result["success"], &result["smtpCode"]), (&json!(false), &json!(550)));
    // The server, the TLS and the credentials all worked: only that address does not exist.
    let health = rig.sender(id).await["health"].clone();
    assert_eq!(health["status"], "OK", "{health}");
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets at rest and in logs
// ---------------------------------------------------------------------------------------------------------------

/// Every log event and span field recorded while it is the thread's default subscriber, as text.
#[derive(Clone, Default)]
struct LogCapture {
    text: Arc<Mutex<String>>,
    next_span: Arc<AtomicU64>,
}

struct FieldText<'a>(&'a mut String);

impl tracing::field::Visit for FieldText<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

impl LogCapture {
    fn append(&self, head: &str, record: impl FnOnce(&mut FieldText<'_>)) {
        let mut text = self.text.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        text.push_str(head);
        record(&mut FieldText(&mut text));
        text.push('\n');
    }

    fn text(&self) -> String {
        self.text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl tracing::Subscriber for LogCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        self.append(&format!("span {}", span.metadata().name()), |v| span.record(v));
        tracing::span::Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        self.append("record", |v| values.record(v));
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let meta = event.metadata();
        self.append(&format!("{} {}", meta.level(), meta.target()), |v| event.record(v));
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// Everything the database holds, as bytes: the SQLite file with its WAL, or every row of every table of the
/// test's PostgreSQL schema as text.
async fn database_contents(db: &Db) -> Vec<u8> {
    match db {
        Db::Sqlite(pool) => {
            let file: String = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(pool)
                .await
                .expect("the database file");
            let mut bytes = std::fs::read(&file).expect("read the database file");
            for suffix in ["-wal", "-journal", "-shm"] {
                if let Ok(more) = std::fs::read(format!("{file}{suffix}")) {
                    bytes.extend(more);
                }
            }
            bytes
        }
        Db::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(pool)
            .await
            .expect("the tables");
            assert!(tables.iter().any(|t| t == "smtp_senders"), "{tables:?}");
            let mut text = String::new();
            for table in tables {
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(t AS TEXT) FROM \"{table}\" t"
                )))
                .fetch_all(pool)
                .await
                .expect("the rows");
                for row in rows {
                    text.push_str(&row);
                    text.push('\n');
                }
            }
            text.into_bytes()
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn secrets_are_sealed_at_rest_and_absent_from_the_database_file_and_the_logs() {
    let logs = LogCapture::default();
    let _capture = tracing::subscriber::set_default(logs.clone());
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let a = rig.create_id(smtp_body(smtp.port())).await;
    let b = rig
        .create_id(
            json!({ "fromEmail": FROM_EMAIL, "fromName": FROM_NAME, "provider": "SENDGRID",
            "apiKey": API_KEY, "smtpHost": "127.0.0.1", "smtpPort": smtp.port(), "smtpSecure": false,
            "smtpUser": USER, "smtpPassword": PASSWORD }),
        )
        .await;
    // Exercise the paths that handle the plaintext: tests (a failing one too), a test email, PATCHes.
    assert_eq!(rig.test_saved(a).await["success"], true);
    assert_eq!(rig.test_email(a, "check@example.com").await["success"], true);
    rig.patch(&rig.one(a), &rig.owner.key, json!({ "smtpPassword": WRONG_PASSWORD }))
        .await
        .expect_success(StatusCode::OK);
    assert_eq!(rig.test_saved(a).await["stage"], "AUTH");
    rig.patch(&rig.one(a), &rig.owner.key, json!({ "smtpPassword": PASSWORD }))
        .await
        .expect_success(StatusCode::OK);
    rig.post(
        &rig.base(),
        &rig.owner.key,
        with(
            smtp_body(smtp.port()),
            json!({ "smtpPassword": format!("{PASSWORD}\r\nQUIT") }),
        ),
    )
    .await
    .expect_field_error("smtpPassword");
    rig.test_unsaved(with(smtp_body(smtp.port()), json!({ "smtpPassword": OTHER_PASSWORD })))
        .await;

    // Sealed: "v1.<kid>.<…>", each different, none holding the plaintext.
    let mut sealed = Vec::new();
    for id in [a, b] {
        let record = rig.record(id).await;
        for value in [record.smtp_user_sealed, record.smtp_password_sealed] {
            sealed.push(value.expect("a sealed credential"));
        }
        if id == b {
            sealed.push(record.api_key_sealed.expect("a sealed API key"));
        }
    }
    for value in &sealed {
        assert!(value.starts_with("v1."), "{value}");
        assert_no_secret(value, "a sealed column");
    }
    let mut distinct = sealed.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), sealed.len(), "two seals are identical (nonce reuse?)");
    // Nor do the responses carry the sealed form.
    for answer in [
        rig.get(&rig.base(), &rig.owner.key).await,
        rig.get(&rig.one(b), &rig.owner.key).await,
    ] {
        let text = answer.body.to_string();
        for value in &sealed {
            assert!(!text.contains(value.as_str()), "a sealed value in {text}");
        }
    }

    // The database, as stored.
    let contents = database_contents(&rig.app.db).await;
    assert!(contains(&contents, FROM_EMAIL), "the scan does not see the data at all");
    for secret in SECRETS {
        assert!(
            !contains(&contents, secret),
            "{secret:?} is in the database in plaintext"
        );
    }

    // The logs of the whole test.
    let text = logs.text();
    assert!(text.contains("span"), "nothing was captured: {text}");
    assert_no_secret(&text, "the log");
}

#[tokio::test]
async fn a_sealed_secret_moved_to_another_row_or_field_does_not_open() {
    let logs = LogCapture::default();
    let _capture = tracing::subscriber::set_default(logs.clone());
    let rig = Rig::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let a = rig.create_id(smtp_body(smtp.port())).await;
    let b = rig
        .create_id(with(smtp_body(smtp.port()), json!({ "smtpPassword": OTHER_PASSWORD })))
        .await;
    let c = rig.create_id(smtp_body(smtp.port())).await;
    let theirs = rig
        .post(&senders_of(rig.other_org), &rig.other_admin.key, smtp_body(smtp.port()))
        .await
        .expect_success(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    let a_sealed = rig.record(a).await;
    let a_password = a_sealed.smtp_password_sealed.clone().expect("sealed password");
    let a_user = a_sealed.smtp_user_sealed.clone().expect("sealed user");

    // a's password onto b's row; a's password into c's user field; a's user onto another organization's sender.
    let mut tx = rig.app.db.begin().await.expect("begin");
    smtp_senders::set_secret(&mut tx, b, Secret::SmtpPassword, Some(&a_password))
        .await
        .expect("copy");
    smtp_senders::set_secret(&mut tx, c, Secret::SmtpUser, Some(&a_password))
        .await
        .expect("copy");
    smtp_senders::set_secret(&mut tx, theirs, Secret::SmtpUser, Some(&a_user))
        .await
        .expect("copy");
    tx.commit().await.expect("commit");
    let connections = smtp.connections();

    for (org, id, key) in [
        (rig.org, b, &rig.owner.key),
        (rig.org, c, &rig.owner.key),
        (rig.other_org, theirs, &rig.other_admin.key),
    ] {
        let path = format!("{}/{id}", senders_of(org));
        for answer in [
            rig.call(Method::POST, &format!("{path}/test-connection"), Some(key), None)
                .await,
            rig.post(
                &format!("{path}/test-email"),
                key,
                json!({ "toEmail": "check@example.com" }),
            )
            .await,
        ] {
            // An error of some kind: a 5xx or an unsuccessful result, never a success with a's credentials.
            let failed = answer.status.is_server_error() || answer.body["data"]["success"] == false;
            assert!(failed, "sender {id}: {} {}", answer.status, answer.body);
            let text = answer.body.to_string();
            assert!(!text.contains(&a_password) && !text.contains(&a_user), "{text}");
        }
        // The sender is still readable.
        assert_eq!(
            rig.get(&path, key).await.expect_success(StatusCode::OK)["hasSmtpCredentials"],
            true
        );
    }
    assert_eq!(
        smtp.connections(),
        connections,
        "a sender with unopenable secrets connected"
    );
    assert!(smtp.messages().is_empty());
    // The owner of the secret is unaffected, and the server still answers.
    assert_eq!(rig.test_saved(a).await["success"], true);
    assert_eq!(rig.list().await.len(), 3);
    // The operator learns why from the log (without the secret or its sealed form).
    assert!(logs.text().contains("does not open"), "the refusal was not logged");
    assert_no_secret(&logs.text(), "the log");
    for sealed in [&a_password, &a_user] {
        assert!(!logs.text().contains(sealed.as_str()), "a sealed value in the log");
    }
}
