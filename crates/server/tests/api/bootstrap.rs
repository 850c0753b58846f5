use crate::helpers::TestApp;
use convene_server::tenancy;
use reqwest::StatusCode;

#[tokio::test]
async fn first_start_creates_an_instance_admin_whose_key_works() {
    let app = TestApp::spawn().await;
    let me = app.get("/v2/me", &app.admin_key).await;
    let data = me.expect_success(StatusCode::OK);
    assert_eq!(data["email"], "root@convene.test");
}

#[tokio::test]
async fn bootstrap_runs_only_once() {
    let app = TestApp::spawn().await;
    let again = tenancy::bootstrap_instance_admin(&app.db, Some("second@convene.test"), None)
        .await
        .expect("bootstrap");
    assert!(
        again.is_none(),
        "a second instance admin must not be created on restart"
    );
}

#[tokio::test]
async fn bootstrap_takes_the_configured_password() {
    let app = TestApp::spawn().await;
    let user = convene_store::users::find_by_email(&app.db, "root@convene.test")
        .await
        .expect("query")
        .expect("admin");
    let hash = user.password_hash.expect("password set");
    assert!(convene_server::credentials::verify_password("instance-admin-pw", &hash));
    assert!(user.is_instance_admin);
}
