//! Cal.com's embed snippet (`@calcom/embed-core` from npm) on a page of another origin embeds the booker inline;
//! a booking completes inside the frame and the embedding page receives the success event.

use crate::helpers::TestApp;
use crate::npm;
use crate::web_booking::host;
use crate::web_browser::Browser;
use crate::web_browser::by_css::click;
use axum::Router;
use axum::response::Html;
use axum::routing::get;
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::Duration;

/// A website on its own port (another origin) whose page embeds `cal_link` from `origin` with Cal.com's snippet.
async fn embedding_site(origin: &str, cal_link: &str) -> String {
    let dir = npm::package("@calcom/embed-core", "1.5.3");
    let embed_js = std::fs::read_to_string(dir.join("dist/embed/embed.js")).expect("embed.js");
    // The loader is Cal.com's documented snippet: queue calls to `Cal` until embed.js has loaded.
    let page = format!(
        r##"<!doctype html><html><head><title>Shop</title></head><body>
<h1>Book with us</h1><div id="cal-inline"></div>
<script>
(function (C, A, L) {{
  let p = function (a, ar) {{ a.q.push(ar); }};
  let d = C.document;
  C.Cal = C.Cal || function () {{
    let cal = C.Cal; let ar = arguments;
    if (!cal.loaded) {{ cal.ns = {{}}; cal.q = cal.q || []; d.head.appendChild(d.createElement("script")).src = A; cal.loaded = true; }}
    if (ar[0] === L) {{
      const api = function () {{ p(api, arguments); }};
      const namespace = ar[1]; api.q = api.q || [];
      if (typeof namespace === "string") {{ cal.ns[namespace] = cal.ns[namespace] || api; p(cal.ns[namespace], ar); p(cal, ["initNamespace", namespace]); }}
      else p(cal, ar);
      return;
    }}
    p(cal, ar);
  }};
}})(window, "/embed.js", "init");
Cal("init", "shop", {{ origin: "{origin}" }});
Cal.ns.shop("inline", {{ elementOrSelector: "#cal-inline", calLink: "{cal_link}",
  config: {{ month: "2030-01", date: "2030-01-07", tz: "UTC" }} }});
Cal.ns.shop("on", {{ action: "bookingSuccessful", callback: (e) => {{ window.__booked = e.detail.data; }} }});
</script></body></html>"##
    );
    let site = Router::new().route("/", get(move || async move { Html(page) })).route(
        "/embed.js",
        get(move || async move { ([("content-type", "text/javascript")], embed_js) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, site).await });
    address
}

#[tokio::test]
async fn the_embed_snippet_shows_the_booker_inline_and_hears_of_the_booking() {
    let app = TestApp::spawn().await;
    host(&app, json!({})).await;
    // The booker is at 127.0.0.1, the embedding site at localhost: two origins.
    let site = embedding_site(&app.address, "ada-example-test/intro").await;
    let site = site.replace("127.0.0.1", "localhost");
    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(&site).await.expect("open the shop");
    let frame = c
        .wait()
        .for_element(Locator::Css("iframe.cal-embed"))
        .await
        .expect("the embed's iframe");
    let src = frame.attr("src").await.expect("src").unwrap_or_default();
    assert!(
        src.contains("/ada-example-test/intro/embed?") && src.contains("embed=shop"),
        "{src}"
    );
    // The parent shows the frame only once the page inside said it is ready, and sizes it as told.
    let mut visible = false;
    for _ in 0..50 {
        let style = c
            .execute(
                "return document.querySelector('iframe.cal-embed').style.visibility",
                Vec::new(),
            )
            .await
            .expect("style");
        if style == Value::String(String::new()) {
            visible = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(visible, "the frame became visible (__iframeReady)");
    let height = c
        .execute(
            "return document.querySelector('iframe.cal-embed').style.height",
            Vec::new(),
        )
        .await
        .expect("height");
    assert!(
        height.as_str().is_some_and(|h| h.ends_with("px")),
        "sized by __dimensionChanged: {height}"
    );

    frame.enter_frame().await.expect("into the frame");
    click(c, "button[data-start='2030-01-07T10:00:00.000Z']").await;
    c.wait()
        .for_element(Locator::Id("booking-form"))
        .await
        .expect("the form");
    for (id, text) in [
        ("name", "Embedded Ed"),
        ("email", "ed@example.test"),
        ("f-company", "Shop"),
    ] {
        c.find(Locator::Id(id))
            .await
            .expect(id)
            .send_keys(text)
            .await
            .expect("type");
    }
    click(c, "#submit").await;
    c.wait()
        .for_element(Locator::Id("result-heading"))
        .await
        .expect("result");
    c.enter_parent_frame().await.expect("back to the shop");
    let mut booked = Value::Null;
    for _ in 0..50 {
        booked = c
            .execute("return window.__booked || null", Vec::new())
            .await
            .expect("read");
        if !booked.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(booked["booking"]["status"], "accepted", "{booked}");
    assert_eq!(booked["booking"]["startTime"], "2030-01-07T10:00:00.000Z");
    browser.client.clone().close().await.expect("close");
}
