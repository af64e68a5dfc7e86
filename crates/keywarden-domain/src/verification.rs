//! Which strong methods a user can verify with now: one rule, asked by registration (question 2), sign-in
//! re-verification, the help desk's diagnosis, the rollout's readiness and the pages.
//!
//! Entra's model (entra-model.md 5.2): an authenticator app code is a second factor, satisfying multifactor
//! authentication only as `password, softwareOath`; a Temporary Access Pass and a passkey count on their own. So a
//! user who holds an authenticator app but no password cannot verify with it (keywarden's TOTP step follows a
//! password sign-in), and a pass or passkey counts only when today's policy lets it sign in.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use crate::access_pass::{AccessPass, UsabilityReason, usability};
use crate::ids::Aaguid;
use crate::metadata::Catalog;
use crate::policy::evaluate::{Member, access_pass_scope, sign_in_check};
use crate::policy::{PasskeyType, Policy};
use crate::session::Method;

/// What a user holds, as far as verifying goes.
#[derive(Clone, Copy, Debug)]
pub struct Held<'a> {
    pub has_password: bool,
    pub has_totp: bool,
    /// The user's passkeys: AAGUID and type, what today's sign-in re-check looks at.
    pub passkeys: &'a [(Aaguid, PasskeyType)],
    pub access_pass: Option<&'a AccessPass>,
}

/// The Temporary Access Pass a user holds, as the rule judged it now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassState {
    pub usable: bool,
    pub reason: UsabilityReason,
    /// Whether the TAP configuration's targets cover the user.
    pub in_scope: bool,
}

/// The answer: the strong methods the user can verify with, and the details the diagnosis shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usable {
    /// In Graph's spellings when serialized: `softwareOath`, `fido2`, `temporaryAccessPass`.
    pub methods: BTreeSet<Method>,
    /// How many of the user's passkeys today's policy accepts at sign-in.
    pub usable_passkeys: usize,
    pub access_pass: Option<PassState>,
}

/// Decides which strong methods `member` can verify with now, from what they hold (see the module's rule).
pub fn usable_strong_methods(
    policy: &Policy,
    member: Member<'_>,
    held: Held<'_>,
    catalog: &Catalog,
    now: OffsetDateTime,
) -> Usable {
    let mut methods = BTreeSet::new();
    if held.has_totp && held.has_password {
        methods.insert(Method::Totp);
    }
    let usable_passkeys = held
        .passkeys
        .iter()
        .filter(|(aaguid, passkey_type)| {
            sign_in_check(&policy.fido2, member, *aaguid, *passkey_type, catalog.entry(aaguid)).is_ok()
        })
        .count();
    if usable_passkeys > 0 {
        methods.insert(Method::Passkey);
    }
    let tap = &policy.temporary_access_pass;
    let access_pass = held.access_pass.map(|pass| {
        let in_scope = access_pass_scope(tap, member);
        let (usable, reason) = usability(pass, tap, in_scope, now);
        PassState {
            usable,
            reason,
            in_scope,
        }
    });
    if access_pass.is_some_and(|p| p.usable) {
        methods.insert(Method::TemporaryAccessPass);
    }
    Usable {
        methods,
        usable_passkeys,
        access_pass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::User;
    use crate::ids::MethodId;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

    fn usable(held: Held<'_>) -> BTreeSet<Method> {
        let user = User::alice();
        let groups = BTreeSet::new();
        let member = Member {
            user: &user,
            groups: &groups,
        };
        let mut policy = Policy::default();
        policy.fido2.state = crate::policy::State::Enabled;
        usable_strong_methods(&policy, member, held, &Catalog::default(), NOW).methods
    }

    const NOTHING: Held<'static> = Held {
        has_password: false,
        has_totp: false,
        passkeys: &[],
        access_pass: None,
    };

    #[test]
    fn an_authenticator_app_counts_only_after_a_password() {
        assert_eq!(
            usable(Held {
                has_totp: true,
                ..NOTHING
            }),
            BTreeSet::new()
        );
        assert_eq!(
            usable(Held {
                has_totp: true,
                has_password: true,
                ..NOTHING
            }),
            BTreeSet::from([Method::Totp])
        );
        assert_eq!(
            usable(Held {
                has_password: true,
                ..NOTHING
            }),
            BTreeSet::new(),
            "a password alone"
        );
    }

    #[test]
    fn a_pass_counts_while_it_is_usable() {
        let pass = AccessPass {
            id: MethodId(uuid::Uuid::from_u128(2)),
            user_id: User::alice().id,
            created_date_time: NOW,
            start_date_time: NOW,
            lifetime_in_minutes: 60,
            is_usable_once: true,
            used_date_time: None,
        };
        let held = |pass| Held {
            access_pass: Some(pass),
            ..NOTHING
        };
        assert_eq!(usable(held(&pass)), BTreeSet::from([Method::TemporaryAccessPass]));
        let used = AccessPass {
            used_date_time: Some(NOW),
            ..pass.clone()
        };
        assert_eq!(usable(held(&used)), BTreeSet::new(), "a one-time pass signs in once");
    }

    #[test]
    fn a_passkey_counts_when_todays_policy_accepts_it_at_sign_in() {
        let aaguid: Aaguid = "ee882879-721c-4913-9775-3dfcce97072a".parse().expect("aaguid");
        let passkeys = [(aaguid, PasskeyType::DeviceBound)];
        assert_eq!(
            usable(Held {
                passkeys: &passkeys,
                ..NOTHING
            }),
            BTreeSet::from([Method::Passkey])
        );
    }
}
