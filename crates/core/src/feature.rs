//! Per-organization feature flags that instance admins switch on and off.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A feature an instance admin can enable for one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeatureFlag {
    /// The organization may route its booking emails through its own senders.
    CustomSmtp,
}

impl FeatureFlag {
    pub const ALL: [FeatureFlag; 1] = [FeatureFlag::CustomSmtp];

    pub fn as_str(self) -> &'static str {
        match self {
            FeatureFlag::CustomSmtp => "custom-smtp",
        }
    }

    /// The known flag names, for error messages.
    pub fn known_names() -> String {
        Self::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl FromStr for FeatureFlag {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|f| f.as_str() == s).ok_or(())
    }
}
