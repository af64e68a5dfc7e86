//! keywarden's only door to webauthn-rs-core: creation and request options, verification of registration and
//! sign-in responses, and the FIDO metadata that attestation trust is judged against.
//!
//! Responses become [`keywarden_domain::registration::Facts`]; nothing outside this crate sees webauthn-rs types.
//! Policy is not decided here: this crate says what the authenticator proved, the domain says whether that is enough.

mod attestation;
mod encoding;
mod error;
pub mod metadata;
mod offline;
mod options;
mod registration;
mod relying_party;
mod response;
mod sign_in;

pub use error::{ConfigError, Error, Rejection};
pub use offline::{OfflineAssertionOptions, OfflineOptions, verify_assertion_offline, verify_offline};
pub use relying_party::{
    Conveyance, CredentialFlags, PendingCeremony, RegistrationRequest, RelyingParty, StoredCredential,
    VerifiedAssertion, VerifiedRegistration,
};
pub use sign_in::peek_assertion;
