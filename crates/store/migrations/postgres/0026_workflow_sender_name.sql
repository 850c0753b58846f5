-- The display name a workflow step gives its emails' From (`sender`); the address stays the route's own.
-- NULL: the route's name, as before.
ALTER TABLE email_outbox ADD COLUMN from_name TEXT;
