//! Small encoding helpers shared by the modules: base64url as WebAuthn JSON uses it, the hash functions that
//! attestation formats name, and certificate thumbprints. No parsing of CBOR, COSE or X.509 happens here.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use crypto_glue::traits::Digest;

/// Base64url as browsers emit it: no padding on output; padding tolerated on input.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(crate) fn b64url_encode(bytes: &[u8]) -> String {
    BASE64URL.encode(bytes)
}

pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    BASE64URL.decode(text).ok()
}

/// Standard base64 with padding, as X.509 chains in JWS headers and the SafetyNet nonce use it.
pub(crate) fn b64_standard_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn b64_standard_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

pub(crate) fn sha1(data: &[u8]) -> Vec<u8> {
    crypto_glue::sha1::Sha1::digest(data).to_vec()
}

pub(crate) fn sha256(data: &[u8]) -> Vec<u8> {
    crypto_glue::s256::Sha256::digest(data).to_vec()
}

pub(crate) fn sha384(data: &[u8]) -> Vec<u8> {
    crypto_glue::s384::Sha384::digest(data).to_vec()
}

pub(crate) fn sha512(data: &[u8]) -> Vec<u8> {
    crypto_glue::s512::Sha512::digest(data).to_vec()
}

/// The lower-case hex SHA-1 of a DER certificate, as Graph's `attestationCertificates` lists them.
pub(crate) fn thumbprint(der: &[u8]) -> String {
    crypto_glue::hex::encode(sha1(der))
}

/// Cuts text taken from a response (an error message, a format name) to a length fit for a log line.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut clipped: String = text.chars().take(max_chars).collect();
        clipped.push('…');
        clipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_accepts_padded_and_unpadded_input() {
        assert_eq!(b64url_decode("AQI"), Some(vec![1, 2]));
        assert_eq!(b64url_decode("AQI="), Some(vec![1, 2]));
        assert_eq!(b64url_encode(&[1, 2]), "AQI");
    }

    #[test]
    fn thumbprints_are_lower_case_hex_sha1() {
        assert_eq!(thumbprint(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn clip_keeps_short_text_and_marks_cut_text() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("0123456789abc", 10), "0123456789…");
    }
}
