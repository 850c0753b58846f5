//! Membership roles and what each may do.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A member's role in an organization or team, spelled as Cal.com spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Member, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "MEMBER",
            Role::Admin => "ADMIN",
            Role::Owner => "OWNER",
        }
    }

    /// Admins and owners manage teams, memberships and settings.
    pub fn can_manage(self) -> bool {
        matches!(self, Role::Admin | Role::Owner)
    }

    /// Only an owner may hand out, change or take away the owner role.
    pub fn can_grant(self, target: Role) -> bool {
        match target {
            Role::Owner => self == Role::Owner,
            Role::Admin | Role::Member => self.can_manage(),
        }
    }
}

impl FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "MEMBER" => Ok(Role::Member),
            "ADMIN" => Ok(Role::Admin),
            "OWNER" => Ok(Role::Owner),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_grant_the_owner_role() {
        assert!(Role::Owner.can_grant(Role::Owner));
        assert!(!Role::Admin.can_grant(Role::Owner));
        assert!(Role::Admin.can_grant(Role::Admin));
        assert!(!Role::Member.can_grant(Role::Member));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("owner".parse::<Role>().is_err());
    }
}
