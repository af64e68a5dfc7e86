//! Audit events, shaped like Graph's `directoryAudit` and named with Entra's activity names.
//!
//! The server builds one [`Event`] per state change and the store writes it in the same transaction as the
//! change; this module only defines the shape and the vocabulary.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// What happened. Names are Entra's where Entra has one (reference-audit-activities), else in the same style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activity {
    #[serde(rename = "User started security info registration")]
    UserStartedSecurityInfoRegistration,
    #[serde(rename = "User registered security info")]
    UserRegisteredSecurityInfo,
    #[serde(rename = "User canceled security info registration")]
    UserCanceledSecurityInfoRegistration,
    #[serde(rename = "User updated security info")]
    UserUpdatedSecurityInfo,
    #[serde(rename = "User deleted security info")]
    UserDeletedSecurityInfo,
    #[serde(rename = "Get passkey creation options")]
    GetPasskeyCreationOptions,
    #[serde(rename = "Admin registered security info")]
    AdminRegisteredSecurityInfo,
    #[serde(rename = "Admin updated security info")]
    AdminUpdatedSecurityInfo,
    #[serde(rename = "Admin deleted security info")]
    AdminDeletedSecurityInfo,
    #[serde(rename = "Authentication Methods Policy Update")]
    AuthenticationMethodsPolicyUpdate,
    #[serde(rename = "Add user")]
    AddUser,
    #[serde(rename = "Update user")]
    UpdateUser,
    #[serde(rename = "Delete user")]
    DeleteUser,
    #[serde(rename = "Add group")]
    AddGroup,
    #[serde(rename = "Add member to group")]
    AddMemberToGroup,
    #[serde(rename = "Remove member from group")]
    RemoveMemberFromGroup,
    #[serde(rename = "Add member to role")]
    AddMemberToRole,
    #[serde(rename = "Remove member from role")]
    RemoveMemberFromRole,
    /// Graph's `revokeSignInSessions`: every session of the user ended.
    #[serde(rename = "Invalidate all refresh tokens for user")]
    InvalidateAllRefreshTokens,
    #[serde(rename = "Reset user password")]
    ResetUserPassword,
    #[serde(rename = "Add API token")]
    AddApiToken,
    #[serde(rename = "Revoke API token")]
    RevokeApiToken,
    #[serde(rename = "User signed in")]
    UserSignedIn,
    #[serde(rename = "User signed out")]
    UserSignedOut,
}

impl Activity {
    pub const ALL: [Activity; 24] = [
        Activity::UserStartedSecurityInfoRegistration,
        Activity::UserRegisteredSecurityInfo,
        Activity::UserCanceledSecurityInfoRegistration,
        Activity::UserUpdatedSecurityInfo,
        Activity::UserDeletedSecurityInfo,
        Activity::GetPasskeyCreationOptions,
        Activity::AdminRegisteredSecurityInfo,
        Activity::AdminUpdatedSecurityInfo,
        Activity::AdminDeletedSecurityInfo,
        Activity::AuthenticationMethodsPolicyUpdate,
        Activity::AddUser,
        Activity::UpdateUser,
        Activity::DeleteUser,
        Activity::AddGroup,
        Activity::AddMemberToGroup,
        Activity::RemoveMemberFromGroup,
        Activity::AddMemberToRole,
        Activity::RemoveMemberFromRole,
        Activity::InvalidateAllRefreshTokens,
        Activity::ResetUserPassword,
        Activity::AddApiToken,
        Activity::RevokeApiToken,
        Activity::UserSignedIn,
        Activity::UserSignedOut,
    ];

    /// The display name, exactly as Entra spells it.
    pub fn name(self) -> &'static str {
        match self {
            Activity::UserStartedSecurityInfoRegistration => "User started security info registration",
            Activity::UserRegisteredSecurityInfo => "User registered security info",
            Activity::UserCanceledSecurityInfoRegistration => "User canceled security info registration",
            Activity::UserUpdatedSecurityInfo => "User updated security info",
            Activity::UserDeletedSecurityInfo => "User deleted security info",
            Activity::GetPasskeyCreationOptions => "Get passkey creation options",
            Activity::AdminRegisteredSecurityInfo => "Admin registered security info",
            Activity::AdminUpdatedSecurityInfo => "Admin updated security info",
            Activity::AdminDeletedSecurityInfo => "Admin deleted security info",
            Activity::AuthenticationMethodsPolicyUpdate => "Authentication Methods Policy Update",
            Activity::AddUser => "Add user",
            Activity::UpdateUser => "Update user",
            Activity::DeleteUser => "Delete user",
            Activity::AddGroup => "Add group",
            Activity::AddMemberToGroup => "Add member to group",
            Activity::RemoveMemberFromGroup => "Remove member from group",
            Activity::AddMemberToRole => "Add member to role",
            Activity::RemoveMemberFromRole => "Remove member from role",
            Activity::InvalidateAllRefreshTokens => "Invalidate all refresh tokens for user",
            Activity::ResetUserPassword => "Reset user password",
            Activity::AddApiToken => "Add API token",
            Activity::RevokeApiToken => "Revoke API token",
            Activity::UserSignedIn => "User signed in",
            Activity::UserSignedOut => "User signed out",
        }
    }

    pub fn parse(name: &str) -> Option<Activity> {
        Activity::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Graph's `category`.
    pub fn category(self) -> &'static str {
        match self {
            Activity::AuthenticationMethodsPolicyUpdate => "ApplicationManagement",
            Activity::AddGroup | Activity::AddMemberToGroup | Activity::RemoveMemberFromGroup => "GroupManagement",
            Activity::AddMemberToRole | Activity::RemoveMemberFromRole => "RoleManagement",
            Activity::AddApiToken | Activity::RevokeApiToken => "ApplicationManagement",
            Activity::UserSignedIn | Activity::UserSignedOut => "SignIn",
            _ => "UserManagement",
        }
    }

    /// Graph's `loggedByService`.
    pub fn logged_by_service(self) -> &'static str {
        match self {
            Activity::AddUser
            | Activity::UpdateUser
            | Activity::DeleteUser
            | Activity::AddGroup
            | Activity::AddMemberToGroup
            | Activity::RemoveMemberFromGroup
            | Activity::AddMemberToRole
            | Activity::RemoveMemberFromRole
            | Activity::InvalidateAllRefreshTokens
            | Activity::ResetUserPassword
            | Activity::AddApiToken
            | Activity::RevokeApiToken => "Core Directory",
            Activity::UserSignedIn | Activity::UserSignedOut => "Sign-in",
            _ => "Authentication Methods",
        }
    }

    /// Graph's `operationType`.
    pub fn operation_type(self) -> &'static str {
        match self {
            Activity::UserDeletedSecurityInfo
            | Activity::AdminDeletedSecurityInfo
            | Activity::DeleteUser
            | Activity::RemoveMemberFromGroup
            | Activity::RemoveMemberFromRole
            | Activity::RevokeApiToken => "Delete",
            Activity::UserUpdatedSecurityInfo
            | Activity::AdminUpdatedSecurityInfo
            | Activity::AuthenticationMethodsPolicyUpdate
            | Activity::UpdateUser
            | Activity::ResetUserPassword
            | Activity::InvalidateAllRefreshTokens
            | Activity::UserCanceledSecurityInfoRegistration => "Update",
            Activity::AddMemberToGroup | Activity::AddMemberToRole => "Assign",
            _ => "Add",
        }
    }
}

/// `operationResult`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Who did it: a signed-in user, an application (API token), or the local operator running the CLI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Initiator {
    User {
        id: String,
        user_principal_name: String,
        display_name: String,
        ip_address: Option<String>,
    },
    App {
        app_id: String,
        display_name: String,
        ip_address: Option<String>,
    },
    /// The `keywarden` command line working on the database directly, on the host.
    LocalOperator { os_user: String },
    /// Someone not yet signed in (a failed sign-in names the user it was for as the target).
    Anonymous { ip_address: Option<String> },
}

impl Initiator {
    /// The initiator's id, for filtering: a user id, a token id, `local-operator` or `anonymous`.
    pub fn id(&self) -> String {
        match self {
            Initiator::User { id, .. } => id.clone(),
            Initiator::App { app_id, .. } => app_id.clone(),
            Initiator::LocalOperator { .. } => "local-operator".into(),
            Initiator::Anonymous { .. } => "anonymous".into(),
        }
    }

    /// A name for people: the UPN, the app's name, or `keywarden CLI (user)`.
    pub fn name(&self) -> String {
        match self {
            Initiator::User {
                user_principal_name, ..
            } => user_principal_name.clone(),
            Initiator::App { display_name, .. } => display_name.clone(),
            Initiator::LocalOperator { os_user } => format!("keywarden CLI ({os_user})"),
            Initiator::Anonymous { .. } => "anonymous".into(),
        }
    }

    pub fn ip_address(&self) -> Option<&str> {
        match self {
            Initiator::User { ip_address, .. }
            | Initiator::App { ip_address, .. }
            | Initiator::Anonymous { ip_address } => ip_address.as_deref(),
            Initiator::LocalOperator { .. } => None,
        }
    }
}

/// `modifiedProperty`: values are JSON text, as Graph returns them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedProperty {
    pub display_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// `targetResource`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResource {
    pub id: String,
    pub display_name: Option<String>,
    /// `User`, `Group`, `Policy`, `Other`.
    #[serde(rename = "type")]
    pub kind: String,
    pub user_principal_name: Option<String>,
    pub modified_properties: Vec<ModifiedProperty>,
}

impl TargetResource {
    pub fn user(id: &dyn std::fmt::Display, upn: &str, display_name: &str) -> TargetResource {
        TargetResource {
            id: id.to_string(),
            display_name: Some(display_name.to_string()),
            kind: "User".into(),
            user_principal_name: Some(upn.to_string()),
            modified_properties: vec![],
        }
    }

    pub fn other(kind: &str, id: &dyn std::fmt::Display, display_name: &str) -> TargetResource {
        TargetResource {
            id: id.to_string(),
            display_name: Some(display_name.to_string()),
            kind: kind.to_string(),
            user_principal_name: None,
            modified_properties: vec![],
        }
    }

    /// The authentication methods policy, as Entra names it in its audit events.
    pub fn authentication_methods_policy() -> TargetResource {
        TargetResource::other(
            "Policy",
            &"authenticationMethodsPolicy",
            "Authentication Methods Policy",
        )
    }

    pub fn with_changes(mut self, changes: Vec<ModifiedProperty>) -> TargetResource {
        self.modified_properties = changes;
        self
    }
}

macro_rules! detail_keys {
    ($( $(#[$doc:meta])* $variant:ident => $key:literal, )+) => {
        /// The keys keywarden writes in an event's `additionalDetails`: one list, so that writers and readers (the
        /// findings) agree without matching strings. An event recorded with a key not in the list (an older
        /// keywarden, or a generated population) reads back as [`DetailKey::Other`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum DetailKey {
            $( $(#[$doc])* $variant, )+
            Other(String),
        }

        impl DetailKey {
            /// The key as Graph's `keyValue.key` carries it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( DetailKey::$variant => $key, )+
                    DetailKey::Other(key) => key,
                }
            }

            /// The key of this spelling.
            pub fn parse(key: &str) -> DetailKey {
                match key {
                    $( $key => DetailKey::$variant, )+
                    other => DetailKey::Other(other.to_string()),
                }
            }
        }
    };
}

detail_keys! {
    /// The method concerned, as Entra's reason strings name it (`Passkey (device-bound)`, `TemporaryAccessPass`...).
    Method => "method",
    /// The method object's id (a passkey, pass or authenticator app).
    MethodId => "methodId",
    /// The registration attempt.
    AttemptId => "attemptId",
    /// The number of the question that failed.
    Question => "question",
    Aaguid => "aaguid",
    Model => "model",
    AttestationFormat => "attestationFormat",
    AttestationLevel => "attestationLevel",
    /// The attestation conveyance asked for in creation options.
    Attestation => "attestation",
    AdmittingProfile => "admittingProfile",
    /// A refusal's detail, from the verifier.
    Detail => "detail",
    /// The DOMException the browser reported.
    DomException => "domException",
    IsUsableOnce => "isUsableOnce",
    LifetimeInMinutes => "lifetimeInMinutes",
    SignCount => "signCount",
    BackupStateChanged => "backupStateChanged",
    Role => "role",
    UserType => "userType",
    AccountEnabled => "accountEnabled",
    UserId => "userId",
    GroupId => "groupId",
    PolicyVersion => "policyVersion",
}

impl Serialize for DetailKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DetailKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(DetailKey::parse(&String::deserialize(deserializer)?))
    }
}

/// `keyValue`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: DetailKey,
    pub value: String,
}

/// One audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub activity_date_time: OffsetDateTime,
    pub activity: Activity,
    pub correlation_id: Uuid,
    pub initiated_by: Initiator,
    pub result: Outcome,
    /// The stable code on failure; a short phrase on success.
    pub result_reason: String,
    pub target_resources: Vec<TargetResource>,
    pub additional_details: Vec<KeyValue>,
}

impl Event {
    /// The first target's id, which is what audit queries filter on.
    pub fn target_id(&self) -> Option<&str> {
        self.target_resources.first().map(|t| t.id.as_str())
    }

    /// The value of the detail `key`, if the event has it.
    pub fn detail(&self, key: &DetailKey) -> Option<&str> {
        self.additional_details
            .iter()
            .find(|d| d.key == *key)
            .map(|d| d.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn detail_keys_read_back_and_unknown_keys_are_kept() {
        use super::{DetailKey, KeyValue};
        for key in [
            DetailKey::MethodId,
            DetailKey::BackupStateChanged,
            DetailKey::DomException,
        ] {
            assert_eq!(DetailKey::parse(key.as_str()), key);
        }
        let read: KeyValue = serde_json::from_str(r#"{"key":"someOldKey","value":"x"}"#).expect("reads");
        assert_eq!(read.key, DetailKey::Other("someOldKey".into()));
        assert_eq!(
            serde_json::to_string(&read).expect("writes"),
            r#"{"key":"someOldKey","value":"x"}"#
        );
    }

    use super::*;

    #[test]
    fn activity_names_match_their_serialised_form_and_parse_back() {
        for activity in Activity::ALL {
            let json = serde_json::to_value(activity).expect("activities serialise");
            assert_eq!(json.as_str(), Some(activity.name()), "{activity:?}");
            assert_eq!(Activity::parse(activity.name()), Some(activity));
        }
    }
}
