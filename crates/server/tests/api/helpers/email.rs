//! The one email test rig: a server whose platform transport is a fake SMTP server on 127.0.0.1, trusting a
//! throwaway CA that issues every test server's certificate, with short timeouts — and, on demand, the
//! organizations whose senders the tests use. Every email test builds on [`EmailRig`]; subsystem fixtures
//! (`email/senders`, `email/routing`, …) add only what is theirs.
//!
//! It also holds what several email tests read mail with: who a message is from and replies to, finding a message
//! by Message-ID, a port nothing listens on. The server's email types are imported here, so a rename in the
//! server touches this file rather than every test.

use super::{Person, TestApp, instant};
use convene_core::{EmailAddress, HeaderText, Role, TeamId, UserId};
use convene_server::ServerSettings;
use convene_server::email::host_guard::HostPolicy;
use convene_server::email::smtp::TlsTrust;
use convene_server::email::worker::{Processed, process_due};
use convene_server::email::{EmailSettings, Security, SmtpServer, SmtpTimeouts, TransportConfig};
use convene_server::tenancy;
use convene_store::teams::TeamFields;
use convene_store::{memberships, now_ms, users};
use convene_testkit::{FakeSmtp, FakeSmtpConfig, Received, TestCa, TlsMode};
use mail_parser::MessageParser;
use reqwest::StatusCode;
use serde_json::json;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub use convene_server::email::settings::Credentials;

/// The platform's From.
pub const PLATFORM_FROM: &str = "notifications@convene.test";
pub const PLATFORM_NAME: &str = "Convene Notifications";
/// The EHLO name, and so the domain of every Message-ID.
pub const HELLO: &str = "convene.test";
/// How long a test waits for mail that is on its way.
pub const WAIT: Duration = Duration::from_secs(5);

/// Timeouts short enough that a fault costs a test little, long enough for a loaded CI machine.
pub fn quick_timeouts() -> SmtpTimeouts {
    SmtpTimeouts {
        connect: Duration::from_secs(2),
        greeting: Duration::from_secs(2),
        command: Duration::from_secs(2),
        data: Duration::from_secs(5),
    }
}

/// A running server with its platform SMTP server and the CA its test servers' certificates come from.
pub struct EmailRig {
    pub app: TestApp,
    /// Issues every fake server's certificate; the server trusts it (besides the public roots).
    pub ca: TestCa,
    /// The platform's default transport: a fake SMTP server (plain, no AUTH, unless configured otherwise).
    pub platform: FakeSmtp,
}

type PlatformServer = Box<dyn FnOnce(&TestCa) -> FakeSmtpConfig>;
type PlatformRoute = Box<dyn FnOnce(u16) -> SmtpServer>;
type Tweak = Box<dyn FnOnce(&mut EmailSettings)>;

/// How to build an [`EmailRig`]; see [`EmailRig::builder`].
pub struct EmailRigBuilder {
    ca: Option<TestCa>,
    platform_server: PlatformServer,
    platform_route: PlatformRoute,
    public_hosts_only: bool,
    secure_cookies: bool,
    tweaks: Vec<Tweak>,
}

impl EmailRig {
    /// A rig with every default: plain platform server, senders allowed on loopback (where the fakes listen).
    pub async fn start() -> EmailRig {
        Self::builder().start().await
    }

    pub fn builder() -> EmailRigBuilder {
        EmailRigBuilder {
            ca: None,
            platform_server: Box::new(|_| FakeSmtpConfig::default()),
            platform_route: Box::new(|port| SmtpServer {
                host: "127.0.0.1".to_owned(),
                port,
                security: Security::Plain,
                credentials: None,
            }),
            public_hosts_only: false,
            secure_cookies: false,
            tweaks: Vec::new(),
        }
    }

    /// One worker batch at `now`, oldest email first.
    pub async fn run_at(&self, now: i64) -> Vec<Processed> {
        let mut batch = process_due(&self.app.state, instant(now))
            .await
            .expect("a worker batch");
        batch.sort_by_key(|p| p.id);
        batch
    }

    /// One worker batch now, oldest email first.
    pub async fn run(&self) -> Vec<Processed> {
        self.run_at(now_ms()).await
    }

    /// A fake SMTP server with STARTTLS, its certificate for `localhost` and 127.0.0.1 from the rig's CA, wanting
    /// `credentials` (user, password) when given.
    pub async fn starttls_server(&self, credentials: Option<(&str, &str)>) -> FakeSmtp {
        FakeSmtp::start(FakeSmtpConfig {
            credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
            ..starttls(&self.ca)
        })
        .await
    }

    /// Organization "acme" (an OWNER, an ADMIN and a MEMBER, and a team "Sales"), organization "globex" (an
    /// OWNER and an ADMIN) and a user of neither; everyone has an API key and the password [`super::PASSWORD`].
    /// With `custom_smtp`, both organizations have the `custom-smtp` feature.
    pub async fn tenants(&self, custom_smtp: bool) -> Tenants {
        let app = &self.app;
        let owner = app.account("owner@acme.test").await;
        let org = organization(app, "acme", &owner).await;
        let admin = joined(app, org, "admin@acme.test", Role::Admin).await;
        let member = joined(app, org, "member@acme.test", Role::Member).await;
        let other_owner = app.account("owner@globex.test").await;
        let other_org = organization(app, "globex", &other_owner).await;
        let other_admin = joined(app, other_org, "admin@globex.test", Role::Admin).await;
        let outsider = app.account("nobody@example.test").await;
        let team = app
            .post(
                &format!("/v2/organizations/{org}/teams"),
                &owner.key,
                json!({ "name": "Sales" }),
            )
            .await
            .expect_success(StatusCode::CREATED)["id"]
            .as_i64()
            .expect("team id");
        if custom_smtp {
            for id in [org, other_org] {
                self.set_custom_smtp(id, true).await;
            }
        }
        Tenants {
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

    /// Turns the `custom-smtp` feature of `org` on or off, as an instance admin.
    pub async fn set_custom_smtp(&self, org: i64, on: bool) {
        self.app
            .put(
                &format!("/v2/admin/organizations/{org}/features/custom-smtp"),
                &self.app.admin_key,
                json!({ "enabled": on }),
            )
            .await
            .expect_success(StatusCode::OK);
    }
}

impl EmailRigBuilder {
    /// Trust this CA (a server made before the rig, e.g. aiosmtpd, has a certificate from it) instead of a new one.
    pub fn ca(mut self, ca: TestCa) -> Self {
        self.ca = Some(ca);
        self
    }

    /// The platform's fake server: its TLS and AUTH.
    pub fn platform_server(mut self, config: impl FnOnce(&TestCa) -> FakeSmtpConfig + 'static) -> Self {
        self.platform_server = Box::new(config);
        self
    }

    /// How the server reaches the platform's fake server, given its port (plain SMTP to 127.0.0.1 by default).
    pub fn platform_route(mut self, route: impl FnOnce(u16) -> SmtpServer + 'static) -> Self {
        self.platform_route = Box::new(route);
        self
    }

    /// Organizations' senders may use public addresses only (by default loopback is allowed too).
    pub fn public_hosts_only(mut self) -> Self {
        self.public_hosts_only = true;
        self
    }

    /// Session cookies marked `Secure` (browsers accept them on localhost).
    pub fn secure_cookies(mut self) -> Self {
        self.secure_cookies = true;
        self
    }

    /// Changes the email settings after the rig's own.
    pub fn email(mut self, tweak: impl FnOnce(&mut EmailSettings) + 'static) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    pub async fn start(self) -> EmailRig {
        let ca = self.ca.unwrap_or_default();
        let platform = FakeSmtp::start((self.platform_server)(&ca)).await;
        let allowed_private = if self.public_hosts_only {
            Vec::new()
        } else {
            vec![
                "127.0.0.0/8".parse().expect("a network"),
                "::1/128".parse().expect("a network"),
            ]
        };
        let mut email = EmailSettings {
            transport: TransportConfig::Smtp((self.platform_route)(platform.port())),
            from_email: EmailAddress::parse("from_email", PLATFORM_FROM).expect("a valid From"),
            from_name: HeaderText::parse("from_name", PLATFORM_NAME).expect("a valid From name"),
            hello_name: HELLO.to_owned(),
            trust: TlsTrust::new(Some(ca.ca_pem().as_bytes())).expect("the test CA is usable"),
            timeouts: quick_timeouts(),
            test_timeout: Duration::from_secs(8),
            host_policy: Arc::new(HostPolicy {
                allowed_private,
                ..HostPolicy::default()
            }),
            ..EmailSettings::default()
        };
        for tweak in self.tweaks {
            tweak(&mut email);
        }
        let app = TestApp::spawn_with(ServerSettings {
            secure_cookies: self.secure_cookies,
            // Rate limits have their own tests; email tests make many requests.
            rate_limit_per_minute: NonZeroU32::new(1_000_000).expect("non-zero"),
            email,
            ..ServerSettings::default()
        })
        .await;
        EmailRig { app, ca, platform }
    }
}

/// The people and organizations of [`EmailRig::tenants`].
pub struct Tenants {
    pub org: i64,
    pub owner: Person,
    pub admin: Person,
    pub member: Person,
    /// Acme's team "Sales" (no members).
    pub team: i64,
    pub other_org: i64,
    pub other_owner: Person,
    pub other_admin: Person,
    pub outsider: Person,
}

async fn organization(app: &TestApp, slug: &str, owner: &Person) -> i64 {
    let fields = TeamFields {
        name: Some(format!("Org {slug}")),
        slug: Some(slug.into()),
        ..TeamFields::default()
    };
    (tenancy::create_organization(&app.db, &fields, UserId(owner.id))
        .await
        .expect("org")
        .id)
        .0
}

/// A new account that is an accepted `role` of organization `org`.
pub(crate) async fn joined(app: &TestApp, org: i64, email: &str, role: Role) -> Person {
    let person = app.account(email).await;
    assert!(
        users::join_organization(&app.db, UserId(person.id), TeamId(org))
            .await
            .expect("join")
    );
    memberships::insert(&app.db, TeamId(org), UserId(person.id), role, true, false)
        .await
        .expect("membership");
    person
}

/// A fake server's usual set-up for organizations' senders: STARTTLS with a certificate for `localhost` and
/// 127.0.0.1 from `ca`, no AUTH.
pub fn starttls(ca: &TestCa) -> FakeSmtpConfig {
    FakeSmtpConfig {
        tls: TlsMode::StartTls(ca.leaf(&["localhost", "127.0.0.1"])),
        credentials: None,
    }
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

/// The received message whose Message-ID is `message_id`.
pub fn find_received<'a>(received: &'a [Received], message_id: &str) -> &'a Received {
    received
        .iter()
        .find(|r| r.header("Message-ID").as_deref() == Some(message_id))
        .unwrap_or_else(|| {
            panic!(
                "no message with Message-ID {message_id} among {} received",
                received.len()
            )
        })
}

/// A mailbox as (display name, address).
pub type Mailbox = Option<(String, String)>;

pub fn mailbox(name: &str, address: &str) -> Mailbox {
    Some((name.to_owned(), address.to_owned()))
}

/// (From, Reply-To) of a received message, read with mail-parser.
pub fn from_and_reply_to(received: &Received) -> (Mailbox, Mailbox) {
    let message = MessageParser::default()
        .parse(&received.data)
        .expect("mail-parser reads the message");
    let first = |a: Option<&mail_parser::Address<'_>>| {
        a.and_then(|a| a.iter().next()).map(|m| {
            (
                m.name().unwrap_or_default().to_owned(),
                m.address().unwrap_or_default().to_owned(),
            )
        })
    };
    (first(message.from()), first(message.reply_to()))
}

/// The Message-IDs a server received, in order.
pub fn message_ids(messages: &[Received]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m.header("Message-ID").expect("every message has a Message-ID"))
        .collect()
}
