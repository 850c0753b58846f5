//! The public routing form page in real headless Chromium with JavaScript off: answers route the visitor to the
//! team's booker with the answers prefilled, to an external page, or to the route's message; refused answers come
//! back beside their field; the page has no serious accessibility violation; the owner's emails and the
//! FORM_SUBMITTED webhooks follow each response.

use crate::helpers::email::WAIT;
use crate::npm;
use crate::routing_forms::{Rig, form_webhook};
use crate::web_a11y::violations;
use crate::web_browser::Browser;
use crate::web_browser::by_css::{click, text_of};
use crate::web_browser::by_id::type_into;
use convene_core::WebhookId;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;

/// Opens the form and types the name and email every answer needs (fields 0 and 1 of the rig's form).
async fn open(c: &Client, url: &str, name: &str) {
    c.goto(url).await.expect("open the form");
    type_into(c, "q0", name).await;
    type_into(c, "q1", &format!("{}@example.test", name.to_lowercase())).await;
}

#[tokio::test]
async fn a_form_in_chromium_routes_to_the_prefilled_booker_a_url_or_a_message() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let t = Rig::start().await;
    let app = t.app();
    // The external route leads to a page of the test server itself, which the browser can reach.
    let elsewhere = format!("{}/auth/login", app.address);
    let mut definition = t.definition();
    definition["routes"][1]["action"]["value"] = json!(elsewhere);
    let form = app.post(&t.forms(), &t.owner.key, definition).await;
    let form = form.expect_success(StatusCode::CREATED)["id"]
        .as_str()
        .expect("form id")
        .to_owned();
    let hook = form_webhook(app, &t.owner).await;
    let page = format!("{}/forms/{form}?lang=en", app.address);

    let browser = Browser::launch_without_javascript().await;
    let c = &browser.client;
    c.goto(&page).await.expect("open the form");
    assert_eq!(text_of(c, "#form-title").await, "Contact us");

    // Nothing typed: the first required field is refused beside itself.
    click(c, "#submit").await;
    assert_eq!(text_of(c, "#q0-error").await, "Please fill this in.");

    // Sales, 250 people → the team's booker, the answers prefilled.
    open(c, &page, "Ada").await;
    type_into(c, "q2", "250").await;
    click(c, "input[name='f-topic'][value='o-sales']").await;
    click(c, "#submit").await;
    assert_eq!(text_of(c, "#event-title").await, "Intro");
    let url = c.current_url().await.expect("url");
    assert!(url.path().ends_with("/team/sales/intro"), "{url}");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    for (name, value) in [("name", "Ada"), ("email", "ada@example.test"), ("Topic", "Sales")] {
        assert!(query.contains(&(name.to_owned(), value.to_owned())), "{name} in {url}");
    }
    assert!(query.iter().any(|(k, _)| k == "routingFormResponseId"), "{url}");

    // Booking from there: the form's answers fill the booking form, and the booking is recorded on the response.
    c.goto(&format!("{url}&month=2030-01&date=2030-01-07&tz=UTC"))
        .await
        .expect("the booker's Monday");
    click(c, "button[data-start='2030-01-07T10:00:00.000Z']").await;
    let name = c.wait().for_element(Locator::Id("name")).await.expect("the name field");
    assert_eq!(name.prop("value").await.expect("value").as_deref(), Some("Ada"));
    click(c, "#submit").await;
    let heading = c
        .wait()
        .for_element(Locator::Id("result-heading"))
        .await
        .expect("the result page");
    let uid = heading
        .attr("data-booking-uid")
        .await
        .expect("attr")
        .expect("a booking uid");
    let responses = app
        .get(
            &format!("{}/{form}/responses?routedToBookingUid={uid}", t.forms()),
            &t.member.key,
        )
        .await;
    let responses = responses
        .expect_success(StatusCode::OK)
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(responses.len(), 1, "the booking is recorded on the response");
    assert_eq!(responses[0]["response"]["f-name"]["value"], "Ada");

    // The Beta tool → the external page.
    open(c, &page, "Bo").await;
    click(c, "input[name='f-tools'][value='o-b']").await;
    click(c, "#submit").await;
    c.wait()
        .for_url(&url::Url::parse(&elsewhere).expect("a URL"))
        .await
        .expect("sent to the external page");

    // Anything else → the fallback's message, in the page's language.
    open(c, &page, "Cy").await;
    click(c, "#submit").await;
    assert_eq!(text_of(c, "#message-text").await, "Thanks, we will write to you.");
    let message_page = c.current_url().await.expect("url").to_string();

    // Three responses: three emails to the owner (besides the booking's), three FORM_SUBMITTED deliveries.
    assert_eq!(app.count_rows("routing_form_responses").await, 3);
    let deliveries = convene_store::webhooks::deliveries::for_webhook(&app.db, WebhookId(hook))
        .await
        .expect("deliveries");
    assert_eq!(deliveries.len(), 3);
    let sent = t.rig.run().await;
    let arrived = t.rig.platform.wait_for_messages(sent.len(), WAIT).await;
    let to_owner = arrived.iter().filter(|m| m.rcpt_to == ["owner@acme.test"]).count();
    assert_eq!(to_owner, 3);

    // axe-core needs JavaScript: the same pages, checked in a second browser.
    let checker = Browser::launch().await;
    let c = &checker.client;
    c.goto(&page).await.expect("open the form");
    let clean = violations(c, &axe).await;
    assert!(clean.is_empty(), "form: {clean:#?}");
    click(c, "#submit").await;
    text_of(c, "#q0-error").await;
    let refused = violations(c, &axe).await;
    assert!(refused.is_empty(), "refused form: {refused:#?}");
    c.goto(&message_page).await.expect("the message");
    let message = violations(c, &axe).await;
    assert!(message.is_empty(), "message: {message:#?}");
}

#[tokio::test]
async fn the_form_page_speaks_the_visitors_language_and_hides_unknown_or_disabled_forms() {
    let t = Rig::start().await;
    let form = t.create_form().await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/forms/{form}", t.app().address))
        .header("accept-language", "de")
        .send()
        .await
        .expect("page");
    let status = page.status();
    let csp = page.headers().get("content-security-policy").cloned();
    let html = page.text().await.expect("html");
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        csp.as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|csp| csp.contains("frame-ancestors *")),
        "embeddable"
    );
    assert!(html.contains("lang=\"de\"") && html.contains("Absenden"), "{html}");

    let missing = client
        .get(format!("{}/forms/nope", t.app().address))
        .send()
        .await
        .expect("page");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    t.app()
        .patch(
            &format!("{}/{form}", t.forms()),
            &t.owner.key,
            json!({"disabled": true}),
        )
        .await
        .expect_success(StatusCode::OK);
    let disabled = client
        .post(format!("{}/forms/{form}", t.app().address))
        .form(&[("f-name", "Ada")])
        .send()
        .await
        .expect("post");
    assert_eq!(disabled.status(), StatusCode::NOT_FOUND);
}
