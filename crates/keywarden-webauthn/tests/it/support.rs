//! Shared test support: where the shared data lives, the metadata catalog the vectors are judged against, and
//! small readers for the vector files. Files are read where they are, never copied into the repository.

use std::path::PathBuf;
use std::sync::OnceLock;

use keywarden_domain::metadata::Catalog;
use keywarden_webauthn::metadata::{load_fallback_names, load_payload};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The shared directory: `$KEYWARDEN_SHARED`, else `../shared` beside the workspace. A missing directory fails the
/// test (it is never skipped silently).
pub(crate) fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("KEYWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    assert!(
        dir.is_dir(),
        "the shared test data directory {} does not exist; set KEYWARDEN_SHARED to it",
        dir.display()
    );
    dir
}

pub(crate) fn read_shared(relative: &str) -> String {
    let path = shared_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

/// MDS payload no. 291 with the community names as fallback, loaded once for the whole binary.
pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut catalog =
            load_payload(&read_shared("data/aaguid/mds3_payload_no291.json")).expect("MDS payload no. 291 loads");
        catalog.fallback_names =
            load_fallback_names(&read_shared("data/aaguid/combined_aaguid_names.json")).expect("names load");
        catalog
    })
}

/// Every vector file of a kind (`registration` or `authentication`), sorted by name.
pub(crate) fn vectors(kind: &str) -> Vec<Value> {
    let dir = shared_dir().join("vectors").join(kind);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("listing {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no vectors in {}", dir.display());
    paths
        .iter()
        .map(|path| {
            let text =
                std::fs::read_to_string(path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("parsing {}: {error}", path.display()))
        })
        .collect()
}

pub(crate) fn vector(kind: &str, name: &str) -> Value {
    vectors(kind)
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} vector named {name}"))
}

/// A vector's `origin`: one string or a list.
pub(crate) fn origins(vector: &Value) -> Vec<String> {
    match &vector["origin"] {
        Value::String(origin) => vec![origin.clone()],
        Value::Array(origins) => origins
            .iter()
            .map(|o| o.as_str().expect("origin string").to_string())
            .collect(),
        other => panic!("{}: unexpected origin {other}", vector["name"]),
    }
}

pub(crate) fn rfc3339(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|error| panic!("{text:?} is not RFC 3339: {error}"))
}

/// The instant a registration vector is judged at: its pinned `verification_time`, else the middle of the window
/// in which all its certificates are valid, else now.
pub(crate) fn verification_time(vector: &Value) -> OffsetDateTime {
    if let Some(pinned) = vector["verification_time"].as_str() {
        return rfc3339(pinned);
    }
    let window = &vector["decoded"]["x5c_validity_intersection"];
    match (
        window["latest_not_before"].as_str(),
        window["earliest_not_after"].as_str(),
    ) {
        (Some(not_before), Some(not_after)) => {
            let (not_before, not_after) = (rfc3339(not_before), rfc3339(not_after));
            if not_after > not_before {
                not_before + (not_after - not_before) / 2
            } else {
                not_before
            }
        }
        _ => OffsetDateTime::now_utc(),
    }
}
