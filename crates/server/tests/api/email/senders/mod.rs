//! The organization senders API, `/v2/organizations/{orgId}/smtp-configurations`: who may use it (OWNER and ADMIN
//! of an organization with the `custom-smtp` feature, and instance admins), what a sender looks like, the address
//! rules for its host, the refusal of control characters, the test buttons against a fake SMTP server, and what
//! happens to the secrets: sealed at rest, never in a response or a log line, bound to their row and field.
//!
//! Every request of these tests goes through [`SenderApi::call`], which fails the test when a response (headers or
//! body) carries any of the plaintext secrets used here. Servers that save senders pointing at the fake SMTP servers
//! (127.0.0.1) allow the loopback networks; the address matrix runs with the default policy (public only).

mod access;
mod addresses;
mod fields;
mod secrets;
mod teams;
mod test_connection;
mod test_email;
mod validation;

use crate::helpers::email::{EmailRig, Tenants, starttls};
use crate::helpers::{Answer, Person, TestApp};
use convene_core::{SenderId, TeamId};
use convene_server::email::EmailSettings;
use convene_store::smtp_senders::{self, SenderRecord};
use convene_testkit::{FakeSmtp, FakeSmtpConfig, TestCa};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub(super) const USER: &str = "mailer-Login-7Qx";

pub(super) const PASSWORD: &str = "Sup3r-Secret-Pa55";

pub(super) const API_KEY: &str = "SG.live-key-123";

pub(super) const OTHER_PASSWORD: &str = "Other-S3cret-Pa66";

pub(super) const WRONG_PASSWORD: &str = "Wr0ng-S3cret-Pa77";

pub(super) const OTHER_API_KEY: &str = "SG.other-key-456";

/// Every plaintext secret this file ever sends: none may appear in any response or log line.
pub(super) const SECRETS: [&str; 6] = [USER, PASSWORD, API_KEY, OTHER_PASSWORD, WRONG_PASSWORD, OTHER_API_KEY];

pub(super) const FROM_EMAIL: &str = "bookings@acme.example";

pub(super) const FROM_NAME: &str = "Acme Bookings";

pub(super) const NOT_PUBLIC: &str = "SMTP host must be a public address";

/// Exactly the fields of a sender in a response.
pub(super) const SENDER_FIELDS: [&str; 16] = [
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

pub(super) const HEALTH_FIELDS: [&str; 5] = ["lastError", "lastFailureAt", "lastSuccessAt", "lastTestedAt", "status"];

/// Which addresses the server lets senders use.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Hosts {
    /// 127.0.0.0/8 and ::1 allowed (where the fake servers listen).
    Loopback,
    /// The default: public addresses only.
    PublicOnly,
}

/// A server (platform transport: a plain fake SMTP server) with the [`Tenants`]: organization "acme" with an
/// owner, an admin, a member and a team; organization "globex" with its owner and an admin; and a user of neither.
pub(super) struct SenderApi {
    pub app: TestApp,
    pub ca: TestCa,
    pub platform: FakeSmtp,
    pub org: i64,
    pub owner: Person,
    pub admin: Person,
    pub member: Person,
    pub team: i64,
    pub other_org: i64,
    pub other_owner: Person,
    pub other_admin: Person,
    pub outsider: Person,
}

impl SenderApi {
    /// With the `custom-smtp` feature on for both organizations when `feature`.
    pub async fn start(hosts: Hosts, feature: bool, tweak: impl FnOnce(&mut EmailSettings) + 'static) -> SenderApi {
        let mut builder = EmailRig::builder().email(tweak);
        if hosts == Hosts::PublicOnly {
            builder = builder.public_hosts_only();
        }
        let rig = builder.start().await;
        let Tenants {
            org,
            owner,
            admin,
            member,
            team,
            other_org,
            other_owner,
            other_admin,
            outsider,
        } = rig.tenants(feature).await;
        let EmailRig { app, ca, platform } = rig;
        SenderApi {
            app,
            ca,
            platform,
            org,
            owner,
            admin,
            member,
            team,
            other_org,
            other_owner,
            other_admin,
            outsider,
        }
    }

    /// A request whose response must not carry any plaintext secret (headers or body, as sent on the wire).
    pub async fn call(&self, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> Answer {
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

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(key), Some(body)).await
    }

    pub async fn get(&self, path: &str, key: &str) -> Answer {
        self.call(Method::GET, path, Some(key), None).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Answer {
        self.call(Method::DELETE, path, Some(key), None).await
    }

    pub async fn set_feature(&self, org: i64, on: bool) {
        self.call(
            Method::PUT,
            &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
            Some(&self.app.admin_key),
            Some(json!({ "enabled": on })),
        )
        .await
        .expect_success(StatusCode::OK);
    }

    pub async fn new_team(&self, org: i64, name: &str) -> i64 {
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

    pub fn base(&self) -> String {
        senders_of(self.org)
    }

    pub fn one(&self, id: i64) -> String {
        format!("{}/{id}", self.base())
    }

    /// Creates a sender as the owner and returns it.
    pub async fn create(&self, body: Value) -> Value {
        let created = self.post(&self.base(), &self.owner.key, body).await;
        let sender = created.expect_success(StatusCode::CREATED).clone();
        assert_shape(&sender);
        sender
    }

    pub async fn create_id(&self, body: Value) -> i64 {
        self.create(body).await["id"].as_i64().expect("sender id")
    }

    pub async fn sender(&self, id: i64) -> Value {
        let sender = self
            .get(&self.one(id), &self.owner.key)
            .await
            .expect_success(StatusCode::OK)
            .clone();
        assert_shape(&sender);
        sender
    }

    pub async fn list(&self) -> Vec<Value> {
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
    pub async fn record(&self, id: i64) -> SenderRecord {
        smtp_senders::find(&self.app.db, TeamId(self.org), SenderId(id))
            .await
            .expect("read the sender")
            .expect("the sender exists")
    }

    pub async fn test_saved(&self, id: i64) -> Value {
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

    pub async fn test_unsaved(&self, body: Value) -> Value {
        self.post(&format!("{}/test-connection", self.base()), &self.owner.key, body)
            .await
            .expect_success(StatusCode::OK)
            .clone()
    }

    pub async fn test_email(&self, id: i64, to: &str) -> Value {
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

pub(super) fn senders_of(org: i64) -> String {
    format!("/v2/organizations/{org}/smtp-configurations")
}

pub(super) fn assert_no_secret(text: &str, what: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} carries the secret {secret:?}: {text}");
    }
}

/// Exactly the documented fields, health included; never a username, password or API key.
pub(super) fn assert_shape(sender: &Value) {
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
pub(super) fn smtp_body(port: u16) -> Value {
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

pub(super) fn with(mut body: Value, extra: Value) -> Value {
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
pub(super) async fn starttls_server(ca: &TestCa) -> FakeSmtp {
    FakeSmtp::start(FakeSmtpConfig {
        credentials: Some((USER.to_owned(), PASSWORD.to_owned())),
        ..starttls(ca)
    })
    .await
}

pub(super) fn defaults(senders: &[Value]) -> Vec<i64> {
    senders
        .iter()
        .filter(|s| s["isDefault"] == true)
        .map(|s| s["id"].as_i64().expect("id"))
        .collect()
}

pub(super) fn ids(senders: &[Value]) -> Vec<i64> {
    let mut ids: Vec<i64> = senders.iter().map(|s| s["id"].as_i64().expect("id")).collect();
    ids.sort_unstable();
    ids
}

/// Every route, as (name, method, path, body), with `id` for the routes of one sender.
pub(super) fn routes(base: &str, id: i64, create: &Value) -> Vec<(&'static str, Method, String, Option<Value>)> {
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
