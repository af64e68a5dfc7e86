//! Secrets: passwords and Temporary Access Pass codes hashed with argon2id, session and API tokens hashed with
//! SHA-256 (they are 256-bit random values), and the random generators. No secret is ever logged.

use std::sync::{Mutex, PoisonError};

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane).
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid")
}

/// argon2id's working memory, kept for reuse. Each hash or check needs its own 19 MiB; handing that back to the
/// allocator after every use lets glibc's heap fragment (its mmap threshold rises to the buffer size, and later
/// buffers come from arenas that small allocations then pin): the server held about 1 GiB after 256 pass sign-ins
/// from 64 concurrent clients, and about 20 MiB with buffers reused. At most one buffer per hash running at the same
/// time is kept, and no more than [`MAX_POOLED`].
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// The most buffers kept: more than the worker threads that could hash at the same time on any usual host.
const MAX_POOLED: usize = 16;

/// Runs `f` on `block_count` blocks of argon2 memory, taken from the pool when a buffer of that size is there.
/// Argon2 writes every block before reading it, so a reused buffer gives the same result as a fresh one.
fn with_memory<T>(block_count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let reused = {
        let mut pool = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
        pool.iter()
            .position(|b| b.len() == block_count)
            .map(|i| pool.swap_remove(i))
    };
    let mut blocks = reused.unwrap_or_else(|| vec![Block::default(); block_count]);
    let result = f(&mut blocks);
    let mut pool = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
    if pool.len() < MAX_POOLED {
        pool.push(blocks);
    }
    result
}

/// argon2's output for `secret` and `salt` (as `PasswordHasher::hash_password` computes it), in pooled memory.
fn output(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    secret: &[u8],
    salt: Salt<'_>,
) -> password_hash::Result<Output> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let argon2 = Argon2::new(algorithm, version, params);
    with_memory(argon2.params().block_count(), |blocks| {
        Output::init_with(length, |out| {
            Ok(argon2.hash_password_into_with_memory(secret, salt, out, blocks)?)
        })
    })
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// Hashes a password or a pass code as a PHC string.
pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes is a valid salt length");
    let params = params();
    let hash = output(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        secret.as_bytes(),
        salt.as_salt(),
    )
    .expect("argon2 hashing of a short secret succeeds");
    PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("static argon2 parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string()
}

/// Checks a secret against a PHC string, with the algorithm, version and parameters it names (as
/// `PasswordVerifier::verify_password` does); a malformed hash never matches. The comparison is constant-time.
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let settings = Algorithm::try_from(parsed.algorithm).and_then(|algorithm| {
        let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
        Ok((algorithm, version, Params::try_from(&parsed)?))
    });
    let Ok((algorithm, version, params)) = settings else {
        return false;
    };
    output(algorithm, version, params, secret.as_bytes(), salt).is_ok_and(|computed| computed == expected)
}

/// How many argon2id hashes and checks run at once: one per CPU. Each takes tens of milliseconds of CPU and 19 MiB,
/// so they run on Tokio's blocking threads, never on a runtime worker (where a burst of password or pass sign-ins
/// would hold every request queued behind them), and no more of them than there are CPUs.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    })
}

/// Runs `work` (argon2id) on a blocking thread, once a hashing permit is free; `None` if the work could not run.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _permit = hashing_permits().acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// [`hash_secret`] off the runtime's workers (see [`hashing_permits`]).
pub async fn hash_secret_off_runtime(secret: &str) -> Result<String, crate::api_error::ApiError> {
    let secret = secret.to_owned();
    off_runtime(move || hash_secret(&secret))
        .await
        .ok_or_else(|| crate::api_error::ApiError::internal(anyhow::anyhow!("argon2id hashing did not finish")))
}

/// [`verify_secret`] off the runtime's workers (see [`hashing_permits`]); false if the check could not run.
pub async fn verify_secret_off_runtime(secret: &str, hash: &str) -> bool {
    let (secret, hash) = (secret.to_owned(), hash.to_owned());
    off_runtime(move || verify_secret(&secret, &hash))
        .await
        .unwrap_or(false)
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

/// A pending passkey sign-in as the client hands it back, once its seal checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsealed {
    pub id: uuid::Uuid,
    pub expires_at: time::OffsetDateTime,
    /// The relying party's pending ceremony (`keywarden_webauthn::PendingCeremony`).
    pub ceremony: String,
}

const SEAL_VERSION: u8 = 1;
const SEAL_CONTEXT: &[u8] = b"keywarden passkey sign-in ceremony";
const SEAL_TAG: usize = 32;

fn seal_mac(key: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(SEAL_CONTEXT);
    mac.update(payload);
    mac
}

/// The keys that seal pending passkey sign-ins, derived (HKDF-SHA256) from the configured secrets: the current
/// secret's key seals, and every key, the previous secrets' too, opens. The key is never stored: the database does
/// not hold what protects its own ceremonies.
#[derive(Clone)]
pub struct SealingKeys {
    keys: Vec<[u8; 32]>,
}

impl std::fmt::Debug for SealingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealingKeys({} keys, withheld)", self.keys.len())
    }
}

const SEAL_KEY_INFO: &[u8] = b"keywarden passkey sign-in seal v1";

impl SealingKeys {
    /// The keys of `secrets`, the current secret first. `None` when there is no secret.
    pub fn derive(secrets: &[String]) -> Option<SealingKeys> {
        if secrets.is_empty() {
            return None;
        }
        let keys = secrets
            .iter()
            .map(|secret| {
                let mut key = [0u8; 32];
                hkdf::Hkdf::<Sha256>::new(None, secret.as_bytes())
                    .expand(SEAL_KEY_INFO, &mut key)
                    .expect("32 bytes is a valid HKDF-SHA256 output length");
                key
            })
            .collect();
        Some(SealingKeys { keys })
    }

    fn current(&self) -> &[u8] {
        &self.keys[0]
    }

    /// Seals under the current key (see [`seal_ceremony`]).
    pub fn seal(&self, unsealed: &Unsealed) -> String {
        seal_ceremony(self.current(), unsealed)
    }

    /// Opens what any of the keys sealed (see [`open_ceremony`]).
    pub fn open(&self, sealed: &str) -> Option<Unsealed> {
        self.keys.iter().find_map(|key| open_ceremony(key, sealed))
    }
}

/// A new secret for `secret_key_file`: 32 random bytes, base64url (43 characters).
pub fn new_secret() -> String {
    B64.encode(random_bytes::<32>())
}

/// Seals a pending passkey sign-in for the client to hand back to the finish: base64url of a version byte, the
/// challenge's id, its expiry (Unix microseconds) and the ceremony, then an HMAC-SHA256 of all of it under `key`.
/// The seal gives integrity, not secrecy: what it carries (the challenge, the ids of the allowed credentials) is sent
/// to the browser in the creation options anyway.
fn seal_ceremony(key: &[u8], unsealed: &Unsealed) -> String {
    let micros = i64::try_from(unsealed.expires_at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX);
    let mut sealed = Vec::with_capacity(1 + 16 + 8 + unsealed.ceremony.len() + SEAL_TAG);
    sealed.push(SEAL_VERSION);
    sealed.extend_from_slice(unsealed.id.as_bytes());
    sealed.extend_from_slice(&micros.to_be_bytes());
    sealed.extend_from_slice(unsealed.ceremony.as_bytes());
    let tag = seal_mac(key, &sealed).finalize().into_bytes();
    sealed.extend_from_slice(&tag);
    B64.encode(sealed)
}

/// Opens what [`seal_ceremony`] made under `key`; `None` for anything else (another key, a changed byte, not
/// base64url). The tag is compared in constant time.
fn open_ceremony(key: &[u8], sealed: &str) -> Option<Unsealed> {
    let bytes = B64.decode(sealed).ok()?;
    let (payload, tag) = bytes.split_at_checked(bytes.len().checked_sub(SEAL_TAG)?)?;
    seal_mac(key, payload).verify_slice(tag).ok()?;
    let (&version, rest) = payload.split_first()?;
    let (id, rest) = rest.split_at_checked(16)?;
    let (micros, ceremony) = rest.split_at_checked(8)?;
    if version != SEAL_VERSION {
        return None;
    }
    let micros = i64::from_be_bytes(micros.try_into().ok()?);
    Some(Unsealed {
        id: uuid::Uuid::from_slice(id).ok()?,
        expires_at: time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).ok()?,
        ceremony: String::from_utf8(ceremony.to_vec()).ok()?,
    })
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

    /// On a one-thread runtime, work that waits for the runtime's own thread finishes only if it runs elsewhere.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_runs_off_the_runtime_thread() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let waiting = tokio::spawn(off_runtime(move || rx.recv_timeout(std::time::Duration::from_secs(10))));
        tokio::task::yield_now().await;
        let sent = tx.send(());
        assert!(sent.is_ok(), "the work ran on the runtime's thread and gave up waiting");
        assert_eq!(waiting.await.expect("task"), Some(Ok(())));
    }

    #[tokio::test]
    async fn off_runtime_hashes_verify() {
        let hash = hash_secret_off_runtime("correct horse").await.expect("hash");
        assert!(verify_secret_off_runtime("correct horse", &hash).await);
        assert!(!verify_secret_off_runtime("correct horse!", &hash).await);
    }

    #[test]
    fn a_sealed_ceremony_opens_only_unchanged_and_under_its_key() {
        let key = [7u8; 32];
        let unsealed = Unsealed {
            id: uuid::Uuid::now_v7(),
            expires_at: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
            ceremony: r#"{"state":"pending"}"#.into(),
        };
        let sealed = seal_ceremony(&key, &unsealed);
        assert_eq!(open_ceremony(&key, &sealed), Some(unsealed.clone()));
        assert_eq!(open_ceremony(&[8u8; 32], &sealed), None, "another key");
        let bytes = B64.decode(&sealed).expect("base64url");
        for at in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[at] ^= 1;
            assert_eq!(open_ceremony(&key, &B64.encode(&changed)), None, "byte {at} changed");
        }
        assert_eq!(
            open_ceremony(&key, &B64.encode(&bytes[..bytes.len() - 1])),
            None,
            "cut short"
        );
        assert_eq!(
            open_ceremony(&key, &B64.encode(&bytes[..10])),
            None,
            "too short for a tag"
        );
        assert_eq!(open_ceremony(&key, "not base64url!"), None);
        assert_eq!(open_ceremony(&key, ""), None);
    }

    #[test]
    fn rotated_secrets_open_what_they_sealed_and_seal_with_the_new_one() {
        let unsealed = Unsealed {
            id: uuid::Uuid::now_v7(),
            expires_at: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
            ceremony: "{}".into(),
        };
        let (old, new) = (new_secret(), new_secret());
        let before = SealingKeys::derive(std::slice::from_ref(&old)).expect("keys");
        let after = SealingKeys::derive(&[new.clone(), old.clone()]).expect("keys");
        let sealed_before = before.seal(&unsealed);
        assert_eq!(
            after.open(&sealed_before),
            Some(unsealed.clone()),
            "the previous secret still opens"
        );
        let sealed_after = after.seal(&unsealed);
        assert_eq!(before.open(&sealed_after), None, "the new secret seals");
        let dropped = SealingKeys::derive(&[new]).expect("keys");
        assert_eq!(
            dropped.open(&sealed_before),
            None,
            "a secret no longer configured opens nothing"
        );
        assert!(SealingKeys::derive(&[]).is_none());
        assert!(!format!("{after:?}").contains(&old), "keys are not printed");
    }

    #[test]
    fn hashes_verify_only_their_secret() {
        let hash = hash_secret("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("correct horse", &hash));
        assert!(!verify_secret("correct horse!", &hash));
        assert!(!verify_secret("anything", "not a hash"));
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let ours = hash_secret("correct horse");
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let parsed = PasswordHash::new(&ours).expect("our hash is a PHC string");
        assert!(
            argon2.verify_password(b"correct horse", &parsed).is_ok(),
            "the crate verifies our hash"
        );
        let salt = SaltString::encode_b64(&[7; 16]).expect("salt");
        let theirs = argon2
            .hash_password(b"battery staple", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_secret("battery staple", &theirs), "we verify the crate's hash");
        assert!(!verify_secret("battery stable", &theirs));
        let weaker = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).expect("params"),
        );
        let other_params = weaker.hash_password(b"stapler", &salt).expect("hash").to_string();
        assert!(
            verify_secret("stapler", &other_params),
            "the parameters come from the stored hash"
        );
    }

    #[test]
    fn reused_memory_gives_the_same_hash() {
        let hash = hash_secret("first secret");
        // The pool now holds a buffer full of the first computation's state.
        for _ in 0..3 {
            assert!(verify_secret("first secret", &hash));
            assert!(!verify_secret("second secret", &hash));
        }
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
