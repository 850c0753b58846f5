//! Who may do what inside an organization: one rule for API callers and signed-in web users alike. Every
//! org-scoped operation starts here.

use convene_core::{Role, TeamId};
use convene_store::teams::TeamRecord;
use convene_store::users::UserRecord;
use convene_store::{Db, StoreError, memberships, teams};

/// Why a user may not act in an organization (or on one of its teams).
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Only instance admins learn that an organization doesn't exist.
    #[error("Organization not found")]
    OrganizationNotFound,
    /// Also the answer for organizations that don't exist, so ids can't be probed.
    #[error("You are not a member of this organization")]
    NotMember,
    #[error("Your membership in this organization has not been accepted yet")]
    NotAccepted,
    #[error("This requires the ADMIN or OWNER role in the organization")]
    NotAdmin,
    #[error("Only an OWNER can grant or change the {} role", .0.as_str())]
    CannotGrant(Role),
    #[error("Team not found")]
    TeamNotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user's standing in one organization. Instance admins act as owners everywhere.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    pub org: TeamRecord,
    /// The user's accepted role, or `Owner` for instance admins who aren't members.
    pub role: Role,
}

impl OrgAccess {
    /// Loads the organization and `user`'s role in it. Users who are not accepted members are refused whether
    /// or not the organization exists.
    pub async fn load(db: &Db, user: &UserRecord, org_id: i64) -> Result<Self, AccessError> {
        let org_id = TeamId(org_id);
        let org = teams::find_organization(db, org_id).await?;
        if user.is_instance_admin {
            let org = org.ok_or(AccessError::OrganizationNotFound)?;
            return Ok(OrgAccess { org, role: Role::Owner });
        }
        let org = org.ok_or(AccessError::NotMember)?;
        let membership = memberships::of_user(db, org_id, user.user_id())
            .await?
            .ok_or(AccessError::NotMember)?;
        if !membership.accepted {
            return Err(AccessError::NotAccepted);
        }
        Ok(OrgAccess {
            org,
            role: membership.role(),
        })
    }

    /// [`load`](Self::load), then [`require_admin`](Self::require_admin): an OWNER or ADMIN of the organization.
    pub async fn load_admin(db: &Db, user: &UserRecord, org_id: i64) -> Result<Self, AccessError> {
        let access = Self::load(db, user, org_id).await?;
        access.require_admin()?;
        Ok(access)
    }

    pub fn org_id(&self) -> TeamId {
        self.org.team_id()
    }

    /// ADMIN or OWNER.
    pub fn require_admin(&self) -> Result<(), AccessError> {
        if self.role.can_manage() {
            Ok(())
        } else {
            Err(AccessError::NotAdmin)
        }
    }

    /// May the user give (or take away) `role`?
    pub fn require_can_grant(&self, role: Role) -> Result<(), AccessError> {
        if self.role.can_grant(role) {
            Ok(())
        } else {
            Err(AccessError::CannotGrant(role))
        }
    }

    /// A team of this organization.
    pub async fn team(&self, db: &Db, team_id: i64) -> Result<TeamRecord, AccessError> {
        teams::find_in_organization(db, self.org_id(), TeamId(team_id))
            .await?
            .ok_or(AccessError::TeamNotFound)
    }

    /// `user`'s role in a team of this organization: org admins manage every team; other members act with their
    /// team role (if any).
    pub async fn team_role(&self, db: &Db, user: &UserRecord, team: &TeamRecord) -> Result<Option<Role>, AccessError> {
        if self.role.can_manage() {
            return Ok(Some(self.role));
        }
        let membership = memberships::of_user(db, team.team_id(), user.user_id()).await?;
        Ok(membership.filter(|m| m.accepted).map(|m| m.role()))
    }
}
