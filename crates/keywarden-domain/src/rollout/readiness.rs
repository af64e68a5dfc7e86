//! Readiness before requiring an authentication strength (the playbook's rollout step 6): who would be locked out
//! if the strength were required at sign-in now, and why each one.
//!
//! A user is ready when the methods they could use now satisfy the strength: a passkey counts when it passes
//! today's sign-in re-check, an authenticator app with a password, a Temporary Access Pass when it is usable now.
//! Everyone else is listed with one reason, in this order: the account is disabled; the passkey method does not
//! apply to them (disabled, excluded, not targeted) although they hold passkeys; every passkey they hold is refused
//! by today's policy; they hold no passkey (or, for a strength a passkey is not the only way to satisfy, no method
//! that does). Each comes with whether they could register a passkey now and the fix.

use serde::Serialize;
use time::OffsetDateTime;

use super::{Capped, DEFAULT_MAX_LISTED, PasskeyRef, Refusal, Subject, registration_refusal};
use crate::codes::Code;
use crate::metadata::Catalog;
use crate::policy::Policy;
use crate::reports::UserRef;
use crate::session::Method;
use crate::strength::Strength;
use crate::verification::{Held, usable_strong_methods};

/// Why a user would be locked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Reason {
    AccountDisabled,
    /// The passkey method does not apply to the user (disabled, excluded, not in scope), so their passkeys are
    /// refused at sign-in.
    MethodNotEnabled,
    /// Every passkey the user holds is refused by today's passkey profiles (type or key restrictions).
    PasskeysRefused,
    /// The user holds no passkey, and the strength needs one.
    NoPasskey,
    /// The user holds no passkey and no other combination of methods that satisfies the strength.
    NoQualifyingMethod,
}

impl Reason {
    pub const ALL: [Reason; 5] = [
        Reason::AccountDisabled,
        Reason::MethodNotEnabled,
        Reason::PasskeysRefused,
        Reason::NoPasskey,
        Reason::NoQualifyingMethod,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AccountDisabled => "accountDisabled",
            Reason::MethodNotEnabled => "methodNotEnabled",
            Reason::PasskeysRefused => "passkeysRefused",
            Reason::NoPasskey => "noPasskey",
            Reason::NoQualifyingMethod => "noQualifyingMethod",
        }
    }
}

/// A passkey today's policy refuses at sign-in, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusedPasskey {
    pub passkey: PasskeyRef,
    pub code: Code,
    pub reason: String,
}

/// A user who would be locked out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lockout {
    pub user: UserRef,
    pub reason: Reason,
    /// The stable code behind the reason, when there is one.
    pub code: Option<Code>,
    /// The reason in a sentence.
    pub detail: String,
    /// The methods the user could use to sign in now (Graph's names).
    pub methods_usable: Vec<&'static str>,
    pub refused_passkeys: Vec<RefusedPasskey>,
    /// Whether the policy lets the user register a passkey in Security info now.
    pub can_register_passkey: bool,
    pub fix: String,
}

/// Users per reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    pub reason: Reason,
    pub users: u64,
}

/// A strength by id and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StrengthRef {
    pub id: &'static str,
    pub display_name: &'static str,
}

/// The readiness report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub strength: StrengthRef,
    /// Users considered (all users, or the members of the group asked about).
    pub users: u64,
    pub ready: u64,
    pub locked_out: u64,
    pub by_reason: Vec<ReasonCount>,
    /// The users who would be locked out (the first `max_listed`), in userPrincipalName order.
    #[serde(rename = "value")]
    pub locked_out_users: Vec<Lockout>,
    pub max_listed: usize,
}

/// Judges users one at a time; see the module documentation.
pub struct Readiness<'a> {
    strength: &'a Strength,
    policy: &'a Policy,
    catalog: &'a Catalog,
    now: OffsetDateTime,
    users: u64,
    by_reason: [u64; 5],
    locked_out: Capped<Lockout>,
}

impl<'a> Readiness<'a> {
    pub fn new(
        strength: &'a Strength,
        policy: &'a Policy,
        catalog: &'a Catalog,
        now: OffsetDateTime,
        max_listed: usize,
    ) -> Readiness<'a> {
        Readiness {
            strength,
            policy,
            catalog,
            now,
            users: 0,
            by_reason: [0; 5],
            locked_out: Capped::new(max_listed),
        }
    }

    pub fn with_defaults(
        strength: &'a Strength,
        policy: &'a Policy,
        catalog: &'a Catalog,
        now: OffsetDateTime,
    ) -> Readiness<'a> {
        Readiness::new(strength, policy, catalog, now, DEFAULT_MAX_LISTED)
    }

    /// The methods `subject` could sign in with now: the strong ones as verification decides them for everyone
    /// (`crate::verification`), and the password.
    fn usable(&self, subject: &Subject) -> Vec<Method> {
        let passkeys: Vec<_> = subject.passkeys.iter().map(|p| (p.aaguid, p.passkey_type)).collect();
        let held = Held {
            has_password: subject.password,
            has_totp: subject.software_oath,
            passkeys: &passkeys,
            access_pass: subject.access_pass.as_ref(),
        };
        let strong = usable_strong_methods(self.policy, subject.member(), held, self.catalog, self.now).methods;
        // Strongest first, as the report lists them.
        [Method::Passkey, Method::Totp, Method::TemporaryAccessPass]
            .into_iter()
            .filter(|m| strong.contains(m))
            .chain(subject.password.then_some(Method::Password))
            .collect()
    }

    /// Whether the pass the user holds is one-time (a strength may accept only one kind).
    fn one_time_pass(subject: &Subject) -> bool {
        subject.access_pass.as_ref().is_some_and(|p| p.is_usable_once)
    }

    pub fn user(&mut self, subject: &Subject) {
        self.users += 1;
        let fido2 = &self.policy.fido2;
        let refused: Vec<_> = subject
            .rechecks(fido2, self.catalog)
            .filter_map(|(passkey, check)| check.err().map(|refusal| (passkey, refusal)))
            .collect();
        let usable = self.usable(subject);
        if subject.user.account_enabled && self.strength.satisfied_by(&usable, Self::one_time_pass(subject)) {
            return;
        }
        let member = subject.member();
        let registration = registration_refusal(fido2, member);
        let can_verify = usable.iter().any(|m| m.is_strong());
        let (reason, code, detail) = if !subject.user.account_enabled {
            (
                Reason::AccountDisabled,
                Some(Code::AccountDisabled),
                "the account is disabled".to_string(),
            )
        } else if let Some((_, first)) = refused.first()
            && matches!(
                first.code,
                Code::PasskeyMethodDisabled | Code::UserExcluded | Code::UserNotInPolicyScope
            )
        {
            (
                Reason::MethodNotEnabled,
                Some(first.code),
                format!(
                    "holds {} passkey(s), but {}",
                    subject.passkeys.len(),
                    lower_first(first.code.summary())
                ),
            )
        } else if !refused.is_empty() {
            (
                Reason::PasskeysRefused,
                Some(Code::CredentialNotAllowedAtSignIn),
                format!(
                    "holds {} passkey(s), and today's passkey profiles refuse every one at sign-in",
                    subject.passkeys.len()
                ),
            )
        } else {
            let held: Vec<&str> = usable.iter().map(|m| m.as_str()).collect();
            let held = if held.is_empty() {
                "no method".to_string()
            } else {
                held.join(", ")
            };
            let only_passkeys = self.strength.allowed_combinations.iter().all(|c| *c == "fido2");
            if only_passkeys {
                (
                    Reason::NoPasskey,
                    None,
                    format!(
                        "holds no passkey ({held} only), and {} is satisfied only by a passkey",
                        self.strength.display_name
                    ),
                )
            } else {
                (
                    Reason::NoQualifyingMethod,
                    None,
                    format!("holds {held}, which does not satisfy {}", self.strength.display_name),
                )
            }
        };
        let fix = fix(reason, code, registration.as_ref(), can_verify);
        if let Some(i) = Reason::ALL.iter().position(|r| *r == reason) {
            self.by_reason[i] += 1;
        }
        self.locked_out.push(|| Lockout {
            user: subject.reference(),
            reason,
            code,
            detail,
            methods_usable: usable.iter().map(|m| m.as_str()).collect(),
            refused_passkeys: refused
                .iter()
                .map(|(passkey, refusal)| {
                    let refusal = Refusal::of_sign_in(refusal);
                    RefusedPasskey {
                        passkey: PasskeyRef::new(passkey, self.catalog),
                        code: refusal.code,
                        reason: refusal.reason,
                    }
                })
                .collect(),
            can_register_passkey: registration.is_none(),
            fix,
        });
    }

    pub fn finish(self) -> Report {
        let locked_out = self.locked_out.count;
        Report {
            strength: StrengthRef {
                id: self.strength.id,
                display_name: self.strength.display_name,
            },
            users: self.users,
            ready: self.users - locked_out,
            locked_out,
            by_reason: Reason::ALL
                .into_iter()
                .zip(self.by_reason)
                .filter(|(_, n)| *n > 0)
                .map(|(reason, users)| ReasonCount { reason, users })
                .collect(),
            locked_out_users: self.locked_out.items,
            max_listed: self.locked_out.max,
        }
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The next step for a locked-out user.
fn fix(reason: Reason, code: Option<Code>, registration: Option<&Refusal>, can_verify: bool) -> String {
    let register = match (registration, can_verify) {
        (Some(refusal), _) => format!(
            "They cannot register a passkey either ({}): {}",
            refusal.code.as_str(),
            refusal.code.fix()
        ),
        (None, true) => "Ask them to register a passkey in Security info before the strength is required.".into(),
        (None, false) => "Issue a one-time Temporary Access Pass with a short lifetime, and have them register a \
                          passkey in Security info with it before the strength is required."
            .into(),
    };
    match reason {
        Reason::AccountDisabled => {
            "The account cannot sign in at all; enable it first if it is still in use, or leave it out of the rollout."
                .into()
        }
        Reason::MethodNotEnabled => match (code, registration) {
            (Some(code), Some(refusal)) if refusal.code == code => {
                format!(
                    "{} Until then they can neither sign in with their passkeys nor register one.",
                    code.fix()
                )
            }
            (code, _) => format!("{} {register}", code.map(Code::fix).unwrap_or_default()),
        },
        Reason::PasskeysRefused => format!(
            "Either make a profile that applies to them accept these passkeys, or have them register one it accepts. \
             {register}"
        ),
        Reason::NoPasskey | Reason::NoQualifyingMethod => register,
    }
}
