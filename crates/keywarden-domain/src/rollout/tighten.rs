//! Tightening a passkey profile (the playbook's rollout step 4): allow-list exactly the authenticator models the
//! profile's users actually registered, so the profile moves from "register anything" to "register only
//! known-good authenticators" without locking anyone out retroactively.
//!
//! An [`Observation`] is fed every user; the models it proposes are the AAGUIDs of passkeys that the profile
//! accepts today among the users it applies to. The all-zero AAGUID (what browsers send when attestation is not
//! asked for) names no model and cannot be allow-listed: it is shown, left off, and its passkeys are among those a
//! what-if of the proposal reports as stopping to work. Who would lose a credential is the what-if's answer
//! (see [`super::what_if`]), since another profile may still accept a passkey this one stops accepting.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Subject;
use crate::audit::ModifiedProperty;
use crate::diagnosis::{ProfileRef, ProfileView, profile_view};
use crate::ids::Aaguid;
use crate::metadata::Catalog;
use crate::policy::evaluate::{Candidate, applicable_profiles, denials};
use crate::policy::{
    AttestationEnforcement, EnforcementType, KeyRestrictions, PasskeyProfile, PasskeyType, PasskeyTypes, Policy, diff,
};

/// One authenticator model seen among the profile's users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedModel {
    pub aaguid: Aaguid,
    /// The model's name from the FIDO metadata or the name list, else the one recorded at registration.
    pub name: Option<String>,
    pub passkeys: u64,
    pub users: u64,
    pub passkey_types: PasskeyTypes,
    /// Whether the model is on the proposed allow list.
    pub proposed: bool,
    /// Why it is not, when it is not.
    pub note: Option<String>,
}

impl ObservedModel {
    /// `YubiKey 5 (ee882879-...)`, or the bare AAGUID.
    pub fn label(&self) -> String {
        self.aaguid.labelled(self.name.as_deref())
    }
}

/// What tightening a profile would change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    pub profile: ProfileRef,
    /// Users the profile applies to today.
    pub users: u64,
    /// Of those, users holding at least one passkey.
    pub users_with_passkeys: u64,
    /// Models seen among the profile's users, most passkeys first.
    pub observed: Vec<ObservedModel>,
    /// What the profile accepts today.
    pub current: ProfileView,
    /// What it would accept once tightened; `None` when nothing can be proposed.
    pub proposed: Option<ProfileView>,
    /// The policy properties that would change (as the audit event of applying it would record them).
    pub changes: Vec<ModifiedProperty>,
    pub notes: Vec<String>,
}

/// A proposal and the policy that applying it would save (`None` when nothing can be proposed or nothing changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tightening {
    pub proposal: Proposal,
    pub policy: Option<Policy>,
}

#[derive(Debug, Default)]
struct Seen {
    name: Option<String>,
    passkeys: u64,
    users: u64,
    types: PasskeyTypes,
    accepted: bool,
    refusal: Option<String>,
}

/// Collects the models the profile's users hold; see the module documentation.
pub struct Observation<'a> {
    policy: &'a Policy,
    profile: &'a PasskeyProfile,
    catalog: &'a Catalog,
    users: u64,
    users_with_passkeys: u64,
    seen: BTreeMap<Aaguid, Seen>,
}

impl<'a> Observation<'a> {
    /// `None` when `profile` (an id, or a name compared case-insensitively) names no profile of the policy.
    pub fn new(policy: &'a Policy, profile: &str, catalog: &'a Catalog) -> Option<Observation<'a>> {
        let fido2 = &policy.fido2;
        let profile = fido2.profile(profile).or_else(|| {
            fido2
                .passkey_profiles
                .iter()
                .find(|p| p.name.trim().eq_ignore_ascii_case(profile.trim()))
        })?;
        Some(Observation {
            policy,
            profile,
            catalog,
            users: 0,
            users_with_passkeys: 0,
            seen: BTreeMap::new(),
        })
    }

    /// A user: counted when the profile applies to them, with their passkeys.
    pub fn user(&mut self, subject: &Subject) {
        let applies = applicable_profiles(&self.policy.fido2, subject.member())
            .iter()
            .any(|p| p.id == self.profile.id);
        if !applies {
            return;
        }
        self.users += 1;
        if subject.passkeys.is_empty() {
            return;
        }
        self.users_with_passkeys += 1;
        let mut counted = BTreeSet::new();
        for passkey in &subject.passkeys {
            let candidate = Candidate {
                aaguid: passkey.aaguid,
                passkey_type: passkey.passkey_type,
                attestation: None,
            };
            let refused = denials(self.profile, &candidate, self.catalog.entry(&passkey.aaguid));
            let seen = self.seen.entry(passkey.aaguid).or_default();
            seen.passkeys += 1;
            if counted.insert(passkey.aaguid) {
                seen.users += 1;
            }
            match passkey.passkey_type {
                PasskeyType::DeviceBound => seen.types.device_bound = true,
                PasskeyType::Synced => seen.types.synced = true,
            }
            if seen.name.is_none() {
                seen.name = self
                    .catalog
                    .name(&passkey.aaguid)
                    .map(str::to_string)
                    .or_else(|| passkey.model.clone());
            }
            match refused.first() {
                None => seen.accepted = true,
                Some(denial) => {
                    seen.refusal.get_or_insert_with(|| denial.describe(self.profile));
                }
            }
        }
    }

    pub fn finish(self) -> Tightening {
        let mut notes = Vec::new();
        let mut observed: Vec<ObservedModel> = self
            .seen
            .into_iter()
            .map(|(aaguid, seen)| {
                let (proposed, note) = if aaguid.is_zero() {
                    (
                        false,
                        Some(
                            "the all-zero AAGUID names no model: the browser hid it (attestation was not asked for) \
                             or the authenticator reports none; an allow list cannot name it"
                                .to_string(),
                        ),
                    )
                } else if seen.accepted {
                    (true, None)
                } else {
                    (
                        false,
                        Some(format!(
                            "the profile refuses these passkeys today: {}",
                            seen.refusal.unwrap_or_default()
                        )),
                    )
                };
                ObservedModel {
                    aaguid,
                    name: seen.name,
                    passkeys: seen.passkeys,
                    users: seen.users,
                    passkey_types: seen.types,
                    proposed,
                    note,
                }
            })
            .collect();
        observed.sort_by(|a, b| b.passkeys.cmp(&a.passkeys).then(a.aaguid.cmp(&b.aaguid)));

        if let Some(zero) = observed.iter().find(|m| m.aaguid.is_zero() && m.passkeys > 0) {
            notes.push(format!(
                "{} passkeys of {} users carry the all-zero AAGUID, which cannot be allow-listed: they would stop \
                 working at sign-in unless another profile accepts them. Ask these users to register again: keywarden \
                 asks for direct attestation whenever a profile enforces key restrictions, so the browser reports the \
                 model.",
                zero.passkeys, zero.users
            ));
        }
        let profile = self.profile;
        let restrictions = &profile.key_restrictions;
        if restrictions.is_enforced && restrictions.enforcement_type == EnforcementType::Block {
            notes.push(format!(
                "{}'s block list is replaced by an allow list; its blocked models stay refused because they are not \
                 on it",
                profile.name
            ));
        }
        if restrictions.is_enforced && !restrictions.authenticator_groups.is_empty() {
            let groups: Vec<&str> = restrictions.authenticator_groups.iter().map(|g| g.as_str()).collect();
            notes.push(format!(
                "the named authenticator groups ({}) are replaced by the models observed: a model that joins a group \
                 later is not added",
                groups.join(", ")
            ));
        }
        if profile.attestation_enforcement == AttestationEnforcement::Disabled {
            notes.push(format!(
                "{} does not enforce attestation, so an AAGUID is the authenticator's own claim: the allow list is \
                 guidance rather than a strict control until attestation is enforced",
                profile.name
            ));
        }

        let proposed_aaguids: Vec<Aaguid> = observed.iter().filter(|m| m.proposed).map(|m| m.aaguid).collect();
        let current = profile_view(profile, self.catalog);
        let reference = ProfileRef {
            id: profile.id.clone(),
            name: profile.name.clone(),
        };
        let mut proposal = Proposal {
            profile: reference,
            users: self.users,
            users_with_passkeys: self.users_with_passkeys,
            observed,
            current,
            proposed: None,
            changes: vec![],
            notes,
        };
        if proposed_aaguids.is_empty() {
            proposal.notes.push(format!(
                "nothing to propose: no passkey that {} accepts today carries an AAGUID that can be listed, and an \
                 allow list with nothing on it would refuse every passkey",
                profile.name
            ));
            return Tightening { proposal, policy: None };
        }
        let mut tightened = profile.clone();
        tightened.key_restrictions = KeyRestrictions {
            is_enforced: true,
            enforcement_type: EnforcementType::Allow,
            aa_guids: proposed_aaguids,
            authenticator_groups: vec![],
        };
        let mut policy = self.policy.clone();
        if let Some(slot) = policy.fido2.passkey_profiles.iter_mut().find(|p| p.id == profile.id) {
            *slot = tightened.clone();
        }
        proposal.proposed = Some(profile_view(&tightened, self.catalog));
        proposal.changes = diff(self.policy, &policy);
        if proposal.changes.is_empty() {
            proposal
                .notes
                .push(format!("{} already allow-lists exactly these models", profile.name));
            return Tightening { proposal, policy: None };
        }
        Tightening {
            proposal,
            policy: Some(policy),
        }
    }
}
