//! keywarden-webauthn's integration tests, in one binary: recorded registration and sign-in vectors from
//! `../shared/vectors`, FIDO metadata files from `../shared/data/aaguid`, full ceremonies with a software
//! authenticator written here, and property tests of every parser of untrusted bytes.

mod authentication_vectors;
mod ceremony;
mod metadata;
mod properties;
mod registration_vectors;
mod support;
