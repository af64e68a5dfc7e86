//! Secrets: passwords and Temporary Access Pass codes hashed with argon2id, session and API tokens hashed with
//! SHA-256 (they are 256-bit random values), and the random generators. No secret is ever logged.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};

/// argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid"),
    )
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// Hashes a password or a pass code as a PHC string.
pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes is a valid salt length");
    argon2()
        .hash_password(secret.as_bytes(), &salt)
        .expect("argon2 hashing of a short secret succeeds")
        .to_string()
}

/// Checks a secret against a PHC string; a malformed hash never matches.
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| argon2().verify_password(secret.as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the user does not exist, so that timing does not reveal who exists.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("keywarden-dummy-password"))
}

/// A new opaque token (session or API): 32 random bytes, base64url, with a prefix naming its kind.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", B64.encode(random_bytes::<32>()))
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Letters and digits without the ones people confuse (0/O, 1/l/I), as a TAP must be typed by hand.
const PASS_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A Temporary Access Pass code of `length` characters.
pub fn new_pass_code(length: u32) -> String {
    let mut code = String::with_capacity(length as usize);
    while code.len() < length as usize {
        for byte in random_bytes::<64>() {
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - 256 % PASS_ALPHABET.len();
            if (byte as usize) < limit && code.len() < length as usize {
                code.push(PASS_ALPHABET[byte as usize % PASS_ALPHABET.len()] as char);
            }
        }
    }
    code
}

/// A TOTP secret: 160 random bits (RFC 4226 recommends at least 128, SHA-1 HMAC keys are 160).
pub fn new_totp_secret() -> Vec<u8> {
    random_bytes::<20>().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_secret() {
        let hash = hash_secret("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("correct horse", &hash));
        assert!(!verify_secret("correct horse!", &hash));
        assert!(!verify_secret("anything", "not a hash"));
    }

    #[test]
    fn pass_codes_have_the_requested_length_and_alphabet() {
        for length in [8, 20, 48] {
            let code = new_pass_code(length);
            assert_eq!(code.len(), length as usize);
            assert!(code.bytes().all(|b| PASS_ALPHABET.contains(&b)), "{code}");
        }
        assert_ne!(new_pass_code(16), new_pass_code(16));
    }

    #[test]
    fn tokens_are_prefixed_and_hashes_are_stable() {
        let token = new_token("kws_");
        assert!(token.starts_with("kws_") && token.len() > 40);
        assert_eq!(token_hash(&token), token_hash(&token));
        assert_ne!(token_hash(&token), token_hash(&new_token("kws_")));
    }
}
