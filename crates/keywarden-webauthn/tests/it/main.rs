//! keywarden-webauthn's integration tests, in one binary: recorded registration and sign-in vectors from
//! `../shared/vectors`, FIDO metadata files from `../shared/data/aaguid`, and full ceremonies with a software
//! authenticator written here.

mod authentication_vectors;
mod ceremony;
mod metadata;
mod registration_vectors;
mod support;
