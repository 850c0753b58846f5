//! The routing form pages of the app: the owner sees their forms and each form's responses (answers by label, the
//! route taken, newest first, a page at a time); a team form's members read its responses too, as the API lets
//! them; nobody outside reaches them.

use crate::routing_forms::Rig;
use crate::web_app_bookings::{get, signed_in};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_owner_and_the_teams_members_read_each_forms_responses_and_outsiders_find_nothing() {
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

    // The team's MEMBER reads them (`GET …/teams/{teamId}/routing-forms/{id}/responses` is theirs too) and finds
    // the form listed, but without the builder's link: only the team's managers edit it.
    let member = signed_in(t.app(), "member@acme.test").await;
    let (status, theirs) = get(t.app(), &member, &format!("/routing-forms/{form}/responses")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(theirs.contains("<dd>Bo</dd>"), "{theirs}");
    let (_, theirs) = get(t.app(), &member, "/routing-forms").await;
    assert!(theirs.contains(&format!("id=\"responses-{form}\"")), "{theirs}");
    assert!(!theirs.contains(&format!("id=\"edit-{form}\"")), "{theirs}");
    assert!(
        list.contains(&format!("id=\"edit-{form}\"")),
        "the owner's list has it: {list}"
    );
    let outsider = signed_in(t.app(), "nobody@example.test").await;
    let (status, _) = get(t.app(), &outsider, &format!("/routing-forms/{form}/responses")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
