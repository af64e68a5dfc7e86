//! keywarden-testkit's integration tests: webauthn-rs-core 0.6.2, the verifier the server uses, accepts what the
//! software authenticator emits and rejects what `tamper` breaks; the PostgreSQL cluster hands out databases
//! that sqlx connects to.

mod postgres;
mod registration;
mod support;
mod tamper;
