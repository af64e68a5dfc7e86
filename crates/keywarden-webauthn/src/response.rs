//! Reads a `RegistrationResponseJSON` into its parts before anything is verified: the attestation object (with
//! serde_cbor_2), the authenticator data (with webauthn-rs-core's parser), the exact COSE key bytes, and the
//! client data fields webauthn-rs-core cannot read on its own.
//!
//! Every failure here is `malformed_response`, except ids that disagree (`credential_id_mismatch`). Nothing is
//! trusted yet: signatures, challenge and origin are checked later.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_cbor_2::Value as Cbor;
use serde_json::Value;
use webauthn_rs_core::internals::AuthenticatorData;
use webauthn_rs_core::proto::{RegisterPublicKeyCredential, Registration};

use crate::encoding::{b64url_decode, clip, sha256};
use crate::error::Rejection;
use crate::options::KNOWN_TRANSPORTS;
use keywarden_domain::Code;

/// Fixed part of the authenticator data: rpIdHash (32), flags (1), signCount (4).
const AUTH_DATA_HEADER_LEN: usize = 37;
/// Attested credential data before the credential id: AAGUID (16) and the id length (2).
const ACD_HEADER_LEN: usize = 18;
/// The extension-data flag (ED) of the authenticator data.
const FLAG_EXTENSIONS: u8 = 0x80;

/// A registration response, decoded but not yet verified.
pub(crate) struct RegistrationResponse {
    /// The response as webauthn-rs-core reads it.
    pub(crate) credential: RegisterPublicKeyCredential,
    pub(crate) fmt: String,
    pub(crate) att_stmt: Cbor,
    pub(crate) auth_data: Vec<u8>,
    pub(crate) authenticator: AuthenticatorData<Registration>,
    pub(crate) credential_id: Vec<u8>,
    pub(crate) aaguid: [u8; 16],
    /// The credential public key exactly as the authenticator encoded it.
    pub(crate) cose_key: Vec<u8>,
    /// The COSE `alg` of the credential public key.
    pub(crate) algorithm: i64,
    /// SHA-256 of the original clientDataJSON bytes, which attestation signatures cover.
    pub(crate) client_data_hash: Vec<u8>,
    /// clientDataJSON without a `tokenBinding` member that is not an object (some old clients sent the string
    /// `"unused"`), for webauthn-rs-core to read; `None` when the original is fine.
    pub(crate) sanitised_client_data: Option<Vec<u8>>,
    /// The transports the browser reported, limited to WebAuthn's values.
    pub(crate) transports: Vec<String>,
}

/// The client data members verification depends on. serde refuses duplicate members here, so a clientDataJSON
/// that names its challenge or origin twice cannot be read two ways.
#[derive(Deserialize)]
struct ClientDataProbe {
    #[serde(rename = "type")]
    _type: String,
    #[serde(rename = "challenge")]
    _challenge: String,
    #[serde(rename = "origin")]
    _origin: String,
    #[serde(rename = "crossOrigin", default)]
    _cross_origin: Option<bool>,
    #[serde(rename = "tokenBinding", default)]
    token_binding: Option<Value>,
}

pub(crate) fn parse_registration(response: &Value) -> Result<RegistrationResponse, Rejection> {
    let credential: RegisterPublicKeyCredential = serde_json::from_value(response.clone()).map_err(|error| {
        Rejection::malformed(format!(
            "the response is not a RegistrationResponseJSON: {}",
            clip(&error.to_string(), 160)
        ))
    })?;
    if credential.type_ != "public-key" {
        return Err(Rejection::malformed("the credential type is not public-key"));
    }

    let client_data = &credential.response.client_data_json;
    let probe: ClientDataProbe = serde_json::from_slice(client_data).map_err(|error| {
        Rejection::malformed(format!(
            "clientDataJSON is not valid client data: {}",
            clip(&error.to_string(), 160)
        ))
    })?;
    let sanitised_client_data = match probe.token_binding {
        None | Some(Value::Null) | Some(Value::Object(_)) => None,
        Some(_) => Some(without_token_binding(client_data)?),
    };

    let (fmt, att_stmt, auth_data) = split_attestation_object(&credential.response.attestation_object)?;
    let authenticator = AuthenticatorData::<Registration>::try_from(auth_data.as_slice())
        .map_err(|_| Rejection::malformed("the authenticator data is malformed"))?;
    let Some(attested) = authenticator.acd.as_ref() else {
        return Err(Rejection::malformed(
            "the authenticator data carries no attested credential data",
        ));
    };
    let credential_id = attested.credential_id.clone();
    let aaguid = attested.aaguid;
    let cose_key = split_cose_key(&auth_data, credential_id.len())?;
    let algorithm = cose_algorithm(&attested.credential_pk)?;

    check_credential_ids(&credential, &credential_id)?;

    Ok(RegistrationResponse {
        transports: reported_transports(response),
        client_data_hash: sha256(client_data),
        credential,
        fmt,
        att_stmt,
        auth_data,
        authenticator,
        credential_id,
        aaguid,
        cose_key,
        algorithm,
        sanitised_client_data,
    })
}

/// `id` and `rawId` must both name the credential the authenticator attested: WebAuthn L3 §5.1 defines `id` as
/// the base64url of `rawId`, and a server that stored an id the authenticator never made could not find the
/// credential again (webauthn-rs-core does not compare them).
fn check_credential_ids(credential: &RegisterPublicKeyCredential, attested: &[u8]) -> Result<(), Rejection> {
    let id = b64url_decode(&credential.id);
    if credential.raw_id != attested || id.as_deref() != Some(attested) {
        return Err(Rejection::new(
            Code::CredentialIdMismatch,
            "the response's id or rawId differs from the credential id in the authenticator data",
        ));
    }
    Ok(())
}

/// Decodes the attestation object (trailing bytes are refused by `from_slice`) into fmt, attStmt and authData.
pub(crate) fn split_attestation_object(bytes: &[u8]) -> Result<(String, Cbor, Vec<u8>), Rejection> {
    let object: Cbor = serde_cbor_2::from_slice(bytes)
        .map_err(|_| Rejection::malformed("the attestation object is not one well-formed CBOR item"))?;
    let Cbor::Map(mut members) = object else {
        return Err(Rejection::malformed("the attestation object is not a CBOR map"));
    };
    let Some(Cbor::Text(fmt)) = members.remove(&Cbor::Text("fmt".into())) else {
        return Err(Rejection::malformed("the attestation object has no text fmt"));
    };
    let Some(att_stmt @ Cbor::Map(_)) = members.remove(&Cbor::Text("attStmt".into())) else {
        return Err(Rejection::malformed("the attestation object has no attStmt map"));
    };
    let Some(Cbor::Bytes(auth_data)) = members.remove(&Cbor::Text("authData".into())) else {
        return Err(Rejection::malformed("the attestation object has no authData bytes"));
    };
    Ok((fmt, att_stmt, auth_data))
}

/// The same attestation object with a `none` statement: webauthn-rs-core then checks everything but the
/// statement, which keywarden verifies itself from the original bytes.
pub(crate) fn as_none_attestation(auth_data: &[u8]) -> Result<Vec<u8>, Rejection> {
    let mut members = BTreeMap::new();
    members.insert(Cbor::Text("fmt".into()), Cbor::Text("none".into()));
    members.insert(Cbor::Text("attStmt".into()), Cbor::Map(BTreeMap::new()));
    members.insert(Cbor::Text("authData".into()), Cbor::Bytes(auth_data.to_vec()));
    serde_cbor_2::to_vec(&Cbor::Map(members))
        .map_err(|_| Rejection::new(Code::InternalError, "the attestation object could not be re-encoded"))
}

/// The COSE key bytes that follow the credential id, and a check that the authenticator data ends where its
/// flags say: after the key, or after exactly one extensions map.
fn split_cose_key(auth_data: &[u8], credential_id_len: usize) -> Result<Vec<u8>, Rejection> {
    let flags = auth_data.get(32).copied().unwrap_or_default();
    let start = AUTH_DATA_HEADER_LEN + ACD_HEADER_LEN + credential_id_len;
    let rest = auth_data
        .get(start..)
        .ok_or_else(|| Rejection::malformed("the authenticator data is shorter than its credential id says"))?;
    let mut deserializer = serde_cbor_2::Deserializer::from_slice(rest);
    Cbor::deserialize(&mut deserializer).map_err(|_| Rejection::malformed("the credential public key is not CBOR"))?;
    let end = deserializer.byte_offset();
    let (cose_key, tail) = rest.split_at(end.min(rest.len()));
    if flags & FLAG_EXTENSIONS != 0 {
        serde_cbor_2::from_slice::<Cbor>(tail)
            .map_err(|_| Rejection::malformed("the authenticator extensions are not exactly one CBOR map"))?;
    } else if !tail.is_empty() {
        return Err(Rejection::malformed(format!(
            "the authenticator data has {} trailing bytes",
            tail.len()
        )));
    }
    Ok(cose_key.to_vec())
}

/// The `alg` (label 3) of a COSE key.
fn cose_algorithm(key: &Cbor) -> Result<i64, Rejection> {
    let Cbor::Map(members) = key else {
        return Err(Rejection::malformed("the credential public key is not a COSE map"));
    };
    match members.get(&Cbor::Integer(3)) {
        Some(Cbor::Integer(alg)) => {
            i64::try_from(*alg).map_err(|_| Rejection::malformed("the credential key alg is out of range"))
        }
        _ => Err(Rejection::malformed("the credential public key has no alg")),
    }
}

/// clientDataJSON with its non-object `tokenBinding` removed; all other members keep their values.
fn without_token_binding(client_data: &[u8]) -> Result<Vec<u8>, Rejection> {
    let mut value: Value =
        serde_json::from_slice(client_data).map_err(|_| Rejection::malformed("clientDataJSON is not JSON"))?;
    if let Some(members) = value.as_object_mut() {
        members.remove("tokenBinding");
    }
    serde_json::to_vec(&value)
        .map_err(|_| Rejection::new(Code::InternalError, "clientDataJSON could not be re-encoded"))
}

fn reported_transports(response: &Value) -> Vec<String> {
    let listed = response
        .pointer("/response/transports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut transports: Vec<String> = listed
        .iter()
        .filter_map(Value::as_str)
        .filter(|t| KNOWN_TRANSPORTS.contains(t))
        .map(str::to_string)
        .collect();
    transports.sort();
    transports.dedup();
    transports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attestation_object_with_a_trailing_byte_is_malformed() {
        let mut bytes = as_none_attestation(&[0u8; 37]).expect("a none object encodes");
        assert!(split_attestation_object(&bytes).is_ok());
        bytes.push(0x01);
        let error = split_attestation_object(&bytes).expect_err("trailing byte accepted");
        assert_eq!(error.code, Code::MalformedResponse);
    }

    #[test]
    fn token_binding_string_is_removed_and_nothing_else_changes() {
        let original =
            br#"{"type":"webauthn.create","challenge":"AA","origin":"https://x.test","tokenBinding":"unused"}"#;
        let cleaned: Value = serde_json::from_slice(&without_token_binding(original).expect("json")).expect("json");
        assert_eq!(
            cleaned,
            serde_json::json!({"type":"webauthn.create","challenge":"AA","origin":"https://x.test"})
        );
    }

    #[test]
    fn duplicate_client_data_members_are_refused() {
        let twice = br#"{"type":"webauthn.create","challenge":"AA","challenge":"AB","origin":"https://x.test"}"#;
        assert!(serde_json::from_slice::<ClientDataProbe>(twice).is_err());
    }
}
