//! The API's wire types: every body the server answers with (and the shared ones it reads), as serde types that also
//! describe themselves to the OpenAPI document (utoipa). Handlers and the command line build these from domain
//! values; nothing is assembled as untyped JSON. Times go through one path: `time::serde::rfc3339`.
//!
//! Values that are the domain's own documents (a diagnosis, the evidence of the four questions, a policy in Graph's
//! shape, a WebAuthn options object) are carried as they serialize and described as objects.

use std::collections::BTreeSet;

use keywarden_domain::Code;
use keywarden_domain::access_pass::{AccessPass, UsabilityReason};
use keywarden_domain::audit::{Event, Initiator, KeyValue, TargetResource};
use keywarden_domain::directory::{Role, User};
use keywarden_domain::metadata::Catalog;
use keywarden_domain::passkey::{Passkey, Registrar};
use keywarden_domain::session::{Method, MethodUse, PassUse};
use keywarden_store::{ApiToken, Attempt};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A domain document carried as it serializes (the domain's own shape, tested there), described in the OpenAPI
/// document as an object with its doc comment.
macro_rules! document_views {
    ($($(#[$doc:meta])* $name:ident($inner:ty);)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Serialize, ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = Object)]
        pub struct $name(pub $inner);
    )*};
}

/// A domain value as the JSON it serializes to, for the detail fields that carry the domain's own documents.
pub fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("keywarden's types serialize to JSON")
}

/// A Graph-style collection: the items, and the link to the next page when there is one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Collection<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

impl<T> Collection<T> {
    pub fn of(value: Vec<T>) -> Collection<T> {
        Collection { value, next_link: None }
    }
}

/// Every refusal and failure: `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, with a stable code (docs/codes.md), the question it answers "no" to, and the fix.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    #[schema(value_type = String, example = "aaguid_not_allowed")]
    pub code: Code,
    pub message: String,
    /// The registration question (1 to 4) this refusal answers "no" to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<u8>,
    pub fix: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ErrorDetails>,
    /// The registration attempt that recorded the refusal, for the help desk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<String>,
}

/// Structured detail of a refusal: whichever applies.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    /// Question 1's evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub eligibility: Option<Value>,
    /// Question 2's evidence (registration), or the strong authentication an administrative action needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub verification: Option<Value>,
    /// Question 3's evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub platform: Option<Value>,
    /// Question 4's evidence: each applicable profile's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub acceptance: Option<Value>,
    /// What each profile that applies accepts, with a question-4 refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepts: Option<Vec<ProfileAccepts>>,
    /// A policy document's problems, each with its path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub problems: Option<Value>,
    /// An import's bad rows, each named by its line or item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
    /// Graph's reason a Temporary Access Pass cannot be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub method_usability_reason: Option<UsabilityReason>,
    /// The profiles' verdicts on a passkey at sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub verdicts: Option<Value>,
}

/// What one passkey profile accepts, told to a user whose authenticator it refused.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileAccepts {
    pub id: String,
    pub name: String,
    /// `deviceBound`, `synced`.
    pub passkey_types: Vec<&'static str>,
    pub attestation_required: bool,
    pub key_restrictions: KeyRestrictionsView,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyRestrictionsView {
    pub is_enforced: bool,
    #[schema(value_type = String)]
    pub enforcement_type: Value,
    #[schema(value_type = Vec<Object>)]
    pub authenticator_groups: Value,
    pub aa_guids: Vec<AaguidModel>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AaguidModel {
    pub aa_guid: String,
    pub model: Option<String>,
}

/// A user as Graph's `user` (with keywarden's roles).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    /// `member` or `guest`.
    pub user_type: &'static str,
    pub account_enabled: bool,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> UserView {
        UserView {
            id: user.id.to_string(),
            user_principal_name: user.user_principal_name.clone(),
            display_name: user.display_name.clone(),
            user_type: user.user_type.as_str(),
            account_enabled: user.account_enabled,
            roles: user.roles.clone(),
        }
    }
}

/// One user, with group memberships and what the caller's roles allow on them.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    #[serde(flatten)]
    pub user: UserView,
    /// The ids of the user's groups.
    pub member_of: Vec<String>,
    /// The administrative actions the caller's roles allow on this user (`read`, `manageMethods`...).
    pub allowed_actions: Vec<&'static str>,
}

/// A user as a sign-in answer names them.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRefView {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
}

impl From<&User> for UserRefView {
    fn from(user: &User) -> UserRefView {
        UserRefView {
            id: user.id.to_string(),
            user_principal_name: user.user_principal_name.clone(),
            display_name: user.display_name.clone(),
        }
    }
}

/// A group of the directory.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    /// How many members (in listings).
    pub member_count: Option<i64>,
}

/// Who registered a passkey: `self`, or the administrator's name.
fn registrar_name(registrar: &Registrar) -> String {
    match registrar {
        Registrar::User => "self".into(),
        Registrar::Admin { name, .. } => name.clone(),
    }
}

/// A passkey as Graph's `fido2AuthenticationMethod`, with keywarden's governance fields and, when the FIDO metadata
/// has one, the authenticator's icon (a `data:` URI).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyView {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    pub id: String,
    pub display_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_date_time: Option<OffsetDateTime>,
    pub aa_guid: String,
    pub model: Option<String>,
    /// SHA-1 thumbprints of the attestation certificates, leaf first.
    pub attestation_certificates: Vec<String>,
    /// `attested` or `notAttested`.
    pub attestation_level: &'static str,
    /// `deviceBound` or `synced`.
    pub passkey_type: &'static str,
    pub admitting_profile: String,
    pub registered_by: String,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backup_state: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub backup_state_changed_date_time: Option<OffsetDateTime>,
    pub transports: Vec<String>,
    pub attestation_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

impl PasskeyView {
    pub fn new(passkey: &Passkey, catalog: &Catalog) -> PasskeyView {
        PasskeyView {
            odata_type: "#microsoft.graph.fido2AuthenticationMethod",
            id: passkey.id.to_string(),
            display_name: passkey.display_name.clone(),
            created_date_time: passkey.created_date_time,
            last_used_date_time: passkey.last_used_date_time,
            aa_guid: passkey.aa_guid.to_string(),
            model: passkey.model.clone(),
            attestation_certificates: passkey.attestation_certificates.clone(),
            attestation_level: passkey.attestation_level.as_str(),
            passkey_type: passkey.passkey_type.as_str(),
            admitting_profile: passkey.admitting_profile.clone(),
            registered_by: registrar_name(&passkey.registered_by),
            sign_count: passkey.sign_count,
            backup_eligible: passkey.backup_eligible,
            backup_state: passkey.backup_state,
            backup_state_changed_date_time: passkey.backup_state_changed_date_time,
            transports: passkey.transports.clone(),
            attestation_format: passkey.facts.format.as_str(),
            icon: catalog.entry(&passkey.aa_guid).and_then(|e| e.icon.clone()),
        }
    }
}

/// A Temporary Access Pass as Graph's `temporaryAccessPassAuthenticationMethod`: the code only in the answer that
/// issues it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessPassView {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    pub id: String,
    /// The code: shown once, when the pass is issued; `null` ever after.
    pub temporary_access_pass: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    pub lifetime_in_minutes: u32,
    pub is_usable_once: bool,
    pub is_usable: bool,
    #[schema(value_type = String)]
    pub method_usability_reason: UsabilityReason,
}

impl AccessPassView {
    pub fn new(pass: &AccessPass, usable: (bool, UsabilityReason), code: Option<&str>) -> AccessPassView {
        AccessPassView {
            odata_type: "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            id: pass.id.to_string(),
            temporary_access_pass: code.map(str::to_string),
            created_date_time: pass.created_date_time,
            start_date_time: pass.start_date_time,
            lifetime_in_minutes: pass.lifetime_in_minutes,
            is_usable_once: pass.is_usable_once,
            is_usable: usable.0,
            method_usability_reason: usable.1,
        }
    }
}

/// Graph's `passwordAuthenticationMethod` (never the password).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PasswordMethodView {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    /// Graph's fixed id of the password method.
    pub id: &'static str,
}

impl PasswordMethodView {
    pub fn new() -> PasswordMethodView {
        PasswordMethodView {
            odata_type: "#microsoft.graph.passwordAuthenticationMethod",
            id: "28c10230-6103-485e-b985-444c60001490",
        }
    }
}

impl Default for PasswordMethodView {
    fn default() -> Self {
        PasswordMethodView::new()
    }
}

/// Graph's `softwareOathAuthenticationMethod` (never its key).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotpMethodView {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    pub id: String,
    pub display_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_date_time: OffsetDateTime,
    /// Always `null`: the key is shown once, when the app is set up.
    pub secret_key: Option<String>,
}

/// One of a user's sign-in methods, as Graph's `/me/authentication/methods` lists them.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum MethodView {
    Password(PasswordMethodView),
    Passkey(Box<PasskeyView>),
    Totp(TotpMethodView),
    AccessPass(AccessPassView),
}

/// A registration attempt with the four questions' evidence.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub id: String,
    pub user_id: String,
    #[schema(value_type = Object)]
    pub initiated_by: Initiator,
    pub on_behalf: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub started_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_date_time: Option<OffsetDateTime>,
    pub correlation_id: String,
    pub policy_version: i64,
    /// `open`, `succeeded` or `failed`.
    pub status: &'static str,
    #[schema(value_type = Option<String>)]
    pub outcome: Option<Code>,
    pub outcome_summary: Option<&'static str>,
    pub fix: Option<&'static str>,
    pub failed_question: Option<u8>,
    /// The four questions' answers, each with its evidence.
    #[schema(value_type = Object)]
    pub questions: keywarden_domain::registration::Evidence,
    /// The authenticator's facts, once a response was verified.
    #[schema(value_type = Option<Object>)]
    pub authenticator: Option<keywarden_domain::registration::Facts>,
    /// What the browser reported about a ceremony that failed on its side.
    #[schema(value_type = Option<Object>)]
    pub client_report: Option<keywarden_domain::platform::ClientReport>,
    pub passkey_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl From<&Attempt> for AttemptView {
    fn from(attempt: &Attempt) -> AttemptView {
        AttemptView {
            id: attempt.id.to_string(),
            user_id: attempt.user_id.to_string(),
            initiated_by: attempt.initiator.clone(),
            on_behalf: attempt.on_behalf,
            started_date_time: attempt.started_at,
            finished_date_time: attempt.finished_at,
            correlation_id: attempt.correlation_id.to_string(),
            policy_version: attempt.policy_version,
            status: attempt.status.as_str(),
            outcome: attempt.outcome,
            outcome_summary: attempt.outcome.map(Code::summary),
            fix: attempt.outcome.map(Code::fix),
            failed_question: attempt.failed_question.map(|q| q.number()),
            questions: attempt.evidence.clone(),
            authenticator: attempt.facts.clone(),
            client_report: attempt.client_report.clone(),
            passkey_id: attempt.passkey_id.map(|p| p.to_string()),
            ip_address: attempt.ip.clone(),
            user_agent: attempt.user_agent.clone(),
        }
    }
}

/// Graph's `userIdentity`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    pub id: Option<String>,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
    pub ip_address: Option<String>,
}

/// Graph's `appIdentity`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppIdentity {
    pub app_id: String,
    pub display_name: String,
    pub service_principal_id: Option<String>,
    pub service_principal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
}

/// Graph's `auditActivityInitiator`: a user or an app.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InitiatedBy {
    pub user: Option<UserIdentity>,
    pub app: Option<AppIdentity>,
}

impl From<&Initiator> for InitiatedBy {
    fn from(initiator: &Initiator) -> InitiatedBy {
        match initiator {
            Initiator::User {
                id,
                user_principal_name,
                display_name,
                ip_address,
            } => InitiatedBy {
                user: Some(UserIdentity {
                    id: Some(id.clone()),
                    user_principal_name: Some(user_principal_name.clone()),
                    display_name: Some(display_name.clone()),
                    ip_address: ip_address.clone(),
                }),
                app: None,
            },
            Initiator::App {
                app_id,
                display_name,
                ip_address,
            } => InitiatedBy {
                user: None,
                app: Some(AppIdentity {
                    app_id: app_id.clone(),
                    display_name: display_name.clone(),
                    service_principal_id: Some(app_id.clone()),
                    service_principal_name: Some(display_name.clone()),
                    ip_address: ip_address.clone(),
                }),
            },
            Initiator::LocalOperator { os_user } => InitiatedBy {
                user: None,
                app: Some(AppIdentity {
                    app_id: "local-operator".into(),
                    display_name: format!("keywarden CLI ({os_user})"),
                    service_principal_id: None,
                    service_principal_name: None,
                    ip_address: None,
                }),
            },
            Initiator::Anonymous { ip_address } => InitiatedBy {
                user: Some(UserIdentity {
                    id: None,
                    user_principal_name: None,
                    display_name: Some("anonymous".into()),
                    ip_address: ip_address.clone(),
                }),
                app: None,
            },
        }
    }
}

/// An audit event as Graph's `directoryAudit`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryAudit {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub activity_date_time: OffsetDateTime,
    pub activity_display_name: &'static str,
    pub category: &'static str,
    pub correlation_id: String,
    pub initiated_by: InitiatedBy,
    pub logged_by_service: &'static str,
    pub operation_type: &'static str,
    /// `success` or `failure`.
    pub result: &'static str,
    pub result_reason: String,
    #[schema(value_type = Vec<Object>)]
    pub target_resources: Vec<TargetResource>,
    #[schema(value_type = Vec<Object>)]
    pub additional_details: Vec<KeyValue>,
}

impl From<&Event> for DirectoryAudit {
    fn from(event: &Event) -> DirectoryAudit {
        DirectoryAudit {
            id: event.id.to_string(),
            activity_date_time: event.activity_date_time,
            activity_display_name: event.activity.name(),
            category: event.activity.category(),
            correlation_id: event.correlation_id.to_string(),
            initiated_by: InitiatedBy::from(&event.initiated_by),
            logged_by_service: event.activity.logged_by_service(),
            operation_type: event.activity.operation_type(),
            result: event.result.as_str(),
            result_reason: event.result_reason.clone(),
            target_resources: event.target_resources.clone(),
            additional_details: event.additional_details.clone(),
        }
    }
}

/// The signed-in user, their permissions and their session.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeView {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub user_type: &'static str,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// The administrative actions the user's roles allow on someone.
    pub permissions: Vec<&'static str>,
    /// Send it in `X-CSRF-Token` on every state-changing request.
    pub csrf_token: String,
    /// The strong methods the user can verify with now.
    #[schema(value_type = Vec<String>)]
    pub usable_strong_methods: BTreeSet<Method>,
    pub session: SessionView,
}

/// The session's state, as Security info shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    #[serde(with = "time::serde::rfc3339")]
    pub created_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_date_time: OffsetDateTime,
    /// Each method used, and when.
    #[schema(value_type = Vec<Object>)]
    pub methods: Vec<MethodUse>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_strong_authentication_date_time: Option<OffsetDateTime>,
    /// The registration window as question 2 applies it.
    pub registration_window_minutes: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub recently_verified_until: Option<OffsetDateTime>,
    #[schema(value_type = Option<Object>)]
    pub signed_in_with_access_pass: Option<PassUse>,
    /// Whether the session was completed with a strong method (what administration needs).
    pub strong_authentication: bool,
    pub admin_reauthentication_minutes: u32,
}

/// The answer to a sign-in step.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInAnswer {
    /// `signedIn`, or `mfaRequired` when a second factor must follow.
    pub status: &'static str,
    pub user: UserRefView,
    pub csrf_token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_date_time: OffsetDateTime,
}

/// A passkey sign-in's begin: the sealed ceremony to hand back, and the request options for
/// `PublicKeyCredential.parseRequestOptionsFromJSON`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInChallengeView {
    pub challenge_id: String,
    #[schema(value_type = Object)]
    pub public_key: Value,
}

/// A registration's begin: the attempt and the creation options for
/// `PublicKeyCredential.parseCreationOptionsFromJSON`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationBegun {
    pub attempt_id: String,
    #[schema(value_type = Object)]
    pub public_key: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub challenge_timeout_date_time: OffsetDateTime,
}

impl From<&crate::ops::registration::Begun> for RegistrationBegun {
    fn from(begun: &crate::ops::registration::Begun) -> RegistrationBegun {
        RegistrationBegun {
            attempt_id: begun.attempt_id.to_string(),
            public_key: begun.public_key.clone(),
            challenge_timeout_date_time: begun.expires_at,
        }
    }
}

/// What the server makes of a ceremony the browser reported as failed (question 3).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientVerdictView {
    #[schema(value_type = String)]
    pub code: Code,
    pub question: u8,
    pub message: String,
    pub fix: &'static str,
}

impl From<&crate::ops::registration::ClientVerdict> for ClientVerdictView {
    fn from(verdict: &crate::ops::registration::ClientVerdict) -> ClientVerdictView {
        ClientVerdictView {
            code: verdict.code,
            question: 3,
            message: verdict.message.clone(),
            fix: verdict.code.fix(),
        }
    }
}

/// A new authenticator app: its key, shown once, as base32, as an `otpauth://` link and as that link's QR code.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotpEnrolledView {
    pub id: String,
    pub secret: String,
    pub uri: String,
    pub qr_code_svg: String,
}

/// Graph's answer to `revokeSignInSessions`, with how many sessions ended.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionsRevoked {
    pub value: bool,
    pub ended_sessions: u64,
}

/// An API token, never its secret (but in the answer that makes it).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    pub id: String,
    pub display_name: String,
    #[schema(value_type = String)]
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_date_time: OffsetDateTime,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_date_time: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_date_time: Option<OffsetDateTime>,
    /// The secret: in the answer that makes the token only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<&ApiToken> for TokenView {
    fn from(token: &ApiToken) -> TokenView {
        TokenView {
            id: token.id.to_string(),
            display_name: token.name.clone(),
            role: token.role,
            created_date_time: token.created_at,
            created_by: token.created_by.clone(),
            expires_date_time: token.expires_at,
            revoked_date_time: token.revoked_at,
            token: None,
        }
    }
}

/// `/healthz` and `/readyz`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready`, `migrations pending` or `database unreachable`.
    pub status: &'static str,
    /// The backend, when ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Findings with the options they were reviewed under.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindingsView {
    /// Each finding: its kind, severity, what it means, the users and credentials it names, and the fix.
    #[schema(value_type = Vec<Object>)]
    pub value: Vec<keywarden_domain::reports::findings::Finding>,
    pub options: FindingsOptionsView,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindingsOptionsView {
    pub bulk_threshold: u32,
    pub bulk_window_minutes: i64,
    pub audit_lookback_days: i64,
    pub long_pass_lifetime_minutes: i64,
    pub top: usize,
}

impl From<&keywarden_domain::reports::findings::FindingsOptions> for FindingsOptionsView {
    fn from(options: &keywarden_domain::reports::findings::FindingsOptions) -> FindingsOptionsView {
        FindingsOptionsView {
            bulk_threshold: options.bulk_threshold,
            bulk_window_minutes: options.bulk_window.whole_minutes(),
            audit_lookback_days: options.audit_lookback.whole_days(),
            long_pass_lifetime_minutes: options.long_access_pass_lifetime.whole_minutes(),
            top: options.max_listed,
        }
    }
}

document_views! {
    /// One authenticator model in the inventory: how many passkeys, users, and the attestation and profile counts.
    ModelView(keywarden_domain::reports::inventory::ModelSummary);
    /// The rollout status: each ring, then all users.
    RolloutView(keywarden_domain::rollout::status::RolloutStatus);
    /// A tightening proposal, its what-if, and whether it was applied.
    TightenedView(crate::ops::rollout::Tightened);
    /// The readiness report: counts per reason, the users who would be locked out, and the group it was limited to.
    ReadinessView(crate::ops::rollout::ReadinessReport);
    /// What the loaded FIDO metadata and name lists say about one authenticator model: its name, certification, status
    /// history, attestation types, key protection, transports and the named groups it belongs to.
    AuthenticatorView(keywarden_domain::metadata::Description);
    /// Why a user can or cannot add a passkey: the four questions, each with its answer and evidence, and the fixes
    /// in order (the help desk's decision tree, walked).
    DiagnosisView(keywarden_domain::diagnosis::Diagnosis);
    /// The passkey policy that applies to one user, and why.
    EffectivePolicyView(keywarden_domain::diagnosis::Explanation);
    /// A policy document in Graph's shape (`authenticationMethodsPolicy`, or one `authenticationMethodConfiguration`),
    /// with keywarden's passkey profiles.
    PolicyDocument(Value);
    /// What a proposed policy would do to today's users and passkeys.
    WhatIfView(crate::ops::rollout::WhatIfReport);
}
