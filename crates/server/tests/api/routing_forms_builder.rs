//! The routing form builder pages: over plain HTTP a form built on the pages is the service's (the public form
//! routes by it), refusals show beside their row with what was typed kept, and nobody else reaches the form; in
//! real headless Chromium a host builds a form with two questions and two routes — each question saved together
//! with the route testing it —, and visitors are routed as built, with axe-core finding no serious or critical
//! violation on the builder.

use crate::helpers::{PASSWORD, TestApp};
use crate::npm;
use crate::web_a11y::violations;
use crate::web_app_bookings::post;
use crate::web_app_bookings::{get, signed_in};
use crate::web_browser::by_id::{type_into, wait_for};
use crate::web_browser::{Browser, wait_replaced};
use crate::workflows_pages::host_with_intro;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

const HOST: &str = "builder@pages.test";
/// The booker of the host's "Intro" (usernames are the address with '@' and '.' as '-').
const INTRO: &str = "/builder-pages-test/intro";

/// The value of the first control named `name` on a page.
fn value_of(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        .to_owned()
}

/// The stored fields and routes of a form.
async fn stored(app: &TestApp, id: &str) -> (Value, Value) {
    let form = convene_store::routing_forms::find_form(&app.db, id)
        .await
        .expect("find")
        .expect("the form");
    let parse = |s: &str| serde_json::from_str::<Value>(s).expect("json");
    (parse(&form.fields), parse(&form.routes))
}

#[tokio::test]
async fn a_form_built_on_the_pages_routes_as_built_and_is_kept_to_its_owner() {
    let app = TestApp::spawn().await;
    let event = host_with_intro(&app, HOST).await.to_string();
    let host = signed_in(&app, HOST).await;
    let (status, list) = get(&app, &host, "/routing-forms").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("id=\"new-form\"") && list.contains("id=\"no-forms\""),
        "{list}"
    );
    let csrf = value_of(&list, "csrf");

    // No name: refused beside the name, the typed question and description kept.
    let mut create = vec![
        ("csrf", csrf.as_str()),
        ("name", ""),
        ("description", "Tell us what you need"),
        ("fieldRows", "1"),
        ("f0-type", "select"),
        ("f0-label", "Topic"),
        ("f0-options", "Sales\n\nSupport"),
        ("f0-required", "true"),
        ("routeRows", "1"),
        ("r0-action", "eventType"),
        ("r0-eventType", event.as_str()),
        ("r0-ruleRows", "1"),
        ("r0-k0-field", ""),
        ("fb-action", "message"),
        ("fb-message", "Thanks!"),
    ];
    let (status, page) = post(&app, &host, "/routing-forms", &create).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"name-error\""), "{page}");
    assert!(
        page.contains("value=\"Topic\"") && page.contains(">Tell us what you need</textarea>"),
        "{page}"
    );
    create[1] = ("name", "Contact us");
    let (status, to) = post(&app, &host, "/routing-forms", &create).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let id = to
        .strip_prefix("/routing-forms/")
        .and_then(|rest| rest.strip_suffix("?notice=saved"))
        .unwrap_or_else(|| panic!("{to}"))
        .to_owned();
    let (fields, routes) = stored(&app, &id).await;
    assert_eq!(fields[0]["label"], "Topic");
    assert_eq!(fields[0]["required"], true);
    assert_eq!(fields[0]["options"].as_array().map(Vec::len), Some(2), "{fields}");
    assert_eq!(routes[0]["action"]["eventTypeId"], event.parse::<i64>().expect("id"));
    assert_eq!(routes[1]["isFallback"], true);

    let (status, editor) = get(&app, &host, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        editor.contains("id=\"notice\"") && editor.contains("id=\"f0-remove\""),
        "{editor}"
    );
    assert!(
        editor.contains(&format!("<option value=\"{event}\" selected>")),
        "{editor}"
    );
    let topic = value_of(&editor, "f0-id");
    let first = value_of(&editor, "r0-id");
    let fallback = value_of(&editor, "fb-id");
    let path = format!("/routing-forms/{id}");

    // A second question and route: "between" on a choice is refused beside its rule, the new question kept.
    let mut update = vec![
        ("csrf", csrf.as_str()),
        ("name", "Contact us"),
        ("fieldRows", "2"),
        ("f0-id", topic.as_str()),
        ("f0-type", "select"),
        ("f0-label", "Topic"),
        ("f0-options", "Sales\nSupport"),
        ("f0-required", "true"),
        ("f1-type", "number"),
        ("f1-label", "Team size"),
        ("routeRows", "2"),
        ("r0-id", first.as_str()),
        ("r0-action", "eventType"),
        ("r0-eventType", event.as_str()),
        ("r0-ruleRows", "1"),
        ("r0-k0-field", topic.as_str()),
        ("r0-k0-operator", "between"),
        ("r0-k0-min", "5"),
        ("r1-action", "url"),
        ("r1-url", "javascript:alert(1)"),
        ("r1-ruleRows", "1"),
        ("r1-k0-field", ""),
        ("fb-id", fallback.as_str()),
        ("fb-action", "message"),
        ("fb-message", "Thanks!"),
    ];
    let (status, page) = post(&app, &host, &path, &update).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("id=\"r0-k0-error\""), "{page}");
    assert!(page.contains("value=\"Team size\""), "{page}");
    update[16] = ("r0-k0-operator", "equals");
    update.push(("r0-k0-value", "Sales"));
    // A route to `javascript:` is refused beside that route.
    let (status, page) = post(&app, &host, &path, &update).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("id=\"r1-error\"") && !page.contains("id=\"r0-k0-error\""),
        "{page}"
    );
    update[19] = ("r1-url", "https://help.example.test/start");
    let (status, to) = post(&app, &host, &path, &update).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, &*format!("{path}?notice=saved"))
    );
    let (fields, routes) = stored(&app, &id).await;
    assert_eq!(fields[1]["type"], "number");
    assert_eq!(routes.as_array().map(Vec::len), Some(3), "{routes}");

    // The public form routes as built: Sales → Intro's booker, anything else → the help page.
    let (status, to) = post(&app, &host, &format!("/forms/{id}"), &[(topic.as_str(), "Sales")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert!(to.starts_with(&format!("{INTRO}?")), "{to}");
    let (status, to) = post(&app, &host, &format!("/forms/{id}"), &[(topic.as_str(), "Support")]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "https://help.example.test/start")
    );

    // Reordered — the help route first — and the second question removed: Sales now goes to the help page too.
    let (_, editor) = get(&app, &host, &path).await;
    let (size, help) = (value_of(&editor, "f1-id"), value_of(&editor, "r1-id"));
    let reordered = [
        ("csrf", csrf.as_str()),
        ("name", "Contact us"),
        ("fieldRows", "2"),
        ("f0-id", topic.as_str()),
        ("f0-type", "select"),
        ("f0-label", "Topic"),
        ("f0-options", "Sales\nSupport"),
        ("f0-required", "true"),
        ("f1-id", size.as_str()),
        ("f1-type", "number"),
        ("f1-label", "Team size"),
        ("f1-remove", "true"),
        ("routeRows", "2"),
        ("r0-id", first.as_str()),
        ("r0-position", "2"),
        ("r0-action", "eventType"),
        ("r0-eventType", event.as_str()),
        ("r0-ruleRows", "1"),
        ("r0-k0-field", topic.as_str()),
        ("r0-k0-operator", "equals"),
        ("r0-k0-value", "Sales"),
        ("r1-id", help.as_str()),
        ("r1-position", "1"),
        ("r1-action", "url"),
        ("r1-url", "https://help.example.test/start"),
        ("r1-ruleRows", "0"),
        ("fb-id", fallback.as_str()),
        ("fb-action", "message"),
        ("fb-message", "Thanks!"),
    ];
    let (status, to) = post(&app, &host, &path, &reordered).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (fields, routes) = stored(&app, &id).await;
    assert_eq!(fields.as_array().map(Vec::len), Some(1), "{fields}");
    assert_eq!(routes[0]["id"], help.as_str(), "{routes}");
    assert_eq!(routes[0]["conditions"]["rules"], json!([]), "{routes}");
    // The rule names the option by its id, as the API would.
    let sales = fields[0]["options"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["label"] == "Sales"))
        .map(|o| o["id"].clone())
        .expect("the Sales option");
    assert_eq!(routes[1]["conditions"]["rules"][0]["value"], sales, "{routes}");
    let (status, to) = post(&app, &host, &format!("/forms/{id}"), &[(topic.as_str(), "Sales")]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "https://help.example.test/start")
    );

    // Someone else finds nothing; a post without the session's token is refused.
    host_with_intro(&app, "other@pages.test").await;
    let other = signed_in(&app, "other@pages.test").await;
    assert_eq!(get(&app, &other, &path).await.0, StatusCode::NOT_FOUND);
    let other_csrf = value_of(&get(&app, &other, "/routing-forms").await.1, "csrf");
    let (status, _) = post(&app, &other, &path, &[("csrf", &other_csrf), ("name", "Mine")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(&app, &other, &format!("{path}/delete"), &[("csrf", &other_csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(&app, &host, &format!("{path}/delete"), &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, to) = post(&app, &host, &format!("{path}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/routing-forms?notice=deleted")
    );
    assert_eq!(get(&app, &host, &path).await.0, StatusCode::NOT_FOUND);
    let (_, list) = get(&app, &host, "/routing-forms?notice=deleted").await;
    assert!(
        list.contains("id=\"notice\"") && list.contains("id=\"no-forms\""),
        "{list}"
    );
}

async fn choose(c: &Client, id: &str, label: &str) {
    wait_for(c, id)
        .await
        .select_by_label(label)
        .await
        .unwrap_or_else(|e| panic!("#{id} → {label}: {e}"));
}

/// Clicks the builder's save button and waits for the saved page.
async fn save(c: &Client) {
    let button = wait_for(c, "save-form").await;
    button.click().await.expect("save");
    wait_replaced(c, &button).await;
    wait_for(c, "notice").await;
}

#[tokio::test]
async fn a_host_builds_a_form_in_the_browser_and_visitors_are_routed_as_built() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    host_with_intro(&app, HOST).await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    let mut found = Vec::new();

    c.goto(&format!("{}/routing-forms", app.address)).await.expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", HOST).await;
    type_into(c, "password", PASSWORD).await;
    let sign_in = wait_for(c, "sign-in").await;
    sign_in.click().await.expect("sign in");
    wait_replaced(c, &sign_in).await;
    let new = wait_for(c, "new-form").await;
    new.click().await.expect("new form");
    wait_replaced(c, &new).await;
    wait_for(c, "routing-form-form").await;
    found.extend(violations(c, &axe).await);

    // Each question with the route that tests it, in one save: Topic is Sales → Intro; then, in the blank rows
    // the saved page offers, a team of 100 or more → a message.
    type_into(c, "name", "Contact us").await;
    choose(c, "f0-type", "Select").await;
    type_into(c, "f0-label", "Topic").await;
    type_into(c, "f0-options", "Sales\nSupport").await;
    wait_for(c, "f0-required").await.click().await.expect("required");
    choose(c, "r0-k0-field", "The new question (being added above)").await;
    choose(c, "r0-k0-operator", "equals").await;
    type_into(c, "r0-k0-value", "Sales").await;
    choose(c, "r0-action", "An event type (answers prefilled)").await;
    choose(c, "r0-eventType", "Intro").await;
    save(c).await;
    choose(c, "f1-type", "Number").await;
    type_into(c, "f1-label", "Team size").await;
    choose(c, "r1-k0-field", "The new question (being added above)").await;
    choose(c, "r1-k0-operator", "number between").await;
    type_into(c, "r1-k0-min", "100").await;
    choose(c, "r1-action", "A message").await;
    type_into(c, "r1-message", "A specialist will call you.").await;
    save(c).await;
    found.extend(violations(c, &axe).await);
    assert!(found.is_empty(), "accessibility: {found:#?}");

    // The stored form, to find the visitor's controls (ids are made by the server).
    let url = c.current_url().await.expect("url");
    let id = url
        .path()
        .strip_prefix("/routing-forms/")
        .expect("the form's page")
        .to_owned();
    let (fields, routes) = stored(&app, &id).await;
    assert_eq!(routes.as_array().map(Vec::len), Some(2), "{routes}");
    let topic = fields[0]["id"].as_str().expect("topic id").to_owned();
    let option = |label: &str| {
        fields[0]["options"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["label"] == label))
            .and_then(|o| o["id"].as_str())
            .unwrap_or_else(|| panic!("option {label} in {fields}"))
            .to_owned()
    };
    let page = format!("{}/forms/{id}?lang=en", app.address);

    // Sales → Intro's booker.
    c.goto(&page).await.expect("the public form");
    let sales = format!("input[name='{topic}'][value='{}']", option("Sales"));
    c.find(Locator::Css(&sales))
        .await
        .expect("Sales")
        .click()
        .await
        .expect("click");
    let submit = wait_for(c, "submit").await;
    submit.click().await.expect("submit");
    wait_replaced(c, &submit).await;
    assert_eq!(wait_for(c, "event-title").await.text().await.expect("text"), "Intro");
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), INTRO, "{url}");

    // Support with a big team → the second route's message.
    c.goto(&page).await.expect("the public form");
    let support = format!("input[name='{topic}'][value='{}']", option("Support"));
    c.find(Locator::Css(&support))
        .await
        .expect("Support")
        .click()
        .await
        .expect("click");
    type_into(c, "q1", "250").await;
    let submit = wait_for(c, "submit").await;
    submit.click().await.expect("submit");
    wait_replaced(c, &submit).await;
    assert_eq!(
        wait_for(c, "message-text").await.text().await.expect("text"),
        "A specialist will call you."
    );
}

#[tokio::test]
async fn a_team_form_made_through_the_api_is_saved_unchanged_from_its_builder_page() {
    let t = crate::routing_forms::Rig::start().await;
    let app = t.app();
    let form = t.create_form().await;
    let before = stored(app, &form).await;
    let browser = Browser::launch().await;
    let c = &browser.client;

    c.goto(&format!("{}/routing-forms/{form}", app.address))
        .await
        .expect("open");
    wait_for(c, "login-form").await;
    type_into(c, "email", "owner@acme.test").await;
    type_into(c, "password", PASSWORD).await;
    let sign_in = wait_for(c, "sign-in").await;
    sign_in.click().await.expect("sign in");
    wait_replaced(c, &sign_in).await;
    // The team's event type is offered and chosen; a rule on a choice reads as the option's label.
    let chosen = wait_for(c, "r0-eventType").await.prop("value").await.expect("value");
    assert_eq!(chosen, Some(t.event.to_string()));
    let rule = wait_for(c, "r0-k0-value").await.prop("value").await.expect("value");
    assert_eq!(rule.as_deref(), Some("Sales"));
    save(c).await;
    assert_eq!(stored(app, &form).await, before, "saved unchanged");

    // The routes still work as the API made them: Sales with 250 people → the team's booker.
    let routed = t
        .respond(
            &form,
            json!({"name": "Ada", "email": "ada@example.test", "Topic": "Sales", "Company size": 250}),
        )
        .await;
    assert_eq!(routed["eventTypeId"], json!(t.event), "{routed}");
}
