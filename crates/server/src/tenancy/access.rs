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
    #[error("You are not a member of this team")]
    NotTeamMember,
    #[error("This requires the ADMIN or OWNER role in the organization or the team")]
    NotTeamAdmin,
    #[error("This requires the OWNER role in the team")]
    NotTeamOwner,
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
    pub async fn load(db: &Db, user: &UserRecord, org_id: TeamId) -> Result<Self, AccessError> {
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
    pub async fn load_admin(db: &Db, user: &UserRecord, org_id: TeamId) -> Result<Self, AccessError> {
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
    pub async fn team(&self, db: &Db, team_id: TeamId) -> Result<TeamRecord, AccessError> {
        teams::find_in_organization(db, self.org_id(), team_id)
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

/// A user's standing in one team, inside an organization or outside any. The one rule for every team-scoped
/// operation, whichever path reached the team (`/v2/organizations/{orgId}/teams/{teamId}/…` or
/// `/v2/teams/{teamId}/…`).
#[derive(Debug, Clone)]
pub struct TeamAccess {
    pub team: TeamRecord,
    /// The organization's access when the team is inside one.
    pub org: Option<OrgAccess>,
    /// The role the user acts with in the team: their accepted team role, the organization's role for its
    /// ADMINs and OWNERs, `Owner` for instance admins; `None` for an organization member outside the team.
    pub role: Option<Role>,
}

impl TeamAccess {
    /// With `org_id`, a team of that organization (any accepted member of the organization gets through, with
    /// their role in the team if any); without, a team outside organizations, open to its accepted members
    /// only. A team that is not where the path says is "not found".
    pub async fn load(
        db: &Db,
        user: &UserRecord,
        org_id: Option<TeamId>,
        team_id: TeamId,
    ) -> Result<Self, AccessError> {
        if let Some(org_id) = org_id {
            let org = OrgAccess::load(db, user, org_id).await?;
            let team = org.team(db, team_id).await?;
            let role = org.team_role(db, user, &team).await?;
            return Ok(TeamAccess {
                team,
                org: Some(org),
                role,
            });
        }
        let team = teams::find_standalone(db, team_id)
            .await?
            .ok_or(AccessError::TeamNotFound)?;
        if user.is_instance_admin {
            return Ok(TeamAccess {
                team,
                org: None,
                role: Some(Role::Owner),
            });
        }
        let membership = memberships::of_user(db, team.team_id(), user.user_id())
            .await?
            .filter(|m| m.accepted)
            .ok_or(AccessError::NotTeamMember)?;
        Ok(TeamAccess {
            team,
            org: None,
            role: Some(membership.role()),
        })
    }

    pub fn team_id(&self) -> TeamId {
        self.team.team_id()
    }

    /// The organization the team is inside, if any.
    pub fn org_id(&self) -> Option<TeamId> {
        self.org.as_ref().map(OrgAccess::org_id)
    }

    /// A member of the team (or an organization ADMIN/OWNER): the role to act with.
    pub fn require_member(&self) -> Result<Role, AccessError> {
        self.role.ok_or(AccessError::NotTeamMember)
    }

    /// An ADMIN or OWNER of the team (or of its organization).
    pub fn require_manager(&self) -> Result<Role, AccessError> {
        self.role.filter(|r| r.can_manage()).ok_or(AccessError::NotTeamAdmin)
    }

    /// An OWNER of the team (or of its organization).
    pub fn require_owner(&self) -> Result<Role, AccessError> {
        self.role.filter(|r| *r == Role::Owner).ok_or(AccessError::NotTeamOwner)
    }
}
