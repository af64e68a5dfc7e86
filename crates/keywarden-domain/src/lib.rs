//! keywarden's pure core: the rules of passkey registration governance as values and functions.
//!
//! Every decision here is computed from its inputs (policy, facts, `now`): this crate does no IO,
//! reads no clock, draws no randomness and knows nothing of HTTP, SQL or webauthn-rs.

pub mod access;
pub mod access_pass;
pub mod audit;
pub mod codes;
pub mod diagnosis;
pub mod directory;
pub mod ids;
pub mod instant;
pub mod metadata;
pub mod passkey;
pub mod platform;
pub mod policy;
#[cfg(test)]
mod properties;
pub mod registration;
pub mod reports;
pub mod rollout;
pub mod session;
pub mod strength;
pub mod verification;

pub use codes::{Code, Question};
pub use ids::{Aaguid, AttemptId, GroupId, MethodId, UserId};
