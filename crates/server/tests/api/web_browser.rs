//! The sign-in flow in real headless Chromium, driven through chromedriver (WebDriver).
//! Needs Debian's `chromium` and `chromium-driver` (CHROMEDRIVER / CHROMIUM override the paths).

use crate::helpers::TestApp;
use convene_core::EmailAddress;
use convene_server::{ServerSettings, tenancy};
use convene_store::teams::TeamFields;
use fantoccini::{Client, ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A chromedriver process and the Chromium it started; all of them end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing chromedriver alone leaves its Chromium and that browser's helpers running: hundreds of them
        // after a full run, holding gigabytes. They all share the process group chromedriver was started in.
        if let Ok(group) = i32::try_from(self.driver.id()) {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    pub async fn launch() -> Browser {
        Self::launch_with(true).await
    }

    /// A browser with JavaScript switched off, for the flows that must work without it.
    pub async fn launch_without_javascript() -> Browser {
        Self::launch_with(false).await
    }

    async fn launch_with(javascript: bool) -> Browser {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&driver_path).exists() && std::path::Path::new(&chromium).exists(),
            "browser tests need Chromium and chromedriver: apt-get install chromium chromium-driver \
             (or set CHROMIUM / CHROMEDRIVER)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 } }
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        _profile: profile,
                    };
                }
                Err(e) => {
                    last_error = e.to_string();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("could not start a browser session: {last_error}");
    }
}

/// Waits until the page that answers a click has replaced the one holding `old` and has finished loading. A
/// notice or a list on the old page may look like the answer, and a half-loaded new page may look empty, so
/// reading either too early would test the wrong page.
pub async fn wait_replaced(c: &Client, old: &fantoccini::elements::Element) {
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..200 {
        let state = c.execute("return document.readyState", vec![]).await;
        if state.ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref() == Some("complete") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page that answers the click never finished loading");
}

#[tokio::test]
async fn sign_in_shows_my_organizations_and_sign_out_returns_to_the_form() {
    // Default settings: Secure cookies, which browsers accept on http://localhost.
    let app = TestApp::spawn_with(ServerSettings::default()).await;
    let email = EmailAddress::parse("email", "browser@example.test").expect("email");
    let account = tenancy::create_account(&app.db, &email, "Bea Browser", Some("open sesame 123".into()), false)
        .await
        .expect("account");
    let fields = TeamFields {
        name: Some("Browser Org".into()),
        slug: Some("browser-org".into()),
        ..TeamFields::default()
    };
    tenancy::create_organization(&app.db, &fields, account.user.id)
        .await
        .expect("org");
    let base = app.address.replace("127.0.0.1", "localhost");

    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&format!("{base}/")).await.expect("open home");
    assert!(
        c.current_url().await.expect("url").path().ends_with("/auth/login"),
        "redirected to sign-in"
    );

    c.find(Locator::Id("email"))
        .await
        .expect("email field")
        .send_keys("browser@example.test")
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password field")
        .send_keys("wrong")
        .await
        .expect("type");
    c.find(Locator::Id("sign-in"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let error = c.wait().for_element(Locator::Id("error")).await.expect("error shown");
    assert_eq!(error.text().await.expect("text"), "Incorrect email or password.");

    c.find(Locator::Id("password"))
        .await
        .expect("password field")
        .send_keys("open sesame 123")
        .await
        .expect("type");
    c.find(Locator::Id("sign-in"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let orgs = c
        .wait()
        .for_element(Locator::Id("orgs"))
        .await
        .expect("organizations listed");
    let text = orgs.text().await.expect("text");
    assert!(text.contains("Browser Org") && text.contains("OWNER"), "{text}");
    let who = c
        .find(Locator::Id("signed-in-as"))
        .await
        .expect("who")
        .text()
        .await
        .expect("text");
    assert!(who.contains("browser@example.test"), "{who}");

    c.find(Locator::Id("sign-out"))
        .await
        .expect("sign-out")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Id("login-form"))
        .await
        .expect("back at the form");
    c.goto(&format!("{base}/")).await.expect("home again");
    assert!(
        c.current_url().await.expect("url").path().ends_with("/auth/login"),
        "signed out for real"
    );
    browser.client.clone().close().await.expect("close");
}

/// The few steps every browser test takes, on elements named by their `id`: each waits for its element, so a test
/// reads as what a person does.
pub mod by_id {
    use fantoccini::{Client, Locator};

    pub async fn click(c: &Client, id: &str) {
        super::click(c, Locator::Id(id), &format!("#{id}")).await;
    }

    /// Replaces what the field holds with `text`.
    pub async fn type_into(c: &Client, id: &str, text: &str) {
        let field = wait_for(c, id).await;
        field.clear().await.unwrap_or_else(|e| panic!("clear #{id}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into #{id}: {e}"));
    }

    /// Clicks `id` and waits for the page that answers (see [`super::wait_replaced`]).
    pub async fn follow(c: &Client, id: &str) {
        let clicked = wait_for(c, id).await;
        clicked.click().await.unwrap_or_else(|e| panic!("click #{id}: {e}"));
        super::wait_replaced(c, &clicked).await;
    }

    pub async fn wait_for(c: &Client, id: &str) -> fantoccini::elements::Element {
        c.wait()
            .for_element(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("waiting for #{id}: {e}"))
    }

    pub async fn text_of(c: &Client, id: &str) -> String {
        wait_for(c, id)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of #{id}: {e}"))
    }
}

/// The same steps on elements named by a CSS selector.
pub mod by_css {
    use fantoccini::{Client, Locator};

    pub async fn click(c: &Client, css: &str) {
        super::click(c, Locator::Css(css), css).await;
    }

    pub async fn text_of(c: &Client, css: &str) -> String {
        c.wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }
}

/// Clicks the element once it is there; when a script replaced it between finding and clicking, finds it again.
async fn click(c: &Client, locator: Locator<'_>, name: &str) {
    for _ in 0..20 {
        let element = c
            .wait()
            .for_element(locator)
            .await
            .unwrap_or_else(|e| panic!("waiting for {name}: {e}"));
        match element.click().await {
            Ok(()) => return,
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("click {name}: {e}"),
        }
    }
    panic!("{name} kept going stale");
}
