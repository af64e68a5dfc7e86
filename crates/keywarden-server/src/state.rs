//! What every request handler and CLI operation shares: the store, the configuration, the relying party, the
//! FIDO metadata, the clock and the metrics.

use std::path::Path;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use keywarden_domain::metadata::Catalog;
use keywarden_store::{Store, StoredPolicy};
use keywarden_webauthn::RelyingParty;
use keywarden_webauthn::metadata;

use crate::clock::Clock;

use crate::config::{Config, MetadataSource};
use crate::secrets::SealingKeys;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub rp: Arc<RelyingParty>,
    catalog: Arc<RwLock<Arc<Catalog>>>,
    /// The last policy version read, parsed. Only a cache: every use first checks the version in force in the
    /// database (see `ops::policy_and_groups`), so a change saved by another process is seen at once.
    policy: Arc<RwLock<Option<StoredPolicy>>>,
    pub clock: Clock,
    /// The keys that seal pending passkey sign-ins, derived from the configured secrets (none for the command line).
    sealing: Option<Arc<SealingKeys>>,
    /// The per-address limit on the sign-in endpoints, and its buckets; `None` when it is off.
    pub sign_in_limit: Option<crate::rate_limit::SignInLimit>,
}

impl AppState {
    /// Builds the state from a validated configuration and a connected store.
    pub fn new(config: Config, store: Store, catalog: Catalog, clock: Clock) -> anyhow::Result<AppState> {
        let rp = RelyingParty::new(&config.rp_id, &config.rp_name, &config.origins)
            .map_err(|e| anyhow::anyhow!("configuration: rp_id/origins: {e}"))?;
        let sealing = SealingKeys::derive(&config.secrets()?).map(Arc::new);
        let config_rate_limit = config.rate_limit;
        Ok(AppState {
            store,
            config: Arc::new(config),
            rp: Arc::new(rp),
            catalog: Arc::new(RwLock::new(Arc::new(catalog))),
            policy: Arc::new(RwLock::new(None)),
            clock,
            sealing,
            sign_in_limit: crate::rate_limit::sign_in_limit(&config_rate_limit),
        })
    }

    /// The keys that seal pending passkey sign-ins: the same on every server configured with the same secret, so
    /// that a sign-in begun on one can finish on another.
    pub fn sealing_keys(&self) -> Result<&SealingKeys, crate::ApiError> {
        self.sealing.as_deref().ok_or_else(|| {
            crate::ApiError::internal(anyhow::anyhow!(
                "no secret_key_file is configured, so passkey sign-in cannot seal its ceremonies"
            ))
        })
    }

    /// The FIDO metadata in use now.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// The cached policy when it is version `version`.
    pub fn cached_policy(&self, version: i64) -> Option<StoredPolicy> {
        let slot = self.policy.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        slot.as_ref().filter(|p| p.version == version).cloned()
    }

    /// Remembers `policy` as read from the database, unless a newer version is cached already.
    pub fn cache_policy(&self, policy: &StoredPolicy) {
        let mut slot = self.policy.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.as_ref().is_none_or(|cached| cached.version < policy.version) {
            *slot = Some(policy.clone());
        }
    }

    /// Replaces the metadata (after a refresh).
    pub fn set_catalog(&self, catalog: Catalog) {
        let mut slot = self.catalog.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Arc::new(catalog);
    }
}

fn read_root(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading metadata.root {}", path.display()))?;
    if bytes.starts_with(b"-----BEGIN") {
        let text = String::from_utf8_lossy(&bytes);
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        use base64::Engine;
        return base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .with_context(|| format!("metadata.root {} is not a PEM certificate", path.display()));
    }
    Ok(bytes)
}

/// Loads the FIDO metadata the configuration names: a BLOB (verified) or payload from a file, or a BLOB from a
/// URL; then the fallback names. `now` is used when no `verify_at` is configured.
pub async fn load_catalog(config: &Config, now: time::OffsetDateTime) -> anyhow::Result<Catalog> {
    let settings = &config.metadata;
    let roots = match &settings.root {
        Some(path) => vec![read_root(path)?],
        None => metadata::globalsign_roots(),
    };
    let at = config.metadata_verify_at()?.unwrap_or(now);
    let mut catalog = match settings.source {
        MetadataSource::None => Catalog::default(),
        MetadataSource::File => {
            let path = settings
                .path
                .as_ref()
                .context("metadata.path is required for a file source")?;
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading metadata.path {}", path.display()))?;
            let text = text.trim();
            if text.starts_with('{') {
                metadata::load_payload(text).with_context(|| format!("metadata.path {}", path.display()))?
            } else {
                metadata::load_blob(text, &roots, at).with_context(|| format!("metadata.path {}", path.display()))?
            }
        }
        MetadataSource::Url => {
            let blob = reqwest::get(&settings.url)
                .await
                .and_then(reqwest::Response::error_for_status)
                .with_context(|| format!("fetching metadata.url {}", settings.url))?
                .text()
                .await
                .with_context(|| format!("reading metadata.url {}", settings.url))?;
            metadata::load_blob(blob.trim(), &roots, at).with_context(|| format!("metadata.url {}", settings.url))?
        }
    };
    if let Some(names) = &settings.names {
        let text =
            std::fs::read_to_string(names).with_context(|| format!("reading metadata.names {}", names.display()))?;
        catalog.fallback_names =
            metadata::load_fallback_names(&text).with_context(|| format!("metadata.names {}", names.display()))?;
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MetadataConfig;

    fn shared() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/aaguid")
    }

    fn config(metadata: MetadataConfig) -> Config {
        Config {
            metadata,
            ..Config::default()
        }
    }

    #[tokio::test]
    async fn a_pinned_blob_loads_with_a_root_and_a_time_and_names_come_from_the_list() {
        let metadata = MetadataConfig {
            source: MetadataSource::File,
            path: Some(shared().join("mds3_blob_no9_2021.jwt")),
            root: Some(shared().join("globalsign_root_r3.pem")),
            verify_at: Some("2021-11-15T00:00:00Z".into()),
            names: Some(shared().join("aaguid.json")),
            ..MetadataConfig::default()
        };
        let catalog = load_catalog(&config(metadata), time::OffsetDateTime::now_utc())
            .await
            .expect("blob verifies");
        assert_eq!(catalog.serial, Some(9));
        assert!(!catalog.entries.is_empty());
        assert!(!catalog.fallback_names.is_empty());
    }

    #[tokio::test]
    async fn an_expired_blob_is_refused_naming_the_setting() {
        let metadata = MetadataConfig {
            source: MetadataSource::File,
            path: Some(shared().join("mds3_blob_no9_2021.jwt")),
            ..MetadataConfig::default()
        };
        let error = load_catalog(&config(metadata), time::OffsetDateTime::now_utc())
            .await
            .expect_err("expired");
        assert!(format!("{error:#}").contains("metadata.path"), "{error:#}");
    }

    #[tokio::test]
    async fn a_payload_file_loads_without_a_signature() {
        let metadata = MetadataConfig {
            source: MetadataSource::File,
            path: Some(shared().join("mds3_payload_no291.json")),
            ..MetadataConfig::default()
        };
        let catalog = load_catalog(&config(metadata), time::OffsetDateTime::now_utc())
            .await
            .expect("payload");
        let yubikey = "ee882879-721c-4913-9775-3dfcce97072a".parse().expect("aaguid");
        assert!(catalog.name(&yubikey).is_some_and(|n| n.contains("YubiKey")));
    }
}
