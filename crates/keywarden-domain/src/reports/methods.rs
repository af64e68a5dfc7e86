//! Which authentication methods a user holds, and whether one of them is phishing-resistant.
//!
//! Following Entra's authentication strengths, the only phishing-resistant method keywarden issues is a passkey
//! (`fido2`). A password is not multifactor; an authenticator app code (`softwareOath`) and a Temporary Access Pass
//! are strong but phishable. Users without a passkey are the playbook's "remaining MFA-only population".

use serde::Serialize;
use time::OffsetDateTime;

use super::UserRef;
use crate::access_pass::AccessPass;
use crate::directory::UserType;
use crate::session::Method;

/// A user and the methods they hold, as the store reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserMethods {
    pub user: UserRef,
    pub user_type: UserType,
    pub account_enabled: bool,
    /// How many passkeys the user has registered.
    pub passkeys: u64,
    pub password: bool,
    /// An authenticator app (TOTP) is set up.
    pub software_oath: bool,
    /// The user's Temporary Access Pass, if one was issued and not revoked.
    pub access_pass: Option<AccessPass>,
}

impl UserMethods {
    /// At least one phishing-resistant method: a passkey.
    pub fn is_phishing_resistant(&self) -> bool {
        self.passkeys > 0
    }

    /// Whether the user holds the pass as a method at `now`: it has not expired and, if one-time, was not used.
    /// A pass that starts later counts: it was issued to be used.
    pub fn holds_access_pass(&self, now: OffsetDateTime) -> bool {
        self.access_pass
            .as_ref()
            .is_some_and(|p| now < p.expires_at() && !(p.is_usable_once && p.used_date_time.is_some()))
    }

    /// The methods the user holds at `now`, strongest first, with Graph's names (`fido2`, `softwareOath`,
    /// `temporaryAccessPass`, `password`).
    pub fn methods_registered(&self, now: OffsetDateTime) -> Vec<&'static str> {
        [
            (self.passkeys > 0, Method::Passkey),
            (self.software_oath, Method::Totp),
            (self.holds_access_pass(now), Method::TemporaryAccessPass),
            (self.password, Method::Password),
        ]
        .into_iter()
        .filter_map(|(held, method)| held.then_some(method.as_str()))
        .collect()
    }

    /// Holds a strong (multifactor) method: a passkey, an authenticator app, or a live pass (Graph's
    /// `isMfaRegistered`, with the pass counted because it lets the user register a passkey).
    pub fn is_mfa_registered(&self, now: OffsetDateTime) -> bool {
        self.passkeys > 0 || self.software_oath || self.holds_access_pass(now)
    }
}

/// The report's columns (CSV), in order.
pub const COLUMNS: [&str; 7] = [
    "UserPrincipalName",
    "UserDisplayName",
    "UserType",
    "AccountEnabled",
    "MethodsRegistered",
    "IsMfaRegistered",
    "Id",
];

/// One row of "users without a phishing-resistant method", shaped like Graph's `userRegistrationDetails`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRow {
    pub id: String,
    pub user_principal_name: String,
    pub user_display_name: String,
    pub user_type: &'static str,
    pub account_enabled: bool,
    pub methods_registered: Vec<&'static str>,
    pub is_mfa_registered: bool,
}

impl UserRow {
    pub fn new(methods: &UserMethods, now: OffsetDateTime) -> UserRow {
        UserRow {
            id: methods.user.id.to_string(),
            user_principal_name: methods.user.user_principal_name.clone(),
            user_display_name: methods.user.display_name.clone(),
            user_type: methods.user_type.as_str(),
            account_enabled: methods.account_enabled,
            methods_registered: methods.methods_registered(now),
            is_mfa_registered: methods.is_mfa_registered(now),
        }
    }

    /// The cells in [`COLUMNS`] order; methods are separated by `;`.
    pub fn cells(&self) -> [String; 7] {
        [
            self.user_principal_name.clone(),
            self.user_display_name.clone(),
            self.user_type.to_string(),
            self.account_enabled.to_string(),
            self.methods_registered.join(";"),
            self.is_mfa_registered.to_string(),
            self.id.clone(),
        ]
    }
}
