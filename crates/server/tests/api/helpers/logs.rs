//! [`LogCapture`]: everything the server logs during a test, as text, to prove what never appears in a log line.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Every log event and span field recorded while it is the thread's default subscriber, as text.
#[derive(Clone, Default)]
pub struct LogCapture {
    text: Arc<Mutex<String>>,
    next_span: Arc<AtomicU64>,
}

struct FieldText<'a>(&'a mut String);

impl tracing::field::Visit for FieldText<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

impl LogCapture {
    fn append(&self, head: &str, record: impl FnOnce(&mut FieldText<'_>)) {
        let mut text = self.text.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        text.push_str(head);
        record(&mut FieldText(&mut text));
        text.push('\n');
    }

    pub fn text(&self) -> String {
        self.text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl tracing::Subscriber for LogCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        self.append(&format!("span {}", span.metadata().name()), |v| span.record(v));
        tracing::span::Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        self.append("record", |v| values.record(v));
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let meta = event.metadata();
        self.append(&format!("{} {}", meta.level(), meta.target()), |v| event.record(v));
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
