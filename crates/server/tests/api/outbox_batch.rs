//! Several emails queued in one go (a booking's emails and its workflow reminders) land as if queued one by one.

use crate::helpers::instant;
use convene_core::email::EmailKind;
use convene_store::outbox::{self, NewEmail};
use convene_store::testing::TestDb;

fn email(n: usize, not_before: Option<i64>) -> NewEmail {
    NewEmail {
        message_id: format!("<batch-{n}@convene.test>"),
        to_email: format!("reader{n}@example.com"),
        subject: format!("Subject {n}"),
        body_text: format!("Text {n}"),
        body_html: format!("<p>Html {n}</p>"),
        ics: (n == 2).then(|| "BEGIN:VCALENDAR".to_owned()),
        not_before: not_before.map(instant),
        ..NewEmail::of(EmailKind::WorkflowEmail)
    }
}

#[tokio::test]
async fn emails_queued_together_each_keep_their_own_row_contents_and_due_time() {
    let test_db = TestDb::new().await.expect("test database");
    let emails: Vec<NewEmail> = (0..3).map(|n| email(n, (n > 0).then(|| 5_000 + n as i64))).collect();

    let ids = outbox::enqueue_all(&test_db.db, &emails, instant(1_000))
        .await
        .expect("queued");

    assert_eq!(ids.len(), 3);
    for (n, id) in ids.iter().enumerate() {
        let row = outbox::find(&test_db.db, *id).await.expect("read").expect("row");
        assert_eq!(row.message_id, emails[n].message_id, "ids come back in the order given");
        assert_eq!(row.to_email, emails[n].to_email);
        assert_eq!(row.body_text, emails[n].body_text);
        assert_eq!(row.body_html, emails[n].body_html);
        assert_eq!(row.ics, emails[n].ics);
        assert_eq!(row.next_attempt_at, emails[n].not_before.unwrap_or(instant(1_000)));
        assert_eq!(row.status, "queued");
    }
    assert!(
        outbox::enqueue_all(&test_db.db, &[], instant(1_000))
            .await
            .expect("nothing")
            .is_empty()
    );
}
