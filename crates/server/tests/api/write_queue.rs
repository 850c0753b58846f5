//! Write transactions queue in the process (on SQLite, before `BEGIN IMMEDIATE`) rather than in SQLite's busy
//! handler (issue 10, scheduling speed).

use crate::helpers::TestApp;
use crate::scheduling::{book, host_with_event, slots};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// On SQLite, bookings waiting for the write lock queue in the process without holding a pooled connection, so
/// reads go on meanwhile; before, each waiter held a connection while sleeping in SQLite's busy handler, and a
/// dozen of them left none for anyone.
#[tokio::test]
async fn queued_bookings_leave_connections_for_reads() {
    let app = TestApp::spawn().await;
    let always = json!([{ "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], "startTime": "00:00", "endTime": "24:00" }]);
    let event = json!({ "title": "Call", "slug": "call", "lengthInMinutes": 15 });
    let (_, event) = host_with_event(&app, "queue@example.test", "UTC", always, event).await;
    // Someone else's write transaction holds the lock for a while.
    let held = app.db.begin().await.expect("begin");
    let bookings = futures::future::join_all((0..12).map(|i| {
        let app = &app;
        async move {
            let (start, email) = (
                format!("2030-01-07T{:02}:00:00Z", 8 + i),
                format!("waiter{i}@example.test"),
            );
            book(app, event, &start, &email).await
        }
    }));
    let read_while_held = async {
        // Let the bookings reach their wait first.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = std::time::Instant::now();
        let answer = slots(&app, &format!("eventTypeId={event}&start=2030-01-08&end=2030-01-08")).await;
        let took = started.elapsed();
        drop(held);
        (answer, took)
    };
    let (booked, (answer, took)) = tokio::join!(bookings, read_while_held);
    answer.expect_success(StatusCode::OK);
    assert!(
        took < Duration::from_secs(2),
        "the read waited {took:?} for a connection"
    );
    for b in booked {
        b.expect_success(StatusCode::CREATED);
    }
}
