use crate::helpers::TestApp;
use convene_server::ServerSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn raw_patch_me(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> crate::helpers::Answer {
    let response = app
        .client
        .patch(format!("{}/v2/me", app.address))
        .bearer_auth(&app.admin_key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    TestApp::answer(response).await
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_error_envelope() {
    let app = TestApp::spawn().await;
    let answer = app.get("/v2/no-such-thing", &app.admin_key).await;
    let message = answer.expect_error(StatusCode::NOT_FOUND);
    assert_eq!(message, "Cannot GET /v2/no-such-thing");
    assert_eq!(answer.body["error"]["code"], "NotFoundException");
}

#[tokio::test]
async fn wrong_method_is_405_in_the_error_envelope() {
    let app = TestApp::spawn().await;
    app.request(Method::PUT, "/v2/me", Some(&app.admin_key), Some(json!({})))
        .await
        .expect_error(StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::spawn_with(ServerSettings {
        max_body_bytes: 4096,
        secure_cookies: false,
        ..ServerSettings::default()
    })
    .await;
    let big = json!({ "bio": "x".repeat(10_000) }).to_string();
    raw_patch_me(&app, "application/json", big)
        .await
        .expect_error(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    let answer = raw_patch_me(&app, "application/json", "{\"name\": ").await;
    let message = answer.expect_error(StatusCode::BAD_REQUEST);
    assert!(message.contains("not valid JSON"), "{message}");
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let app = TestApp::spawn().await;
    raw_patch_me(&app, "text/plain", "{\"name\":\"x\"}")
        .await
        .expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn wrong_types_and_huge_numbers_name_the_field() {
    let app = TestApp::spawn().await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "timeFormat": "24" }), "timeFormat"),
        (json!({ "timeFormat": 1e300 }), "timeFormat"),
        (
            json!({ "timeFormat": 99999999999999999999999999u128.to_string().parse::<f64>().unwrap_or(1e30) }),
            "timeFormat",
        ),
        (json!({ "timeFormat": 13 }), "timeFormat"),
        (json!({ "name": 5 }), "name"),
        (json!({ "name": ["a"] }), "name"),
        (json!({ "metadata": "x" }), "metadata"),
        (json!({ "timeZone": "" }), "timeZone"),
        (json!({ "timeZone": "Not/AZone" }), "timeZone"),
        (json!({ "locale": "klingon" }), "locale"),
        (json!({ "weekStart": "Caturday" }), "weekStart"),
        (json!({ "email": "" }), "email"),
        (json!({ "email": "no-at-sign" }), "email"),
        (json!({ "avatarUrl": "javascript:alert(1)" }), "avatarUrl"),
    ];
    for (body, field) in cases {
        let answer = app.patch("/v2/me", &app.admin_key, body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body} → {}", answer.body);
        answer.expect_field_error(field);
    }
}

#[tokio::test]
async fn huge_integers_in_the_body_are_400_not_500() {
    let app = TestApp::spawn().await;
    let answer = raw_patch_me(
        &app,
        "application/json",
        r#"{"timeFormat": 123456789012345678901234567890}"#,
    )
    .await;
    answer.expect_field_error("timeFormat");
}

#[tokio::test]
async fn unicode_is_kept_and_control_characters_are_rejected() {
    let app = TestApp::spawn().await;
    let ok = app
        .patch("/v2/me", &app.admin_key, json!({ "name": "Zoë Ødegaard 山田 🙂" }))
        .await;
    assert_eq!(ok.expect_success(StatusCode::OK)["name"], "Zoë Ødegaard 山田 🙂");
    app.patch(
        "/v2/me",
        &app.admin_key,
        json!({ "name": "Eve\r\nBcc: victim@example.com" }),
    )
    .await
    .expect_field_error("name");
    app.patch(
        "/v2/me",
        &app.admin_key,
        json!({ "email": "eve@example.com\r\nBcc: x@y.z" }),
    )
    .await
    .expect_field_error("email");
}

#[tokio::test]
async fn bad_path_ids_are_400_naming_the_parameter() {
    let app = TestApp::spawn().await;
    app.get("/v2/organizations/abc/teams", &app.admin_key)
        .await
        .expect_field_error("orgId");
    app.get("/v2/organizations/99999999999999999999999/teams", &app.admin_key)
        .await
        .expect_field_error("orgId");
    app.get("/v2/organizations/-1/teams", &app.admin_key)
        .await
        .expect_field_error("orgId");
}

#[tokio::test]
async fn bad_paging_is_400_naming_the_parameter() {
    let app = TestApp::spawn().await;
    app.get("/v2/admin/organizations?take=0", &app.admin_key)
        .await
        .expect_field_error("take");
    app.get("/v2/admin/organizations?take=abc", &app.admin_key)
        .await
        .expect_field_error("take");
    app.get("/v2/admin/organizations?skip=-1", &app.admin_key)
        .await
        .expect_field_error("skip");
}

#[tokio::test]
async fn unversioned_endpoints_ignore_the_cal_api_version_header() {
    let app = TestApp::spawn().await;
    for version in ["2024-08-13", "2024-06-14", "nonsense"] {
        let response = app
            .client
            .get(format!("{}/v2/me", app.address))
            .bearer_auth(&app.admin_key)
            .header("cal-api-version", version)
            .send()
            .await
            .expect("send");
        TestApp::answer(response).await.expect_success(StatusCode::OK);
    }
}

#[tokio::test]
async fn openapi_document_describes_the_routes() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .client
        .get(format!("{}/v2/openapi.json", app.address))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in [
        "/v2/me",
        "/v2/api-keys/refresh",
        "/v2/organizations/{orgId}/teams",
        "/v2/organizations/{orgId}/teams/{teamId}",
        "/v2/organizations/{orgId}/memberships/{membershipId}",
        "/v2/organizations/{orgId}/teams/{teamId}/memberships",
        "/v2/organizations/{orgId}/users/{userId}",
        "/v2/admin/organizations",
        "/v2/admin/organizations/{orgId}/features/{flag}",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let docs = app
        .client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .expect("send");
    // The viewer lives under `/docs/`; the bare path sends browsers there.
    assert!(docs.status().is_redirection(), "{}", docs.status());
    assert_eq!(docs.headers()["location"], "/docs/");
}

/// `/docs` works on a machine without internet: the page and everything it loads come from this server,
/// and it reads this server's document.
#[tokio::test]
async fn the_api_docs_load_nothing_from_outside() {
    let app = TestApp::spawn().await;
    let text = |path: String| {
        let app = &app;
        async move {
            let response = app
                .client
                .get(format!("{}{path}", app.address))
                .send()
                .await
                .expect("send");
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            response.text().await.expect("text")
        }
    };
    let page = text("/docs/".into()).await;
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in page.split(attribute).skip(1) {
            let target = piece.split('"').next().unwrap_or_default().to_owned();
            assert!(!target.contains("//"), "the page loads {target} from elsewhere");
            assets.push(target);
        }
    }
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{page}");
    for asset in assets {
        let body = text(format!("/docs/{}", asset.trim_start_matches("./"))).await;
        assert!(!body.is_empty(), "{asset}");
    }
    let init = text("/docs/swagger-initializer.js".into()).await;
    assert!(init.contains("/v2/openapi.json"), "{init}");
    assert!(!init.contains("https://"), "{init}");
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let health: Value = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    app.get("/v2/me", &app.admin_key).await.expect_success(StatusCode::OK);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("convene_http_requests_total{method=\"GET\",route=\"/v2/me\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("convene_api_rate_limited_total"), "{metrics}");
}

#[tokio::test]
async fn no_request_body_makes_the_server_fail() {
    let app = TestApp::spawn().await;
    let (org, owner) = app.organization("fuzz").await;
    let team = app
        .post(
            &format!("/v2/organizations/{org}/teams"),
            &owner.key,
            json!({ "name": "T" }),
        )
        .await
        .data()["id"]
        .clone();
    let ship = app
        .get(&format!("/v2/organizations/{org}/memberships"), &owner.key)
        .await
        .data()[0]["id"]
        .clone();
    let targets = [
        (Method::PATCH, "/v2/me".to_owned()),
        (Method::POST, "/v2/api-keys/refresh".to_owned()),
        (Method::POST, format!("/v2/organizations/{org}/teams")),
        (Method::PATCH, format!("/v2/organizations/{org}/teams/{team}")),
        (Method::POST, format!("/v2/organizations/{org}/memberships")),
        (Method::PATCH, format!("/v2/organizations/{org}/memberships/{ship}")),
        (Method::POST, format!("/v2/organizations/{org}/users")),
        (Method::PATCH, format!("/v2/organizations/{org}/users/{}", owner.id)),
        (
            Method::POST,
            format!("/v2/organizations/{org}/teams/{team}/memberships"),
        ),
        (Method::POST, "/v2/admin/organizations".to_owned()),
        (
            Method::PUT,
            format!("/v2/admin/organizations/{org}/features/custom-smtp"),
        ),
    ];
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let bodies: Vec<Vec<u8>> = vec![
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        b"123".to_vec(),
        b"{\"name\": null, \"email\": null, \"userId\": null, \"role\": null}".to_vec(),
        b"{\"name\": {\"a\": 1}, \"slug\": [], \"metadata\": []}".to_vec(),
        b"{\"userId\": 1e400, \"timeFormat\": -1e400}".to_vec(),
        b"{\"userId\": -9223372036854775808, \"role\": \"OWNER\"}".to_vec(),
        b"{\"name\": \"\\ud800\"}".to_vec(),
        b"{\"email\": \"\\u0000@x.com\", \"name\": \"\\u0000\"}".to_vec(),
        vec![b'{', 0xff, 0xfe, b'}'],
        deep.into_bytes(),
        json!({ "name": "x".repeat(100_000) }).to_string().into_bytes(),
        json!({ "metadata": { "k": "v".repeat(600) } }).to_string().into_bytes(),
    ];
    for (method, path) in &targets {
        for body in &bodies {
            // Use the instance admin and then the owner so both permission paths see the body.
            for key in [&app.admin_key, &owner.key] {
                let response = app
                    .client
                    .request(method.clone(), format!("{}{}", app.address, path))
                    .bearer_auth(key)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("send");
                let status = response.status();
                let answer = TestApp::answer(response).await;
                assert!(
                    !status.is_server_error(),
                    "{method} {path} with {:?} → {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(60)]),
                    answer.body
                );
                assert!(answer.body["status"].is_string(), "{method} {path}: not an envelope");
            }
        }
    }
}
