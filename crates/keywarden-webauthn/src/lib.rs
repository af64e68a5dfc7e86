//! keywarden's only door to webauthn-rs-core: creation and request options, verification of registration and
//! sign-in responses, and the FIDO metadata that attestation trust is judged against.
//!
//! Responses become [`keywarden_domain::registration::Facts`]; nothing outside this crate sees webauthn-rs types.
//! Policy is not decided here: this crate says what the authenticator proved, the domain says whether that is enough.
