-- Teams outside organizations (Cal.com's `/v2/teams`): a team with no parent that is not an organization.
-- 0001 tied `is_organization` to `parent_id IS NULL`; the rule now is only that an organization has no parent.
-- Organizations and teams outside them keep sharing one slug space (`teams_org_slug_key`).
ALTER TABLE teams DROP CONSTRAINT teams_check;
ALTER TABLE teams ADD CONSTRAINT teams_organization_has_no_parent CHECK (NOT is_organization OR parent_id IS NULL);

-- Organization webhooks (`/v2/organizations/{orgId}/webhooks`): a subscription may belong to an organization,
-- and hears about the bookings of its members and of its teams' event types.
ALTER TABLE webhooks ADD COLUMN organization_id BIGINT REFERENCES teams (id) ON DELETE CASCADE;
ALTER TABLE webhooks DROP CONSTRAINT webhooks_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_one_owner
    CHECK ((user_id IS NOT NULL)::int + (event_type_id IS NOT NULL)::int + (organization_id IS NOT NULL)::int = 1);
CREATE UNIQUE INDEX webhooks_organization_url ON webhooks (organization_id, subscriber_url)
    WHERE organization_id IS NOT NULL;
