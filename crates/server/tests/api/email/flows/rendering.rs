//! Text that is hard to render: long Unicode folded in the invite, and times in each reader's zone.

use super::mime::{attached, parse};
use super::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn long_unicode_text_folds_within_75_octets_and_survives_an_independent_parser() {
    let description = "Agenda 🗓️: 会議の議題と資料の確認、次のステップ; budget, timeline \\ risks.\n\
                       Second line — ünïcødé ✅ 👩‍👩‍👧‍👦 漢字かなカナ한국어 العربية. "
        .repeat(6);
    let description = description.trim_end().to_owned();
    let flow = Flow::start(json!({ "title": "Kickoff 🚀 キックオフ, part 1; v2", "slug": "kickoff",
        "lengthInMinutes": 30, "description": description }))
    .await;
    let booking = flow.book(MONDAY_10, &[]).await;
    let t = title("Kickoff 🚀 キックオフ, part 1; v2");
    assert_eq!(booking["title"], t.as_str());
    let mails = flow.send().await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        let message = parse(mail);
        let attachment = *attached(&message).first().expect("invite.ics");
        let bytes = attachment.contents();
        assert!(bytes.ends_with(b"END:VCALENDAR\r\n"));
        let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        assert_eq!(lines.pop(), Some(&b""[..]), "ends with a line break");
        for line in lines {
            let line = line.strip_suffix(b"\r").expect("every line ends with CRLF");
            assert!(
                line.len() <= 75,
                "{} octets: {}",
                line.len(),
                String::from_utf8_lossy(line)
            );
            std::str::from_utf8(line).expect("folding never splits a character");
        }
        let ics = mail.ics();
        assert!(
            ics.raw.lines().any(|l| l.starts_with(' ')),
            "the long description was folded"
        );
        assert_eq!(
            ics.description.as_deref(),
            Some(description.as_str()),
            "DESCRIPTION round-trips"
        );
        assert_eq!(ics.summary, t, "SUMMARY round-trips");
        // The subject goes through RFC 2047 encoding and comes back the same.
        assert_eq!(message.subject(), Some(mail.row.subject.as_str()));
        assert!(mail.row.subject.contains("🚀 キックオフ"), "{}", mail.row.subject);
        let text = mail.text();
        assert!(text.contains(&format!("Additional notes: {description}")), "{text}");
    }
}

#[tokio::test]
async fn dates_are_shown_in_each_readers_time_zone() {
    let flow = Flow::start(intro()).await;
    flow.app
        .patch(
            "/v2/me",
            &flow.host.key,
            json!({ "timeZone": "Asia/Tokyo", "timeFormat": 12 }),
        )
        .await
        .expect_success(StatusCode::OK);
    // 15:00 UTC in winter: 10:00 in New York (UTC−5), 00:00 the next day in Tokyo.
    let winter = flow
        .try_book(
            flow.event,
            "2030-01-07T15:00:00Z",
            (BOOKER_NAME, BOOKER, "America/New_York"),
            &[],
        )
        .await
        .expect_success(StatusCode::CREATED)
        .clone();
    // 15:00 UTC in summer: 11:00 in New York (daylight saving, UTC−4).
    flow.try_book(
        flow.event,
        "2030-07-01T15:00:00Z",
        (BOOKER_NAME, BOOKER, "America/New_York"),
        &[],
    )
    .await
    .expect_success(StatusCode::CREATED);
    let mails = flow.send().await;
    assert_eq!(mails.len(), 4);
    let text_of = |kind: &str, start: &str| {
        let mail = mails
            .iter()
            .find(|m| m.kind() == kind && m.ics().start == start)
            .unwrap_or_else(|| panic!("{kind} at {start}"));
        mail.text()
    };
    let expect = |text: String, when: &str| {
        assert!(text.contains(&format!("When: {when}\n")), "wanted {when:?} in:\n{text}");
    };
    expect(
        text_of(KIND_SCHEDULED_ATTENDEE, "20300107T150000Z"),
        "Monday, 7 January 2030, 10:00 – 10:30 (America/New_York)",
    );
    expect(
        text_of(KIND_SCHEDULED_ORGANIZER, "20300107T150000Z"),
        "Tuesday, 8 January 2030, 12:00 AM – 12:30 AM (Asia/Tokyo)",
    );
    expect(
        text_of(KIND_SCHEDULED_ATTENDEE, "20300701T150000Z"),
        "Monday, 1 July 2030, 11:00 – 11:30 (America/New_York)",
    );
    expect(
        text_of(KIND_SCHEDULED_ORGANIZER, "20300701T150000Z"),
        "Tuesday, 2 July 2030, 12:00 AM – 12:30 AM (Asia/Tokyo)",
    );

    // A guest added later reads the time in the zone given for them.
    flow.act(
        &uid_of(&winter),
        "guests",
        json!({ "guests": [{ "email": "kavya@example.test", "name": "Kavya", "timeZone": "Asia/Kolkata" }] }),
    )
    .await
    .expect_success(StatusCode::OK);
    let mails = flow.send().await;
    let invited = mails
        .iter()
        .find(|m| m.kind() == "booking_guest_invited")
        .expect("an invitation");
    expect(invited.text(), "Monday, 7 January 2030, 20:30 – 21:00 (Asia/Kolkata)");
    // The invite itself stays in UTC for everyone.
    for mail in &mails {
        assert_eq!(mail.ics().start, "20300107T150000Z");
    }
}
