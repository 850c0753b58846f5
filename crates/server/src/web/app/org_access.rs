//! Who may open an organization's admin pages: the one rule of `tenancy::access`, as for the API. An accepted
//! ADMIN or OWNER (or an instance admin) gets in; a MEMBER is told the page needs a higher role; anyone else —
//! another organization's admin included — finds nothing, so ids can't be probed.

use super::shell::{Host, Refusal};
use crate::state::AppState;
use crate::tenancy::access::{AccessError, OrgAccess, TeamAccess};
use crate::tenancy::members::MemberError;
use convene_core::TeamId;

/// Members per page on the organization's lists.
pub(super) const PAGE_SIZE: i64 = 25;

pub(super) fn refusal(host: &Host, e: AccessError) -> Refusal {
    match e {
        AccessError::NotAdmin
        | AccessError::CannotGrant(_)
        | AccessError::NotTeamAdmin
        | AccessError::NotTeamOwner
        | AccessError::NotTeamMember => Refusal::Forbidden(host.t),
        AccessError::OrganizationNotFound
        | AccessError::NotMember
        | AccessError::NotAccepted
        | AccessError::TeamNotFound => Refusal::NotFound(host.t),
        AccessError::Store(e) => e.into(),
    }
}

/// The organization `org_id` when `host` manages it.
pub(super) async fn org_admin(state: &AppState, host: &Host, org_id: &str) -> Result<OrgAccess, Refusal> {
    let id: i64 = org_id.parse().map_err(|_| Refusal::NotFound(host.t))?;
    OrgAccess::load_admin(&state.db, &host.user, TeamId(id))
        .await
        .map_err(|e| refusal(host, e))
}

/// A team of organization `org_id` that `host` manages (as the team's or the organization's ADMIN or OWNER).
pub(super) async fn team_manager(
    state: &AppState,
    host: &Host,
    org_id: &str,
    team_id: &str,
) -> Result<TeamAccess, Refusal> {
    let org: i64 = org_id.parse().map_err(|_| Refusal::NotFound(host.t))?;
    let team: i64 = team_id.parse().map_err(|_| Refusal::NotFound(host.t))?;
    let access = TeamAccess::load(&state.db, &host.user, Some(TeamId(org)), TeamId(team))
        .await
        .map_err(|e| refusal(host, e))?;
    access.require_manager().map_err(|e| refusal(host, e))?;
    Ok(access)
}

/// What a refused membership change says on the page (`Err`: not a message for the page but a refusal).
pub(super) fn member_problem(host: &Host, e: MemberError) -> Result<String, Refusal> {
    match e {
        MemberError::Access(AccessError::CannotGrant(_)) => Ok(host.t.text("org-only-owner")),
        MemberError::Access(e) => Err(refusal(host, e)),
        MemberError::NotFound => Err(Refusal::NotFound(host.t)),
        MemberError::LastOwner => Ok(host.t.text("org-last-owner")),
        MemberError::NotInOrganization(_) | MemberError::UserNotFound(_) => Ok(host.t.text("org-not-in-org")),
        MemberError::Store(e) => Err(e.into()),
    }
}
