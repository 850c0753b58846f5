//! The emails of one change, gathered before they are written: a booking's own emails and its workflows' go to the
//! outbox in one multi-row insert. Inside the change's transaction SQLite's write lock is held, and each statement
//! is a round trip to the database's thread that every other booking waits for (see BENCHMARKS.md, reminders).

use convene_core::{BookingId, EmailId, WorkflowId};
use convene_store::outbox::{self, NewEmail};
use convene_store::{StoreError, Tx, workflows};
use jiff::Timestamp;

#[derive(Debug, Default)]
pub struct Gathered {
    emails: Vec<NewEmail>,
    /// Beside each email, the workflow whose reminder it is (None for a booking email or a notice sent at once),
    /// and the booking it reminds of.
    reminder_of: Vec<Option<(WorkflowId, BookingId)>>,
}

impl Gathered {
    pub fn push(&mut self, email: NewEmail) {
        self.emails.push(email);
        self.reminder_of.push(None);
    }

    /// A workflow's scheduled email: linked to its workflow and booking, so that moving or cancelling the booking,
    /// or editing the workflow, finds it.
    pub fn push_reminder(&mut self, email: NewEmail, workflow: WorkflowId, booking: BookingId) {
        self.emails.push(email);
        self.reminder_of.push(Some((workflow, booking)));
    }

    pub fn len(&self) -> usize {
        self.emails.len()
    }

    pub fn is_empty(&self) -> bool {
        self.emails.is_empty()
    }

    /// Writes everything gathered: two statements for the emails and one for the reminder links, however many.
    pub async fn write(self, tx: &mut Tx, now: Timestamp) -> Result<Vec<EmailId>, StoreError> {
        let ids = outbox::enqueue_all(&mut *tx, &self.emails, now).await?;
        let links: Vec<(EmailId, WorkflowId, BookingId)> = ids
            .iter()
            .zip(&self.reminder_of)
            .filter_map(|(id, of)| of.map(|(workflow, booking)| (*id, workflow, booking)))
            .collect();
        workflows::link_reminders(&mut *tx, &links).await?;
        Ok(ids)
    }
}
