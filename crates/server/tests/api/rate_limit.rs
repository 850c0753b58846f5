use crate::helpers::TestApp;
use convene_server::ServerSettings;
use reqwest::StatusCode;
use std::num::NonZeroU32;

#[tokio::test]
async fn a_key_over_its_limit_gets_429_with_retry_after_and_others_are_unaffected() {
    let settings = ServerSettings {
        rate_limit_per_minute: NonZeroU32::new(5).expect("nonzero"),
        secure_cookies: false,
        ..ServerSettings::default()
    };
    let app = TestApp::spawn_with(settings).await;
    let busy = app.user("busy@example.test").await;
    let calm = app.user("calm@example.test").await;
    for _ in 0..5 {
        app.get("/v2/me", &busy.key).await.expect_success(StatusCode::OK);
    }
    let limited = app.get("/v2/me", &busy.key).await;
    limited.expect_error(StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("numeric Retry-After");
    // 5 per minute refills one request every 12 s.
    assert!((1..=12).contains(&retry_after), "Retry-After {retry_after}");
    app.get("/v2/me", &calm.key).await.expect_success(StatusCode::OK);
}
