//! What each kind of email looks like, headers, text, HTML and invite, as reviewed snapshots.

use super::mime::{Mail, parse, tree};
use super::*;
use reqwest::StatusCode;
use serde_json::json;

/// Headers (unfolded, in order), the MIME tree, the decoded text body and the invite of `mail`, for a snapshot.
fn rendered(mail: &Mail) -> String {
    let raw = mail.received.data_text();
    let head = raw.split("\r\n\r\n").next().expect("a header section");
    let headers = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let message = parse(mail);
    let mut out = format!(
        "--- headers ---\n{}\n--- structure ---\n{}\n--- text/plain ---\n{}",
        headers.replace("\r\n", "\n"),
        tree(&message).join("\n"),
        mail.text()
    );
    if let Some(ics) = &mail.row.ics {
        out.push_str("\n--- invite.ics ---\n");
        out.push_str(&ics.replace("\r\n", "\n"));
    }
    out
}

#[tokio::test]
async fn rendered_emails_match_their_snapshots() {
    let flow = Flow::start(json!({ "title": "Intro", "slug": "intro", "lengthInMinutes": 30,
        "description": "Bring your questions.",
        "locations": [{ "type": "link", "link": "https://meet.example.com/intro", "public": true }] }))
    .await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let uid = uid_of(&booking);
    let scheduled = flow.send().await;
    flow.act(&uid, "cancel", json!({ "cancellationReason": "Sick" }))
        .await
        .expect_success(StatusCode::OK);
    let cancelled = flow.send().await;
    let pick = |mails: &[Mail], kind: &str| {
        rendered(
            mails
                .iter()
                .find(|m| m.kind() == kind)
                .unwrap_or_else(|| panic!("a {kind} email")),
        )
    };

    let uid_filter = uid.clone();
    insta::with_settings!({
        filters => vec![
            (uid_filter.as_str(), "[booking-uid]"),
            (r"(?m)^Message-ID: <[A-Za-z0-9_-]+@convene\.test>$", "Message-ID: <[message-id]@convene.test>"),
            (r"(?m)^Date: .*$", "Date: [date]"),
            (r#"boundary="[^"]+""#, r#"boundary="[boundary]""#),
            (r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:[dtstamp]"),
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        ],
    }, {
        insta::assert_snapshot!("scheduled_attendee", pick(&scheduled, KIND_SCHEDULED_ATTENDEE));
        insta::assert_snapshot!("cancelled_organizer", pick(&cancelled, "booking_cancelled_organizer"));
    });
}
