//! Invitations: an organization's or team's admin names an address and a role; the invitee gets an email (an
//! account email, so always through the platform's transport) with a link that works once, for a week, and
//! chooses their name, username, password and time zone on the page it opens ([`super::onboarding`]).
//!
//! The invitee's account exists from the invitation on — without a password, so nobody can sign in to it — with
//! memberships that are not accepted yet: the organization's members list shows them as invited, and
//! `OrgAccess` refuses them until they accept. The link carries a random 256-bit token of which only the hash
//! is stored (in `one_time_codes`, as password reset tokens are), so the database alone opens nothing. A second
//! invitation to the same person replaces the first link. Someone who already has a password (invited to one
//! more team, say) only confirms on the page and then signs in as usual: the link proves the mailbox, not who is
//! at the keyboard.

use super::onboarding::{CheckedOnboarding, OnboardingError, ensure_default_schedule};
use crate::credentials::{hash_api_key, random_token};
use crate::email::compose;
use crate::email::queue::account_email;
use crate::email::{EnqueueError, Mailer};
use convene_core::email::EmailKind;
use convene_core::{EmailAddress, Role, TeamId, Username};
use convene_store::teams::TeamRecord;
use convene_store::users::{self, NewUser, UserRecord};
use convene_store::{Db, StoreError, memberships, one_time_codes};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
const PURPOSE: &str = "invitation";

/// Why an invitation was not sent.
#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    /// Only an OWNER can invite someone as OWNER.
    #[error("only an OWNER can invite an OWNER")]
    CannotGrant(Role),
    /// The address belongs to an account of another organization.
    #[error("this address belongs to someone in another organization")]
    OtherOrganization,
    #[error("this person is already a member")]
    AlreadyMember,
    #[error(transparent)]
    Emails(#[from] EnqueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an invitation link did not work.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// Unknown, used, replaced by a newer invitation, or expired: one answer for all, so links can't be probed.
    #[error("this invitation link is invalid or has expired; ask for a new invitation")]
    Invalid,
    /// A field of the onboarding form (named as the form names it).
    #[error(transparent)]
    Onboarding(#[from] OnboardingError),
    #[error("this username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where an invitation leads: the organization or team (`group`), and the organization the invitee joins with
/// it (the group itself, the team's organization, or none for a team outside organizations).
pub struct InviteTo<'a> {
    pub group: &'a TeamRecord,
    pub organization: Option<TeamId>,
    /// The role the inviter acts with there (decided by `tenancy::access`), which bounds what they may grant.
    pub inviter_role: Role,
}

/// What an invitation link opens: who it is for and what they are invited to.
pub struct Invitation {
    pub user: UserRecord,
    /// The names of the organizations and teams waiting for them.
    pub groups: Vec<String>,
    /// No password yet: they choose name, username, password and time zone; else they only confirm.
    pub needs_profile: bool,
}

/// Invites `email` into `to` with `role`, and queues the email with the link.
pub async fn invite(
    db: &Db,
    mailer: &Mailer,
    inviter: &UserRecord,
    to: &InviteTo<'_>,
    email: &EmailAddress,
    role: Role,
) -> Result<UserRecord, InviteError> {
    if !to.inviter_role.can_grant(role) {
        return Err(InviteError::CannotGrant(role));
    }
    let group = to.group.team_id();
    let mut tx = db.begin().await?;
    let user = match users::find_by_email(&mut tx, email.as_str()).await? {
        Some(user) => user,
        None => {
            let base = Username::from_email(email).map_or_else(|| "user".to_owned(), |u| u.as_str().to_owned());
            let username = users::free_username(&mut tx, &base).await?;
            users::insert(
                &mut tx,
                &NewUser {
                    email: email.as_str().to_owned(),
                    username,
                    name: None,
                    bio: None,
                    avatar_url: None,
                    time_zone: "UTC".to_owned(),
                    locale: inviter.locale.clone(),
                    week_start: "Monday".to_owned(),
                    time_format: 24,
                    metadata: "{}".to_owned(),
                    password_hash: None,
                    is_instance_admin: false,
                },
            )
            .await?
        }
    };
    if memberships::of_user(&mut tx, group, user.user_id()).await?.is_some() {
        return Err(InviteError::AlreadyMember);
    }
    if let Some(org) = to.organization {
        if !users::join_organization(&mut tx, user.user_id(), org).await? {
            return Err(InviteError::OtherOrganization);
        }
        // Invited to a team of the organization: they join the organization too, as a member.
        if org != group && memberships::of_user(&mut tx, org, user.user_id()).await?.is_none() {
            memberships::insert(&mut tx, org, user.user_id(), Role::Member, false, false).await?;
        }
    }
    memberships::insert(&mut tx, group, user.user_id(), role, false, false).await?;
    let token = random_token();
    let now = jiff::Timestamp::now();
    one_time_codes::issue(
        &mut tx,
        PURPOSE,
        user.id,
        &user.email,
        &hash_api_key(&token),
        now + jiff::SignedDuration::from_hours(INVITATION_DAYS * 24),
        now,
    )
    .await?;
    let link = format!(
        "{}/auth/invitation?token={token}",
        mailer.settings.public_url.trim_end_matches('/')
    );
    let inviter_name = inviter.name.as_deref().unwrap_or(&inviter.username);
    let rendered =
        compose::invitation(inviter_name, &to.group.name, &link, INVITATION_DAYS, &user.locale).map_err(|source| {
            EnqueueError::Render {
                what: "invitation",
                source,
            }
        })?;
    account_email(
        &mut tx,
        mailer,
        EmailKind::Invitation,
        user.id,
        &user.email,
        user.name.as_deref(),
        rendered,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// What the link with `token` invites to, while it works.
pub async fn open(db: &Db, token: &str) -> Result<Invitation, AcceptError> {
    let code = one_time_codes::find_live(db, PURPOSE, &hash_api_key(token.trim()), jiff::Timestamp::now())
        .await?
        .ok_or(AcceptError::Invalid)?;
    let user = users::find(db, code.user_id)
        .await?
        .filter(|u| u.email == code.email)
        .ok_or(AcceptError::Invalid)?;
    let groups = memberships::pending_names_of_user(db, user.user_id()).await?;
    Ok(Invitation {
        needs_profile: user.password_hash.is_none(),
        user,
        groups,
    })
}

/// Accepts the invitation of `token`: the link works once; the memberships it offered are accepted, the address
/// counts as verified (the link came through it), and a newcomer's `profile` (required when they have no
/// password yet) and default schedule are saved. Returns the account.
pub async fn accept(db: &Db, token: &str, profile: Option<CheckedOnboarding>) -> Result<UserRecord, AcceptError> {
    let code = one_time_codes::find_live(db, PURPOSE, &hash_api_key(token.trim()), jiff::Timestamp::now())
        .await?
        .ok_or(AcceptError::Invalid)?;
    let user_id = code.user_id;
    let mut tx = db.begin().await?;
    let user = users::find(&mut tx, user_id)
        .await?
        .filter(|u| u.email == code.email)
        .ok_or(AcceptError::Invalid)?;
    if !one_time_codes::consume(&mut tx, code.id, jiff::Timestamp::now()).await? {
        return Err(AcceptError::Invalid);
    }
    match (user.password_hash.is_none(), profile) {
        (true, Some(p)) => {
            if users::find_by_username(&mut tx, p.username.as_str())
                .await?
                .is_some_and(|other| other.id != user.id)
            {
                return Err(AcceptError::UsernameTaken);
            }
            let patch = users::UserPatch {
                name: Some(Some(p.name.as_str().to_owned())),
                username: Some(p.username.as_str().to_owned()),
                password_hash: Some(p.password_hash),
                time_zone: Some(p.time_zone.as_str().to_owned()),
                ..users::UserPatch::default()
            };
            users::update(&mut tx, user_id, &patch).await?;
            ensure_default_schedule(&mut tx, user_id, &p.time_zone).await?;
        }
        (true, None) => {
            return Err(OnboardingError::Field(convene_core::FieldError::coded(
                "password",
                "refusal-required",
                "is required",
            ))
            .into());
        }
        (false, _) => {}
    }
    users::mark_email_verified(&mut tx, user_id, &code.email, jiff::Timestamp::now()).await?;
    memberships::accept_all_of_user(&mut tx, user_id).await?;
    let user = users::find(&mut tx, user_id).await?.ok_or(AcceptError::Invalid)?;
    tx.commit().await?;
    Ok(user)
}
