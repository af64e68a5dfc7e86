//! Edits of registration and authentication responses (the JSON that [`crate::SoftAuthenticator`] returns),
//! for negative tests: each function returns a changed copy and leaves its input alone.
//!
//! Signatures are never recomputed: an edit of signed data (client data, authenticator data) also breaks the
//! signature, so a test proves that *some* check rejects it. To isolate one check with a validly signed
//! response, give the authenticator the wrong input instead: another `origin`, options with another `rp.id`,
//! `user_verified(false)`, `set_counter`. Every function panics, naming what is missing, when the response
//! lacks the field it edits.

use base64::Engine as _;
use crypto_glue::s256::Sha256;
use crypto_glue::traits::Digest;
use keywarden_domain::Aaguid;
/// The decoded CBOR value that the attestation-object edits work on.
pub use serde_cbor_2::Value as Cbor;
use serde_json::{Map, Value};

use crate::B64;

const CLIENT_DATA: &str = "/response/clientDataJSON";
const ATTESTATION_OBJECT: &str = "/response/attestationObject";
const AUTHENTICATOR_DATA: &str = "/response/authenticatorData";
const SIGNATURE: &str = "/response/signature";

// ---- client data (both ceremonies) ----------------------------------------------------------------------------

/// Edits the decoded clientDataJSON object and re-encodes it.
pub fn client_data(resp: &Value, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut client_data: Map<String, Value> =
        serde_json::from_slice(&decode(resp, CLIENT_DATA)).expect("clientDataJSON is a JSON object");
    edit(&mut client_data);
    let bytes = serde_json::to_vec(&client_data).expect("a JSON object serializes");
    encode(resp, CLIENT_DATA, &bytes)
}

/// Replaces `origin` in the client data.
pub fn origin(resp: &Value, new_origin: &str) -> Value {
    client_data(resp, |c| {
        c.insert("origin".to_string(), Value::from(new_origin));
    })
}

/// Replaces `challenge` in the client data (base64url-encoding `new_challenge`).
pub fn challenge(resp: &Value, new_challenge: &[u8]) -> Value {
    client_data(resp, |c| {
        c.insert("challenge".to_string(), Value::from(B64.encode(new_challenge)));
    })
}

/// Replaces `type` in the client data (`"webauthn.get"` in a registration, or any other string).
pub fn ceremony_type(resp: &Value, new_type: &str) -> Value {
    client_data(resp, |c| {
        c.insert("type".to_string(), Value::from(new_type));
    })
}

/// Sets `crossOrigin` (and, when given, `topOrigin`) in the client data.
pub fn cross_origin(resp: &Value, top_origin: Option<&str>) -> Value {
    client_data(resp, |c| {
        c.insert("crossOrigin".to_string(), Value::Bool(true));
        if let Some(top_origin) = top_origin {
            c.insert("topOrigin".to_string(), Value::from(top_origin));
        }
    })
}

/// Replaces the clientDataJSON bytes wholesale (e.g. `b"not json"`).
pub fn client_data_bytes(resp: &Value, bytes: &[u8]) -> Value {
    encode(resp, CLIENT_DATA, bytes)
}

// ---- authenticator data (both ceremonies) ---------------------------------------------------------------------

/// Edits the authenticator data: inside the attestation object of a registration (and the copy in
/// `response.authenticatorData`), or `response.authenticatorData` of an assertion.
pub fn auth_data(resp: &Value, edit: impl FnOnce(&mut Vec<u8>)) -> Value {
    if resp.pointer(ATTESTATION_OBJECT).is_some() {
        let mut edited = None;
        let mut resp = attestation_object(resp, |object| {
            let Some(Cbor::Bytes(auth_data)) = object.get_mut(&Cbor::Text("authData".to_string())) else {
                panic!("the attestation object has no authData byte string");
            };
            edit(auth_data);
            edited = Some(auth_data.clone());
        });
        if resp.pointer(AUTHENTICATOR_DATA).is_some() {
            let auth_data = edited.expect("the edit ran");
            resp = encode(&resp, AUTHENTICATOR_DATA, &auth_data);
        }
        resp
    } else {
        let mut auth_data = decode(resp, AUTHENTICATOR_DATA);
        edit(&mut auth_data);
        encode(resp, AUTHENTICATOR_DATA, &auth_data)
    }
}

/// Replaces the rpIdHash with SHA-256 of `rp_id`.
pub fn rp_id_hash(resp: &Value, rp_id: &str) -> Value {
    auth_data(resp, |a| a[..32].copy_from_slice(&Sha256::digest(rp_id.as_bytes())))
}

/// Sets the flag bits in `set` and clears those in `clear` (see [`crate::flags`]).
pub fn flags(resp: &Value, set: u8, clear: u8) -> Value {
    auth_data(resp, |a| a[32] = (a[32] | set) & !clear)
}

/// Replaces the sign count.
pub fn sign_count(resp: &Value, n: u32) -> Value {
    auth_data(resp, |a| a[33..37].copy_from_slice(&n.to_be_bytes()))
}

/// Replaces the AAGUID of a registration's attested credential data.
pub fn aaguid(resp: &Value, aaguid: Aaguid) -> Value {
    auth_data(resp, |a| {
        assert!(a.len() >= 53, "authData has attested credential data (a registration)");
        a[37..53].copy_from_slice(aaguid.0.as_bytes());
    })
}

/// Cuts the authenticator data to `len` bytes.
pub fn truncate_auth_data(resp: &Value, len: usize) -> Value {
    auth_data(resp, |a| a.truncate(len))
}

/// Appends bytes after the authenticator data (which then has trailing bytes after the credential key).
pub fn auth_data_trailing_bytes(resp: &Value, extra: &[u8]) -> Value {
    auth_data(resp, |a| a.extend_from_slice(extra))
}

// ---- attestation object (registration) -----------------------------------------------------------------------

/// Edits the decoded attestation object map (`fmt`, `attStmt`, `authData`) and re-encodes it.
pub fn attestation_object(resp: &Value, edit: impl FnOnce(&mut std::collections::BTreeMap<Cbor, Cbor>)) -> Value {
    let Cbor::Map(mut object) =
        serde_cbor_2::from_slice(&decode(resp, ATTESTATION_OBJECT)).expect("the attestation object is CBOR")
    else {
        panic!("the attestation object is a CBOR map");
    };
    edit(&mut object);
    let bytes = serde_cbor_2::to_vec(&Cbor::Map(object)).expect("a CBOR value encodes");
    encode(resp, ATTESTATION_OBJECT, &bytes)
}

/// Edits the attestation statement map.
pub fn att_stmt(resp: &Value, edit: impl FnOnce(&mut std::collections::BTreeMap<Cbor, Cbor>)) -> Value {
    attestation_object(resp, |object| {
        let Some(Cbor::Map(statement)) = object.get_mut(&Cbor::Text("attStmt".to_string())) else {
            panic!("the attestation object has an attStmt map");
        };
        edit(statement);
    })
}

/// Replaces `fmt`.
pub fn fmt(resp: &Value, new_fmt: &str) -> Value {
    attestation_object(resp, |object| {
        object.insert(Cbor::Text("fmt".to_string()), Cbor::Text(new_fmt.to_string()));
    })
}

/// Removes a member of the attestation statement (`"sig"`, `"alg"`, `"x5c"`).
pub fn remove_att_stmt_field(resp: &Value, key: &str) -> Value {
    att_stmt(resp, |statement| {
        statement.remove(&Cbor::Text(key.to_string()));
    })
}

/// Replaces the `x5c` chain (DER certificates, leaf first), e.g. with a leaf from another CA.
pub fn x5c(resp: &Value, chain: &[Vec<u8>]) -> Value {
    att_stmt(resp, |statement| {
        let chain = chain.iter().map(|der| Cbor::Bytes(der.clone())).collect();
        statement.insert(Cbor::Text("x5c".to_string()), Cbor::Array(chain));
    })
}

/// Cuts the encoded attestation object in half.
pub fn truncate_attestation_object(resp: &Value) -> Value {
    let bytes = decode(resp, ATTESTATION_OBJECT);
    encode(resp, ATTESTATION_OBJECT, &bytes[..bytes.len() / 2])
}

/// Appends bytes after the encoded attestation object.
pub fn attestation_object_trailing_bytes(resp: &Value, extra: &[u8]) -> Value {
    let mut bytes = decode(resp, ATTESTATION_OBJECT);
    bytes.extend_from_slice(extra);
    encode(resp, ATTESTATION_OBJECT, &bytes)
}

/// Replaces the attestation object with bytes that are not CBOR at all (a lone "break" code).
pub fn invalid_cbor(resp: &Value) -> Value {
    encode(resp, ATTESTATION_OBJECT, &[0xff, 0xff, 0xff])
}

// ---- signatures ----------------------------------------------------------------------------------------------

/// Corrupts the signature, keeping it valid DER: the last byte of an assertion's `signature`, or of a
/// registration's `attStmt.sig`. (A "none" attestation has no signature; this panics on it.)
pub fn signature(resp: &Value) -> Value {
    if resp.pointer(SIGNATURE).is_some() {
        let mut sig = decode(resp, SIGNATURE);
        flip_last_byte(&mut sig);
        encode(resp, SIGNATURE, &sig)
    } else {
        att_stmt(resp, |statement| {
            let Some(Cbor::Bytes(sig)) = statement.get_mut(&Cbor::Text("sig".to_string())) else {
                panic!("the attestation statement has a sig (fmt none has none)");
            };
            flip_last_byte(sig);
        })
    }
}

fn flip_last_byte(bytes: &mut [u8]) {
    let last = bytes.last_mut().expect("a signature is not empty");
    *last ^= 0x01;
}

// ---- ids, user handle, raw JSON ------------------------------------------------------------------------------

/// Replaces both `id` and `rawId` with another credential id (a credential the server does not know, or
/// another user's).
pub fn raw_id(resp: &Value, other: &[u8]) -> Value {
    let resp = set(resp, "/rawId", Value::from(B64.encode(other)));
    set(&resp, "/id", Value::from(B64.encode(other)))
}

/// Replaces only `id`, so that it no longer matches `rawId`.
pub fn id(resp: &Value, other: &[u8]) -> Value {
    set(resp, "/id", Value::from(B64.encode(other)))
}

/// Replaces an assertion's `userHandle` (`None` writes JSON null).
pub fn user_handle(resp: &Value, handle: Option<&[u8]>) -> Value {
    set(
        resp,
        "/response/userHandle",
        handle.map_or(Value::Null, |h| Value::from(B64.encode(h))),
    )
}

/// Replaces the string at a JSON pointer (e.g. `/response/clientDataJSON`) with text that is not base64url.
pub fn invalid_base64(resp: &Value, pointer: &str) -> Value {
    set(resp, pointer, Value::from("!!not*base64url!!"))
}

/// Replaces the value at a JSON pointer, which must exist.
pub fn set(resp: &Value, pointer: &str, value: Value) -> Value {
    let mut resp = resp.clone();
    *resp
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the response has {pointer}")) = value;
    resp
}

/// Removes the member at a JSON pointer (e.g. `/response/signature`), which must exist.
pub fn remove(resp: &Value, pointer: &str) -> Value {
    let mut resp = resp.clone();
    let (parent, key) = pointer
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("{pointer} is a JSON pointer"));
    let removed = resp
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|object| object.remove(key));
    assert!(removed.is_some(), "the response has {pointer}");
    resp
}

fn decode(resp: &Value, pointer: &str) -> Vec<u8> {
    let text = resp
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("the response has a string at {pointer}"));
    B64.decode(text)
        .unwrap_or_else(|e| panic!("{pointer} is base64url: {e}"))
}

fn encode(resp: &Value, pointer: &str, bytes: &[u8]) -> Value {
    set(resp, pointer, Value::from(B64.encode(bytes)))
}
