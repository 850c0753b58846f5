-- Seats and recurring bookings (Cal.com's `seats` and `recurrence` of an event type).
-- An event type with seats: one booking per start, one attendee row per seat (its `seat_uid`), full at
-- `seats_per_time_slot`. A recurring event type's `recurrence` is its Recurrence_2024_06_14 JSON.
ALTER TABLE event_types ADD COLUMN seats_per_time_slot BIGINT;
ALTER TABLE event_types ADD COLUMN seats_show_attendees BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE event_types ADD COLUMN seats_show_availability_count BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE event_types ADD COLUMN recurrence TEXT;
-- A seat's own answers to the booking fields (a seated booking is shared, its answers are not).
ALTER TABLE booking_attendees ADD COLUMN seat_uid TEXT;
ALTER TABLE booking_attendees ADD COLUMN seat_responses TEXT;
CREATE UNIQUE INDEX booking_attendees_seat_uid ON booking_attendees (seat_uid) WHERE seat_uid IS NOT NULL;
-- The occurrences of one recurring booking share this uid.
ALTER TABLE bookings ADD COLUMN recurring_event_uid TEXT;
CREATE INDEX bookings_recurring_event_uid ON bookings (recurring_event_uid) WHERE recurring_event_uid IS NOT NULL;
