//! The playbook's rollout pattern as pure functions: ring status (who is targeted, who holds a passkey today's
//! policy accepts, how registration attempts went), the coverage chart, tightening a profile to the AAGUIDs
//! actually observed, readiness before requiring an authentication strength, and the what-if of a proposed policy.
//!
//! Each report is an accumulator fed one [`Subject`] (a user with their groups and methods) at a time, as the store
//! streams them, so memory does not grow with the directory; lists are capped, counts are complete. Decisions reuse
//! the policy's own evaluation (`eligibility`, `applicable_profiles`, `sign_in_check`): there is no second way to
//! decide here. Nothing here reads a database or a clock.

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod readiness;
pub mod status;
pub mod tighten;
pub mod what_if;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::access_pass::AccessPass;
use crate::codes::Code;
use crate::directory::User;
use crate::ids::{Aaguid, GroupId, MethodId};
use crate::metadata::Catalog;
use crate::policy::evaluate::{
    Member, RegistrationPath, SignInRefusal, applicable_profiles, eligibility, refusal_reasons, sign_in_check,
};
use crate::policy::{EnforcementType, Fido2Configuration, PasskeyProfile, PasskeyType};
use crate::reports::UserRef;

/// How many users or credentials a report lists when the caller does not say; counts are always complete.
pub const DEFAULT_MAX_LISTED: usize = 1000;

/// A registered passkey, as the rollout reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldPasskey {
    pub id: MethodId,
    pub display_name: String,
    pub aaguid: Aaguid,
    /// The model name recorded at registration.
    pub model: Option<String>,
    pub passkey_type: PasskeyType,
}

/// A user with their groups, passkeys and other methods: what every rollout report is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    pub user: User,
    pub groups: BTreeSet<GroupId>,
    pub passkeys: Vec<HeldPasskey>,
    pub password: bool,
    /// An authenticator app (TOTP) is set up.
    pub software_oath: bool,
    /// The user's Temporary Access Pass, if one was issued and not revoked.
    pub access_pass: Option<AccessPass>,
}

impl Subject {
    pub fn member(&self) -> Member<'_> {
        Member {
            user: &self.user,
            groups: &self.groups,
        }
    }

    pub fn reference(&self) -> UserRef {
        UserRef {
            id: self.user.id,
            user_principal_name: self.user.user_principal_name.clone(),
            display_name: self.user.display_name.clone(),
        }
    }

    /// Today's sign-in re-check of each passkey under `fido2`.
    pub fn rechecks<'s>(
        &'s self,
        fido2: &'s Fido2Configuration,
        catalog: &'s Catalog,
    ) -> impl Iterator<Item = (&'s HeldPasskey, Result<String, SignInRefusal>)> + 's {
        self.passkeys.iter().map(move |passkey| {
            let check = sign_in_check(
                fido2,
                self.member(),
                passkey.aaguid,
                passkey.passkey_type,
                catalog.entry(&passkey.aaguid),
            );
            (passkey, check)
        })
    }

    /// Whether at least one passkey passes today's sign-in re-check: the user holds a phishing-resistant method.
    pub fn holds_accepted_passkey(&self, fido2: &Fido2Configuration, catalog: &Catalog) -> bool {
        self.rechecks(fido2, catalog).any(|(_, check)| check.is_ok())
    }
}

/// A passkey as reports name it: its display name and its model (the recorded name, else the catalog's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyRef {
    pub id: MethodId,
    pub display_name: String,
    pub aaguid: Aaguid,
    pub model: Option<String>,
    pub passkey_type: PasskeyType,
}

impl PasskeyRef {
    pub fn new(passkey: &HeldPasskey, catalog: &Catalog) -> PasskeyRef {
        PasskeyRef {
            id: passkey.id,
            display_name: passkey.display_name.clone(),
            aaguid: passkey.aaguid,
            model: passkey
                .model
                .clone()
                .or_else(|| catalog.name(&passkey.aaguid).map(str::to_string)),
            passkey_type: passkey.passkey_type,
        }
    }

    /// `My key (YubiKey 5, synced)`.
    pub fn label(&self) -> String {
        let what = self.model.clone().unwrap_or_else(|| self.aaguid.to_string());
        format!("{} ({what}, {})", self.display_name, self.passkey_type.label())
    }
}

/// Why something is refused: a stable code and a sentence naming the rule and the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: Code,
    pub reason: String,
}

impl Refusal {
    /// A sign-in refusal in words: for a passkey refused by every profile, each profile's reasons.
    pub fn of_sign_in(refusal: &SignInRefusal) -> Refusal {
        let reasons = refusal_reasons(&refusal.verdicts);
        Refusal {
            code: refusal.code,
            reason: if reasons.is_empty() {
                refusal.code.summary().to_string()
            } else {
                reasons.join("; ")
            },
        }
    }
}

/// Whether a profile could accept any authenticator at all.
fn accepts_something(profile: &PasskeyProfile) -> bool {
    let restrictions = &profile.key_restrictions;
    let empty_allow_list = restrictions.is_enforced
        && restrictions.enforcement_type == EnforcementType::Allow
        && restrictions.aa_guids.is_empty()
        && restrictions.authenticator_groups.is_empty();
    !profile.passkey_types.is_empty() && !empty_allow_list
}

/// What keeps a user from registering a passkey in Security info under `fido2`, as far as policy goes: question 1
/// for self-service, then whether any applicable profile accepts any authenticator at all. `None` means nothing
/// in the policy does (questions 2 and 3 are about the moment of registering, not about the policy).
pub fn registration_refusal(fido2: &Fido2Configuration, member: Member<'_>) -> Option<Refusal> {
    let eligible = eligibility(fido2, member, RegistrationPath::SelfService);
    if let Some(code) = eligible.code() {
        return Some(Refusal {
            code,
            reason: code.summary().to_string(),
        });
    }
    let profiles = applicable_profiles(fido2, member);
    if profiles.iter().any(|p| accepts_something(p)) {
        return None;
    }
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    let code = if profiles.iter().all(|p| p.passkey_types.is_empty()) {
        Code::PasskeyTypeNotAllowed
    } else {
        Code::AaguidNotAllowed
    };
    Some(Refusal {
        code,
        reason: format!(
            "no passkey profile that applies ({}) accepts any authenticator: no passkey type is allowed or the \
             allow list is empty",
            names.join(", ")
        ),
    })
}

/// The first `max` items and how many there were in all.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Capped<T> {
    items: Vec<T>,
    count: u64,
    max: usize,
}

impl<T> Capped<T> {
    fn new(max: usize) -> Capped<T> {
        Capped {
            items: vec![],
            count: 0,
            max,
        }
    }

    /// Counts an item and keeps it when there is room; `make` is called only then.
    fn push(&mut self, make: impl FnOnce() -> T) {
        self.count += 1;
        if self.items.len() < self.max {
            self.items.push(make());
        }
    }
}
