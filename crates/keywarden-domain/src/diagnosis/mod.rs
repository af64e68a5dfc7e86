//! The help desk's diagnosis: the playbook's four-question decision tree walked for one user, either "now" (can
//! this user register a passkey, and with what?) or for one recorded attempt (why did it fail, and what would
//! today's policy say?), plus the effective policy explained for a user.
//!
//! Everything here is computed from values the caller gathers (user, groups, policy versions, methods, attempts,
//! FIDO metadata, `now`); nothing is read or written. Question 3 is refined by the knowledge base of platform
//! failure modes in [`knowledge`]; `keywarden-present` turns the results into text for people.
//!
//! The rooms: `input` (what the caller gathers), `view` (the serialized results and the names people read),
//! `fixes` (the wording of every fix), `steps` (each question's answer as a step, shared by both walks), `now` and
//! `attempt` (the two walks) and `explain` (the effective policy). Every public item is re-exported here, so
//! callers name `diagnosis::X` and never the room it lives in.

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod knowledge;

mod attempt;
mod explain;
mod fixes;
mod input;
mod now;
mod steps;
mod view;

#[cfg(test)]
mod tests;

pub use attempt::diagnose_attempt;
pub use explain::{AccessPassScope, Explanation, explain};
pub use input::{AttemptRecord, Directory, Methods, PolicyInForce};
pub use knowledge::{FailureMode, Observation};
pub use now::diagnose_now;
pub use view::attestation_phrase;
pub use view::{
    AcceptanceView, AccessPassView, Action, AuthenticatorName, AuthenticatorView, Diagnosis, EligibilityView, Failure,
    Fix, GroupRef, MatchedMode, PlatformView, ProfileRef, ProfileView, RestrictionsView, Status, Step, StepEvidence,
    Subject, TargetView, Today, UserRef, VerificationView, client_platform, method_list, profile_view,
};
