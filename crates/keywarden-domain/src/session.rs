//! How a session was authenticated: which methods were used and when, and what counts as strong authentication.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::MethodId;

/// A sign-in method. Names follow Graph's `authenticationMethodModes` where one exists. Ordered as keywarden lists
/// them: the password, then the strong methods by how a user is asked to verify (app, passkey, pass).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Method {
    /// First factor only.
    Password,
    /// RFC 6238 code from an authenticator app (Graph: `softwareOath`), the MFA step after a password.
    #[serde(rename = "softwareOath")]
    Totp,
    /// A passkey assertion with user verification (Graph: `fido2`).
    #[serde(rename = "fido2")]
    Passkey,
    /// A Temporary Access Pass (Graph: `temporaryAccessPassOneTime` / `temporaryAccessPassMultiUse`).
    TemporaryAccessPass,
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
    /// The method object used (the passkey, the pass or the authenticator app), so that the session ends when
    /// that method is deleted. Absent for a password, and in sessions recorded before keywarden kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_id: Option<MethodId>,
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
    pub fn record(&mut self, method: Method, at: OffsetDateTime, method_id: Option<MethodId>) {
        self.methods.push(MethodUse { method, at, method_id });
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

    /// Whether the method object `id` (a passkey, a pass, an authenticator app) was used in this session.
    pub fn used_method(&self, id: MethodId) -> bool {
        self.methods.iter().any(|m| m.method_id == Some(id))
            || self.access_pass.as_ref().is_some_and(|pass| pass.method_id == id)
    }
}

/// Which of a user's sessions a change ends: the sessions that depended on what changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every session (sign-in sessions revoked, account disabled or deleted).
    All,
    /// Sessions in which a password was used (the password was reset).
    PasswordSessions,
    /// Sessions in which this method object was used: a passkey, pass or authenticator app that was deleted,
    /// revoked or replaced.
    UsingMethod(MethodId),
}

impl Ending {
    /// Whether a session that authenticated as `authentication` ends.
    pub fn ends(self, authentication: &Authentication) -> bool {
        match self {
            Ending::All => true,
            Ending::PasswordSessions => authentication.used(Method::Password),
            Ending::UsingMethod(id) => authentication.used_method(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

    fn id(n: u128) -> MethodId {
        MethodId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn a_change_ends_the_sessions_that_used_what_changed() {
        let mut password_and_totp = Authentication::default();
        password_and_totp.record(Method::Password, NOW, None);
        password_and_totp.record(Method::Totp, NOW, Some(id(1)));
        let mut passkey = Authentication::default();
        passkey.record(Method::Passkey, NOW, Some(id(2)));
        let mut pass = Authentication::default();
        pass.record(Method::TemporaryAccessPass, NOW, Some(id(3)));
        pass.access_pass = Some(PassUse {
            method_id: id(3),
            is_usable_once: true,
            signed_in_at: NOW,
        });
        let sessions = [&password_and_totp, &passkey, &pass];
        let ended = |ending: Ending| sessions.iter().map(|s| ending.ends(s)).collect::<Vec<_>>();
        assert_eq!(ended(Ending::All), [true, true, true]);
        assert_eq!(ended(Ending::PasswordSessions), [true, false, false]);
        assert_eq!(ended(Ending::UsingMethod(id(1))), [true, false, false]);
        assert_eq!(ended(Ending::UsingMethod(id(2))), [false, true, false]);
        assert_eq!(ended(Ending::UsingMethod(id(3))), [false, false, true]);
        assert_eq!(ended(Ending::UsingMethod(id(4))), [false, false, false]);
    }

    #[test]
    fn sessions_recorded_without_method_ids_still_read() {
        let old = r#"{"methods":[{"method":"password","at":"2026-12-07T12:00:00Z"}],"accessPass":null}"#;
        let authentication: Authentication = serde_json::from_str(old).expect("an older session reads");
        assert_eq!(authentication.methods[0].method_id, None);
        assert!(Ending::PasswordSessions.ends(&authentication));
    }
}
