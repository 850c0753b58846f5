//! Tenancy operations shared by the API, the web pages, the CLI and first-start bootstrap: creating
//! organizations with their owner, issuing API keys, the instance admin and the demo data, and who may act in
//! an organization ([`access`]).

pub mod access;
pub mod members;

use crate::credentials::{generate_api_key, generate_password, hash_password_async};
use convene_core::{EmailAddress, Role, TeamId, UserId, Username};
use convene_store::teams::{TeamFields, TeamRecord};
use convene_store::users::{NewUser, UserRecord};
use convene_store::{Db, Exec, StoreError, api_keys, memberships, teams, users};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Creates an organization with `owner` as its accepted OWNER, in one transaction.
pub async fn create_organization(db: &Db, fields: &TeamFields, owner: UserId) -> Result<TeamRecord, StoreError> {
    let mut tx = db.begin().await?;
    let org = teams::insert(&mut tx, None, fields).await?;
    if !users::join_organization(&mut tx, owner, org.team_id()).await? {
        return Err(StoreError::Conflict(
            "the owner already belongs to another organization",
        ));
    }
    memberships::insert(&mut tx, org.team_id(), owner, Role::Owner, true, false).await?;
    tx.commit().await?;
    Ok(org)
}

/// Creates a team inside `org`, or outside organizations without one; `owner` (with whether the membership
/// is accepted) becomes its OWNER in the same transaction.
pub async fn create_team(
    db: &Db,
    org: Option<TeamId>,
    fields: &TeamFields,
    owner: Option<(UserId, bool)>,
) -> Result<TeamRecord, StoreError> {
    let mut tx = db.begin().await?;
    let team = match org {
        Some(org) => teams::insert(&mut tx, Some(org), fields).await?,
        None => teams::insert_standalone(&mut tx, fields).await?,
    };
    if let Some((user, accepted)) = owner {
        memberships::insert(&mut tx, team.team_id(), user, Role::Owner, accepted, false).await?;
    }
    tx.commit().await?;
    Ok(team)
}

/// How long a new key lives, read as `/v2/api-keys/refresh` and the settings page ask it: never when `never`, else
/// `days` (30 when not given) between 1 and 36500, named `field` when out of range.
pub fn api_key_days(field: &str, never: bool, days: Option<i64>) -> Result<Option<i64>, convene_core::FieldError> {
    match (never, days) {
        (true, _) => Ok(None),
        (_, Some(d)) if !(1..=36_500).contains(&d) => {
            Err(
                convene_core::FieldError::coded(field, "refusal-between", "must be between 1 and 36500")
                    .arg("min", 1)
                    .arg("max", 36500),
            )
        }
        (_, d) => Ok(Some(d.unwrap_or(30))),
    }
}

/// Issues a key for `user`, valid for `days` (forever when `None`); returns the secret, which
/// is not stored anywhere and must be shown to the user now.
pub async fn issue_api_key<'a>(
    exec: impl Into<Exec<'a>>,
    user: UserId,
    note: Option<&str>,
    days: Option<i64>,
) -> Result<String, StoreError> {
    let key = generate_api_key();
    let expires_at = days.map(|d| {
        let now = jiff::Timestamp::now();
        now.checked_add(jiff::SignedDuration::from_millis(d.saturating_mul(DAY_MS)))
            .unwrap_or(jiff::Timestamp::MAX)
    });
    api_keys::insert(exec, user, &key.hash, &key.hint, note, expires_at).await?;
    Ok(key.secret)
}

/// A new account: who, and the secrets to show once.
pub struct CreatedAccount {
    pub user: UserRecord,
    pub password: String,
    pub api_key: String,
}

/// Creates a user with a password (generated when `None`) and a non-expiring API key. The operator creates these
/// accounts, so their address counts as verified.
pub async fn create_account(
    db: &Db,
    email: &EmailAddress,
    name: &str,
    password: Option<String>,
    instance_admin: bool,
) -> anyhow::Result<CreatedAccount> {
    let password = password.unwrap_or_else(generate_password);
    let password_hash = hash_password_async(password.clone()).await?;
    let base = Username::from_email(email).map_or_else(|| "user".to_owned(), |u| u.as_str().to_owned());
    let mut tx = db.begin().await?;
    let username = users::free_username(&mut tx, &base).await?;
    let user = users::insert(
        &mut tx,
        &NewUser {
            email: email.as_str().to_owned(),
            username,
            name: Some(name.to_owned()),
            bio: None,
            avatar_url: None,
            time_zone: "Europe/London".to_owned(),
            locale: "en".to_owned(),
            week_start: "Monday".to_owned(),
            time_format: 24,
            metadata: "{}".to_owned(),
            password_hash: Some(password_hash),
            is_instance_admin: instance_admin,
        },
    )
    .await?;
    // The operator chose this address (bootstrap, demo, CLI), so it counts as verified.
    users::mark_email_verified(&mut tx, user.user_id(), &user.email, jiff::Timestamp::now()).await?;
    let user = users::find(&mut tx, user.user_id())
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    let api_key = issue_api_key(&mut tx, user.user_id(), Some("created with the account"), None).await?;
    tx.commit().await?;
    Ok(CreatedAccount {
        user,
        password,
        api_key,
    })
}

/// On first start (no instance admin yet), creates one. Returns the secrets to print once,
/// or `None` when an instance admin already exists.
pub async fn bootstrap_instance_admin(
    db: &Db,
    email: Option<&str>,
    password: Option<String>,
) -> anyhow::Result<Option<CreatedAccount>> {
    if users::instance_admin_exists(db).await? {
        return Ok(None);
    }
    let email = EmailAddress::parse("CONVENE_ADMIN_EMAIL", email.unwrap_or("admin@convene.localhost"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(existing) = users::find_by_email(db, email.as_str()).await? {
        anyhow::bail!(
            "a user with {} exists but is not an instance admin; pick another CONVENE_ADMIN_EMAIL",
            existing.email
        );
    }
    match create_account(db, &email, "Instance Admin", password, true).await {
        Ok(account) => Ok(Some(account)),
        // Another process starting on the same database won the race: that one prints the secrets.
        Err(e) if matches!(e.downcast_ref::<StoreError>(), Some(StoreError::Conflict(_))) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What `--demo` created.
pub struct DemoData {
    pub organization: TeamRecord,
    pub team: TeamRecord,
    pub accounts: Vec<(Role, CreatedAccount)>,
}

/// Seeds the demo organization (owner, admin, member, one team) unless it exists.
pub async fn seed_demo(db: &Db) -> anyhow::Result<Option<DemoData>> {
    if users::find_by_email(db, "owner@demo.convene.localhost")
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let mut accounts = Vec::new();
    for (role, local, name) in [
        (Role::Owner, "owner", "Olivia Owner"),
        (Role::Admin, "admin", "Adam Admin"),
        (Role::Member, "member", "Mia Member"),
    ] {
        let email = EmailAddress::parse("email", &format!("{local}@demo.convene.localhost"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        accounts.push((role, create_account(db, &email, name, None, false).await?));
    }
    let owner = accounts[0].1.user.user_id();
    let org_fields = TeamFields {
        name: Some("Demo Org".into()),
        slug: Some("demo".into()),
        ..TeamFields::default()
    };
    let organization = create_organization(db, &org_fields, owner).await?;
    let org = organization.team_id();
    let mut tx = db.begin().await?;
    for (role, account) in accounts.iter().skip(1) {
        users::join_organization(&mut tx, account.user.user_id(), org).await?;
        memberships::insert(&mut tx, org, account.user.user_id(), *role, true, false).await?;
    }
    let team_fields = TeamFields {
        name: Some("Sales".into()),
        slug: Some("sales".into()),
        ..TeamFields::default()
    };
    let team = teams::insert(&mut tx, Some(org), &team_fields).await?;
    memberships::insert(&mut tx, team.team_id(), owner, Role::Owner, true, false).await?;
    memberships::insert(
        &mut tx,
        team.team_id(),
        accounts[2].1.user.user_id(),
        Role::Member,
        true,
        false,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(DemoData {
        organization,
        team,
        accounts,
    }))
}

/// Enables or clears a feature flag (the CLI's path; the API checks the flag name itself).
pub async fn set_feature(db: &Db, org: TeamId, flag: &str, enabled: Option<bool>) -> Result<(), StoreError> {
    if teams::find_organization(db, org).await?.is_none() {
        return Err(StoreError::NotFound("organization"));
    }
    match enabled {
        Some(on) => {
            convene_store::features::set(db, org, flag, on, None).await?;
        }
        None => {
            convene_store::features::delete(db, org, flag).await?;
        }
    }
    Ok(())
}
