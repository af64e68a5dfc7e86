//! Ring status: for each ring (a group), how many users it holds, how many the passkey method targets, how many
//! hold a passkey that passes today's sign-in re-check, and how their registration attempts went.
//!
//! Targeted means covered by an include target of the passkey method and by no exclude target. Covered means
//! holding at least one passkey that today's policy accepts at sign-in (a phishing-resistant method), so a ring's
//! covered users are among its targeted users, who are among its members. Attempts are counted for the users who
//! are members today, by outcome and by failure code.

use std::collections::HashMap;

use serde::Serialize;

use super::Subject;
use crate::codes::Code;
use crate::diagnosis::ProfileRef;
use crate::ids::GroupId;
use crate::metadata::Catalog;
use crate::policy::evaluate::applicable_profiles;
use crate::policy::{ALL_USERS, Fido2Configuration, State, TargetType};
use crate::registration::Status as AttemptStatus;

/// A ring: a group of the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    pub id: GroupId,
    pub display_name: String,
}

/// Registration attempts of one outcome, as the store counts them: per ring (`None` for all users), status and
/// failure code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptCount {
    pub ring: Option<GroupId>,
    pub status: AttemptStatus,
    pub outcome: Option<Code>,
    pub attempts: u64,
}

/// Attempts with one failure code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CodeCount {
    pub code: Code,
    pub attempts: u64,
}

/// A ring's registration attempts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempts {
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Begun and not finished (still running, or abandoned in the browser without a report).
    pub open: u64,
    /// Failed attempts per code, most frequent first.
    pub failure_codes: Vec<CodeCount>,
}

impl Attempts {
    fn add(&mut self, count: &AttemptCount) {
        self.total += count.attempts;
        match count.status {
            AttemptStatus::Succeeded => self.succeeded += count.attempts,
            AttemptStatus::Open => self.open += count.attempts,
            AttemptStatus::Failed => {
                self.failed += count.attempts;
                if let Some(code) = count.outcome {
                    match self.failure_codes.iter_mut().find(|c| c.code == code) {
                        Some(known) => known.attempts += count.attempts,
                        None => self.failure_codes.push(CodeCount {
                            code,
                            attempts: count.attempts,
                        }),
                    }
                }
            }
        }
    }

    fn sort(&mut self) {
        self.failure_codes
            .sort_by(|a, b| b.attempts.cmp(&a.attempts).then(a.code.cmp(&b.code)));
    }

    /// `aaguid_not_allowed ×3, user_excluded ×1`.
    pub fn codes_text(&self) -> String {
        let codes: Vec<String> = self
            .failure_codes
            .iter()
            .map(|c| format!("{} ×{}", c.code.as_str(), c.attempts))
            .collect();
        codes.join(", ")
    }
}

/// How the passkey method's targets name a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Targeting {
    /// An include target names the group.
    Included,
    /// No target names the group, but the all-users include target covers its members.
    AllUsers,
    /// An exclude target names the group: its members can neither register nor sign in with passkeys.
    Excluded,
    /// No target names the group; members are targeted only through other groups.
    NotTargeted,
    /// The whole directory when no all-users target exists: users are targeted through their groups.
    ThroughGroups,
}

impl Targeting {
    pub fn label(self) -> &'static str {
        match self {
            Targeting::Included => "included",
            Targeting::AllUsers => "all users",
            Targeting::Excluded => "excluded",
            Targeting::NotTargeted => "not targeted",
            Targeting::ThroughGroups => "through groups",
        }
    }
}

/// One ring's status (or the whole directory's).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RingStatus {
    /// The group's id; `all_users` for the whole directory.
    pub id: String,
    pub display_name: String,
    pub targeting: Targeting,
    /// The passkey profiles that targets naming this ring (or all users) allow.
    pub profiles: Vec<ProfileRef>,
    pub members: u64,
    pub targeted: u64,
    /// Members holding a passkey that passes today's sign-in re-check.
    pub covered: u64,
    /// Members holding passkeys, none of which today's policy accepts at sign-in.
    pub refused: u64,
    /// `covered / members`, from 0 to 1 (0 for an empty ring).
    pub coverage: f64,
    pub attempts: Attempts,
}

/// The rollout: every ring, then the whole directory.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// The passkey method's state: while it is disabled, targeted users cannot register.
    pub method_state: State,
    #[serde(rename = "value")]
    pub rings: Vec<RingStatus>,
    pub all_users: RingStatus,
}

#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    members: u64,
    targeted: u64,
    covered: u64,
    refused: u64,
}

/// Collects ring status from streamed users and the store's attempt counts.
pub struct Tally<'a> {
    fido2: &'a Fido2Configuration,
    catalog: &'a Catalog,
    rings: Vec<(Ring, Counts, Attempts)>,
    index: HashMap<GroupId, usize>,
    all: (Counts, Attempts),
}

impl<'a> Tally<'a> {
    /// `rings` in the order the report lists them.
    pub fn new(fido2: &'a Fido2Configuration, catalog: &'a Catalog, rings: Vec<Ring>) -> Tally<'a> {
        let index = rings.iter().enumerate().map(|(i, ring)| (ring.id, i)).collect();
        Tally {
            fido2,
            catalog,
            rings: rings
                .into_iter()
                .map(|ring| (ring, Counts::default(), Attempts::default()))
                .collect(),
            index,
            all: Default::default(),
        }
    }

    /// A user: counted in every ring they belong to, and in the whole directory.
    pub fn user(&mut self, subject: &Subject) {
        let targeted = !applicable_profiles(self.fido2, subject.member()).is_empty();
        let covered = subject.holds_accepted_passkey(self.fido2, self.catalog);
        let refused = !covered && !subject.passkeys.is_empty();
        let add = |counts: &mut Counts| {
            counts.members += 1;
            counts.targeted += u64::from(targeted);
            counts.covered += u64::from(covered);
            counts.refused += u64::from(refused);
        };
        add(&mut self.all.0);
        for group in &subject.groups {
            if let Some(&i) = self.index.get(group) {
                add(&mut self.rings[i].1);
            }
        }
    }

    /// The store's attempt counts; counts for groups that are not rings are ignored.
    pub fn attempts(&mut self, counts: impl IntoIterator<Item = AttemptCount>) {
        for count in counts {
            match count.ring {
                None => self.all.1.add(&count),
                Some(group) => {
                    if let Some(&i) = self.index.get(&group) {
                        self.rings[i].2.add(&count);
                    }
                }
            }
        }
    }

    fn targeting(&self, id: &str) -> Targeting {
        let fido2 = self.fido2;
        let excluded = fido2
            .exclude_targets
            .iter()
            .any(|t| t.target_type == TargetType::Group && t.id.eq_ignore_ascii_case(id));
        if excluded {
            Targeting::Excluded
        } else if fido2.include_targets.iter().any(|t| t.id.eq_ignore_ascii_case(id)) {
            Targeting::Included
        } else if fido2.include_targets.iter().any(|t| t.id == ALL_USERS) {
            Targeting::AllUsers
        } else if id == ALL_USERS && !fido2.include_targets.is_empty() {
            Targeting::ThroughGroups
        } else {
            Targeting::NotTargeted
        }
    }

    /// The profiles the include targets naming `id` (and all users) allow, each once.
    fn profiles(&self, id: &str) -> Vec<ProfileRef> {
        let mut profiles: Vec<ProfileRef> = Vec::new();
        if self.targeting(id) == Targeting::Excluded {
            return profiles;
        }
        for target in &self.fido2.include_targets {
            if !(target.id.eq_ignore_ascii_case(id) || target.id == ALL_USERS) {
                continue;
            }
            let allowed = if target.allowed_passkey_profiles.is_empty() {
                std::slice::from_ref(&self.fido2.default_passkey_profile)
            } else {
                &target.allowed_passkey_profiles[..]
            };
            for profile in allowed.iter().filter_map(|p| self.fido2.profile(p)) {
                if !profiles.iter().any(|known| known.id == profile.id) {
                    profiles.push(ProfileRef {
                        id: profile.id.clone(),
                        name: profile.name.clone(),
                    });
                }
            }
        }
        profiles
    }

    fn status(&self, id: String, display_name: String, counts: Counts, mut attempts: Attempts) -> RingStatus {
        attempts.sort();
        RingStatus {
            targeting: self.targeting(&id),
            profiles: self.profiles(&id),
            id,
            display_name,
            members: counts.members,
            targeted: counts.targeted,
            covered: counts.covered,
            refused: counts.refused,
            coverage: share(counts.covered, counts.members),
            attempts,
        }
    }

    pub fn finish(self) -> RolloutStatus {
        let rings = self
            .rings
            .iter()
            .map(|(ring, counts, attempts)| {
                self.status(
                    ring.id.to_string(),
                    ring.display_name.clone(),
                    *counts,
                    attempts.clone(),
                )
            })
            .collect();
        let all_users = self.status(ALL_USERS.into(), "All users".into(), self.all.0, self.all.1.clone());
        RolloutStatus {
            method_state: self.fido2.state,
            rings,
            all_users,
        }
    }
}

/// `part / whole` between 0 and 1; 0 when `whole` is 0.
pub fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).clamp(0.0, 1.0)
    }
}
