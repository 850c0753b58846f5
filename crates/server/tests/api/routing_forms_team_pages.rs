//! A team's routing forms in the app: whoever manages the team makes one from the forms list (the team's event
//! types become its routes' targets), the team's members and the organization's admins find it listed with its
//! team named, and a member who asks to make one for the team — by the page or by a hand-made post — finds
//! nothing and makes nothing.

use crate::helpers::TestApp;
use crate::helpers::email::joined;
use crate::routing_forms::Rig;
use crate::routing_forms_builder_more::form_pairs;
use crate::web_app_bookings::{csrf_of, get, post, signed_in};
use convene_core::{Role, TeamId};
use convene_store::routing_forms::{FormScope, ListFilter, find_form, list_forms};
use reqwest::StatusCode;
use serde_json::json;

async fn team_forms(app: &TestApp, team: i64) -> Vec<String> {
    let all = ListFilter {
        take: 100,
        ..ListFilter::default()
    };
    let found = list_forms(&app.db, FormScope::Team(TeamId(team)), &all)
        .await
        .expect("list");
    found.into_iter().map(|f| f.id).collect()
}

fn with(pairs: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != name).cloned().collect();
    pairs.push((name.to_owned(), value.to_owned()));
    pairs
}

fn refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn a_team_admin_makes_the_teams_form_in_the_app_and_its_members_find_it_listed() {
    let t = Rig::start().await;
    let app = t.app();
    let (org, team) = (t.org, t.team);
    let lead = joined(app, org, "lead@acme.test", Role::Member).await;
    app.post(
        &format!("/v2/organizations/{org}/teams/{team}/memberships"),
        &t.owner.key,
        json!({ "userId": lead.id, "role": "ADMIN", "accepted": true }),
    )
    .await
    .expect_success(StatusCode::CREATED);

    // The team's ADMIN is offered a form for the team, and the builder knows which team it is for.
    let lead_web = signed_in(app, "lead@acme.test").await;
    let (status, list) = get(app, &lead_web, "/routing-forms").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let link = format!(r#"href="/routing-forms/new?team={team}""#);
    assert!(list.contains(&link), "{list}");
    let (status, editor) = get(app, &lead_web, &format!("/routing-forms/new?team={team}")).await;
    assert_eq!(status, StatusCode::OK, "{editor}");
    assert!(
        editor.contains(&format!(r#"<input type="hidden" name="team" value="{team}">"#)),
        "{editor}"
    );
    let pairs = with(&form_pairs(&editor, "routing-form-form"), "name", "Support triage");
    let (status, to) = post(app, &lead_web, "/routing-forms", &refs(&pairs)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let id = to
        .strip_prefix("/routing-forms/")
        .and_then(|rest| rest.strip_suffix("?notice=saved"))
        .expect("the new form's page")
        .to_owned();
    let made = find_form(&app.db, &id).await.expect("find").expect("the form");
    assert_eq!(
        (made.team_id, made.organization_id, made.user_id.0, made.name.as_str()),
        (Some(TeamId(team)), Some(TeamId(org)), lead.id, "Support triage")
    );
    // The API lists it among the team's forms.
    let listed = app
        .get(
            &format!("/v2/organizations/{org}/teams/{team}/routing-forms"),
            &t.owner.key,
        )
        .await;
    let listed = listed.expect_success(StatusCode::OK);
    assert!(listed.to_string().contains(&id), "{listed}");

    let (_, list) = get(app, &lead_web, "/routing-forms").await;
    assert!(list.contains(&format!(r#"id="edit-{id}""#)), "{list}");

    // The team's MEMBER finds it listed with its team named, and is not offered to make one.
    let member = signed_in(app, "member@acme.test").await;
    let (_, list) = get(app, &member, "/routing-forms").await;
    assert!(list.contains(&format!(r#"id="form-{id}""#)), "{list}");
    assert!(list.contains(&format!(r#"id="team-of-{id}""#)), "{list}");
    assert!(!list.contains("/routing-forms/new?team="), "{list}");
    assert!(
        !list.contains(&format!(r#"id="edit-{id}""#)),
        "a member only reads it: {list}"
    );
    // Asking anyway finds nothing, by the page or by a post naming the team; no form is made.
    assert_eq!(
        get(app, &member, &format!("/routing-forms/new?team={team}")).await.0,
        StatusCode::NOT_FOUND
    );
    let csrf = csrf_of(&get(app, &member, "/routing-forms/new").await.1);
    let sneaky = with(&with(&pairs, "csrf", &csrf), "name", "Sneaky");
    assert_eq!(
        post(app, &member, "/routing-forms", &refs(&sneaky)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(team_forms(app, team).await, vec![id.clone()], "only the admin's form");

    // The organization's ADMIN, outside the team, finds it too; someone outside the organization does not.
    let admin = signed_in(app, "admin@acme.test").await;
    let (_, list) = get(app, &admin, "/routing-forms").await;
    assert!(list.contains(&format!(r#"id="form-{id}""#)), "{list}");
    assert!(list.contains(&link), "an organization admin manages its teams: {list}");
    let outsider = signed_in(app, "nobody@example.test").await;
    let (_, list) = get(app, &outsider, "/routing-forms").await;
    assert!(
        !list.contains(&id) && !list.contains("/routing-forms/new?team="),
        "{list}"
    );
    let csrf = csrf_of(&get(app, &outsider, "/routing-forms/new").await.1);
    assert_eq!(
        post(app, &outsider, "/routing-forms", &refs(&with(&pairs, "csrf", &csrf)))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(team_forms(app, team).await, vec![id], "still only the admin's form");
}
