-- A host asked the attendee to pick a new time (`request-reschedule`): the booking is cancelled
-- and this flag tells the email pipeline to send the "pick a new time" message.
ALTER TABLE bookings ADD COLUMN reschedule_requested INTEGER NOT NULL DEFAULT 0;
