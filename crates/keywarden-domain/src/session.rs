//! How a session was authenticated: which methods were used and when, and what counts as strong authentication.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::MethodId;

/// A sign-in method. Names follow Graph's `authenticationMethodModes` where one exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Method {
    /// First factor only.
    Password,
    /// RFC 6238 code from an authenticator app (Graph: `softwareOath`), the MFA step after a password.
    #[serde(rename = "softwareOath")]
    Totp,
    /// A Temporary Access Pass (Graph: `temporaryAccessPassOneTime` / `temporaryAccessPassMultiUse`).
    TemporaryAccessPass,
    /// A passkey assertion with user verification (Graph: `fido2`).
    #[serde(rename = "fido2")]
    Passkey,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::Totp => "softwareOath",
            Method::TemporaryAccessPass => "temporaryAccessPass",
            Method::Passkey => "fido2",
        }
    }

    /// Whether using this method, on top of what came before it, is strong (multifactor) authentication.
    /// A TOTP code counts only after a password; a TAP and a user-verified passkey count alone.
    pub fn is_strong(self) -> bool {
        matches!(self, Method::Totp | Method::TemporaryAccessPass | Method::Passkey)
    }
}

/// One use of a method in a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodUse {
    pub method: Method,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The Temporary Access Pass a session signed in with, when it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassUse {
    pub method_id: MethodId,
    pub is_usable_once: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
}

/// What a session has proven.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authentication {
    pub methods: Vec<MethodUse>,
    pub access_pass: Option<PassUse>,
    /// The password was accepted and the user has a second factor that must follow before the session is usable.
    #[serde(default)]
    pub mfa_pending: bool,
}

impl Authentication {
    pub fn record(&mut self, method: Method, at: OffsetDateTime) {
        self.methods.push(MethodUse { method, at });
    }

    /// The last time the session satisfied strong authentication.
    pub fn last_strong(&self) -> Option<&MethodUse> {
        self.methods
            .iter()
            .filter(|m| m.method.is_strong())
            .max_by_key(|m| m.at)
    }

    /// Signed in: the session has satisfied strong authentication at least once. A password alone is only
    /// the first step of a sign-in.
    pub fn is_complete(&self) -> bool {
        self.last_strong().is_some()
    }

    pub fn used(&self, method: Method) -> bool {
        self.methods.iter().any(|m| m.method == method)
    }
}
