-- Teams outside organizations (Cal.com's `/v2/teams`): a team with no parent that is not an organization.
-- 0001 tied `is_organization` to `parent_id IS NULL`; the rule now is only that an organization has no parent.
-- Organizations and teams outside them keep sharing one slug space (`teams_org_slug_key`).
ALTER TABLE teams DROP CONSTRAINT teams_check;
ALTER TABLE teams ADD CONSTRAINT teams_organization_has_no_parent CHECK (NOT is_organization OR parent_id IS NULL);
