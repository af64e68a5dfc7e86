//! What the caller gathers for a diagnosis: the user and their groups, the policy version in force, the user's
//! sign-in methods and their recorded attempts. The diagnosis reads nothing itself: the server (or a test) fills
//! these in.

use std::collections::{BTreeMap, BTreeSet};

use time::{Duration, OffsetDateTime};

use crate::access_pass::AccessPass;
use crate::codes::Code;
use crate::directory::User;
use crate::ids::{AttemptId, GroupId};
use crate::passkey::Passkey;
use crate::platform::ClientReport;
use crate::policy::Policy;
use crate::policy::evaluate::{Member, RegistrationPath};
use crate::registration::{Evidence, Facts, Status as AttemptStatus};

/// The user and their place in the directory.
#[derive(Clone, Copy, Debug)]
pub struct Directory<'a> {
    pub user: &'a User,
    pub memberships: &'a BTreeSet<GroupId>,
    /// Display names of the user's groups and of every group the policies name (missing ones show as ids).
    pub group_names: &'a BTreeMap<GroupId, String>,
}

impl Directory<'_> {
    pub(super) fn member(&self) -> Member<'_> {
        Member {
            user: self.user,
            groups: self.memberships,
        }
    }
}

/// A version of the policy, with the registration window that goes with it (the policy's, else the deployment's).
#[derive(Clone, Copy, Debug)]
pub struct PolicyInForce<'a> {
    pub version: i64,
    pub policy: &'a Policy,
    pub window: Duration,
}

/// The user's sign-in methods, for question 2 "now": could they prove who they are?
#[derive(Clone, Copy, Debug, Default)]
pub struct Methods<'a> {
    /// A TOTP code is a second factor: it counts only after a password.
    pub has_password: bool,
    pub totp: bool,
    pub passkeys: &'a [Passkey],
    pub access_pass: Option<&'a AccessPass>,
}

/// A recorded registration attempt, as the diagnosis reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub id: AttemptId,
    pub started_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub status: AttemptStatus,
    pub outcome: Option<Code>,
    pub policy_version: i64,
    pub on_behalf: bool,
    pub evidence: Evidence,
    pub facts: Option<Facts>,
    pub client_report: Option<ClientReport>,
    /// The user agent of the request that began the attempt.
    pub user_agent: Option<String>,
}

impl AttemptRecord {
    pub(super) fn path(&self) -> RegistrationPath {
        if self.on_behalf {
            RegistrationPath::OnBehalf
        } else {
            RegistrationPath::SelfService
        }
    }

    pub(super) fn client(&self) -> Option<&ClientReport> {
        self.evidence
            .platform
            .as_ref()
            .and_then(|a| a.evidence.client.as_ref())
            .or(self.client_report.as_ref())
    }
}
