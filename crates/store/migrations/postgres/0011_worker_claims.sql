-- Which worker holds a claimed row (`host:data-folder#slot`, or the configured worker_id), so a restarted worker
-- takes back at once what it held when it died, renews the leases of what it is still sending, and releases what
-- it will not send when it stops. NULL when nobody holds the row.
ALTER TABLE email_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
CREATE INDEX email_outbox_claimed_by_idx ON email_outbox (claimed_by) WHERE claimed_by IS NOT NULL;
CREATE INDEX webhook_deliveries_claimed_by_idx ON webhook_deliveries (claimed_by) WHERE claimed_by IS NOT NULL;
