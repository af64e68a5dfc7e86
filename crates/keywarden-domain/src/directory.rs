//! The directory: users, their type and roles, and groups (Graph's `user` and `group`, reduced to what governance needs).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{GroupId, UserId};

/// `userType` in Graph: members are employees; guests are external and cannot register passkeys (Entra rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UserType {
    Member,
    Guest,
}

impl UserType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Member => "member",
            UserType::Guest => "guest",
        }
    }
}

impl FromStr for UserType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "member" | "" => Ok(UserType::Member),
            "guest" => Ok(UserType::Guest),
            other => Err(format!("userType {other:?} is not member or guest")),
        }
    }
}

/// Administrative roles, modelled on Entra's built-in roles of the same names.
///
/// What each may do, and to whom, is one table in [`crate::access`]; the server checks it on every admin request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Everything, on everyone (but their own account and factors, managed in Security info).
    #[serde(rename = "Global Administrator")]
    GlobalAdministrator,
    /// Assigns and removes administrative roles.
    #[serde(rename = "Privileged Role Administrator")]
    PrivilegedRoleAdministrator,
    /// Manages authentication methods and passwords of every user but Global Administrators (not their own).
    #[serde(rename = "Privileged Authentication Administrator")]
    PrivilegedAuthenticationAdministrator,
    /// Manages authentication methods and passwords of users who hold no admin role (not their own).
    #[serde(rename = "Authentication Administrator")]
    AuthenticationAdministrator,
    /// Resets passwords and ends sessions of users who hold no admin role.
    #[serde(rename = "Helpdesk Administrator")]
    HelpdeskAdministrator,
    /// Edits the authentication methods policy.
    #[serde(rename = "Authentication Policy Administrator")]
    AuthenticationPolicyAdministrator,
    /// Reads everything an administrator can read; changes nothing.
    #[serde(rename = "Global Reader")]
    GlobalReader,
    /// Creates users, updates and deletes users who hold no admin role, and manages groups.
    #[serde(rename = "User Administrator")]
    UserAdministrator,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::GlobalAdministrator,
        Role::PrivilegedRoleAdministrator,
        Role::PrivilegedAuthenticationAdministrator,
        Role::AuthenticationAdministrator,
        Role::HelpdeskAdministrator,
        Role::AuthenticationPolicyAdministrator,
        Role::GlobalReader,
        Role::UserAdministrator,
    ];

    pub fn display_name(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "Global Administrator",
            Role::PrivilegedRoleAdministrator => "Privileged Role Administrator",
            Role::PrivilegedAuthenticationAdministrator => "Privileged Authentication Administrator",
            Role::AuthenticationAdministrator => "Authentication Administrator",
            Role::HelpdeskAdministrator => "Helpdesk Administrator",
            Role::AuthenticationPolicyAdministrator => "Authentication Policy Administrator",
            Role::GlobalReader => "Global Reader",
            Role::UserAdministrator => "User Administrator",
        }
    }

    /// The short, stable spelling used on the command line and in CSV files.
    pub fn slug(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "global-administrator",
            Role::PrivilegedRoleAdministrator => "privileged-role-administrator",
            Role::PrivilegedAuthenticationAdministrator => "privileged-authentication-administrator",
            Role::AuthenticationAdministrator => "authentication-administrator",
            Role::HelpdeskAdministrator => "helpdesk-administrator",
            Role::AuthenticationPolicyAdministrator => "authentication-policy-administrator",
            Role::GlobalReader => "global-reader",
            Role::UserAdministrator => "user-administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.slug().eq_ignore_ascii_case(wanted) || r.display_name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.slug()).collect();
                format!("unknown role {wanted:?} (known: {})", known.join(", "))
            })
    }
}

/// A user of the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// The sign-in name, unique and compared case-insensitively.
    pub user_principal_name: String,
    pub display_name: String,
    pub user_type: UserType,
    pub account_enabled: bool,
    pub roles: Vec<Role>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        !self.roles.is_empty()
    }
}

#[cfg(test)]
impl User {
    /// Alice, an enabled member with no role: the user unit tests start from (`User { .., ..User::alice() }`).
    pub(crate) fn alice() -> User {
        User {
            id: UserId(uuid::Uuid::from_u128(1)),
            user_principal_name: "alice@contoso.com".into(),
            display_name: "Alice".into(),
            user_type: UserType::Member,
            account_enabled: true,
            roles: vec![],
        }
    }
}

/// A group of users; policy targets name groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub display_name: String,
    pub description: Option<String>,
}

/// Checks a userPrincipalName: `local@domain`, no spaces, at most 113 characters (Entra's limit).
pub fn validate_upn(upn: &str) -> Result<String, String> {
    let upn = upn.trim();
    let Some((local, domain)) = upn.split_once('@') else {
        return Err(format!("userPrincipalName {upn:?} must look like name@domain"));
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(format!("userPrincipalName {upn:?} must look like name@domain"));
    }
    if upn.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("userPrincipalName {upn:?} must not contain spaces"));
    }
    if upn.len() > 113 {
        return Err(format!("userPrincipalName {upn:?} is longer than 113 characters"));
    }
    Ok(upn.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_slug_and_display_name() {
        for role in Role::ALL {
            assert_eq!(role.slug().parse::<Role>(), Ok(role));
            assert_eq!(role.display_name().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn upn_needs_one_at_sign_and_no_spaces() {
        assert!(validate_upn("alice@contoso.com").is_ok());
        assert!(validate_upn("alice").is_err());
        assert!(validate_upn("a b@contoso.com").is_err());
        assert!(validate_upn("@contoso.com").is_err());
        assert!(validate_upn("a@b@c").is_err());
    }
}

/// A user as reports and diagnoses name them: id, userPrincipalName and display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    pub id: UserId,
    pub user_principal_name: String,
    pub display_name: String,
}

impl From<&User> for UserRef {
    fn from(user: &User) -> UserRef {
        UserRef {
            id: user.id,
            user_principal_name: user.user_principal_name.clone(),
            display_name: user.display_name.clone(),
        }
    }
}
