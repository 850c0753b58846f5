//! Who may do what inside an organization. Every org-scoped handler starts here.

use super::ApiError;
use super::auth::ApiUser;
use crate::AppState;
use convene_core::{Role, TeamId};
use convene_store::teams::TeamRecord;
use convene_store::{memberships, teams};

/// The caller's standing in one organization. Instance admins act as owners everywhere.
pub struct OrgAccess {
    pub org: TeamRecord,
    /// The caller's accepted role, or `Owner` for instance admins who aren't members.
    pub role: Role,
}

impl OrgAccess {
    /// Loads the organization and the caller's role. Callers who are not accepted members get 403
    /// whether or not the organization exists, so ids can't be probed.
    pub async fn load(state: &AppState, caller: &ApiUser, org_id: i64) -> Result<Self, ApiError> {
        let org_id = TeamId(org_id);
        let org = teams::find_organization(&state.db, org_id).await?;
        if caller.is_instance_admin() {
            let org = org.ok_or_else(|| ApiError::not_found("Organization"))?;
            return Ok(OrgAccess { org, role: Role::Owner });
        }
        let not_member = || ApiError::forbidden("You are not a member of this organization");
        let org = org.ok_or_else(not_member)?;
        let membership = memberships::of_user(&state.db, org_id, caller.id())
            .await?
            .ok_or_else(not_member)?;
        if !membership.accepted {
            return Err(ApiError::forbidden(
                "Your membership in this organization has not been accepted yet",
            ));
        }
        Ok(OrgAccess {
            org,
            role: membership.role(),
        })
    }

    pub fn org_id(&self) -> TeamId {
        self.org.team_id()
    }

    /// ADMIN or OWNER.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role.can_manage() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "This requires the ADMIN or OWNER role in the organization",
            ))
        }
    }

    /// May the caller give (or take away) `role`?
    pub fn require_can_grant(&self, role: Role) -> Result<(), ApiError> {
        if self.role.can_grant(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Only an OWNER can grant or change the {} role",
                role.as_str()
            )))
        }
    }

    /// A team of this organization, or 404.
    pub async fn team(&self, state: &AppState, team_id: i64) -> Result<TeamRecord, ApiError> {
        teams::find_in_organization(&state.db, self.org_id(), TeamId(team_id))
            .await?
            .ok_or_else(|| ApiError::not_found("Team"))
    }

    /// The caller's role in a team of this organization: org admins manage every team; other
    /// members act with their team role (if any).
    pub async fn team_role(
        &self,
        state: &AppState,
        caller: &ApiUser,
        team: &TeamRecord,
    ) -> Result<Option<Role>, ApiError> {
        if self.role.can_manage() {
            return Ok(Some(self.role));
        }
        let membership = memberships::of_user(&state.db, team.team_id(), caller.id()).await?;
        Ok(membership.filter(|m| m.accepted).map(|m| m.role()))
    }
}
