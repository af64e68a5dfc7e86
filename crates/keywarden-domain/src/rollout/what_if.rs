//! What-if: a proposed policy judged against today's users and passkeys before it is saved (practitioner gap 3).
//!
//! For every user, each passkey is re-checked at sign-in under the policy in force and under the proposal (method
//! state, account, exclusion, scope, passkey type and key restrictions; attestation is not re-checked, as in
//! Entra), and the user's ability to register is judged under both (question 1 for self-service, and whether an
//! applicable profile accepts any authenticator). The answer is three lists: passkeys that would stop working at
//! sign-in, users who would lose the ability to register, users who would gain it; each with the reason.

use serde::Serialize;

use super::{Capped, DEFAULT_MAX_LISTED, PasskeyRef, Refusal, Subject, registration_refusal};
use crate::audit::ModifiedProperty;
use crate::codes::Code;
use crate::metadata::Catalog;
use crate::policy::{Policy, diff};
use crate::reports::UserRef;

/// A passkey that works today and would not under the proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialChange {
    pub user: UserRef,
    pub passkey: PasskeyRef,
    /// The profile that accepts it today.
    pub accepted_today_by: String,
    /// Why the proposal refuses it.
    pub code: Code,
    pub reason: String,
}

/// A user whose ability to register a passkey would change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationChange {
    pub user: UserRef,
    /// For a user who would lose it: what refuses them under the proposal. For a user who would gain it: what
    /// refuses them today.
    pub code: Code,
    pub reason: String,
}

/// Complete counts (the lists are capped).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub users: u64,
    pub passkeys: u64,
    pub credentials_stop_working: u64,
    /// Users holding at least one passkey that would stop working.
    pub users_losing_credentials: u64,
    /// Users left with no working passkey at all (they had one).
    pub users_left_without_passkey: u64,
    /// Passkeys refused today that the proposal would accept.
    pub credentials_start_working: u64,
    pub users_lose_registration: u64,
    pub users_gain_registration: u64,
}

/// The effect of a proposed policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhatIf {
    /// The policy properties the proposal changes.
    pub changes: Vec<ModifiedProperty>,
    pub summary: Summary,
    pub credentials_stop_working: Vec<CredentialChange>,
    pub users_lose_registration: Vec<RegistrationChange>,
    pub users_gain_registration: Vec<RegistrationChange>,
    /// What the comparison does not judge, when the proposal touches it.
    pub notes: Vec<String>,
    /// How many items each list holds at most.
    pub max_listed: usize,
}

/// Compares two policies user by user; see the module documentation.
pub struct Comparison<'a> {
    today: &'a Policy,
    proposed: &'a Policy,
    catalog: &'a Catalog,
    summary: Summary,
    stop: Capped<CredentialChange>,
    lose: Capped<RegistrationChange>,
    gain: Capped<RegistrationChange>,
}

impl<'a> Comparison<'a> {
    pub fn new(today: &'a Policy, proposed: &'a Policy, catalog: &'a Catalog, max_listed: usize) -> Comparison<'a> {
        Comparison {
            today,
            proposed,
            catalog,
            summary: Summary::default(),
            stop: Capped::new(max_listed),
            lose: Capped::new(max_listed),
            gain: Capped::new(max_listed),
        }
    }

    /// With the default list size.
    pub fn with_defaults(today: &'a Policy, proposed: &'a Policy, catalog: &'a Catalog) -> Comparison<'a> {
        Comparison::new(today, proposed, catalog, DEFAULT_MAX_LISTED)
    }

    pub fn user(&mut self, subject: &Subject) {
        self.summary.users += 1;
        self.summary.passkeys += subject.passkeys.len() as u64;
        let (today, proposed) = (&self.today.fido2, &self.proposed.fido2);
        let mut lost = 0;
        let mut working_after = 0;
        for ((passkey, before), (_, after)) in subject
            .rechecks(today, self.catalog)
            .zip(subject.rechecks(proposed, self.catalog))
        {
            working_after += u64::from(after.is_ok());
            match (before, after) {
                (Ok(profile), Err(refusal)) => {
                    lost += 1;
                    self.stop.push(|| {
                        let refusal = Refusal::of_sign_in(&refusal);
                        CredentialChange {
                            user: subject.reference(),
                            passkey: PasskeyRef::new(passkey, self.catalog),
                            accepted_today_by: today.profile(&profile).map(|p| p.name.clone()).unwrap_or(profile),
                            code: refusal.code,
                            reason: refusal.reason,
                        }
                    });
                }
                (Err(_), Ok(_)) => self.summary.credentials_start_working += 1,
                _ => {}
            }
        }
        if lost > 0 {
            self.summary.users_losing_credentials += 1;
            if working_after == 0 {
                self.summary.users_left_without_passkey += 1;
            }
        }
        let member = subject.member();
        match (
            registration_refusal(today, member),
            registration_refusal(proposed, member),
        ) {
            (None, Some(refusal)) => self.lose.push(|| RegistrationChange {
                user: subject.reference(),
                code: refusal.code,
                reason: refusal.reason,
            }),
            (Some(refusal), None) => self.gain.push(|| RegistrationChange {
                user: subject.reference(),
                code: refusal.code,
                reason: refusal.reason,
            }),
            _ => {}
        }
    }

    pub fn finish(self) -> WhatIf {
        let mut summary = self.summary;
        summary.credentials_stop_working = self.stop.count;
        summary.users_lose_registration = self.lose.count;
        summary.users_gain_registration = self.gain.count;
        let mut notes = Vec::new();
        if self.today.temporary_access_pass != self.proposed.temporary_access_pass {
            notes.push(
                "the Temporary Access Pass configuration changes too: who may bootstrap with a pass is not judged here"
                    .to_string(),
            );
        }
        let attestation = |policy: &Policy| {
            let mut pairs: Vec<(String, crate::policy::AttestationEnforcement, bool)> = policy
                .fido2
                .passkey_profiles
                .iter()
                .map(|p| {
                    (
                        p.id.clone(),
                        p.attestation_enforcement,
                        p.is_sha1_tpm_attestation_allowed,
                    )
                })
                .collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            pairs
        };
        if attestation(self.today) != attestation(self.proposed) {
            notes.push(
                "attestation settings change: attestation is checked only at registration (Entra's registrationOnly), \
                 so registered passkeys keep working and only new registrations are judged by them"
                    .to_string(),
            );
        }
        WhatIf {
            changes: diff(self.today, self.proposed),
            summary,
            credentials_stop_working: self.stop.items,
            users_lose_registration: self.lose.items,
            users_gain_registration: self.gain.items,
            notes,
            max_listed: self.stop.max,
        }
    }
}
