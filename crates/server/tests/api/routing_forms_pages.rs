//! The routing form pages of the app: the owner sees their forms and each form's responses (answers by label, the
//! route taken, newest first, a page at a time); nobody else reaches a form's responses.

use crate::routing_forms::Rig;
use crate::web_app_bookings::{get, signed_in};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_owner_reads_each_forms_responses_and_others_find_nothing() {
    let t = Rig::start().await;
    let form = t.create_form().await;
    for (name, topic) in [("Ada", "Support"), ("Bo", "Sales")] {
        t.respond(
            &form,
            json!({"name": name, "email": format!("{}@example.test", name.to_lowercase()), "Topic": topic}),
        )
        .await;
    }
    let owner = signed_in(t.app(), "owner@acme.test").await;
    let (status, list) = get(t.app(), &owner, "/routing-forms").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("id=\"responses-{form}\"")), "{list}");
    assert!(
        list.contains("id=\"nav-routing-forms\" aria-current=\"page\""),
        "{list}"
    );

    let (status, page) = get(t.app(), &owner, &format!("/routing-forms/{form}/responses")).await;
    assert_eq!(status, StatusCode::OK);
    let (bo, ada) = (page.find("<dd>Bo</dd>"), page.find("<dd>Ada</dd>"));
    assert!(bo.is_some() && ada.is_some() && bo < ada, "newest first: {page}");
    assert!(page.contains("<dt>Topic</dt><dd>Support</dd>"), "{page}");
    assert!(!page.contains("id=\"next-page\""), "{page}");

    let member = signed_in(t.app(), "member@acme.test").await;
    let (status, _) = get(t.app(), &member, &format!("/routing-forms/{form}/responses")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = get(t.app(), &member, "/routing-forms").await;
    assert!(theirs.contains("id=\"no-forms\""), "{theirs}");
}
