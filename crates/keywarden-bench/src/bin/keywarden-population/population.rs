//! The generated directory: users, ring groups and a kiosk group under a policy with two passkey profiles,
//! authenticator apps, passes, passkeys of twelve real models and a year of audit events.
//!
//! Everything is derived from the row's index by a fixed hash, so two runs write the same population. Ids are
//! increasing so that inserts append to the indexes, as they would over years of use. The passkeys' webauthn
//! credentials and registration facts come from one real ceremony per model (keywarden-webauthn verifying a
//! software authenticator's response, with packed attestation to a test CA for the security keys).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use keywarden_domain::Aaguid;
use keywarden_domain::audit::{Initiator, KeyValue, ModifiedProperty, TargetResource};
use keywarden_domain::metadata::Catalog;
use keywarden_domain::passkey::Registrar;
use keywarden_domain::registration::Facts;
use keywarden_server::auth::Actor;
use keywarden_server::ops::policy;
use keywarden_server::{AppState, Clock, Config, RequestContext};
use keywarden_store::Store;
use keywarden_testkit::{Attestation, SoftAuthenticator, TestCa, metadata_entry};
use keywarden_webauthn::{Conveyance, RegistrationRequest, RelyingParty};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Sizes;
use crate::load::{Cell, Writer};

/// An authenticator model of the population, with its share of passkeys (per thousand).
pub(crate) struct Model {
    pub(crate) aaguid: &'static str,
    pub(crate) name: &'static str,
    display: &'static str,
    synced: bool,
    attested: bool,
    per_mille: u64,
}

pub(crate) const MODELS: [Model; 12] = [
    model(
        "fbfc3007-154e-4ecc-8c0b-6e020557d7bd",
        "iCloud Keychain",
        "iPhone",
        true,
        false,
        250,
    ),
    model(
        "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
        "Google Password Manager",
        "Android phone",
        true,
        false,
        150,
    ),
    model(
        "08987058-cadc-4b81-b6e1-30de50dcbe96",
        "Windows Hello",
        "Windows Hello",
        false,
        false,
        150,
    ),
    model(
        "6028b017-b1d4-4c02-b4b3-afcdafc96bb2",
        "Windows Hello",
        "Windows Hello (laptop)",
        false,
        false,
        50,
    ),
    model(
        "90a3ccdf-635c-4729-a248-9b709135078f",
        "Microsoft Authenticator (iOS)",
        "Authenticator",
        false,
        false,
        100,
    ),
    model(
        "ee882879-721c-4913-9775-3dfcce97072a",
        "YubiKey 5 Series with NFC",
        "YubiKey",
        false,
        true,
        100,
    ),
    model(
        "2fc0579f-8113-47ea-b116-bb5a8db9202a",
        "YubiKey 5 Series with NFC",
        "YubiKey 5C",
        false,
        true,
        50,
    ),
    model(
        "12755c32-8ad1-46eb-881c-e0b38d848b09",
        "Feitian ePass FIDO Authenticator",
        "Feitian key",
        false,
        true,
        38,
    ),
    model(
        "bada5566-a7aa-401f-bd96-45619a55120d",
        "1Password",
        "1Password",
        true,
        false,
        50,
    ),
    model(
        "d548826e-79b4-db40-a3d8-11116f7e8349",
        "Bitwarden",
        "Bitwarden",
        true,
        false,
        30,
    ),
    model(
        "53414d53-554e-4700-0000-000000000000",
        "Samsung Pass",
        "Galaxy",
        true,
        false,
        30,
    ),
    // The FIDO metadata (payload no. 291) reports this model REVOKED: a metadata finding.
    model(
        "ba86dc56-635f-4141-aef6-00227b1b9af6",
        "TruU Windows Authenticator",
        "TruU",
        false,
        false,
        2,
    ),
];

const fn model(
    aaguid: &'static str,
    name: &'static str,
    display: &'static str,
    synced: bool,
    attested: bool,
    per_mille: u64,
) -> Model {
    Model {
        aaguid,
        name,
        display,
        synced,
        attested,
        per_mille,
    }
}

/// Passkeys held by user `i`, by `i % 10`: thirty per ten users.
const PASSKEYS_PER_USER: [u64; 10] = [0, 2, 3, 4, 5, 1, 3, 4, 3, 5];
/// The help desk: users 0 to 19 are Authentication Administrators.
const ADMINS: u64 = 20;
const DAY: i64 = 86_400_000_000;
const MINUTE: i64 = 60_000_000;
const RING_IDS: [&str; 3] = [
    "33333333-0000-4000-8000-000000000001",
    "33333333-0000-4000-8000-000000000002",
    "33333333-0000-4000-8000-000000000003",
];
const KIOSK_ID: &str = "33333333-0000-4000-8000-000000000004";
/// A valid argon2id PHC string (of "password"); every user with a password shares it.
const PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Vbq8ZqYHtw0yY1B6Ml9gdqsWHQ9AJ63vSbDqPdJkRh4";

/// A fixed 64-bit mix (splitmix64) of two numbers: the population's only source of variety.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An id of `kind` (users 1, TOTP 3, passes 4, passkeys 5, attempts 6, events 7, correlation 8), increasing with n.
fn uid(kind: u32, n: u64) -> Uuid {
    Uuid::from_u128((u128::from(kind) << 96) | 0x4000_8000_0000_0000_0000 | u128::from(n))
}

fn upn(i: u64) -> String {
    format!("user{i:07}@contoso.com")
}

/// The help-desk administrator who issued user `i`'s pass: any of them, so that the passes still valid (issued in
/// the last three hours) are not all one administrator's.
fn pass_admin(i: u64) -> u64 {
    mix(i, 53) % ADMINS
}

fn is_kiosk(i: u64) -> bool {
    i % 100 == 42
}

/// A real ceremony's result for one model.
struct Template {
    facts: Facts,
    stored: String,
}

fn templates(now: OffsetDateTime) -> anyhow::Result<Vec<Template>> {
    let origin = "http://localhost:8080";
    let rp = RelyingParty::new("localhost", "keywarden", &[origin.to_string()])
        .map_err(|e| anyhow::anyhow!("relying party: {e:?}"))?;
    let ca = Arc::new(TestCa::generate("keywarden-population attestation root"));
    let mut catalog = Catalog::default();
    for model in MODELS.iter().filter(|m| m.attested) {
        let aaguid: Aaguid = model.aaguid.parse().map_err(anyhow::Error::msg)?;
        catalog.entries.insert(aaguid, metadata_entry(aaguid, model.name, &ca));
    }
    MODELS
        .iter()
        .map(|model| {
            let aaguid: Aaguid = model.aaguid.parse().map_err(anyhow::Error::msg)?;
            let request = RegistrationRequest {
                user_handle: uid(1, 0).as_bytes().to_vec(),
                user_name: upn(0),
                display_name: "User 0".into(),
                exclude_credentials: vec![],
                attestation: if model.attested {
                    Conveyance::Direct
                } else {
                    Conveyance::None
                },
                timeout: std::time::Duration::from_secs(300),
                path: None,
            };
            let (options, pending) = rp
                .begin_registration(&request)
                .map_err(|e| anyhow::anyhow!("begin: {e:?}"))?;
            let mut key = SoftAuthenticator::new(aaguid).backup(model.synced, model.synced);
            if model.attested {
                key = key.attestation(Attestation::Packed(ca.clone()));
            }
            let response = key
                .register(&options, origin)
                .map_err(|e| anyhow::anyhow!("authenticator: {e:?}"))?;
            let verified = rp
                .finish_registration(&response, &pending, &catalog, now)
                .map_err(|e| anyhow::anyhow!("finish for {}: {e:?}", model.name))?;
            let mut facts = verified.facts;
            facts.model = Some(model.name.to_string());
            Ok(Template {
                facts,
                stored: verified.stored.0,
            })
        })
        .collect()
}

/// `credentials.details` as the store writes it (keywarden-store's `passkeys::Details`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Details<'a> {
    attestation_certificates: &'a [String],
    transports: &'a [String],
    registered_by: &'a Registrar,
    facts: &'a Facts,
}

/// What user `i`'s `k`th passkey is.
struct PasskeySpec {
    model: usize,
    created_at: i64,
    admin: Option<u64>,
    flipped: bool,
    regressed: bool,
    last_used_at: Option<i64>,
    sign_count: i64,
}

fn passkey_spec(i: u64, k: u64, now: i64) -> PasskeySpec {
    let r = mix(i, k);
    let mut pick = r % 1000;
    let mut model = MODELS.len() - 1;
    for (index, m) in MODELS.iter().enumerate() {
        if pick < m.per_mille {
            model = index;
            break;
        }
        pick -= m.per_mille;
    }
    let created_at = now
        - MINUTE * 60
        - i64::try_from(mix(r, 1) % 364).unwrap_or(0) * DAY
        - i64::try_from(mix(r, 2) % 1440).unwrap_or(0) * MINUTE;
    let used = mix(r, 3) % 10 < 7;
    PasskeySpec {
        model,
        created_at,
        admin: mix(r, 4).is_multiple_of(50).then_some(mix(r, 5) % ADMINS),
        flipped: MODELS[model].synced && mix(r, 6).is_multiple_of(5000),
        regressed: mix(r, 7) % 10_000 == 1,
        last_used_at: used.then(|| (created_at + i64::try_from(mix(r, 8) % 30).unwrap_or(0) * DAY).min(now - MINUTE)),
        sign_count: i64::try_from(mix(r, 9) % 500).unwrap_or(0),
    }
}

/// How much was written, and how long it took.
#[derive(Debug)]
pub(crate) struct Generated {
    pub(crate) users: u64,
    pub(crate) memberships: u64,
    pub(crate) authenticator_apps: u64,
    pub(crate) access_passes: u64,
    pub(crate) passkeys: u64,
    pub(crate) audit_events: u64,
    pub(crate) seconds: f64,
    pub(crate) database_bytes: Option<u64>,
}

fn user_initiator(i: u64) -> Initiator {
    Initiator::User {
        id: uid(1, i).to_string(),
        user_principal_name: upn(i),
        display_name: format!("User {i}"),
        ip_address: Some(format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)),
    }
}

fn user_target(i: u64) -> TargetResource {
    TargetResource::user(&uid(1, i), &upn(i), &format!("User {i}"))
}

fn details(pairs: &[(&str, String)]) -> Vec<KeyValue> {
    pairs
        .iter()
        .map(|(key, value)| KeyValue {
            key: keywarden_domain::audit::DetailKey::parse(key),
            value: value.clone(),
        })
        .collect()
}

/// An audit event waiting to be written, ordered by time.
#[derive(Clone, Copy)]
struct PendingEvent {
    at: i64,
    user: u32,
    kind: EventKind,
    /// The passkey index for a registration; the admin for a pass.
    detail: u16,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EventKind {
    Registered,
    PassIssued,
    RegistrationRefused,
    RegistrationStarted,
    SignedIn,
}

pub(crate) async fn generate(url: &str, sizes: &Sizes) -> anyhow::Result<Generated> {
    let started = Instant::now();
    let now_time = OffsetDateTime::now_utc();
    let now = i64::try_from(now_time.unix_timestamp_nanos() / 1000).context("now")?;
    let n_users = sizes.users;
    eprintln!("generating {n_users} users and their passkeys, passes and audit events into {url}");
    let store = Store::connect(url).await.context("connecting the store (migrations)")?;
    let templates = templates(now_time)?;
    let writer = Writer::connect(url).await?;

    let users = writer
        .table(
            "users",
            &[
                "id",
                "upn",
                "upn_lower",
                "display_name",
                "user_type",
                "account_enabled",
                "roles",
                "password_hash",
                "created_at",
            ],
            (0..n_users).map(|i| {
                let roles = if i < ADMINS {
                    "[\"Authentication Administrator\"]"
                } else {
                    "[]"
                };
                vec![
                    uid(1, i).to_string().into(),
                    upn(i).into(),
                    upn(i).into(),
                    format!("User {i}").into(),
                    if i % 100 == 99 { "guest" } else { "member" }.into(),
                    Cell::Int(i64::from(i % 50 != 7)),
                    roles.into(),
                    (i % 20 != 5).then(|| PASSWORD_HASH.to_string()).into(),
                    Cell::Int(now - 400 * DAY),
                ]
            }),
        )
        .await?;
    writer
        .table(
            "directory_groups",
            &["id", "display_name", "name_lower", "description", "created_at"],
            RING_IDS
                .iter()
                .enumerate()
                .map(|(r, id)| (id.to_string(), format!("Ring {}", r + 1)))
                .chain(std::iter::once((KIOSK_ID.to_string(), "Kiosk".to_string())))
                .map(|(id, name)| {
                    vec![
                        id.into(),
                        name.clone().into(),
                        name.to_lowercase().into(),
                        Cell::Null,
                        Cell::Int(now - 400 * DAY),
                    ]
                }),
        )
        .await?;
    let memberships = writer
        .table(
            "group_members",
            &["group_id", "user_id"],
            (0..n_users).map(|i| {
                let group = if is_kiosk(i) {
                    KIOSK_ID
                } else {
                    RING_IDS[usize::try_from(i % 3).unwrap_or(0)]
                };
                vec![group.into(), uid(1, i).to_string().into()]
            }),
        )
        .await?;

    // The policy goes through keywarden's own operation, with its version and audit event.
    let config = Config {
        database_url: url.to_string(),
        ..Config::default()
    };
    let state = AppState::new(config, store.clone(), Catalog::default(), Clock::system())?;
    let security_keys: Vec<&str> = MODELS.iter().filter(|m| m.attested).map(|m| m.aaguid).collect();
    let mut targets: Vec<serde_json::Value> = RING_IDS
        .iter()
        .map(|id| json!({"targetType": "group", "id": id, "allowedPasskeyProfiles": ["any"]}))
        .collect();
    targets.push(json!({"targetType": "group", "id": KIOSK_ID, "allowedPasskeyProfiles": ["keys"]}));
    let document = json!({
        "id": "Fido2",
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": true,
        "includeTargets": targets,
        "excludeTargets": [],
        "defaultPasskeyProfile": "any",
        "passkeyProfiles": [
            {"id": "any", "name": "Any passkey", "passkeyTypes": "deviceBound,synced", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
            {"id": "keys", "name": "Security keys", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": security_keys}},
        ],
    });
    policy::apply_document(
        &state,
        &RequestContext::local(now_time),
        &Actor::LocalOperator {
            os_user: "keywarden-population".into(),
        },
        &document.to_string(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("applying the policy: {e}"))?;

    let authenticator_apps = writer
        .table(
            "totp_methods",
            &[
                "id",
                "user_id",
                "secret",
                "display_name",
                "created_at",
                "last_used_step",
            ],
            (0..n_users).filter(|i| i % 10 < 3).map(|i| {
                vec![
                    uid(3, i).to_string().into(),
                    uid(1, i).to_string().into(),
                    Cell::Bytes(mix(i, 99).to_be_bytes().repeat(3)[..20].to_vec()),
                    "Authenticator app".into(),
                    Cell::Int(now - 300 * DAY),
                    Cell::Int(0),
                ]
            }),
        )
        .await?;
    // Passes: every twentieth user, issued at any minute of a day in the last 200 days; a quarter each one-time
    // used, one-time expired unused, multi-use for an hour, and multi-use for eight hours (one in a hundred of
    // those started an hour or two ago and is still valid).
    let pass = |i: u64| -> (i64, i64, bool, Option<i64>) {
        let start = now
            - i64::try_from(mix(i, 50) % 200 + 3).unwrap_or(3) * DAY
            - i64::try_from(mix(i, 52) % 1440).unwrap_or(0) * MINUTE;
        match (i / 20) % 4 {
            0 => (start, 60, true, Some(start + 10 * MINUTE)),
            1 => (start, 60, true, None),
            2 => (start, 60, false, None),
            _ if (i / 20) % 100 == 3 => (
                now - i64::try_from(60 + mix(i, 51) % 120).unwrap_or(60) * MINUTE,
                480,
                false,
                None,
            ),
            _ => (start, 480, false, None),
        }
    };
    let access_passes = writer
        .table(
            "access_passes",
            &[
                "id",
                "user_id",
                "code_hash",
                "created_at",
                "start_at",
                "lifetime_minutes",
                "is_usable_once",
                "used_at",
                "created_by",
            ],
            (0..n_users).filter(|i| i % 20 == 3).map(|i| {
                let (start, lifetime, once, used) = pass(i);
                vec![
                    uid(4, i).to_string().into(),
                    uid(1, i).to_string().into(),
                    PASSWORD_HASH.into(),
                    Cell::Int(start),
                    Cell::Int(start),
                    Cell::Int(lifetime),
                    Cell::Int(i64::from(once)),
                    used.into(),
                    upn(pass_admin(i)).into(),
                ]
            }),
        )
        .await?;

    let user_registrar = Registrar::User;
    let admin_registrars: Vec<Registrar> = (0..ADMINS)
        .map(|a| Registrar::Admin {
            id: uid(1, a).to_string(),
            name: upn(a),
        })
        .collect();
    let passkeys = writer
        .table(
            "credentials",
            &[
                "id",
                "user_id",
                "credential_id",
                "display_name",
                "created_at",
                "aaguid",
                "model",
                "attestation_level",
                "passkey_type",
                "sign_count",
                "backup_eligible",
                "backup_state",
                "admitting_profile",
                "registered_by",
                "attempt_id",
                "last_used_at",
                "backup_state_changed_at",
                "counter_regressions",
                "details",
                "webauthn",
                "attestation_thumbprint",
            ],
            (0..n_users)
                .flat_map(|i| (0..PASSKEYS_PER_USER[usize::try_from(i % 10).unwrap_or(0)]).map(move |k| (i, k)))
                .map(|(i, k)| {
                    let spec = passkey_spec(i, k, now);
                    let model = &MODELS[spec.model];
                    let template = &templates[spec.model];
                    let mut facts = template.facts.clone();
                    facts.flags.backup_state = model.synced && !spec.flipped;
                    let registrar = match spec.admin {
                        Some(a) => &admin_registrars[usize::try_from(a).unwrap_or(0)],
                        None => &user_registrar,
                    };
                    let details = serde_json::to_string(&Details {
                        attestation_certificates: &facts.certificate_thumbprints,
                        transports: &facts.transports,
                        registered_by: registrar,
                        facts: &facts,
                    })
                    .unwrap_or_default();
                    let n = i * 8 + k;
                    let security_key = model.attested;
                    vec![
                        uid(5, n).to_string().into(),
                        uid(1, i).to_string().into(),
                        Cell::Bytes(uid(9, n).as_bytes().to_vec()),
                        model.display.into(),
                        Cell::Int(spec.created_at),
                        model.aaguid.into(),
                        model.name.into(),
                        if model.attested { "attested" } else { "notAttested" }.into(),
                        if model.synced { "synced" } else { "deviceBound" }.into(),
                        Cell::Int(spec.sign_count),
                        Cell::Int(i64::from(model.synced)),
                        Cell::Int(i64::from(model.synced)),
                        if is_kiosk(i) && security_key { "keys" } else { "any" }.into(),
                        match spec.admin {
                            Some(a) => uid(1, a).to_string(),
                            None => "self".to_string(),
                        }
                        .into(),
                        uid(6, n).to_string().into(),
                        spec.last_used_at.into(),
                        spec.flipped
                            .then(|| (spec.created_at + 30 * DAY).min(now - MINUTE))
                            .into(),
                        Cell::Int(i64::from(spec.regressed)),
                        details.into(),
                        template.stored.clone().into(),
                        facts.certificate_thumbprints.first().cloned().into(),
                    ]
                }),
        )
        .await?;

    // A year of audit events in time order: one registration per passkey, one issue per pass, refusals,
    // registration starts and sign-ins; plus five bulk bursts of passes by the help desk.
    let fixed = passkeys + access_passes;
    let rest = sizes.audit_events.saturating_sub(fixed);
    let refusals = rest * 35 / 1000;
    let starts = rest / 10;
    let sign_ins = rest.saturating_sub(refusals + starts);
    let mut events: Vec<PendingEvent> = Vec::with_capacity(usize::try_from(sizes.audit_events).unwrap_or(0));
    for i in 0..n_users {
        for k in 0..PASSKEYS_PER_USER[usize::try_from(i % 10).unwrap_or(0)] {
            events.push(PendingEvent {
                at: passkey_spec(i, k, now).created_at,
                user: u32::try_from(i).unwrap_or(u32::MAX),
                kind: EventKind::Registered,
                detail: u16::try_from(k).unwrap_or(0),
            });
        }
        if i % 20 == 3 {
            events.push(PendingEvent {
                at: pass(i).0,
                user: u32::try_from(i).unwrap_or(u32::MAX),
                kind: EventKind::PassIssued,
                detail: u16::try_from(pass_admin(i)).unwrap_or(0),
            });
        }
    }
    for burst in 0..5u64 {
        for j in 0..40u64 {
            let user = (burst * 1000 + j * 7 + 100) % n_users.max(1);
            events.push(PendingEvent {
                at: now - (10 + 7 * i64::try_from(burst).unwrap_or(0)) * DAY
                    + i64::try_from(j).unwrap_or(0) * 12_000_000,
                user: u32::try_from(user).unwrap_or(u32::MAX),
                kind: EventKind::PassIssued,
                detail: u16::try_from(burst).unwrap_or(0),
            });
        }
    }
    let random_event = |n: u64, kind: EventKind| PendingEvent {
        at: now - 1 - i64::try_from(mix(n, 11) % 365_000_000).unwrap_or(0) * 86_400,
        user: u32::try_from(mix(n, 12) % n_users.max(1)).unwrap_or(0),
        kind,
        detail: 0,
    };
    events.extend((0..refusals).map(|n| random_event(n, EventKind::RegistrationRefused)));
    events.extend((refusals..refusals + starts).map(|n| random_event(n, EventKind::RegistrationStarted)));
    events.extend((refusals + starts..refusals + starts + sign_ins).map(|n| random_event(n, EventKind::SignedIn)));
    events.sort_unstable_by_key(|e| e.at);

    let audit_events = writer
        .table(
            "audit_events",
            &[
                "id",
                "activity_at",
                "activity",
                "result",
                "result_reason",
                "correlation_id",
                "initiator_id",
                "initiator",
                "target_id",
                "targets",
                "additional_details",
            ],
            events.iter().enumerate().map(|(seq, event)| {
                let seq = seq as u64;
                let i = u64::from(event.user);
                let (activity, result, reason, initiator, targets, extra) = match event.kind {
                    EventKind::Registered => {
                        let k = u64::from(event.detail);
                        let spec = passkey_spec(i, k, now);
                        let model = &MODELS[spec.model];
                        let phrase = if model.synced {
                            "Passkey (synced)"
                        } else {
                            "Passkey (device-bound)"
                        };
                        let target = user_target(i).with_changes(vec![ModifiedProperty {
                            display_name: "StrongAuthenticationMethod".into(),
                            old_value: None,
                            new_value: Some(phrase.into()),
                        }]);
                        let extra = details(&[
                            ("method", phrase.into()),
                            ("methodId", uid(5, i * 8 + k).to_string()),
                            ("aaguid", model.aaguid.into()),
                            ("model", model.name.into()),
                        ]);
                        match spec.admin {
                            Some(a) => (
                                "Admin registered security info",
                                "success",
                                format!("Admin registered {phrase} for user"),
                                user_initiator(a),
                                target,
                                extra,
                            ),
                            None => (
                                "User registered security info",
                                "success",
                                format!("User registered {phrase}"),
                                user_initiator(i),
                                target,
                                extra,
                            ),
                        }
                    }
                    EventKind::PassIssued => (
                        "Admin registered security info",
                        "success",
                        "Admin registered temporary access pass method for user".to_string(),
                        user_initiator(u64::from(event.detail)),
                        user_target(i).with_changes(vec![ModifiedProperty {
                            display_name: "TemporaryAccessPass".into(),
                            old_value: None,
                            new_value: Some("one-time pass, 60 minutes".into()),
                        }]),
                        details(&[
                            ("method", "TemporaryAccessPass".into()),
                            ("methodId", uid(4, i).to_string()),
                        ]),
                    ),
                    EventKind::RegistrationRefused => (
                        "User registered security info",
                        "failure",
                        "aaguid_not_allowed".to_string(),
                        user_initiator(i),
                        user_target(i),
                        details(&[("attemptId", uid(6, seq).to_string())]),
                    ),
                    EventKind::RegistrationStarted => (
                        "User started security info registration",
                        "success",
                        "User started passkey registration".to_string(),
                        user_initiator(i),
                        user_target(i),
                        details(&[("attemptId", uid(6, seq).to_string())]),
                    ),
                    EventKind::SignedIn => (
                        "User signed in",
                        "success",
                        "User signed in".to_string(),
                        user_initiator(i),
                        user_target(i),
                        details(&[("method", "fido2".into())]),
                    ),
                };
                vec![
                    uid(7, seq).to_string().into(),
                    Cell::Int(event.at),
                    activity.into(),
                    result.into(),
                    reason.into(),
                    uid(8, seq).to_string().into(),
                    initiator.id().into(),
                    serde_json::to_string(&initiator).unwrap_or_default().into(),
                    targets.id.clone().into(),
                    serde_json::to_string(&[targets]).unwrap_or_default().into(),
                    serde_json::to_string(&extra).unwrap_or_default().into(),
                ]
            }),
        )
        .await?;
    drop(events);
    writer.finish().await?;
    store.close().await;
    let database_bytes = url.strip_prefix("sqlite://").map(|path| {
        ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{path}{s}")).map(|m| m.len()).ok())
            .sum::<u64>()
    });
    Ok(Generated {
        users,
        memberships,
        authenticator_apps,
        access_passes,
        passkeys,
        audit_events,
        seconds: started.elapsed().as_secs_f64(),
        database_bytes,
    })
}
