//! Accessibility of the booking pages: axe-core (from npm) run inside Chromium on the booker, the form and the
//! result page must find no serious or critical violation.

use crate::helpers::TestApp;
use crate::npm;
use crate::web_booking::{BOOKER, host};
use crate::web_browser::Browser;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// Serious and critical violations on the current page, one line each.
pub(crate) async fn violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, Vec::new()).await.expect("load axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then((r) => done(r.violations
                 .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                 .map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', '))));",
            Vec::new(),
        )
        .await
        .expect("run axe");
    match found {
        Value::Array(list) => list
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect(),
        other => panic!("axe answered {other}"),
    }
}

#[tokio::test]
async fn the_booker_the_form_and_the_result_page_have_no_serious_accessibility_violations() {
    let axe_dir = npm::package("axe-core", "4.10.3");
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let app = TestApp::spawn().await;
    host(
        &app,
        json!({ "bookingFields": [
            { "type": "text", "slug": "company", "label": "Company", "required": true },
            { "type": "select", "slug": "size", "label": "Team size", "required": false, "options": ["1-10", "11+"] },
            { "type": "checkbox", "slug": "topics", "label": "Topics", "required": false, "options": ["Pricing", "Demo"] },
            { "type": "boolean", "slug": "terms", "label": "I accept the terms", "required": false }
        ] }),
    )
    .await;
    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&format!("{}{BOOKER}?month=2030-01&date=2030-01-07&tz=UTC", app.address))
        .await
        .expect("booker");
    let booker = violations(c, &axe).await;
    assert!(booker.is_empty(), "booker: {booker:#?}");

    c.find(Locator::Css("button[data-start='2030-01-07T10:00:00.000Z']"))
        .await
        .expect("slot")
        .click()
        .await
        .expect("click");
    c.wait().for_element(Locator::Id("booking-form")).await.expect("form");
    c.find(Locator::Id("submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Id("error-summary"))
        .await
        .expect("errors shown");
    let form = violations(c, &axe).await;
    assert!(form.is_empty(), "form with errors: {form:#?}");

    for (id, text) in [("name", "Ada"), ("email", "ada@example.test"), ("f-company", "Acme")] {
        c.find(Locator::Id(id))
            .await
            .expect(id)
            .send_keys(text)
            .await
            .expect("type");
    }
    c.find(Locator::Id("submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Id("result-heading"))
        .await
        .expect("result");
    let result = violations(c, &axe).await;
    assert!(result.is_empty(), "result: {result:#?}");
    browser.client.clone().close().await.expect("close");
}
