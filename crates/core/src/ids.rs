//! Typed identifiers. Cal.com's API uses numeric ids; we keep them as `i64` but never mix kinds.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

numeric_id!(
    /// A user account.
    UserId
);
numeric_id!(
    /// A team or an organization: like Cal.com, both live in one id space, an organization being a
    /// team with `isOrganization` set and sub-teams pointing at it through `parentId`.
    TeamId
);
numeric_id!(
    /// A user's membership in a team or organization.
    MembershipId
);
numeric_id!(
    /// An API key row (never the key itself).
    ApiKeyId
);
