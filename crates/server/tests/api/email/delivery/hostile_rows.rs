//! Hostile rows: control characters and bad addresses stored in the outbox never add headers or recipients.

use super::*;
use convene_store::Backend;
use convene_store::now_ms;
use convene_store::outbox::{NewEmail, Settlement};
use convene_testkit::Behavior;
use mail_parser::MimeHeaders;

/// Lines that start a header called `name` anywhere in the message (the top and every MIME part).
fn header_lines(data: &[u8], name: &str) -> Vec<String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    String::from_utf8_lossy(data)
        .split("\r\n")
        .flat_map(|l| l.split(['\n', '\r']))
        .filter(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn control_characters_in_stored_rows_never_add_headers_or_recipients() {
    let (app, fake) = plain_setup(Behavior::default(), |_| {}).await;
    // PostgreSQL text cannot hold NUL at all, so only SQLite rows carry one.
    let nul = if app.db.backend() == Backend::Sqlite { "\0" } else { "" };
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
    let hostile = [
        NewEmail {
            to_name: Some("Eve\r\nBcc: victim1@evil.test".into()),
            subject: "Hi\r\nBcc: victim2@evil.test".into(),
            reply_to_email: Some("replies@ok.test".into()),
            reply_to_name: Some("Desk\nBcc: victim3@evil.test".into()),
            ics: Some(ics.into()),
            ics_method: Some("REQUEST\r\nBcc: victim4@evil.test".into()),
            ..letter("eve@example.test", "crlf")
        },
        NewEmail {
            to_name: Some("\r\n".into()),
            subject: format!("Nul{nul}bell\u{7}esc\u{1b}[31m nel\u{85}Bcc: victim5@evil.test\rX-Injected: 1"),
            ..letter("mallory@example.test", "controls")
        },
        NewEmail {
            to_name: Some("Ünïcödé\u{2028}Bcc: victim6@evil.test".into()),
            subject: "Grüße\r\n\r\nBody injection attempt".into(),
            ..letter("trent@example.test", "unicode")
        },
    ];
    let mut ids = Vec::new();
    for email in &hostile {
        ids.push(queue(&app, email).await);
    }
    let processed = run(&app, now_ms()).await;
    assert_eq!(processed.len(), 3);
    for p in &processed {
        assert_eq!(
            p.settlement,
            Settlement::Sent {
                route: "platform".into()
            },
            "{p:?}"
        );
    }
    let messages = fake.messages();
    assert_eq!(messages.len(), 3);
    for m in &messages {
        assert_eq!(m.rcpt_to.len(), 1, "one recipient only: {:?}", m.rcpt_to);
        assert!(!m.rcpt_to[0].contains("evil"), "{:?}", m.rcpt_to);
        assert_eq!(header_lines(&m.data, "Bcc"), Vec::<String>::new(), "{}", m.data_text());
        assert_eq!(
            header_lines(&m.data, "X-Injected"),
            Vec::<String>::new(),
            "{}",
            m.data_text()
        );
        let parsed = mail_parser::MessageParser::default()
            .parse(&m.data)
            .expect("the message parses");
        let names: Vec<&str> = parsed.headers().iter().map(mail_parser::Header::name).collect();
        assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("bcc")), "{names:?}");
        assert_eq!(
            names.iter().filter(|n| n.eq_ignore_ascii_case("subject")).count(),
            1,
            "{names:?}"
        );
        let subject = parsed.subject().expect("a subject");
        assert!(!subject.chars().any(char::is_control), "{subject:?}");
        let to = parsed.to().and_then(|a| a.first()).expect("a To");
        assert_eq!(Some(m.rcpt_to[0].as_str()), to.address());
        assert!(!to.name().unwrap_or_default().chars().any(char::is_control), "{to:?}");
    }
    let crlf = messages
        .iter()
        .find(|m| m.rcpt_to == ["eve@example.test"])
        .expect("eve's message");
    let parsed = mail_parser::MessageParser::default().parse(&crlf.data).expect("parses");
    assert!(
        parsed.subject().unwrap_or_default().starts_with("Hi"),
        "{:?}",
        parsed.subject()
    );
    let methods: Vec<String> = parsed
        .parts
        .iter()
        .filter_map(|part| part.content_type())
        .filter(|ct| ct.ctype() == "text" && ct.subtype() == Some("calendar"))
        .map(|ct| ct.attribute("method").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(methods.len(), 1, "{methods:?}");
    assert!(
        methods[0].starts_with("REQUEST") && methods[0].chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "the calendar METHOD is reduced to a token: {methods:?}"
    );
    let unicode = messages
        .iter()
        .find(|m| m.rcpt_to == ["trent@example.test"])
        .expect("trent's message");
    let parsed = mail_parser::MessageParser::default()
        .parse(&unicode.data)
        .expect("parses");
    assert!(parsed.subject().unwrap_or_default().contains("Grüße"));
    assert!(
        !parsed
            .body_text(0)
            .unwrap_or_default()
            .contains("Body injection attempt"),
        "a blank line in the subject does not start the body"
    );
}

#[tokio::test]
async fn an_invalid_recipient_address_fails_with_a_clear_error_and_no_smtp_session() {
    let (app, fake) = plain_setup(Behavior::default(), |_| {}).await;
    let mut ids = Vec::new();
    for (i, to) in [
        "not an address",
        "",
        "ok@example.test>\r\nRCPT TO:<evil@evil.test",
        "ok@example.test\r\nBcc: evil@evil.test",
    ]
    .into_iter()
    .enumerate()
    {
        ids.push(queue(&app, &letter(to, &format!("bad-{i}"))).await);
    }
    let processed = run(&app, now_ms()).await;
    assert_eq!(processed.len(), ids.len());
    for p in &processed {
        assert_eq!(p.settlement, Settlement::Failed, "{p:?}");
        let reply = p.routes[0].reply.as_deref().unwrap_or_default();
        assert!(reply.contains("invalid recipient address"), "{reply}");
        let email = row(&app, p.id.0).await;
        assert_eq!(email.status, "failed");
        assert!(
            email
                .last_error
                .as_deref()
                .unwrap_or_default()
                .contains("invalid recipient address")
        );
    }
    assert!(fake.messages().is_empty());
    assert!(
        !fake.commands().iter().any(|c| c.contains("evil")),
        "{:?}",
        fake.commands()
    );
    assert!(run(&app, now_ms() + 48 * HOUR).await.is_empty());
}

#[tokio::test]
async fn a_row_of_a_kind_this_version_does_not_know_waits_for_a_newer_worker_and_the_rest_are_sent() {
    let (app, fake) = plain_setup(Behavior::default(), |_| {}).await;
    let newer = queue(&app, &letter("newer@example.test", "from a newer version")).await;
    let known = queue(&app, &letter("ada@example.test", "known")).await;
    // A newer process, mid-upgrade, queued a kind this version has no word for.
    let sql = "UPDATE email_outbox SET kind = 'carrier_pigeon' WHERE id = $1";
    let changed = match &app.db {
        convene_store::Db::Sqlite(pool) => sqlx::query(sql)
            .bind(newer)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        convene_store::Db::Postgres(pool) => sqlx::query(sql)
            .bind(newer)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
    };
    assert_eq!(changed.expect("update"), 1);

    let processed = run(&app, now_ms()).await;
    assert_eq!(
        processed.iter().map(|p| p.id).collect::<Vec<_>>(),
        [EmailId(known)],
        "{processed:?}"
    );
    assert_eq!(fake.messages().len(), 1);
    assert!(
        run(&app, now_ms() + HOUR).await.is_empty(),
        "the unknown row is never claimed here"
    );
    let left = outbox::claim_due(&app.db, convene_store::now(), MINUTE, 10)
        .await
        .expect("claim");
    assert!(left.is_empty(), "{left:?}");
    let sql = "SELECT status FROM email_outbox WHERE id = $1";
    let status: Result<String, _> = match &app.db {
        convene_store::Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(newer).fetch_one(pool).await,
        convene_store::Db::Postgres(pool) => sqlx::query_scalar(sql).bind(newer).fetch_one(pool).await,
    };
    assert_eq!(status.expect("read").as_str(), "queued", "kept, not lost");
}
