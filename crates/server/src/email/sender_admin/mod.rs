//! Managing an organization's senders — what the API (`/v2/organizations/{orgId}/smtp-configurations`) and the
//! settings page (Settings → Email senders) both do, so the two behave the same. OWNER or ADMIN only, and only
//! with the `custom-smtp` feature. Secrets are write-only: sealed at rest, never shown, kept on update unless
//! given.
//!
//! [`input`] validates settings, [`manage`] stores them, [`checks`] runs the test buttons and records their
//! outcome as the sender's health, [`output`] is what both faces show.

pub mod checks;
pub mod input;
pub mod manage;
pub mod output;

pub use checks::{send_test, test_recipient, test_saved_sender, test_unsaved_settings};
pub use input::SenderInput;
pub use manage::{create, delete, get, list, make_default, update};
pub use output::{HealthOutput, SenderOutput};

use super::Mailer;
use crate::tenancy::access::{AccessError, OrgAccess};
use convene_core::{FeatureFlag, FieldError, TeamId};
use convene_keyring::KeyringError;
use convene_store::teams::TeamRecord;
use convene_store::users::UserRecord;
use convene_store::{StoreError, features};

/// Why a sender operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// The organization's `custom-smtp` feature is off.
    #[error("Custom SMTP is not enabled for this organization; an instance admin can turn on its custom-smtp feature")]
    FeatureOff,
    /// The user is not an OWNER or ADMIN of the organization (or it doesn't exist).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// No sender with that id in this organization.
    #[error("SMTP configuration not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// A secret could not be sealed or opened with this server's keys.
    #[error("sealing or opening a sender secret")]
    Keyring(#[source] KeyringError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An organization whose senders the user may manage: they are an OWNER or ADMIN there (or an instance admin),
/// and its `custom-smtp` feature is on. Every operation of this module takes one.
#[derive(Debug, Clone)]
pub struct SenderOrg {
    org: TeamRecord,
}

impl SenderOrg {
    /// Checks `user` against the organization (the same rule and answers as every org-scoped operation), then the
    /// feature.
    pub async fn for_admin(mailer: &Mailer, user: &UserRecord, org_id: TeamId) -> Result<Self, SenderError> {
        let access = OrgAccess::load_admin(mailer.db(), user, org_id).await?;
        Self::from_access(mailer, access).await
    }

    /// The organization of an access already checked, once its role and the feature are.
    pub async fn from_access(mailer: &Mailer, access: OrgAccess) -> Result<Self, SenderError> {
        access.require_admin()?;
        if !custom_smtp_enabled(mailer, access.org_id()).await? {
            return Err(SenderError::FeatureOff);
        }
        Ok(SenderOrg { org: access.org })
    }

    pub fn id(&self) -> TeamId {
        self.org.id
    }

    pub fn name(&self) -> &str {
        &self.org.name
    }
}

/// The organization's `custom-smtp` feature is on (or the instance turns it on for everyone).
pub async fn custom_smtp_enabled(mailer: &Mailer, org: TeamId) -> Result<bool, StoreError> {
    Ok(mailer.settings.custom_smtp_for_all
        || features::find(mailer.db(), org, FeatureFlag::CustomSmtp.as_str())
            .await?
            .is_some_and(|f| f.enabled))
}
