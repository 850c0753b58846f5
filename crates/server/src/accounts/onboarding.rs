//! What a newcomer chooses before they land in the app — name, username, password and time zone — checked the
//! same way whether they came by an invitation ([`super::invitations`]) or through open sign-up
//! ([`super::signup`]), and the default schedule everyone starts with.

use super::password_reset::{password_refusal, password_rule};
use crate::credentials::hash_password_async;
use crate::scheduling::schedule_input::{ScheduleInput, schedule_fields};
use convene_core::{FieldError, HeaderText, TimeZoneId, UserId, Username};
use convene_store::{StoreError, Tx, schedules};

/// The name of the schedule a newcomer starts with.
pub const DEFAULT_SCHEDULE_NAME: &str = "Working hours";

/// The newcomer's choices, as typed.
#[derive(Debug, Clone, Default)]
pub struct Onboarding {
    pub name: String,
    pub username: String,
    pub password: String,
    pub time_zone: String,
}

/// [`Onboarding`] checked, with the password already hashed.
#[derive(Debug, Clone)]
pub struct CheckedOnboarding {
    pub name: HeaderText,
    pub username: Username,
    pub password_hash: String,
    pub time_zone: TimeZoneId,
}

/// Why onboarding did not happen: a field to fix (named as the form names it), or a fault.
#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("hashing a password")]
    Hashing(#[source] anyhow::Error),
}

impl Onboarding {
    /// Checks every field (the first wrong one is named) and hashes the password.
    pub async fn check(&self) -> Result<CheckedOnboarding, OnboardingError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(FieldError::coded("name", "refusal-required", "is required").into());
        }
        let name = HeaderText::parse("name", name)?;
        let username = Username::parse("username", &self.username)?;
        password_rule(&self.password).map_err(|rule| password_refusal("password", rule))?;
        let time_zone = TimeZoneId::parse("timeZone", self.time_zone.trim())?;
        let password_hash = hash_password_async(self.password.clone())
            .await
            .map_err(OnboardingError::Hashing)?;
        Ok(CheckedOnboarding {
            name,
            username,
            password_hash,
            time_zone,
        })
    }
}

/// Gives `user` the default schedule (weekdays 9 to 5 in `time_zone`) unless they have one already.
pub async fn ensure_default_schedule(tx: &mut Tx, user: UserId, time_zone: &TimeZoneId) -> Result<(), StoreError> {
    if schedules::find_default(&mut *tx, user).await?.is_some() {
        return Ok(());
    }
    let input = ScheduleInput {
        name: Some(DEFAULT_SCHEDULE_NAME.to_owned()),
        time_zone: Some(time_zone.as_str().to_owned()),
        ..ScheduleInput::default()
    };
    // The name and zone are valid and the hours are the defaults, so this cannot fail on a field.
    let fields = schedule_fields(&input, None).map_err(|_| StoreError::NotFound("default schedule"))?;
    schedules::insert(tx, user, &fields, true).await?;
    Ok(())
}
