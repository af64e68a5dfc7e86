//! keywarden's test support, shared by integration tests and the load generator: a software WebAuthn
//! authenticator that speaks the JSON wire format (with a throw-away attestation CA and response tampering for
//! negative tests), and a throw-away PostgreSQL cluster.
//!
//! It is a normal library so that the load generator can use it outside `cfg(test)`. It depends on
//! `keywarden-domain` only, and checks the server from the outside, as a browser and a test harness would.
//!
//! ```
//! use std::sync::Arc;
//! use keywarden_testkit::{Attestation, SoftAuthenticator, TestCa};
//!
//! let ca = Arc::new(TestCa::generate("Example Root")); // trust ca.root_der(), e.g. via metadata_entry()
//! let aaguid = "ee882879-721c-4913-9775-3dfcce97072a".parse().expect("a valid AAGUID");
//! let mut authenticator = SoftAuthenticator::new(aaguid).backup(true, false).attestation(Attestation::Packed(ca));
//!
//! // What the server's begin-registration call returned as `publicKey`:
//! let options = serde_json::json!({
//!     "rp": { "id": "localhost", "name": "keywarden" },
//!     "user": { "id": "AQID", "name": "alice", "displayName": "Alice" },
//!     "challenge": "c2VydmVyIGNoYWxsZW5nZQ",
//!     "pubKeyCredParams": [{ "type": "public-key", "alg": -7 }],
//! });
//! let registration = authenticator.register(&options, "http://localhost:8080")?; // POST it to finish
//!
//! let request = serde_json::json!({ "challenge": "YW5vdGhlciBvbmU", "rpId": "localhost", "allowCredentials": [] });
//! let assertion = authenticator.sign_in(&request, "http://localhost:8080")?;
//! assert_eq!(assertion["response"]["userHandle"], "AQID");
//!
//! // Negative tests start from a valid response:
//! let wrong_origin = keywarden_testkit::tamper::origin(&registration, "https://evil.test");
//! # let _ = wrong_origin;
//! # Ok::<(), keywarden_testkit::SoftError>(())
//! ```
//!
//! ```no_run
//! // In a test that needs PostgreSQL (one cluster per test process, a new database per call):
//! let Some(cluster) = keywarden_testkit::postgres::cluster() else {
//!     return; // cluster() printed why; REQUIRE_POSTGRES=1 makes this a failure instead
//! };
//! let url = cluster.fresh_database(); // postgres://postgres@localhost/t_<uuid>?host=/tmp/...&port=5432
//! # let _ = url;
//! ```

mod authenticator;
mod ca;
mod cbor;
pub mod postgres;
pub mod tamper;

pub use authenticator::{Attestation, ES256, SoftAuthenticator, SoftError, flags};
pub use ca::{TestCa, metadata_entry};

use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};

/// base64url without padding, as the WebAuthn JSON encoding writes it.
pub(crate) const B64: GeneralPurpose = URL_SAFE_NO_PAD;

/// base64url with or without padding, for reading options written by any relying party.
pub(crate) const B64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
