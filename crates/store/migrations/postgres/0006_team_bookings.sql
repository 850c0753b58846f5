-- Hosts of a booking besides its organizer: a COLLECTIVE team event blocks every host's time.
CREATE TABLE booking_hosts (
    booking_id BIGINT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (booking_id, user_id)
);
CREATE INDEX booking_hosts_user_idx ON booking_hosts (user_id);
