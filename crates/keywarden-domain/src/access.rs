//! Who may do what to whom: the administrative actions, the kind of user an action targets, and one table that
//! says, for every role, which actions it allows and on whom (Entra's built-in roles and its "who can reset
//! passwords" rules, kept to what keywarden governs). Also the sign-in strength an administrator's session needs.
//!
//! The server asks this module on every admin request; nothing else decides it.

use time::{Duration, OffsetDateTime};

use crate::directory::{Role, User};
use crate::ids::UserId;
use crate::session::Authentication;

/// An administrative action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Read users, groups, methods (never secrets), attempts, policy, audit and reports.
    Read,
    /// Create a user who holds no role (a role given at creation is [`Action::AssignRoles`] too).
    CreateUser,
    /// Change a user's attributes: display name, user type, whether the account is enabled.
    UpdateUser,
    /// Set or reset a user's password.
    ResetPassword,
    /// Delete a user (keywarden disables the account and ends its sessions).
    DeleteUser,
    /// Assign or remove administrative roles.
    AssignRoles,
    /// Create groups, add and remove members.
    ManageGroups,
    /// Issue or revoke a Temporary Access Pass, register or delete a passkey, for someone else.
    ManageMethods,
    /// End a user's sign-in sessions.
    RevokeSessions,
    /// Change the authentication methods policy.
    ManagePolicy,
    /// Create, list and revoke API tokens.
    ManageTokens,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Read,
        Action::CreateUser,
        Action::UpdateUser,
        Action::ResetPassword,
        Action::DeleteUser,
        Action::AssignRoles,
        Action::ManageGroups,
        Action::ManageMethods,
        Action::RevokeSessions,
        Action::ManagePolicy,
        Action::ManageTokens,
    ];

    /// A stable name, for messages and the API's `/v1/me` permissions.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::CreateUser => "createUser",
            Action::UpdateUser => "updateUser",
            Action::ResetPassword => "resetPassword",
            Action::DeleteUser => "deleteUser",
            Action::AssignRoles => "assignRoles",
            Action::ManageGroups => "manageGroups",
            Action::ManageMethods => "manageMethods",
            Action::RevokeSessions => "revokeSessions",
            Action::ManagePolicy => "managePolicy",
            Action::ManageTokens => "manageTokens",
        }
    }

    /// Whether an administrator needs to have verified recently (not only at sign-in) to take this action: the
    /// actions that can hand someone a way into another account, or change who may register what.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            Action::ResetPassword
                | Action::DeleteUser
                | Action::AssignRoles
                | Action::ManageMethods
                | Action::ManagePolicy
                | Action::ManageTokens
        )
    }
}

/// The kind of user an action targets, as the rules compare it with the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetKind {
    /// The action is not about one user (the policy, a group, a report).
    NoUser,
    /// A user who holds no administrative role.
    Member,
    /// A user who holds an administrative role other than Global Administrator.
    Admin,
    /// A Global Administrator.
    GlobalAdministrator,
    /// The caller's own account: administrators manage themselves in Security info, not through the admin API.
    Themselves,
}

impl TargetKind {
    pub const ALL: [TargetKind; 5] = [
        TargetKind::NoUser,
        TargetKind::Member,
        TargetKind::Admin,
        TargetKind::GlobalAdministrator,
        TargetKind::Themselves,
    ];

    /// The kind of `target` for a caller who is the user `caller` (or not a user: an application or the host).
    pub fn of(caller: Option<UserId>, target: &User) -> TargetKind {
        if caller == Some(target.id) {
            TargetKind::Themselves
        } else {
            TargetKind::of_roles(&target.roles)
        }
    }

    /// The kind of a user who holds `roles` (never [`TargetKind::Themselves`]).
    pub fn of_roles(roles: &[Role]) -> TargetKind {
        if roles.contains(&Role::GlobalAdministrator) {
            TargetKind::GlobalAdministrator
        } else if roles.is_empty() {
            TargetKind::Member
        } else {
            TargetKind::Admin
        }
    }
}

/// Whom a rule reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Actions about no user in particular.
    NoUser,
    /// Users who hold no administrative role.
    Members,
    /// Everyone but Global Administrators (whose accounts and factors only a Global Administrator manages).
    AllButGlobalAdministrators,
    /// Everyone.
    Everyone,
}

impl Scope {
    fn reaches(self, target: TargetKind) -> bool {
        match (self, target) {
            (_, TargetKind::Themselves) => false,
            (Scope::NoUser, TargetKind::NoUser) => true,
            (Scope::NoUser, _) => false,
            (_, TargetKind::NoUser) => false,
            (Scope::Members, kind) => kind == TargetKind::Member,
            (Scope::AllButGlobalAdministrators, kind) => kind != TargetKind::GlobalAdministrator,
            (Scope::Everyone, _) => true,
        }
    }
}

use Action::*;
use Scope::*;

/// The table: what each role allows, and on whom. Anything not listed is refused. Reading oneself is always
/// allowed to anyone who may read; every other action on one's own account goes through Security info.
const RULES: &[(Role, Action, Scope)] = &[
    // Everything, on everyone but themselves.
    (Role::GlobalAdministrator, Read, NoUser),
    (Role::GlobalAdministrator, CreateUser, NoUser),
    (Role::GlobalAdministrator, UpdateUser, Everyone),
    (Role::GlobalAdministrator, ResetPassword, Everyone),
    (Role::GlobalAdministrator, DeleteUser, Everyone),
    (Role::GlobalAdministrator, AssignRoles, Everyone),
    (Role::GlobalAdministrator, ManageGroups, NoUser),
    (Role::GlobalAdministrator, ManageMethods, Everyone),
    (Role::GlobalAdministrator, RevokeSessions, Everyone),
    (Role::GlobalAdministrator, ManagePolicy, NoUser),
    (Role::GlobalAdministrator, ManageTokens, NoUser),
    // Role assignments, and nothing else.
    (Role::PrivilegedRoleAdministrator, Read, NoUser),
    (Role::PrivilegedRoleAdministrator, AssignRoles, Everyone),
    // Every user's factors, but a Global Administrator's.
    (Role::PrivilegedAuthenticationAdministrator, Read, NoUser),
    (
        Role::PrivilegedAuthenticationAdministrator,
        ResetPassword,
        AllButGlobalAdministrators,
    ),
    (
        Role::PrivilegedAuthenticationAdministrator,
        ManageMethods,
        AllButGlobalAdministrators,
    ),
    (
        Role::PrivilegedAuthenticationAdministrator,
        RevokeSessions,
        AllButGlobalAdministrators,
    ),
    // Members' factors.
    (Role::AuthenticationAdministrator, Read, NoUser),
    (Role::AuthenticationAdministrator, ResetPassword, Members),
    (Role::AuthenticationAdministrator, ManageMethods, Members),
    (Role::AuthenticationAdministrator, RevokeSessions, Members),
    // Members' passwords and sessions.
    (Role::HelpdeskAdministrator, Read, NoUser),
    (Role::HelpdeskAdministrator, ResetPassword, Members),
    (Role::HelpdeskAdministrator, RevokeSessions, Members),
    // Members and groups.
    (Role::UserAdministrator, Read, NoUser),
    (Role::UserAdministrator, CreateUser, NoUser),
    (Role::UserAdministrator, UpdateUser, Members),
    (Role::UserAdministrator, ResetPassword, Members),
    (Role::UserAdministrator, DeleteUser, Members),
    (Role::UserAdministrator, RevokeSessions, Members),
    (Role::UserAdministrator, ManageGroups, NoUser),
    // The authentication methods policy.
    (Role::AuthenticationPolicyAdministrator, Read, NoUser),
    (Role::AuthenticationPolicyAdministrator, ManagePolicy, NoUser),
    // Reading.
    (Role::GlobalReader, Read, NoUser),
];

/// Whether `role` allows `action` on a target of kind `target`.
pub fn allows(role: Role, action: Action, target: TargetKind) -> bool {
    // Reading is about no user in particular: whoever may read, may read anyone's (secret-free) data.
    let target = if action == Read { TargetKind::NoUser } else { target };
    RULES
        .iter()
        .any(|&(r, a, scope)| r == role && a == action && scope.reaches(target))
}

/// Whether `role` allows `action` on some target: the coarse check made before a request's body is read.
pub fn allows_some(role: Role, action: Action) -> bool {
    RULES.iter().any(|&(r, a, _)| r == role && a == action)
}

/// Why an administrative action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// No role of the caller allows the action at all.
    NoRole,
    /// A role allows the action, but not on this target (a more privileged user).
    TargetTooPrivileged,
    /// The target is the caller: their own account and factors are managed in Security info.
    OwnAccount,
}

/// Decides whether a caller holding `roles` may take `action` on a target of kind `target`.
pub fn decide(roles: &[Role], action: Action, target: TargetKind) -> Result<(), Denial> {
    if roles.iter().any(|&role| allows(role, action, target)) {
        Ok(())
    } else if !roles.iter().any(|&role| allows_some(role, action)) {
        Err(Denial::NoRole)
    } else if target == TargetKind::Themselves {
        Err(Denial::OwnAccount)
    } else {
        Err(Denial::TargetTooPrivileged)
    }
}

/// The actions `roles` allow on some target, for the pages (which hide what the API would refuse).
pub fn actions_of(roles: &[Role]) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&action| roles.iter().any(|&role| allows_some(role, action)))
        .collect()
}

/// What an administrator's session lacks for an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionShortfall {
    /// The session has not been completed with a strong method (password + TOTP, a passkey, or a Temporary Access
    /// Pass): a password alone never administers.
    NotStrong,
    /// A sensitive action, and the session's last strong authentication is older than `max_age`.
    NotRecent {
        last_strong: OffsetDateTime,
        max_age: Duration,
    },
}

/// Whether an administrator's session may take `action` now: every admin action needs a session completed with a
/// strong method, and a sensitive one needs that strong authentication within `max_age` of `now`.
pub fn admin_session(
    authentication: &Authentication,
    action: Action,
    max_age: Duration,
    now: OffsetDateTime,
) -> Result<(), SessionShortfall> {
    let Some(last) = authentication.last_strong() else {
        return Err(SessionShortfall::NotStrong);
    };
    if authentication.mfa_pending {
        return Err(SessionShortfall::NotStrong);
    }
    if action.is_sensitive() && now - last.at >= max_age {
        return Err(SessionShortfall::NotRecent {
            last_strong: last.at,
            max_age,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Method;
    use time::macros::datetime;

    /// Every role against every action and target kind. One line per role and target kind; one letter per action,
    /// in [`Action::ALL`]'s order (read, create user, update user, reset password, delete user, assign roles,
    /// manage groups, manage methods, revoke sessions, manage policy, manage tokens): `Y` allowed, `.` refused.
    const MATRIX: &str = "
        #                                       R C U P D A G M S Y T
        GlobalAdministrator             NoUser  Y Y . . . . Y . . Y Y
        GlobalAdministrator             Member  Y . Y Y Y Y . Y Y . .
        GlobalAdministrator             Admin   Y . Y Y Y Y . Y Y . .
        GlobalAdministrator             Global  Y . Y Y Y Y . Y Y . .
        GlobalAdministrator             Self    Y . . . . . . . . . .
        PrivilegedRoleAdministrator     NoUser  Y . . . . . . . . . .
        PrivilegedRoleAdministrator     Member  Y . . . . Y . . . . .
        PrivilegedRoleAdministrator     Admin   Y . . . . Y . . . . .
        PrivilegedRoleAdministrator     Global  Y . . . . Y . . . . .
        PrivilegedRoleAdministrator     Self    Y . . . . . . . . . .
        PrivilegedAuthenticationAdministrator NoUser Y . . . . . . . . . .
        PrivilegedAuthenticationAdministrator Member Y . . Y . . . Y Y . .
        PrivilegedAuthenticationAdministrator Admin  Y . . Y . . . Y Y . .
        PrivilegedAuthenticationAdministrator Global Y . . . . . . . . . .
        PrivilegedAuthenticationAdministrator Self   Y . . . . . . . . . .
        AuthenticationAdministrator     NoUser  Y . . . . . . . . . .
        AuthenticationAdministrator     Member  Y . . Y . . . Y Y . .
        AuthenticationAdministrator     Admin   Y . . . . . . . . . .
        AuthenticationAdministrator     Global  Y . . . . . . . . . .
        AuthenticationAdministrator     Self    Y . . . . . . . . . .
        HelpdeskAdministrator           NoUser  Y . . . . . . . . . .
        HelpdeskAdministrator           Member  Y . . Y . . . . Y . .
        HelpdeskAdministrator           Admin   Y . . . . . . . . . .
        HelpdeskAdministrator           Global  Y . . . . . . . . . .
        HelpdeskAdministrator           Self    Y . . . . . . . . . .
        UserAdministrator               NoUser  Y Y . . . . Y . . . .
        UserAdministrator               Member  Y . Y Y Y . . . Y . .
        UserAdministrator               Admin   Y . . . . . . . . . .
        UserAdministrator               Global  Y . . . . . . . . . .
        UserAdministrator               Self    Y . . . . . . . . . .
        AuthenticationPolicyAdministrator NoUser Y . . . . . . . . Y .
        AuthenticationPolicyAdministrator Member Y . . . . . . . . . .
        AuthenticationPolicyAdministrator Admin  Y . . . . . . . . . .
        AuthenticationPolicyAdministrator Global Y . . . . . . . . . .
        AuthenticationPolicyAdministrator Self   Y . . . . . . . . . .
        GlobalReader                    NoUser  Y . . . . . . . . . .
        GlobalReader                    Member  Y . . . . . . . . . .
        GlobalReader                    Admin   Y . . . . . . . . . .
        GlobalReader                    Global  Y . . . . . . . . . .
        GlobalReader                    Self    Y . . . . . . . . . .
    ";

    fn role_named(name: &str) -> Role {
        Role::ALL
            .into_iter()
            .find(|r| format!("{r:?}") == name)
            .unwrap_or_else(|| panic!("unknown role {name}"))
    }

    fn kind_named(name: &str) -> TargetKind {
        match name {
            "NoUser" => TargetKind::NoUser,
            "Member" => TargetKind::Member,
            "Admin" => TargetKind::Admin,
            "Global" => TargetKind::GlobalAdministrator,
            "Self" => TargetKind::Themselves,
            other => panic!("unknown target kind {other}"),
        }
    }

    #[test]
    fn every_role_against_every_action_and_target_kind() {
        let mut seen = std::collections::BTreeSet::new();
        for line in MATRIX
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 2 + Action::ALL.len(), "{line}");
            let (role, kind) = (role_named(fields[0]), kind_named(fields[1]));
            assert!(seen.insert((role, kind)), "{line} is listed twice");
            for (action, expected) in Action::ALL.into_iter().zip(&fields[2..]) {
                assert_eq!(
                    allows(role, action, kind),
                    *expected == "Y",
                    "{role:?} {action:?} on {kind:?}"
                );
            }
        }
        assert_eq!(
            seen.len(),
            Role::ALL.len() * TargetKind::ALL.len(),
            "every role and target kind is listed"
        );
    }

    #[test]
    fn only_global_and_privileged_role_administrators_assign_roles() {
        let assigning: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|&r| allows_some(r, Action::AssignRoles))
            .collect();
        assert_eq!(
            assigning,
            vec![Role::GlobalAdministrator, Role::PrivilegedRoleAdministrator]
        );
    }

    #[test]
    fn nobody_acts_on_their_own_account_through_the_admin_api() {
        for role in Role::ALL {
            for action in Action::ALL.into_iter().filter(|&a| a != Action::Read) {
                assert!(!allows(role, action, TargetKind::Themselves), "{role:?} {action:?}");
            }
        }
        assert_eq!(
            decide(
                &[Role::GlobalAdministrator],
                Action::ManageMethods,
                TargetKind::Themselves
            ),
            Err(Denial::OwnAccount)
        );
    }

    #[test]
    fn denials_say_whether_the_role_or_the_target_is_the_reason() {
        assert_eq!(
            decide(&[Role::GlobalReader], Action::ManageMethods, TargetKind::Member),
            Err(Denial::NoRole)
        );
        assert_eq!(
            decide(
                &[Role::AuthenticationAdministrator],
                Action::ManageMethods,
                TargetKind::Admin
            ),
            Err(Denial::TargetTooPrivileged)
        );
        assert_eq!(
            decide(
                &[Role::PrivilegedAuthenticationAdministrator],
                Action::ManageMethods,
                TargetKind::GlobalAdministrator
            ),
            Err(Denial::TargetTooPrivileged)
        );
        assert_eq!(decide(&[], Action::Read, TargetKind::NoUser), Err(Denial::NoRole));
        assert_eq!(
            decide(
                &[Role::GlobalReader, Role::AuthenticationAdministrator],
                Action::ManageMethods,
                TargetKind::Member
            ),
            Ok(())
        );
    }

    #[test]
    fn target_kind_follows_the_targets_roles() {
        let user = |roles: Vec<Role>| User {
            id: UserId(uuid::Uuid::from_u128(7)),
            user_principal_name: "x@contoso.com".into(),
            display_name: "X".into(),
            user_type: crate::directory::UserType::Member,
            account_enabled: true,
            roles,
        };
        let other = Some(UserId(uuid::Uuid::from_u128(8)));
        assert_eq!(TargetKind::of(other, &user(vec![])), TargetKind::Member);
        assert_eq!(
            TargetKind::of(other, &user(vec![Role::GlobalReader])),
            TargetKind::Admin
        );
        assert_eq!(
            TargetKind::of(other, &user(vec![Role::GlobalReader, Role::GlobalAdministrator])),
            TargetKind::GlobalAdministrator
        );
        assert_eq!(TargetKind::of(None, &user(vec![])), TargetKind::Member);
        assert_eq!(
            TargetKind::of(Some(UserId(uuid::Uuid::from_u128(7))), &user(vec![])),
            TargetKind::Themselves
        );
    }

    const NOW: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

    fn signed_in(methods: &[(Method, i64)]) -> Authentication {
        let mut authentication = Authentication::default();
        for &(method, minutes_ago) in methods {
            authentication.record(method, NOW - Duration::minutes(minutes_ago), None);
        }
        authentication
    }

    #[test]
    fn a_password_alone_never_administers() {
        let hour = Duration::minutes(60);
        let password = signed_in(&[(Method::Password, 1)]);
        assert_eq!(
            admin_session(&password, Action::Read, hour, NOW),
            Err(SessionShortfall::NotStrong)
        );
        let mut pending = signed_in(&[(Method::Password, 1)]);
        pending.mfa_pending = true;
        assert_eq!(
            admin_session(&pending, Action::Read, hour, NOW),
            Err(SessionShortfall::NotStrong)
        );
        let mfa = signed_in(&[(Method::Password, 2), (Method::Totp, 1)]);
        assert_eq!(admin_session(&mfa, Action::ManageMethods, hour, NOW), Ok(()));
    }

    #[test]
    fn sensitive_actions_need_recent_strong_authentication() {
        let hour = Duration::minutes(60);
        let stale = signed_in(&[(Method::Passkey, 61)]);
        assert_eq!(admin_session(&stale, Action::Read, hour, NOW), Ok(()));
        assert_eq!(admin_session(&stale, Action::UpdateUser, hour, NOW), Ok(()));
        for action in Action::ALL.into_iter().filter(|a| a.is_sensitive()) {
            assert_eq!(
                admin_session(&stale, action, hour, NOW),
                Err(SessionShortfall::NotRecent {
                    last_strong: NOW - Duration::minutes(61),
                    max_age: hour
                }),
                "{action:?}"
            );
        }
        let fresh = signed_in(&[(Method::Passkey, 61), (Method::Passkey, 59)]);
        assert_eq!(admin_session(&fresh, Action::ManagePolicy, hour, NOW), Ok(()));
    }
}
