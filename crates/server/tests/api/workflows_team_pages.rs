//! A team's workflow pages: the organization's OWNER makes an event-type workflow and a routing-form workflow for
//! the team on the pages, and the API's team lists hold them; refusals show beside their field; a team MEMBER and
//! an outsider find none of the pages; deleting removes the workflow. In real headless Chromium a team admin makes a
//! routing-form workflow for one form, with axe-core finding no serious or critical violation on the pages.

use crate::routing_forms::Rig;
use crate::web_app_bookings::csrf_of;
use crate::web_app_bookings::{get, signed_in};
use crate::web_browser::by_id::{follow, type_into, wait_for};
use reqwest::StatusCode;
use serde_json::Value;

async fn post(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let answer = client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("send");
    let status = answer.status();
    let to = answer
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned());
    (status, to.unwrap_or(answer.text().await.expect("html")))
}

/// The names of the workflows the API lists at `path`.
async fn names(t: &Rig, path: &str) -> Vec<String> {
    let listed = t.app().get(path, &t.owner.key).await;
    listed
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|w| w["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn team_admins_keep_the_teams_workflows_on_the_pages_and_others_find_nothing() {
    let t = Rig::start().await;
    let app = t.app();
    let form = t.create_form().await;
    let event = t.event.to_string();
    let base = format!("/settings/organizations/{}/teams/{}/workflows", t.org, t.team);
    let forms_base = format!("{base}/routing-form");
    let api = format!("/v2/organizations/{}/teams/{}/workflows", t.org, t.team);

    let owner = signed_in(app, "owner@acme.test").await;
    let (status, list) = get(app, &owner, &base).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        list.contains("id=\"no-workflows\"") && list.contains("id=\"team-form-workflows\""),
        "{list}"
    );
    let csrf = csrf_of(&list);

    // An event-type workflow on the team's event type.
    let (status, to) = post(
        app,
        &owner,
        &base,
        &[
            ("csrf", &csrf),
            ("stepCount", "1"),
            ("name", "Day before"),
            ("trigger", "beforeEvent"),
            ("offset", "24"),
            ("unit", "hour"),
            ("eventTypes", &event),
            ("step0-action", "email_attendee"),
            ("step0-template", "reminder"),
            ("step0-subject", "Tomorrow: {EVENT_NAME}"),
            ("step0-body", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert!(
        to.starts_with(&format!("{base}/")) && to.ends_with("?notice=saved"),
        "{to}"
    );
    let (status, editor) = get(app, &owner, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        editor.contains(&format!("id=\"event-type-{event}\" checked")),
        "{editor}"
    );
    assert_eq!(names(&t, &api).await, ["Day before"]);

    // A routing-form workflow: its editor offers the team's forms and the form triggers only.
    let (status, editor) = get(app, &owner, &format!("{forms_base}/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        editor.contains(&format!("id=\"form-{form}\"")) && editor.contains("value=\"formSubmitted\""),
        "{editor}"
    );
    assert!(!editor.contains("value=\"beforeEvent\""), "{editor}");
    assert!(
        editor.contains("<code>{FORM_NAME}</code>"),
        "the form variables are listed: {editor}"
    );
    let mut made = vec![
        ("csrf", csrf.as_str()),
        ("stepCount", "1"),
        ("name", "After the form"),
        ("trigger", "beforeEvent"),
        ("offset", ""),
        ("unit", "hour"),
        ("forms", form.as_str()),
        ("step0-action", "email_attendee"),
        ("step0-template", "custom"),
        ("step0-subject", "Thanks {ATTENDEE_NAME}"),
        ("step0-body", "<p>We read your answers to {FORM_NAME}.</p>"),
    ];
    let (status, page) = post(app, &owner, &forms_base, &made).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"trigger-error\""), "{page}");
    assert!(page.contains("value=\"Thanks {ATTENDEE_NAME}\""), "{page}");
    made[3] = ("trigger", "formSubmitted");
    let (status, to) = post(app, &owner, &forms_base, &made).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let path = to.trim_end_matches("?notice=saved").to_owned();
    assert!(path.starts_with(&format!("{forms_base}/")), "{path}");
    let (_, editor) = get(app, &owner, &to).await;
    assert!(editor.contains(&format!("id=\"form-{form}\" checked")), "{editor}");
    let listed = app.get(&format!("{api}/routing-form"), &t.owner.key).await;
    let listed: Value = listed.expect_success(StatusCode::OK).clone();
    assert_eq!(listed[0]["name"], "After the form", "{listed}");
    // The owner's personal workflows are another list.
    let (_, personal) = get(app, &owner, "/workflows").await;
    assert!(personal.contains("id=\"no-workflows\""), "{personal}");

    // A team MEMBER (not an admin) and an outsider find none of it.
    for email in ["member@acme.test", "nobody@example.test"] {
        let other = signed_in(app, email).await;
        for page in [&base, &forms_base, &path] {
            assert_eq!(get(app, &other, page).await.0, StatusCode::NOT_FOUND, "{email} {page}");
        }
        let other_csrf = csrf_of(&get(app, &other, "/workflows").await.1);
        let (status, _) = post(app, &other, &format!("{path}/delete"), &[("csrf", &other_csrf)]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{email}");
    }

    let (status, to) = post(app, &owner, &format!("{path}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, &*format!("{forms_base}?notice=deleted"))
    );
    assert_eq!(get(app, &owner, &path).await.0, StatusCode::NOT_FOUND);
    let listed = app.get(&format!("{api}/routing-form"), &t.owner.key).await;
    assert_eq!(listed.expect_success(StatusCode::OK).as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_team_admin_makes_a_routing_form_workflow_in_the_browser() {
    let axe_dir = crate::npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let t = Rig::start().await;
    let app = t.app();
    let form = t.create_form().await;
    let browser = crate::web_browser::Browser::launch().await;
    let c = &browser.client;
    let mut found = Vec::new();

    let list = format!(
        "{}/settings/organizations/{}/teams/{}/workflows/routing-form",
        app.address, t.org, t.team
    );
    c.goto(&list).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", "owner@acme.test").await;
    type_into(c, "password", crate::helpers::PASSWORD).await;
    follow(c, "sign-in").await;
    wait_for(c, "no-workflows").await;
    found.extend(crate::web_a11y::violations(c, &axe).await);

    follow(c, "new-workflow").await;
    wait_for(c, "workflow-form").await;
    found.extend(crate::web_a11y::violations(c, &axe).await);
    type_into(c, "name", "Thanks for asking").await;
    wait_for(c, "all").await.click().await.expect("untick all");
    wait_for(c, &format!("form-{form}"))
        .await
        .click()
        .await
        .expect("the form");
    type_into(c, "step0-subject", "Thanks {ATTENDEE_NAME}").await;
    follow(c, "save-workflow").await;
    wait_for(c, "notice").await;
    found.extend(crate::web_a11y::violations(c, &axe).await);
    assert!(found.is_empty(), "accessibility: {found:#?}");

    let listed = app
        .get(
            &format!("/v2/organizations/{}/teams/{}/workflows/routing-form", t.org, t.team),
            &t.owner.key,
        )
        .await;
    let listed = listed.expect_success(StatusCode::OK);
    assert_eq!(listed[0]["name"], "Thanks for asking");
    assert_eq!(
        listed[0]["activation"]["activeOnRoutingFormIds"],
        serde_json::json!([form])
    );
}
