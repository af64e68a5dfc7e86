//! A relying party built on webauthn-rs-core that exchanges the JSON a browser would, as the server does.

use std::time::Duration;

use keywarden_domain::Aaguid;
use keywarden_testkit::TestCa;
use serde_json::Value;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{
    AttestationCaList, AttestationCaListBuilder, AttestationConveyancePreference, AuthenticationResult,
    AuthenticationState, Credential, PublicKeyCredential, RegisterPublicKeyCredential, RegistrationState,
    UserVerificationPolicy,
};

pub(crate) const RP_ID: &str = "example.test";
pub(crate) const ORIGIN: &str = "https://example.test";
pub(crate) const USER_ID: [u8; 16] = [7; 16];
pub(crate) const AAGUID: Aaguid = Aaguid(uuid::uuid!("ee882879-721c-4913-9775-3dfcce97072a"));

/// Why the relying party refused a response: it did not deserialize, or webauthn-rs-core rejected it.
#[derive(Debug)]
pub(crate) enum Rejection {
    Json(#[allow(dead_code)] serde_json::Error),
    Webauthn(WebauthnError),
}

pub(crate) struct Rp {
    core: WebauthnCore,
}

impl Rp {
    pub(crate) fn new() -> Rp {
        let origin = url::Url::parse(ORIGIN).expect("a static origin parses");
        Rp {
            core: WebauthnCore::new_unsafe_experts_only(
                "Example",
                RP_ID,
                vec![origin],
                Duration::from_secs(60),
                None,
                None,
            ),
        }
    }

    /// Creation options as the browser receives them (the `publicKey` member), and the state to finish with.
    pub(crate) fn begin_registration(
        &self,
        uv: UserVerificationPolicy,
        exclude: Option<Vec<Vec<u8>>>,
    ) -> (Value, RegistrationState) {
        let builder = self
            .core
            .new_challenge_register_builder(&USER_ID, "alice", "Alice")
            .expect("static user details are valid")
            .attestation(AttestationConveyancePreference::Direct)
            .user_verification_policy(uv)
            .exclude_credentials(exclude);
        let (ccr, state) = self
            .core
            .generate_challenge_register(builder)
            .expect("a challenge is generated");
        let options = serde_json::to_value(&ccr).expect("options serialize")["publicKey"].clone();
        (options, state)
    }

    pub(crate) fn finish_registration(
        &self,
        response: &Value,
        state: &RegistrationState,
        cas: Option<&AttestationCaList>,
    ) -> Result<Credential, Rejection> {
        let response: RegisterPublicKeyCredential =
            serde_json::from_value(response.clone()).map_err(Rejection::Json)?;
        self.core
            .register_credential(&response, state, cas)
            .map_err(Rejection::Webauthn)
    }

    /// Request options for `credentials` (empty: a discoverable login).
    pub(crate) fn begin_authentication(
        &self,
        credentials: Vec<Credential>,
        uv: UserVerificationPolicy,
    ) -> (Value, AuthenticationState) {
        let builder = self
            .core
            .new_challenge_authenticate_builder(credentials, Some(uv))
            .expect("builder");
        let (rcr, state) = self
            .core
            .generate_challenge_authenticate(builder)
            .expect("a challenge is generated");
        let options = serde_json::to_value(&rcr).expect("options serialize")["publicKey"].clone();
        (options, state)
    }

    pub(crate) fn finish_authentication(
        &self,
        response: &Value,
        state: &AuthenticationState,
    ) -> Result<AuthenticationResult, Rejection> {
        let response: PublicKeyCredential = serde_json::from_value(response.clone()).map_err(Rejection::Json)?;
        self.core
            .authenticate_credential(&response, state)
            .map_err(Rejection::Webauthn)
    }
}

/// A trust list holding `ca` as the root for `aaguid`.
pub(crate) fn ca_list(ca: &TestCa, aaguid: Aaguid) -> AttestationCaList {
    let mut builder = AttestationCaListBuilder::new();
    builder
        .insert_device_der(
            ca.root_der(),
            aaguid.0,
            "Test authenticator".to_string(),
            Default::default(),
        )
        .expect("the test root is valid DER");
    builder.build()
}
