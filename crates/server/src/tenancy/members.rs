//! Changing who belongs to an organization or team, for the API (`/v2/organizations/{orgId}/memberships`,
//! `…/teams/{teamId}/memberships`) and the organization's admin pages alike: roles only an OWNER may grant stay
//! an OWNER's, and an organization always keeps an OWNER.

use super::access::{AccessError, OrgAccess, TeamAccess};
use convene_core::{MembershipId, Role, UserId};
use convene_store::memberships::{self, MembershipPatch, MembershipRecord};
use convene_store::{Db, StoreError, users};

/// Why a membership was not changed.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("Membership not found")]
    NotFound,
    #[error("An organization must keep at least one OWNER")]
    LastOwner,
    /// Adding someone to a team of an organization they are not in.
    #[error("user {0} is not a member of the organization")]
    NotInOrganization(i64),
    #[error("user {0} not found")]
    UserNotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn found(db: &Db, team: convene_core::TeamId, id: MembershipId) -> Result<MembershipRecord, MemberError> {
    memberships::find(db, team, id).await?.ok_or(MemberError::NotFound)
}

/// An organization must keep an owner: refuse to demote or remove its last one.
async fn not_last_owner(db: &Db, access: &OrgAccess, membership: &MembershipRecord) -> Result<(), MemberError> {
    if membership.role() == Role::Owner && memberships::count_owners(db, access.org_id()).await? <= 1 {
        return Err(MemberError::LastOwner);
    }
    Ok(())
}

/// Applies `patch` to a membership of the organization (the caller is its ADMIN or OWNER).
pub async fn update_in_org(
    db: &Db,
    access: &OrgAccess,
    id: MembershipId,
    patch: &MembershipPatch,
) -> Result<MembershipRecord, MemberError> {
    access.require_admin()?;
    let org = access.org_id();
    let current = found(db, org, id).await?;
    if let Some(new_role) = patch.role.filter(|r| *r != current.role()) {
        access.require_can_grant(new_role)?;
        access.require_can_grant(current.role())?;
        not_last_owner(db, access, &current).await?;
    }
    memberships::update(db, org, id, patch).await?;
    found(db, org, id).await
}

/// Removes someone from the organization: they leave its teams too.
pub async fn remove_from_org(db: &Db, access: &OrgAccess, id: MembershipId) -> Result<MembershipRecord, MemberError> {
    access.require_admin()?;
    let org = access.org_id();
    let membership = found(db, org, id).await?;
    access.require_can_grant(membership.role())?;
    not_last_owner(db, access, &membership).await?;
    let user = membership.user_id;
    let mut tx = db.begin().await?;
    memberships::delete(&mut tx, org, id).await?;
    memberships::delete_from_org_teams(&mut tx, org, user).await?;
    users::leave_organization(&mut tx, user, org).await?;
    tx.commit().await?;
    Ok(membership)
}

/// Adds `user` to the team with `role` (the caller manages the team; inside an organization, only its members
/// join its teams).
pub async fn add_to_team(
    db: &Db,
    access: &TeamAccess,
    user: UserId,
    role: Role,
    accepted: bool,
    disable_impersonation: bool,
) -> Result<MembershipRecord, MemberError> {
    let acting = access.require_manager()?;
    if !acting.can_grant(role) {
        return Err(AccessError::CannotGrant(role).into());
    }
    match access.org_id() {
        Some(org) => {
            if memberships::of_user(db, org, user).await?.is_none() {
                return Err(MemberError::NotInOrganization(user.0));
            }
        }
        None => {
            if users::find(db, user).await?.is_none() {
                return Err(MemberError::UserNotFound(user.0));
            }
        }
    }
    let team = access.team_id();
    let id = memberships::insert(db, team, user, role, accepted, disable_impersonation).await?;
    found(db, team, id).await
}

/// Removes a member from the team (the caller manages the team and may grant the member's role).
pub async fn remove_from_team(db: &Db, access: &TeamAccess, id: MembershipId) -> Result<MembershipRecord, MemberError> {
    let acting = access.require_manager()?;
    let team = access.team_id();
    let membership = found(db, team, id).await?;
    if !acting.can_grant(membership.role()) {
        return Err(AccessError::CannotGrant(membership.role()).into());
    }
    memberships::delete(db, team, id).await?;
    Ok(membership)
}
