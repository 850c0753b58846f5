//! The test harness: a real server on 127.0.0.1:0 over a throwaway database (SQLite, or
//! PostgreSQL when CONVENE_TEST_DATABASE_URL is set), and typed request helpers. [`email`] builds on it with the
//! rig every email test uses, and [`logs`] captures what the server logs.

pub mod email;
pub mod logs;

use convene_core::rate::Rate;
use convene_core::{EmailAddress, Role, TeamId, UserId};
use convene_keyring::Keyring;
use convene_server::limits::LimitSettings;
use convene_server::webhooks::WebhookSettings;
use convene_server::{AppState, Application, ServerSettings, tenancy};
use convene_store::teams::TeamFields;
use convene_store::testing::TestDb;
use convene_store::users::{self, NewUser};
use convene_store::{Db, memberships};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

/// The password of every account made with [`TestApp::account`].
pub const PASSWORD: &str = "test account password 1";

/// [`PASSWORD`] hashed once per test binary: argon2 is slow on purpose, and every account shares it.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| convene_server::credentials::hash_password(PASSWORD).expect("hash the test password"))
        .clone()
}

pub struct TestApp {
    pub address: String,
    pub db: Db,
    /// The server's state, for driving background work (the webhook worker) step by step.
    pub state: AppState,
    pub client: reqwest::Client,
    /// The bootstrapped instance admin's key.
    pub admin_key: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    test_db: TestDb,
}

/// A JSON answer: status, headers and parsed body (Null when not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// `data` of a success envelope.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// Asserts this is an error envelope with `status`, and returns its message.
    pub fn expect_error(&self, status: StatusCode) -> String {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        assert_eq!(self.body["status"], "error", "not an error envelope: {}", self.body);
        assert!(self.body["timestamp"].is_string(), "no timestamp: {}", self.body);
        assert!(self.body["path"].is_string(), "no path: {}", self.body);
        assert!(self.body["error"]["code"].is_string(), "no error.code: {}", self.body);
        self.body["error"]["message"].as_str().unwrap_or_default().to_owned()
    }

    /// Asserts a 400 that names `field` in `error.details.field`.
    pub fn expect_field_error(&self, field: &str) {
        self.expect_error(StatusCode::BAD_REQUEST);
        assert_eq!(
            self.body["error"]["details"]["field"], field,
            "wrong field in {}",
            self.body
        );
    }

    pub fn expect_success(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        assert_eq!(self.body["status"], "success", "not a success envelope: {}", self.body);
        self.data()
    }
}

impl TestApp {
    /// A server whose webhooks may target 127.0.0.1, where the tests' receivers listen, and whose limits on
    /// anonymous callers are roomy: every test calls from 127.0.0.1, and many book far more than one person
    /// would. The limits' own tests use the real defaults or set their own.
    pub async fn spawn() -> Self {
        Self::spawn_with(Self::settings()).await
    }

    /// What [`TestApp::spawn`] runs with, for tests that change one thing of it.
    pub fn settings() -> ServerSettings {
        ServerSettings {
            secure_cookies: false,
            webhooks: WebhookSettings {
                allow_private_targets: true,
                ..WebhookSettings::default()
            },
            limits: roomy_limits(),
            // Calendar servers the tests start listen on 127.0.0.1: the instance allowlist lets them in.
            calendars: convene_server::calendars::CalendarSettings {
                host_policy: Arc::new(convene_server::email::host_guard::HostPolicy {
                    allowed_private: vec!["127.0.0.0/8".parse().expect("loopback network")],
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..ServerSettings::default()
        }
    }

    pub async fn spawn_with(settings: ServerSettings) -> Self {
        let test_db = TestDb::new().await.expect("test database");
        let db = test_db.db.clone();
        let admin = tenancy::bootstrap_instance_admin(&db, Some("root@convene.test"), Some("instance-admin-pw".into()))
            .await
            .expect("bootstrap")
            .expect("first bootstrap creates the admin");
        Self::serve(test_db, db, settings, Arc::new(Keyring::generate()), admin.api_key).await
    }

    async fn serve(
        test_db: TestDb,
        db: Db,
        settings: ServerSettings,
        keyring: Arc<Keyring>,
        admin_key: String,
    ) -> Self {
        let state = AppState::new(db.clone(), settings, keyring);
        let app = Application::build(state.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let address = format!("http://{}", app.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            address,
            db,
            state,
            client,
            admin_key,
            shutdown: tx,
            server,
            test_db,
        }
    }

    /// A second server on this one's database, with the same settings and keys but its own pool, limits and
    /// workers: what another process sharing the database looks like.
    pub async fn twin(&self) -> Twin {
        let db = Db::connect(&self.test_db.url).await.expect("open the database again");
        let settings = (*self.state.settings).clone();
        let state = AppState::new(db.clone(), settings, self.state.keyring.clone());
        let app = Application::build(state.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let address = format!("http://{}", app.local_addr().expect("addr"));
        let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        Twin {
            address,
            _shutdown: shutdown,
            _server: server,
        }
    }

    /// Stops this server and closes its database pool, then starts a new one on the same database with the
    /// same settings and keys: what a process restart looks like to the data.
    pub async fn restart(self) -> Self {
        let TestApp {
            db,
            state,
            admin_key,
            shutdown,
            server,
            test_db,
            ..
        } = self;
        let _ = shutdown.send(());
        server.await.expect("server task").expect("server stopped cleanly");
        let (settings, keyring) = ((*state.settings).clone(), state.keyring.clone());
        drop(state);
        db.close().await;
        let db = Db::connect(&test_db.url).await.expect("reopen the database");
        Self::serve(test_db, db, settings, keyring, admin_key).await
    }

    pub async fn request(&self, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> Answer {
        self.versioned(method, path, key, body, None).await
    }

    /// A request with a `cal-api-version` header (when `version` is given).
    pub async fn versioned(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
        version: Option<&str>,
    ) -> Answer {
        let mut req = self.client.request(method, format!("{}{}", self.address, path));
        if let Some(v) = version {
            req = req.header("cal-api-version", v);
        }
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.expect("request sent");
        Self::answer(response).await
    }

    pub async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str, key: &str) -> Answer {
        self.request(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Answer {
        self.request(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Answer {
        self.request(Method::PATCH, path, Some(key), Some(body)).await
    }

    pub async fn put(&self, path: &str, key: &str, body: Value) -> Answer {
        self.request(Method::PUT, path, Some(key), Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Answer {
        self.request(Method::DELETE, path, Some(key), None).await
    }

    /// How many rows `table` holds (a table name from the migrations, never input).
    pub async fn count_rows(&self, table: &str) -> i64 {
        let query = format!("SELECT COUNT(*) FROM {table}");
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(query)).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(query)).fetch_one(pool).await,
        }
        .expect("count the rows")
    }

    /// A user without password and a fresh API key for them.
    pub async fn user(&self, email: &str) -> Person {
        self.insert_user(email, None).await
    }

    /// A user who can sign in to the web pages with [`PASSWORD`], and a fresh API key for them.
    pub async fn account(&self, email: &str) -> Person {
        self.insert_user(email, Some(password_hash())).await
    }

    async fn insert_user(&self, email: &str, password_hash: Option<String>) -> Person {
        let email = EmailAddress::parse("email", email).expect("valid email");
        let user = users::insert(
            &self.db,
            &NewUser {
                email: email.as_str().to_owned(),
                username: email.as_str().replace(['@', '.'], "-"),
                name: Some(format!("Test {}", email.as_str())),
                bio: None,
                avatar_url: None,
                time_zone: "Europe/London".into(),
                locale: "en".into(),
                week_start: "Monday".into(),
                time_format: 24,
                metadata: "{}".into(),
                password_hash,
                is_instance_admin: false,
            },
        )
        .await
        .expect("insert user");
        let key = tenancy::issue_api_key(&self.db, user.user_id(), None, None)
            .await
            .expect("key");
        Person { id: user.id.0, key }
    }

    /// A user whose address is verified (as if they had confirmed a code sent to it).
    pub async fn verified_user(&self, email: &str) -> Person {
        let person = self.user(email).await;
        let email = EmailAddress::parse("email", email).expect("valid email");
        assert!(
            users::mark_email_verified(&self.db, UserId(person.id), email.as_str(), jiff::Timestamp::now())
                .await
                .expect("verify")
        );
        person
    }

    /// An organization owned by a new user; returns (org id, owner).
    pub async fn organization(&self, slug: &str) -> (i64, Person) {
        let owner = self.user(&format!("owner@{slug}.test")).await;
        let fields = TeamFields {
            name: Some(format!("Org {slug}")),
            slug: Some(slug.into()),
            ..TeamFields::default()
        };
        let org = tenancy::create_organization(&self.db, &fields, UserId(owner.id))
            .await
            .expect("org");
        (org.id.0, owner)
    }

    /// A new user who is an accepted member of `org` with `role`.
    pub async fn member(&self, org: i64, email: &str, role: Role) -> Person {
        let person = self.user(email).await;
        assert!(
            users::join_organization(&self.db, UserId(person.id), TeamId(org))
                .await
                .expect("join")
        );
        memberships::insert(&self.db, TeamId(org), UserId(person.id), role, true, false)
            .await
            .expect("membership");
        person
    }
}

/// Limits high enough that no test but the limits' own meets them.
/// An epoch-milliseconds instant as the store takes it: tests count time in milliseconds.
pub fn instant(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).expect("an instant in jiff's range")
}

pub fn roomy_limits() -> LimitSettings {
    let roomy = Rate::new(100_000, 60).expect("rate");
    LimitSettings {
        slots_per_address: roomy,
        bookings_per_address: roomy,
        bookings_per_attendee_email: roomy,
        bookings_per_event_type: roomy,
        reservations_per_address: roomy,
        sign_in_failures_per_address: roomy,
        sign_in_failures_per_account_and_address: roomy,
        password_resets_per_address: roomy,
        password_resets_per_email: roomy,
        verification_codes_per_address: roomy,
        verification_codes_per_email: roomy,
        ..LimitSettings::default()
    }
}

/// A second server sharing a [`TestApp`]'s database; stops when dropped.
pub struct Twin {
    pub address: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _server: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub struct Person {
    pub id: i64,
    pub key: String,
}

/// A populated organization used by the authorization tests: one of each role, a team with
/// the member in it, and a second organization with its own admin.
pub struct World {
    pub app: TestApp,
    pub org: i64,
    pub team: i64,
    pub owner: Person,
    pub admin: Person,
    pub member: Person,
    pub other_admin: Person,
    pub outsider: Person,
}

impl World {
    /// With no rate limit to speak of: the role matrix reads the whole organization back after every refusal.
    pub async fn new() -> Self {
        let app = TestApp::spawn_with(ServerSettings {
            secure_cookies: false,
            rate_limit_per_minute: std::num::NonZeroU32::new(1_000_000).expect("non-zero"),
            webhooks: WebhookSettings {
                allow_private_targets: true,
                ..WebhookSettings::default()
            },
            ..ServerSettings::default()
        })
        .await;
        let (org, owner) = app.organization("acme").await;
        let admin = app.member(org, "admin@acme.test", Role::Admin).await;
        let member = app.member(org, "member@acme.test", Role::Member).await;
        let (other_org, _) = app.organization("globex").await;
        let other_admin = app.member(other_org, "admin@globex.test", Role::Admin).await;
        let outsider = app.user("nobody@example.test").await;
        let team = app
            .post(
                &format!("/v2/organizations/{org}/teams"),
                &owner.key,
                serde_json::json!({ "name": "Sales" }),
            )
            .await
            .expect_success(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("team id");
        let added = app
            .post(
                &format!("/v2/organizations/{org}/teams/{team}/memberships"),
                &owner.key,
                serde_json::json!({ "userId": member.id, "role": "MEMBER", "accepted": true }),
            )
            .await;
        added.expect_success(StatusCode::CREATED);
        World {
            app,
            org,
            team,
            owner,
            admin,
            member,
            other_admin,
            outsider,
        }
    }
}
