//! FIDO metadata from `../shared/data/aaguid`: the signed 2021 BLOB verified at a fixed instant and root, the
//! no. 291 payload, and both shapes of the community AAGUID name list.

use std::str::FromStr;

use keywarden_domain::Aaguid;
use keywarden_domain::metadata::Status;
use keywarden_webauthn::metadata::{
    GLOBALSIGN_ROOT_R3, GLOBALSIGN_ROOT_R46, MetadataError, globalsign_roots, load_blob, load_fallback_names,
    load_payload,
};

use crate::support::{catalog, read_shared, rfc3339};

fn blob() -> String {
    read_shared("data/aaguid/mds3_blob_no9_2021.jwt")
}

fn aaguid(text: &str) -> Aaguid {
    Aaguid::from_str(text).expect("aaguid")
}

#[test]
fn signed_2021_blob_verifies_at_its_time_with_the_r3_root() {
    let catalog =
        load_blob(&blob(), &[GLOBALSIGN_ROOT_R3.to_vec()], rfc3339("2021-11-15T00:00:00Z")).expect("verifies");
    assert_eq!(catalog.serial, Some(9));
    assert_eq!(catalog.next_update.map(|d| d.to_string()), Some("2021-12-01".into()));
    assert!(
        (40..=50).contains(&catalog.entries.len()),
        "{} FIDO2 entries",
        catalog.entries.len()
    );
}

#[test]
fn signed_2021_blob_also_verifies_with_the_embedded_root_set() {
    let catalog = load_blob(&blob(), &globalsign_roots(), rfc3339("2021-11-15T00:00:00Z")).expect("verifies");
    assert!(!catalog.entries.is_empty());
}

#[test]
fn signed_2021_blob_fails_today_because_its_signing_certificate_expired() {
    let error = load_blob(&blob(), &globalsign_roots(), rfc3339("2026-11-25T00:00:00Z")).expect_err("expired");
    assert!(matches!(error, MetadataError::UntrustedChain { .. }), "{error}");
}

#[test]
fn signed_2021_blob_fails_with_the_wrong_root() {
    let error = load_blob(
        &blob(),
        &[GLOBALSIGN_ROOT_R46.to_vec()],
        rfc3339("2021-11-15T00:00:00Z"),
    )
    .expect_err("wrong root");
    assert!(matches!(error, MetadataError::UntrustedChain { .. }), "{error}");
}

#[test]
fn tampered_blob_payload_fails_its_signature() {
    let blob = blob();
    let mut parts: Vec<String> = blob.trim().split('.').map(str::to_string).collect();
    // Change one character in the middle of the payload, keeping it base64url.
    let middle = parts[1].len() / 2;
    let replacement = if parts[1].as_bytes()[middle] == b'A' { "B" } else { "A" };
    parts[1].replace_range(middle..=middle, replacement);
    let tampered = parts.join(".");
    let error = load_blob(&tampered, &globalsign_roots(), rfc3339("2021-11-15T00:00:00Z")).expect_err("tampered");
    assert!(matches!(error, MetadataError::InvalidSignature), "{error}");
}

#[test]
fn payload_291_loads_its_fido2_entries() {
    let catalog = catalog();
    assert_eq!(catalog.serial, Some(291));
    assert_eq!(catalog.next_update.map(|d| d.to_string()), Some("2026-11-01".into()));
    assert!(
        (340..=350).contains(&catalog.entries.len()),
        "{} FIDO2 entries",
        catalog.entries.len()
    );
}

#[test]
fn yubikey_5_has_a_name_roots_and_a_certification() {
    let yubikey = aaguid("ee882879-721c-4913-9775-3dfcce97072a");
    let entry = catalog().entry(&yubikey).expect("YubiKey 5 is in MDS no. 291");
    assert_eq!(entry.description, "YubiKey 5 Series");
    assert_eq!(catalog().name(&yubikey), Some("YubiKey 5 Series"));
    assert!(!entry.attestation_roots.is_empty());
    assert!(
        entry.certification_level().is_some_and(|level| level >= 10),
        "{:?}",
        entry.status_reports
    );
    assert_eq!(entry.current_status(), Some(&Status::FidoCertified));
    assert!(entry.protocol_versions.iter().any(|v| v == "FIDO_2_0"));
    assert_eq!(entry.transports, vec!["usb".to_string()]);
    assert!(entry.is_hardware_protected());
    assert!(entry.icon.as_deref().is_some_and(|icon| icon.starts_with("data:")));
}

#[test]
fn fallback_names_load_from_the_slim_combined_list() {
    let names = load_fallback_names(&read_shared("data/aaguid/combined_aaguid_names.json")).expect("loads");
    assert!(names.len() >= 390, "{} names", names.len());
    assert_eq!(
        names
            .get(&aaguid("ee882879-721c-4913-9775-3dfcce97072a"))
            .map(String::as_str),
        Some("YubiKey 5 Series")
    );
}

#[test]
fn fallback_names_load_from_the_community_list_with_icons() {
    let names = load_fallback_names(&read_shared("data/aaguid/aaguid.json")).expect("loads");
    assert_eq!(names.len(), 52);
    assert_eq!(
        names
            .get(&aaguid("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"))
            .map(String::as_str),
        Some("Apple Passwords")
    );
}

#[test]
fn a_name_only_in_the_fallback_list_is_used_for_display() {
    let icloud = aaguid("fbfc3007-154e-4ecc-8c0b-6e020557d7bd");
    assert!(catalog().entry(&icloud).is_none());
    assert_eq!(catalog().name(&icloud), Some("Apple Passwords"));
}

#[test]
fn payload_that_is_not_json_is_an_error() {
    assert!(matches!(load_payload("not json"), Err(MetadataError::Payload(_))));
}
