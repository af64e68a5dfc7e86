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
    #[serde(default)]
    pub log_format: LogFormat,
    #[serde(default)]
    pub metadata: MetadataConfig,
    #[serde(default)]
    pub throttle: ThrottleConfig,
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
        if self.metadata.source == MetadataSource::File && self.metadata.path.is_none() {
            return Err(problem("metadata.path", "is required when metadata.source is \"file\""));
        }
        self.metadata_verify_at()?;
        Ok(())
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

    /// Whether the browser reaches keywarden over https (session cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.origins.iter().all(|o| o.starts_with("https://"))
    }
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
}
