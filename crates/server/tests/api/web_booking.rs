//! The booking pages over plain HTTP (no JavaScript): booker, hold, form, result, links, errors and languages.

use crate::helpers::TestApp;
use crate::scheduling::{BOOKINGS, host_with_event, weekdays_9_to_5};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A host `ada@example.test` (username `ada-example-test`) with a 30-minute event type `intro` that asks a
/// required company name.
pub async fn host(app: &TestApp, extra: Value) -> i64 {
    let mut event = json!({
        "title": "Intro call", "slug": "intro", "lengthInMinutes": 30,
        "bookingFields": [{ "type": "text", "slug": "company", "label": "Company", "required": true }]
    });
    if let (Some(e), Some(x)) = (event.as_object_mut(), extra.as_object()) {
        e.extend(x.clone());
    }
    host_with_event(app, "ada@example.test", "UTC", weekdays_9_to_5(), event)
        .await
        .1
}

pub const BOOKER: &str = "/ada-example-test/intro";

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl Page {
    /// The value of `attr` on the first tag that also contains `marker`.
    pub fn attr_near(&self, marker: &str, attr: &str) -> Option<String> {
        let at = self.html.find(marker)?;
        let tag_start = self.html[..at].rfind('<')?;
        let tag = &self.html[tag_start..tag_start + self.html[tag_start..].find('>')?];
        let key = format!("{attr}=\"");
        let v = &tag[tag.find(&key)? + key.len()..];
        Some(v[..v.find('"')?].replace("&#38;", "&"))
    }

    pub fn location(&self) -> String {
        self.headers["location"].to_str().expect("location").to_owned()
    }
}

pub async fn get(app: &TestApp, path: &str) -> Page {
    let r = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("send");
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        html: r.text().await.expect("body"),
    }
}

pub async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Page {
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("send");
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        html: r.text().await.expect("body"),
    }
}

/// Holds 2030-01-07 10:00 UTC through the booker's slot form; returns the form page's path.
async fn hold(app: &TestApp, event: i64) -> Page {
    let id = event.to_string();
    post(
        app,
        "/booking/hold",
        &[
            ("event", id.as_str()),
            ("start", "2030-01-07T10:00:00.000Z"),
            ("duration", "30"),
            ("tz", "UTC"),
            ("back", BOOKER),
        ],
    )
    .await
}

pub fn form_fields(form_path: &str) -> Vec<(String, String)> {
    let query = form_path.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

pub async fn submit(app: &TestApp, form_path: &str, answers: &[(&str, &str)]) -> Page {
    let mut fields = form_fields(form_path);
    fields.extend(answers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post(app, "/booking/form", &pairs).await
}

#[tokio::test]
async fn the_booker_links_only_days_with_free_slots_and_lists_the_days_times() {
    let app = TestApp::spawn().await;
    host(&app, json!({})).await;
    let page = get(
        &app,
        &format!("{BOOKER}?month=2030-01&date=2030-01-07&tz=Europe/Berlin&clock=24"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Intro call") && page.html.contains("January 2030"));
    // Monday 7 January is a link, Sunday 6 January is not.
    assert!(page.html.contains("data-day=\"7\""));
    assert!(!page.html.contains("data-day=\"6\""));
    // 09:00 UTC is 10:00 in Berlin.
    assert!(
        page.html.contains("data-start=\"2030-01-07T09:00:00.000Z\">10:00<"),
        "slots in Berlin time"
    );
    let twelve = get(&app, &format!("{BOOKER}?month=2030-01&date=2030-01-07&tz=UTC&clock=12")).await;
    assert!(twelve.html.contains(">9:00am<"));
}

#[tokio::test]
async fn booking_through_the_form_enforces_required_fields_and_keeps_input() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({})).await;
    let held = hold(&app, event).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER);
    let form_path = held.location();
    assert!(form_path.starts_with("/booking/form?") && form_path.contains("hold="));
    let form = get(&app, &form_path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains("Company"));

    let missing = submit(&app, &form_path, &[("name", "Zoë Invitee"), ("email", "not-an-email")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.html.contains("id=\"f-company-error\""),
        "the error sits beside its field"
    );
    assert!(missing.html.contains("id=\"email-error\""));
    assert!(missing.html.contains("value=\"Zoë Invitee\""), "input kept");

    let done = submit(
        &app,
        &form_path,
        &[
            ("name", "Zoë Invitee"),
            ("email", "zoe@example.test"),
            ("f-company", "Acme"),
            ("guests", "guest@example.test"),
            ("notes", "See you"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let result_path = done.location();
    assert!(result_path.starts_with("/booking/"));
    let result = get(&app, &result_path).await;
    assert!(result.html.contains("This meeting is scheduled"));
    assert!(result.html.contains("data-status=\"accepted\""));

    let uid = result_path
        .trim_start_matches("/booking/")
        .split('?')
        .next()
        .expect("uid");
    let stored = convene_store::bookings::find_by_uid(&app.db, uid)
        .await
        .expect("find")
        .expect("booking");
    let responses: Value = serde_json::from_str(&stored.responses).expect("responses");
    assert_eq!(responses["company"], "Acme");
    assert_eq!(responses["notes"], "See you");
    let people = convene_store::bookings::attendees(&app.db, &[stored.id])
        .await
        .expect("attendees");
    assert_eq!(people.len(), 2);
    assert!(people.iter().any(|p| p.is_guest && p.email == "guest@example.test"));
    assert!(people.iter().all(|p| p.language == "en"));
    assert_eq!(
        app.count_rows("slot_reservations").await,
        0,
        "the hold is released by the booking"
    );
}

#[tokio::test]
async fn a_held_slot_sends_the_next_invitee_back_to_fresh_times() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({})).await;
    assert_eq!(hold(&app, event).await.status, StatusCode::SEE_OTHER);
    let second = hold(&app, event).await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    let back = second.location();
    assert!(back.starts_with(BOOKER) && back.contains("notice=taken"), "{back}");
    let page = get(&app, &back).await;
    assert!(page.html.contains("id=\"notice\""));
    assert!(
        !page.html.contains("data-start=\"2030-01-07T10:00:00.000Z\""),
        "the held time is not offered"
    );
    assert!(page.html.contains("data-start=\"2030-01-07T10:30:00.000Z\""));
}

#[tokio::test]
async fn a_slot_taken_while_the_form_was_open_shows_fresh_times_and_keeps_answers() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({})).await;
    let form_path = hold(&app, event).await.location();
    // The hold lapses and someone else books the time through the API.
    sqlx_delete_holds(&app).await;
    let body = json!({ "eventTypeId": event, "start": "2030-01-07T10:00:00Z",
        "attendee": { "name": "Other", "email": "other@example.test", "timeZone": "UTC" },
        "bookingFieldsResponses": { "company": "Fast Inc" } });
    app.versioned(Method::POST, "/v2/bookings", None, Some(body), Some(BOOKINGS))
        .await
        .expect_success(StatusCode::CREATED);
    let page = submit(
        &app,
        &form_path,
        &[
            ("name", "Late Comer"),
            ("email", "late@example.test"),
            ("f-company", "Slow Ltd"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.html.contains("id=\"notice\""));
    assert!(page.html.contains("value=\"Late Comer\"") && page.html.contains("value=\"Slow Ltd\""));
    assert!(
        page.html.contains("name=\"start\" value=\"2030-01-07T10:30:00.000Z\""),
        "fresh times offered"
    );
    assert!(!page.html.contains("value=\"2030-01-07T10:00:00.000Z\""));
}

pub async fn sqlx_delete_holds(app: &TestApp) {
    sqlx_exec(app, "DELETE FROM slot_reservations").await;
}

async fn sqlx_exec(app: &TestApp, sql: &'static str) {
    match &app.db {
        convene_store::Db::Sqlite(pool) => {
            sqlx::query(sql).execute(pool).await.expect("sql");
        }
        convene_store::Db::Postgres(pool) => {
            sqlx::query(sql).execute(pool).await.expect("sql");
        }
    }
}

#[tokio::test]
async fn pages_speak_the_asked_language() {
    let app = TestApp::spawn().await;
    host(&app, json!({})).await;
    let de = get(&app, &format!("{BOOKER}?month=2030-01&lang=de")).await;
    assert!(de.html.contains("<html lang=\"de\">") && de.html.contains("Januar 2030"));
    let r = app
        .client
        .get(format!("{}{BOOKER}?month=2030-01", app.address))
        .header("accept-language", "nl, fr;q=0.9, en;q=0.5")
        .send()
        .await
        .expect("send");
    assert!(r.text().await.expect("body").contains("janvier 2030"));
    let es = get(&app, "/nobody-here?lang=es").await;
    assert_eq!(es.status, StatusCode::NOT_FOUND);
    assert!(es.html.contains("No encontrado"));
}

#[tokio::test]
async fn booking_pages_may_be_framed_and_assets_are_cached_and_compressed() {
    let app = TestApp::spawn().await;
    host(&app, json!({})).await;
    let page = get(&app, BOOKER).await;
    let csp = page.headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("frame-ancestors *") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(!page.headers.contains_key("x-frame-options"));
    assert!(
        !page.html.contains("<style") && !page.html.contains(" style="),
        "no inline style"
    );

    let css = page.attr_near("rel=\"stylesheet\"", "href").expect("stylesheet link");
    let r = app
        .client
        .get(format!("{}{css}", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let stale = get(&app, "/static/convene.000000000000.css").await;
    assert_eq!(stale.status, StatusCode::NOT_FOUND);
}

/// Books 2030-01-07 10:00 through the pages and returns the result page's path.
pub async fn book_through_pages(app: &TestApp, event: i64) -> String {
    let form_path = hold(app, event).await.location();
    let done = submit(
        app,
        &form_path,
        &[
            ("name", "Zoë Invitee"),
            ("email", "zoe@example.test"),
            ("f-company", "Acme"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    done.location()
}

#[tokio::test]
async fn the_cancel_link_cancels_once_and_then_explains_itself() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({})).await;
    let result = get(&app, &book_through_pages(&app, event).await).await;
    let cancel = result.attr_near("id=\"cancel\"", "href").expect("cancel link");
    let page = get(&app, &cancel).await;
    assert_eq!(page.status, StatusCode::OK);
    let (path, query) = cancel.split_once('?').expect("query");
    let token: String = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token");

    let forged = post(&app, path, &[("token", "v1.x.AAAA")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong_action = post(&app, &path.replace("/cancel", "/confirm"), &[("token", &token)]).await;
    assert_eq!(
        wrong_action.status,
        StatusCode::FORBIDDEN,
        "a cancel token does not confirm"
    );

    let done = post(&app, path, &[("token", &token), ("reason", "Plans changed")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let after = get(&app, &done.location()).await;
    assert!(after.html.contains("data-status=\"cancelled\""));
    let again = get(&app, &cancel).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.html.contains("already cancelled"));
}

#[tokio::test]
async fn the_reschedule_link_opens_the_booker_and_moves_the_booking() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({})).await;
    let old_path = book_through_pages(&app, event).await;
    let result = get(&app, &old_path).await;
    let link = result.attr_near("id=\"reschedule\"", "href").expect("reschedule link");
    let entry = get(&app, &link).await;
    assert_eq!(entry.status, StatusCode::SEE_OTHER);
    let booker = entry.location();
    assert!(booker.starts_with(BOOKER) && booker.contains("rescheduleUid="));
    let page = get(&app, &format!("{booker}&month=2030-01&date=2030-01-08")).await;
    assert!(page.html.contains("id=\"reschedule-from\""));
    let slot_fields: Vec<(String, String)> = form_fields(&format!("?{}", booker.split_once('?').expect("q").1));
    let mut hold_form: Vec<(String, String)> = slot_fields.clone();
    hold_form.extend([
        ("event".to_owned(), event.to_string()),
        ("start".to_owned(), "2030-01-08T11:00:00.000Z".to_owned()),
        ("back".to_owned(), BOOKER.to_owned()),
    ]);
    let pairs: Vec<(&str, &str)> = hold_form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let form_path = post(&app, "/booking/hold", &pairs).await.location();
    let form = get(&app, &form_path).await;
    assert!(
        form.html.contains("id=\"reason\""),
        "a reschedule asks only for a reason"
    );
    let moved = submit(&app, &form_path, &[("reason", "Clash")]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    let new_page = get(&app, &moved.location()).await;
    assert!(new_page.html.contains("January 8, 2030, 11:00"), "{}", new_page.html);
    let old = get(&app, &old_path).await;
    assert!(old.html.contains("id=\"moved-to\""));
    let reused = get(&app, &link).await;
    assert_eq!(reused.status, StatusCode::GONE);
}

#[tokio::test]
async fn a_reschedule_may_move_by_less_than_its_own_length() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({ "lengthInMinutes": 60, "slotInterval": 30 })).await;
    let old_path = book_through_pages(&app, event).await;
    let link = get(&app, &old_path)
        .await
        .attr_near("id=\"reschedule\"", "href")
        .expect("reschedule link");
    let booker = get(&app, &link).await.location();
    let mut hold_form = form_fields(&format!("?{}", booker.split_once('?').expect("q").1));
    // 10:30–11:30 overlaps the booking being moved (10:00–11:00), which must not block its own new time.
    hold_form.extend([
        ("event".to_owned(), event.to_string()),
        ("start".to_owned(), "2030-01-07T10:30:00.000Z".to_owned()),
        ("back".to_owned(), BOOKER.to_owned()),
    ]);
    let pairs: Vec<(&str, &str)> = hold_form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let held = post(&app, "/booking/hold", &pairs).await;
    let form_path = held.location();
    assert!(
        form_path.starts_with("/booking/form") && form_path.contains("hold="),
        "held: {form_path}"
    );
    let moved = submit(&app, &form_path, &[]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    let new_page = get(&app, &moved.location()).await;
    assert!(new_page.html.contains("January 7, 2030, 10:30"), "{}", new_page.html);
}

#[tokio::test]
async fn the_invitee_gives_the_location_when_the_event_type_asks_for_theirs() {
    let app = TestApp::spawn().await;
    let event = host(
        &app,
        json!({ "locations": [{ "type": "address", "address": "1 Main Street" }, { "type": "attendeePhone" }] }),
    )
    .await;
    let form_path = hold(&app, event).await.location();
    let form = get(&app, &form_path).await;
    assert!(form.html.contains("1 Main Street") && form.html.contains("Your phone number"));
    assert!(
        form.html.contains("type=\"tel\" name=\"location-1\""),
        "an input for the number"
    );
    let answers = [
        ("name", "Zoë"),
        ("email", "zoe@example.test"),
        ("f-company", "Acme"),
        ("location", "1"),
    ];
    let missing = submit(&app, &form_path, &answers).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.html.contains("id=\"location-1-error\""),
        "the message beside the input"
    );
    assert!(missing.html.contains("value=\"Acme\""), "answers kept");
    let mut with_number = answers.to_vec();
    with_number.push(("location-1", "+44 20 7946 0000"));
    let done = submit(&app, &form_path, &with_number).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let uid = done
        .location()
        .trim_start_matches("/booking/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let booking = app
        .versioned(Method::GET, &format!("/v2/bookings/{uid}"), None, None, Some(BOOKINGS))
        .await;
    assert_eq!(booking.expect_success(StatusCode::OK)["location"], "+44 20 7946 0000");
}

#[tokio::test]
async fn unknown_hosts_and_hidden_event_types_are_404_pages() {
    let app = TestApp::spawn().await;
    host(&app, json!({ "hidden": true })).await;
    assert_eq!(get(&app, BOOKER).await.status, StatusCode::NOT_FOUND);
    // Naming a private link that does not exist opens nothing: only a live link of its own shows a hidden event.
    for made_up in ["x", "dGhpcy1pcy1ub3QtYS1saW5r"] {
        let guessed = get(&app, &format!("{BOOKER}?privateLink={made_up}")).await;
        assert_eq!(guessed.status, StatusCode::NOT_FOUND, "privateLink={made_up}");
    }
    assert_eq!(get(&app, "/nobody/intro").await.status, StatusCode::NOT_FOUND);
    let profile = get(&app, "/ada-example-test").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(
        profile.html.contains("id=\"no-events\""),
        "hidden event types are not listed"
    );
    let api = app.get("/v2/no-such-thing", &app.admin_key).await;
    assert_eq!(api.expect_error(StatusCode::NOT_FOUND), "Cannot GET /v2/no-such-thing");
}

/// The plain text of the last queued email of `kind`.
pub async fn emailed_text(app: &TestApp, kind: &str) -> String {
    let sql = "SELECT c.body_text FROM email_outbox o JOIN email_contents c ON c.email_id = o.id \
               WHERE o.kind = $1 ORDER BY o.id DESC";
    match &app.db {
        convene_store::Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(kind).fetch_one(pool).await,
        convene_store::Db::Postgres(pool) => sqlx::query_scalar(sql).bind(kind).fetch_one(pool).await,
    }
    .expect("a queued email of that kind")
}

/// The link labelled `label` in the last queued email of `kind`, as a path on this server.
pub async fn emailed_link(app: &TestApp, kind: &str, label: &str) -> String {
    let body = emailed_text(app, kind).await;
    let line = body
        .lines()
        .find(|l| l.starts_with(&format!("{label}: http")))
        .unwrap_or_else(|| panic!("no {label} link in:\n{body}"));
    let url = &line[line.find("http").expect("url")..];
    url[url.find("/booking/").expect("path")..].to_owned()
}

#[tokio::test]
async fn the_hosts_emailed_confirm_link_confirms_without_signing_in() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({ "confirmationPolicy": { "type": "always" } })).await;
    let result_path = book_through_pages(&app, event).await;
    let pending = get(&app, &result_path).await;
    assert!(pending.html.contains("data-status=\"pending\""));
    assert!(pending.html.contains("Waiting for the host"));

    let decline = emailed_link(&app, "booking_awaiting_approval_organizer", "Decline").await;
    let confirm = emailed_link(&app, "booking_awaiting_approval_organizer", "Confirm").await;
    let page = get(&app, &confirm).await;
    assert_eq!(page.status, StatusCode::OK);
    let (path, query) = confirm.split_once('?').expect("query");
    let token: String = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token");
    let done = post(&app, path, &[("token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let confirmed = get(&app, &done.location()).await;
    assert!(confirmed.html.contains("data-status=\"accepted\"") && confirmed.html.contains("id=\"done\""));
    let late = get(&app, &decline).await;
    assert_eq!(late.status, StatusCode::GONE);
    assert!(late.html.contains("already confirmed"), "{}", late.html);
}

#[tokio::test]
async fn the_attendees_email_carries_working_reschedule_and_cancel_links_in_their_language() {
    let app = TestApp::spawn().await;
    let event = host(&app, json!({})).await;
    let form_path = hold(&app, event).await.location();
    let done = submit(
        &app,
        &format!("{form_path}&lang=de"),
        &[("name", "Zoë"), ("email", "zoe@example.test"), ("f-company", "Acme")],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let text = emailed_text(&app, "booking_scheduled_attendee").await;
    assert!(
        text.contains("Ihre Buchung ist bestätigt") && text.contains("Montag, 7. Januar 2030, 10:00"),
        "the attendee reads German, as they booked:\n{text}"
    );
    let cancel = emailed_link(&app, "booking_scheduled_attendee", "Stornieren").await;
    let reschedule = emailed_link(&app, "booking_scheduled_attendee", "Verlegen").await;
    let page = get(&app, &cancel).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Diese Buchung stornieren?"));
    assert_eq!(get(&app, &reschedule).await.status, StatusCode::SEE_OTHER);
    // A link names its booking: another uid finds nothing.
    let other = cancel.replacen("/booking/", "/booking/0", 1);
    assert_eq!(get(&app, &other).await.status, StatusCode::NOT_FOUND);
}
