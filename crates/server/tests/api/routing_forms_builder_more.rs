//! The routing form builder beyond its maker and its first save, over plain HTTP: a team's form is edited by any
//! of the team's admins (and the organization's), as the API allows, while a team MEMBER is refused and the form
//! stays as it was; the response email's settings are edited with the addresses checked, and a form saved with
//! further addresses emails each response to them; a question and a route naming it are made in one save.

use crate::helpers::TestApp;
use crate::helpers::email::{WAIT, find_received, joined};
use crate::routing_forms::Rig;
use crate::web_app_bookings::{csrf_of, get, post, signed_in};
use crate::workflows_pages::host_with_intro;
use convene_core::Role;
use convene_store::outbox::{self, Filter, Scope};
use convene_store::routing_forms::{FormRecord, find_form};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// What a browser would post from the form `id` on `html` as shown: its inputs (ticked boxes only), textareas
/// and each select's chosen option.
pub(crate) fn form_pairs(html: &str, id: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("id=\"{id}\"")).expect("the form");
    let body = &html[start..];
    let body = &body[..body.find("</form>").expect("the form's end")];
    let mut pairs = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').expect("a closed tag");
        let (tag, after) = (&rest[..end], &rest[end + 1..]);
        let name = attr(tag, "name");
        if let Some(name) = name {
            if tag.starts_with("<input ") {
                let checkbox = attr(tag, "type").as_deref() == Some("checkbox");
                if !checkbox || tag.contains(" checked") {
                    pairs.push((name, attr(tag, "value").unwrap_or_default()));
                }
            } else if tag.starts_with("<textarea ") {
                let text = &after[..after.find("</textarea>").expect("textarea end")];
                pairs.push((name, unescape(text)));
            } else if tag.starts_with("<select ") {
                let options: Vec<&str> = after[..after.find("</select>").expect("select end")]
                    .split("<option")
                    .skip(1)
                    .map(|o| o.split('>').next().unwrap_or_default())
                    .collect();
                let chosen = options.iter().find(|o| o.contains(" selected")).or(options.first());
                pairs.push((name, chosen.and_then(|o| attr(o, "value")).unwrap_or_default()));
            }
        }
        rest = &rest[1..];
    }
    pairs
}

fn set(pairs: &mut Vec<(String, String)>, name: &str, value: &str) {
    pairs.retain(|(k, _)| k != name);
    pairs.push((name.to_owned(), value.to_owned()));
}

fn refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn stored(app: &TestApp, id: &str) -> FormRecord {
    find_form(&app.db, id).await.expect("find").expect("the form")
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s).expect("json")
}

#[tokio::test]
async fn any_admin_of_the_team_edits_its_form_in_the_builder_and_a_member_is_refused() {
    let t = Rig::start().await;
    let app = t.app();
    // Made through the API by the organization's OWNER; "lead" is an ADMIN of the team only.
    let form = t.create_form().await;
    let lead = joined(app, t.org, "lead@acme.test", Role::Member).await;
    app.post(
        &format!("/v2/organizations/{}/teams/{}/memberships", t.org, t.team),
        &t.owner.key,
        json!({ "userId": lead.id, "role": "ADMIN", "accepted": true }),
    )
    .await
    .expect_success(StatusCode::CREATED);
    let before = stored(app, &form).await;
    let path = format!("/routing-forms/{form}");

    let lead = signed_in(app, "lead@acme.test").await;
    let (status, editor) = get(app, &lead, &path).await;
    assert_eq!(status, StatusCode::OK, "{editor}");
    let mut pairs = form_pairs(&editor, "routing-form-form");
    set(&mut pairs, "name", "Contact sales");
    let (status, to) = post(app, &lead, &path, &refs(&pairs)).await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, format!("{path}?notice=saved")));
    let after = stored(app, &form).await;
    assert_eq!(after.name, "Contact sales");
    assert_eq!(
        (json_of(&after.fields), json_of(&after.routes), json_of(&after.settings)),
        (
            json_of(&before.fields),
            json_of(&before.routes),
            json_of(&before.settings)
        ),
        "the rest is saved as the API made it"
    );
    assert_eq!(get(app, &lead, &format!("{path}/responses")).await.0, StatusCode::OK);
    // The organization's ADMIN, outside the team, may too (as through the API).
    let admin = signed_in(app, "admin@acme.test").await;
    assert_eq!(get(app, &admin, &path).await.0, StatusCode::OK);

    // The team's MEMBER reads the responses (as the API lets them) but may not open or save the builder.
    let member = signed_in(app, "member@acme.test").await;
    assert_eq!(get(app, &member, &path).await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(app, &member, &format!("{path}/responses")).await.0, StatusCode::OK);
    let csrf = csrf_of(&get(app, &member, "/routing-forms/new").await.1);
    set(&mut pairs, "csrf", &csrf);
    set(&mut pairs, "name", "Mine now");
    let (status, _) = post(app, &member, &path, &refs(&pairs)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(app, &member, &format!("{path}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unchanged = stored(app, &form).await;
    assert_eq!(
        (unchanged.name.as_str(), unchanged.updated_at),
        ("Contact sales", after.updated_at),
        "the refused posts changed nothing"
    );

    // Someone outside the organization finds nothing.
    let outsider = signed_in(app, "nobody@example.test").await;
    assert_eq!(get(app, &outsider, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get(app, &outsider, &format!("{path}/responses")).await.0,
        StatusCode::NOT_FOUND
    );
    let csrf = csrf_of(&get(app, &outsider, "/routing-forms/new").await.1);
    set(&mut pairs, "csrf", &csrf);
    assert_eq!(
        post(app, &outsider, &path, &refs(&pairs)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(stored(app, &form).await.name, "Contact sales");
}

#[tokio::test]
async fn a_form_saved_with_further_addresses_emails_each_response_to_them() {
    let t = Rig::start().await;
    let app = t.app();
    let form = t.create_form().await;
    let path = format!("/routing-forms/{form}");
    let owner = signed_in(app, "owner@acme.test").await;
    let (_, editor) = get(app, &owner, &path).await;
    assert!(
        editor.contains(r#"id="emailOwnerOnSubmission" name="emailOwnerOnSubmission" value="true" checked"#),
        "{editor}"
    );
    let mut pairs = form_pairs(&editor, "routing-form-form");
    pairs.retain(|(k, _)| k != "emailOwnerOnSubmission");

    // A bad address is named beside the box, what was typed kept; nothing is saved.
    set(&mut pairs, "sendUpdatesTo", "sales@example.test\nsales team");
    let (status, page) = post(app, &owner, &path, &refs(&pairs)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains(r#"<p class="field-error" id="sendUpdatesTo-error">"#) && page.contains("sales team"),
        "{page}"
    );
    assert!(page.contains(">sales@example.test\nsales team</textarea>"), "{page}");
    assert!(
        !page.contains(r#"name="emailOwnerOnSubmission" value="true" checked"#),
        "the owner's box stays as posted (unticked): {page}"
    );
    assert_eq!(
        json_of(&stored(app, &form).await.settings),
        json!({"emailOwnerOnSubmission": true})
    );

    set(&mut pairs, "sendUpdatesTo", "Sales@Example.test, help@example.test\n");
    let (status, to) = post(app, &owner, &path, &refs(&pairs)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert_eq!(
        json_of(&stored(app, &form).await.settings),
        json!({"emailOwnerOnSubmission": false, "sendUpdatesTo": ["sales@example.test", "help@example.test"]})
    );
    let (_, editor) = get(app, &owner, &to).await;
    assert!(
        editor.contains(">sales@example.test\nhelp@example.test</textarea>"),
        "{editor}"
    );

    // A response is emailed to those two, and not to the owner.
    t.respond(
        &form,
        json!({"name": "Ada", "email": "ada@example.test", "Topic": "Support"}),
    )
    .await;
    let filter = Filter {
        kind: Some("routing_form_response".parse().expect("an outbox kind")),
        ..Filter::default()
    };
    let rows = outbox::list(&app.db, Scope::Organization(convene_core::TeamId(t.org)), &filter, 10)
        .await
        .expect("outbox");
    let mut to: Vec<&str> = rows.iter().map(|r| r.to_email.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["help@example.test", "sales@example.test"], "{rows:?}");
    t.rig.run().await;
    let arrived = t.rig.platform.wait_for_messages(2, WAIT).await;
    for row in &rows {
        assert_eq!(
            find_received(&arrived, &row.message_id).rcpt_to,
            std::slice::from_ref(&row.to_email)
        );
    }
}

const HOST: &str = "onesave@pages.test";

#[tokio::test]
async fn a_question_and_a_route_naming_it_are_made_in_one_save() {
    let app = TestApp::spawn().await;
    let event = host_with_intro(&app, HOST).await.to_string();
    let host = signed_in(&app, HOST).await;
    let (_, page) = get(&app, &host, "/routing-forms/new").await;
    // The blank question is offered to the blank route's condition before it is saved.
    assert!(page.contains(r#"<option value="new:0">"#), "{page}");
    let csrf = csrf_of(&page);
    let mut made = vec![
        ("csrf", csrf.as_str()),
        ("name", "Contact us"),
        ("fieldRows", "2"),
        ("f0-type", "select"),
        ("f0-label", "Topic"),
        ("f0-options", "Sales\nSupport"),
        ("f1-type", "text"),
        ("f1-label", ""),
        ("routeRows", "1"),
        ("r0-action", "eventType"),
        ("r0-eventType", event.as_str()),
        ("r0-ruleRows", "1"),
        ("r0-k0-field", "new:1"),
        ("r0-k0-operator", "equals"),
        ("r0-k0-value", "Sales"),
        ("fb-action", "message"),
        ("fb-message", "Thanks!"),
    ];
    // A condition on a new question left without a label is refused beside it, the choice kept.
    let (status, page) = post(&app, &host, "/routing-forms", &made).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(r#"id="r0-k0-error""#), "{page}");
    assert!(page.contains(r#"<option value="new:1" selected>"#), "{page}");
    assert!(page.contains(r#"<option value="new:0">Topic"#), "{page}");
    assert_eq!(app.count_rows("routing_forms").await, 0);

    made[12] = ("r0-k0-field", "new:0");
    let (status, to) = post(&app, &host, "/routing-forms", &made).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let id = to
        .strip_prefix("/routing-forms/")
        .and_then(|rest| rest.strip_suffix("?notice=saved"))
        .unwrap_or_else(|| panic!("{to}"))
        .to_owned();
    let form = stored(&app, &id).await;
    let (fields, routes) = (json_of(&form.fields), json_of(&form.routes));
    let topic = fields[0]["id"].as_str().expect("the question's id");
    let sales = &fields[0]["options"][0];
    assert_eq!(sales["label"], "Sales", "{fields}");
    let rule = &routes[0]["conditions"]["rules"][0];
    assert_eq!(
        (&rule["field"], &rule["value"]),
        (&json!(topic), &sales["id"]),
        "the rule names the new question and option by their ids: {routes}"
    );
    let (_, editor) = get(&app, &host, &to).await;
    assert!(
        editor.contains(&format!(r#"<option value="{topic}" selected>Topic"#)),
        "{editor}"
    );

    // The public form routes by it: Sales → Intro's booker.
    let (status, to) = post(&app, &host, &format!("/forms/{id}"), &[(topic, "Sales")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert!(to.starts_with("/onesave-pages-test/intro?"), "{to}");
}
