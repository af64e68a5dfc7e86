//! Configuration: a TOML file, then `KEYWARDEN_*` environment variables on top, then validation that names the
//! setting at fault. This is the only module that reads the environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where FIDO metadata comes from.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MetadataSource {
    /// No metadata: every attestation is untrusted, names come from the fallback list only.
    #[default]
    None,
    /// A signed MDS3 BLOB (JWT) or an already-verified payload (JSON) on disk.
    File,
    /// The FIDO Alliance MDS3 URL (or another URL serving a signed BLOB).
    Url,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetadataConfig {
    #[serde(default)]
    pub source: MetadataSource,
    /// For `source = "file"`: a `.jwt` BLOB or a `.json` payload.
    pub path: Option<PathBuf>,
    /// For `source = "url"`.
    #[serde(default = "default_mds_url")]
    pub url: String,
    /// A DER or PEM root to verify the BLOB against instead of the built-in GlobalSign roots.
    pub root: Option<PathBuf>,
    /// The instant at which to verify the BLOB's certificates (RFC 3339), for pinned or test blobs.
    pub verify_at: Option<String>,
    /// A community AAGUID name list (aaguid.json or a `{aaguid: name}` map), for display only.
    pub names: Option<PathBuf>,
    /// Hours between reloads of the metadata while serving (MDS publishes monthly); 0 never reloads.
    #[serde(default = "default_refresh_hours")]
    pub refresh_hours: u32,
}

fn default_refresh_hours() -> u32 {
    24
}

fn default_mds_url() -> String {
    "https://mds3.fidoalliance.org/".into()
}

impl Default for MetadataConfig {
    fn default() -> Self {
        MetadataConfig {
            source: MetadataSource::None,
            path: None,
            url: default_mds_url(),
            root: None,
            verify_at: None,
            names: None,
            refresh_hours: default_refresh_hours(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Wrong codes (TAP, password, TOTP) a user may enter per method within the window.
    pub max_failures: u32,
    pub window_minutes: u32,
    pub lock_minutes: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 5,
            window_minutes: 15,
            lock_minutes: 15,
        }
    }
}

/// The per-address limit on the unauthenticated sign-in endpoints (`/v1/signin/*`), before any user is looked at:
/// one address cannot lock every administrator out, nor fill the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sign-in requests an address may make per minute, sustained; 0 turns the limit off.
    pub sign_in_per_minute: u32,
    /// Requests an address may make at once before the per-minute rate applies.
    pub sign_in_burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            sign_in_per_minute: 60,
            sign_in_burst: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// keywarden's settings, validated.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_database_url")]
    pub database_url: String,
    #[serde(default = "default_listen")]
    pub listen: String,
    #[serde(default = "default_rp_id")]
    pub rp_id: String,
    #[serde(default = "default_rp_name")]
    pub rp_name: String,
    /// Origins the browser may use (scheme, host and port), e.g. `https://login.contoso.com`. Left out with the RP
    /// ID `localhost`, it is `http://localhost:PORT` with the port of `listen` (see [`Config::derive_origins`]).
    #[serde(default)]
    pub origins: Vec<String>,
    /// Minutes within which strong authentication counts as recent for registration, unless the policy says.
    #[serde(default = "default_window")]
    pub registration_window_minutes: u32,
    #[serde(default = "default_session_lifetime")]
    pub session_lifetime_minutes: u32,
    /// Minutes within which an administrator must have verified with a strong method to take a sensitive action
    /// (issue a pass, delete a method, change the policy or roles, create a token).
    #[serde(default = "default_admin_reauthentication")]
    pub admin_reauthentication_minutes: u32,
    /// The secret the server derives its keys from (the seal of pending passkey sign-ins), given inline: at least
    /// 32 characters (`KEYWARDEN_SECRET_KEY`). Prefer `secret_key_file`. Every server on one database needs the
    /// same secret.
    #[serde(default)]
    pub secret_key: Option<String>,
    /// A file holding the secret (`KEYWARDEN_SECRET_KEY_FILE`); `keywarden demo` writes one beside its database.
    #[serde(default)]
    pub secret_key_file: Option<PathBuf>,
    /// Secrets used before the current one, still accepted to open what they sealed (a ceremony lives five
    /// minutes), so that the secret can be rotated without breaking sign-ins in flight
    /// (`KEYWARDEN_PREVIOUS_SECRET_KEYS`, comma-separated).
    #[serde(default)]
    pub previous_secret_keys: Vec<String>,
    /// Where `/metrics` is served: an address of its own (for example 127.0.0.1:9090), off the public listener.
    /// Left out, `/metrics` is served on `listen` only when no origin is https (a development set-up).
    #[serde(default)]
    pub metrics_listen: Option<String>,
    #[serde(default)]
    pub log_format: LogFormat,
    #[serde(default)]
    pub metadata: MetadataConfig,
    #[serde(default)]
    pub throttle: ThrottleConfig,
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
    /// Test and development only: a file holding a whole number of seconds that the server's clock adds to the
    /// system time (`KEYWARDEN_TEST_CLOCK_FILE`), so that browser tests move time forward by writing it instead of
    /// sleeping. Refused unless every origin is `http://localhost` and `listen` is a loopback address: a clock that
    /// can be moved from outside would let whoever writes the file stretch passes, sessions and verifications.
    #[serde(default)]
    pub test_clock_file: Option<PathBuf>,
}

fn default_database_url() -> String {
    "sqlite://keywarden.db".into()
}
fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_rp_id() -> String {
    "localhost".into()
}
fn default_rp_name() -> String {
    "keywarden".into()
}
fn default_window() -> u32 {
    10
}
fn default_session_lifetime() -> u32 {
    480
}
fn default_admin_reauthentication() -> u32 {
    60
}

/// The shortest secret keywarden accepts (a generated one is 43 characters of base64url, 256 bits).
pub const MIN_SECRET_LENGTH: usize = 32;

impl Default for Config {
    fn default() -> Self {
        let mut config = Config::unfilled();
        config.derive_origins();
        config
    }
}

/// A configuration problem, naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

fn problem(setting: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.into(),
        message: message.into(),
    }
}

impl Config {
    /// Reads `path` (if given), applies `KEYWARDEN_*` variables from `env`, and validates.
    pub fn load(path: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| problem("--config", format!("cannot read {}: {e}", path.display())))?;
                toml::from_str::<Config>(&text).map_err(|e| {
                    let message = e.message().to_string();
                    let setting = message
                        .split('`')
                        .nth(1)
                        .map(str::to_string)
                        .unwrap_or_else(|| path.display().to_string());
                    problem(&setting, message)
                })?
            }
            None => Config::unfilled(),
        };
        config.apply_env(env)?;
        config.derive_origins();
        config.validate()?;
        Ok(config)
    }

    /// Every default, before the origins are derived from the other settings.
    fn unfilled() -> Config {
        toml::from_str("").expect("an empty configuration takes every default")
    }

    /// With no origins given and the RP ID `localhost` (keywarden tried out on one machine), the browser's origin is
    /// `http://localhost:PORT` with the port keywarden listens on, so that changing `listen` alone keeps ceremonies
    /// working. Anywhere else the origins must be given: behind a proxy the browser's origin is not the listen
    /// address.
    pub fn derive_origins(&mut self) {
        if self.origins.is_empty()
            && self.rp_id.trim() == "localhost"
            && let Ok(addr) = self.listen_addr()
        {
            self.origins = vec![format!("http://localhost:{}", addr.port())];
        }
    }

    /// Reads the process environment. The only place keywarden calls `std::env::var`.
    #[allow(clippy::disallowed_methods)]
    pub fn from_process_env(path: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load(path, &|name| std::env::var(name).ok())
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let number = |name: &str, value: String| {
            value
                .trim()
                .parse::<u32>()
                .map_err(|_| problem(name, format!("{value:?} is not a whole number")))
        };
        if let Some(v) = env("KEYWARDEN_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = env("KEYWARDEN_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = env("KEYWARDEN_RP_ID") {
            self.rp_id = v;
        }
        if let Some(v) = env("KEYWARDEN_RP_NAME") {
            self.rp_name = v;
        }
        if let Some(v) = env("KEYWARDEN_ORIGINS") {
            self.origins = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = env("KEYWARDEN_REGISTRATION_WINDOW_MINUTES") {
            self.registration_window_minutes = number("KEYWARDEN_REGISTRATION_WINDOW_MINUTES", v)?;
        }
        if let Some(v) = env("KEYWARDEN_SESSION_LIFETIME_MINUTES") {
            self.session_lifetime_minutes = number("KEYWARDEN_SESSION_LIFETIME_MINUTES", v)?;
        }
        if let Some(v) = env("KEYWARDEN_ADMIN_REAUTHENTICATION_MINUTES") {
            self.admin_reauthentication_minutes = number("KEYWARDEN_ADMIN_REAUTHENTICATION_MINUTES", v)?;
        }
        if let Some(v) = env("KEYWARDEN_SECRET_KEY") {
            self.secret_key = Some(v);
        }
        if let Some(v) = env("KEYWARDEN_SECRET_KEY_FILE") {
            self.secret_key_file = Some(v.into());
        }
        if let Some(v) = env("KEYWARDEN_PREVIOUS_SECRET_KEYS") {
            self.previous_secret_keys = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = env("KEYWARDEN_METRICS_LISTEN") {
            self.metrics_listen = Some(v);
        }
        if let Some(v) = env("KEYWARDEN_RATE_LIMIT_SIGN_IN_PER_MINUTE") {
            self.rate_limit.sign_in_per_minute = number("KEYWARDEN_RATE_LIMIT_SIGN_IN_PER_MINUTE", v)?;
        }
        if let Some(v) = env("KEYWARDEN_RATE_LIMIT_SIGN_IN_BURST") {
            self.rate_limit.sign_in_burst = number("KEYWARDEN_RATE_LIMIT_SIGN_IN_BURST", v)?;
        }
        if let Some(v) = env("KEYWARDEN_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(problem(
                        "KEYWARDEN_LOG_FORMAT",
                        format!("{other:?} is not text or json"),
                    ));
                }
            };
        }
        if let Some(v) = env("KEYWARDEN_METADATA_SOURCE") {
            self.metadata.source = match v.as_str() {
                "none" => MetadataSource::None,
                "file" => MetadataSource::File,
                "url" => MetadataSource::Url,
                other => {
                    return Err(problem(
                        "KEYWARDEN_METADATA_SOURCE",
                        format!("{other:?} is not none, file or url"),
                    ));
                }
            };
        }
        if let Some(v) = env("KEYWARDEN_METADATA_PATH") {
            self.metadata.path = Some(v.into());
        }
        if let Some(v) = env("KEYWARDEN_METADATA_URL") {
            self.metadata.url = v;
        }
        if let Some(v) = env("KEYWARDEN_METADATA_NAMES") {
            self.metadata.names = Some(v.into());
        }
        if let Some(v) = env("KEYWARDEN_TEST_CLOCK_FILE") {
            self.test_clock_file = Some(v.into());
        }
        Ok(())
    }

    /// Checks every setting; the error names the first one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(problem(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        self.listen_addr()?;
        let rp_id = self.rp_id.trim();
        if rp_id.is_empty() || rp_id.contains("://") || rp_id.contains('/') || rp_id.contains(':') {
            return Err(problem(
                "rp_id",
                format!("{rp_id:?} must be a bare domain name such as login.contoso.com"),
            ));
        }
        if rp_id.parse::<std::net::IpAddr>().is_ok() {
            return Err(problem(
                "rp_id",
                format!("{rp_id} is an IP address; WebAuthn needs a domain name such as localhost"),
            ));
        }
        if self.origins.is_empty() {
            return Err(problem(
                "origins",
                format!("at least one origin is needed, such as https://{rp_id} (where the browser opens keywarden)"),
            ));
        }
        for origin in &self.origins {
            let Some((scheme, rest)) = origin.split_once("://") else {
                return Err(problem(
                    "origins",
                    format!("{origin:?} is not an origin such as https://{rp_id}"),
                ));
            };
            let host = rest.split(['/', ':']).next().unwrap_or_default();
            if !(scheme == "https" || (scheme == "http" && host == "localhost")) {
                return Err(problem(
                    "origins",
                    format!("{origin}: only https origins are allowed (http only for localhost)"),
                ));
            }
            if rest.trim_end_matches('/').contains('/') {
                return Err(problem("origins", format!("{origin}: an origin has no path")));
            }
            if !(host == rp_id || host.ends_with(&format!(".{rp_id}"))) {
                return Err(problem(
                    "origins",
                    format!("{origin}: its host must be {rp_id} or a subdomain of it (rp_id)"),
                ));
            }
        }
        if !(1..=60).contains(&self.registration_window_minutes) {
            return Err(problem("registration_window_minutes", "must be between 1 and 60"));
        }
        if !(5..=43200).contains(&self.session_lifetime_minutes) {
            return Err(problem("session_lifetime_minutes", "must be between 5 and 43200"));
        }
        if self.throttle.max_failures == 0 || self.throttle.window_minutes == 0 || self.throttle.lock_minutes == 0 {
            return Err(problem(
                "throttle",
                "max_failures, window_minutes and lock_minutes must be at least 1",
            ));
        }
        if !(1..=1440).contains(&self.admin_reauthentication_minutes) {
            return Err(problem("admin_reauthentication_minutes", "must be between 1 and 1440"));
        }
        if self.secret_key.is_some() && self.secret_key_file.is_some() {
            return Err(problem("secret_key", "give secret_key or secret_key_file, not both"));
        }
        if let Some(key) = &self.secret_key {
            check_secret("secret_key", key)?;
        }
        for key in &self.previous_secret_keys {
            check_secret("previous_secret_keys", key)?;
        }
        if self.rate_limit.sign_in_per_minute > 0 && self.rate_limit.sign_in_burst == 0 {
            return Err(problem(
                "rate_limit.sign_in_burst",
                "must be at least 1 when the limit is on",
            ));
        }
        if let Some(metrics) = &self.metrics_listen {
            metrics.parse::<SocketAddr>().map_err(|_| {
                problem(
                    "metrics_listen",
                    format!("{metrics:?} is not an address such as 127.0.0.1:9090"),
                )
            })?;
        }
        if self.metadata.source == MetadataSource::File && self.metadata.path.is_none() {
            return Err(problem("metadata.path", "is required when metadata.source is \"file\""));
        }
        self.metadata_verify_at()?;
        self.test_clock_file()?;
        Ok(())
    }

    /// The test clock's file, when one is configured and the set-up is one where it is allowed: every origin is
    /// `http://localhost` (so `rp_id` is `localhost`) and keywarden listens on a loopback address. A production
    /// set-up has an https origin, so it cannot turn the test clock on by mistake. The clock is built through this
    /// check (see `Clock::for_config`), not only [`Config::validate`].
    pub fn test_clock_file(&self) -> Result<Option<&Path>, ConfigError> {
        let Some(path) = &self.test_clock_file else {
            return Ok(None);
        };
        if self.origins.is_empty() {
            return Err(problem(
                "test_clock_file",
                "a test clock needs the origins to be given, each http://localhost",
            ));
        }
        if let Some(origin) = self.origins.iter().find(|origin| !is_local_http(origin)) {
            return Err(problem(
                "test_clock_file",
                format!(
                    "{origin}: a test clock is allowed only when every origin is http://localhost (tests and development)"
                ),
            ));
        }
        if !self.listen_addr()?.ip().is_loopback() {
            return Err(problem(
                "test_clock_file",
                format!(
                    "a test clock is allowed only when listen is a loopback address such as 127.0.0.1, not {}",
                    self.listen
                ),
            ));
        }
        Ok(Some(path))
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| {
            problem(
                "listen",
                format!("{:?} is not an address such as 127.0.0.1:8080", self.listen),
            )
        })
    }

    pub fn metadata_verify_at(&self) -> Result<Option<OffsetDateTime>, ConfigError> {
        self.metadata
            .verify_at
            .as_deref()
            .map(|s| OffsetDateTime::parse(s, &Rfc3339).map_err(|e| problem("metadata.verify_at", e.to_string())))
            .transpose()
    }

    /// Whether the browser reaches keywarden over https (session cookies are then `Secure` and `__Host-`).
    pub fn is_https(&self) -> bool {
        self.origins.iter().all(|o| o.starts_with("https://"))
    }

    /// Whether `/metrics` is served on the public listener: never when it has an address of its own, and by
    /// default only in a development set-up (no https origin).
    pub fn metrics_on_public_listener(&self) -> bool {
        self.metrics_listen.is_none() && !self.origins.iter().any(|o| o.starts_with("https://"))
    }

    /// The secrets the server's keys derive from: the current one first, then the previous ones. Empty when none is
    /// configured (the command line needs none; `serve` refuses to start without one).
    pub fn secrets(&self) -> Result<Vec<String>, ConfigError> {
        let mut secrets = Vec::new();
        if let Some(key) = &self.secret_key {
            secrets.push(key.trim().to_string());
        }
        if let Some(path) = &self.secret_key_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| problem("secret_key_file", format!("cannot read {}: {e}", path.display())))?;
            let key = text.trim().to_string();
            check_secret("secret_key_file", &key)?;
            secrets.push(key);
        }
        if secrets.is_empty() {
            return Ok(secrets);
        }
        secrets.extend(self.previous_secret_keys.iter().map(|k| k.trim().to_string()));
        Ok(secrets)
    }

    /// Refuses a configuration with no secret, for `serve`.
    pub fn require_secret(&self) -> Result<(), ConfigError> {
        if self.secrets()?.is_empty() {
            return Err(problem(
                "secret_key_file",
                "keywarden serve needs a secret: write 32 or more random characters to a file (for example \
                 `head -c 32 /dev/urandom | base64 > /etc/keywarden/secret.key`) and set secret_key_file or \
                 KEYWARDEN_SECRET_KEY_FILE (keywarden demo makes one for itself)",
            ));
        }
        Ok(())
    }
}

/// Whether `origin` is `http://localhost`, with or without a port: a browser on this machine, never a deployment.
fn is_local_http(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.trim_end_matches('/');
    match authority.split_once(':') {
        Some((host, port)) => host == "localhost" && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()),
        None => authority == "localhost",
    }
}

fn check_secret(setting: &str, key: &str) -> Result<(), ConfigError> {
    if key.trim().chars().count() < MIN_SECRET_LENGTH {
        return Err(problem(
            setting,
            format!("a secret must have at least {MIN_SECRET_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// The operating-system user running the command line, for audit records of the local operator.
#[allow(clippy::disallowed_methods)]
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keywarden.toml");
        std::fs::write(&path, toml).expect("write config");
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load(Some(&path), &|name| env.get(name).cloned())
    }

    #[test]
    fn defaults_are_valid() {
        let config = load("", &[]).expect("defaults");
        assert_eq!(config.rp_id, "localhost");
        assert_eq!(config.registration_window_minutes, 10);
    }

    #[test]
    fn origins_follow_the_listen_port_on_localhost_only() {
        assert_eq!(Config::default().origins, ["http://localhost:8080"]);
        let moved = load("", &[("KEYWARDEN_LISTEN", "0.0.0.0:9090")]).expect("valid");
        assert_eq!(moved.origins, ["http://localhost:9090"]);
        let given = load(
            "listen = \"127.0.0.1:9090\"\norigins = [\"http://localhost:8443\"]",
            &[],
        )
        .expect("valid");
        assert_eq!(given.origins, ["http://localhost:8443"], "given origins are kept");
        let err = load("rp_id = \"login.example.com\"", &[]).expect_err("no origin for a real domain");
        assert_eq!(err.setting, "origins");
        assert!(err.message.contains("https://login.example.com"), "{err}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let config = load(
            "rp_id = \"example.com\"\norigins = [\"https://example.com\"]",
            &[
                ("KEYWARDEN_RP_ID", "login.example.com"),
                (
                    "KEYWARDEN_ORIGINS",
                    "https://login.example.com, https://a.login.example.com",
                ),
            ],
        )
        .expect("valid");
        assert_eq!(config.rp_id, "login.example.com");
        assert_eq!(config.origins.len(), 2);
    }

    #[test]
    fn errors_name_the_setting() {
        for (toml, setting) in [
            ("colour = 1", "colour"),
            ("rp_id = \"127.0.0.1\"", "rp_id"),
            ("origins = [\"http://example.com\"]\nrp_id = \"example.com\"", "origins"),
            ("origins = [\"https://evil.com\"]\nrp_id = \"example.com\"", "origins"),
            ("listen = \"nowhere\"", "listen"),
            ("registration_window_minutes = 0", "registration_window_minutes"),
            ("database_url = \"mysql://x\"", "database_url"),
            ("[metadata]\nsource = \"file\"", "metadata.path"),
        ] {
            let err = load(toml, &[]).expect_err(toml);
            assert_eq!(err.setting, setting, "{toml}: {err}");
        }
        let err = load("", &[("KEYWARDEN_REGISTRATION_WINDOW_MINUTES", "ten")]).expect_err("bad env");
        assert_eq!(err.setting, "KEYWARDEN_REGISTRATION_WINDOW_MINUTES");
    }

    #[test]
    fn a_test_clock_is_only_for_localhost_over_http_on_a_loopback_address() {
        let clock = [("KEYWARDEN_TEST_CLOCK_FILE", "/tmp/keywarden-clock")];
        let local = load("", &clock).expect("the localhost defaults allow a test clock");
        assert!(local.test_clock_file().expect("allowed").is_some());
        for (toml, case) in [
            (
                "rp_id = \"login.example.com\"\norigins = [\"https://login.example.com\"]",
                "a public origin",
            ),
            ("origins = [\"https://localhost\"]", "https on localhost"),
            ("listen = \"0.0.0.0:8080\"", "every address"),
            ("listen = \"192.168.1.10:8080\"", "a network address"),
        ] {
            load(toml, &[]).unwrap_or_else(|e| panic!("{case}: valid without a test clock: {e}"));
            let err = load(toml, &clock).expect_err(case);
            assert_eq!(err.setting, "test_clock_file", "{case}: {err}");
        }
        for (origin, local) in [
            ("http://localhost", true),
            ("http://localhost:8080", true),
            ("http://localhost:8080/", true),
            ("http://localhost.example.com", false),
            ("http://localhost:80@example.com", false),
            ("https://localhost", false),
        ] {
            assert_eq!(is_local_http(origin), local, "{origin}");
        }
    }
}
