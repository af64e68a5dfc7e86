//! `cargo bench -p keywarden-webauthn`: how many ceremonies one thread verifies per second in-process, with the
//! responses the load generator sends (keywarden-testkit's SoftAuthenticator, `none` attestation) and with `packed`
//! attestation from a test CA that the metadata trusts (certificate chain checked).
//!
//! Responses are made before timing starts, so only the relying party's work is measured: options and pending
//! state (begin), verification into facts (finish), and assertion verification (sign-in finish). It prints rates;
//! it asserts no timing. Each step is timed over `BENCH_ITERATIONS` ceremonies (default 2000), three times; the
//! fastest run is reported.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keywarden_domain::Aaguid;
use keywarden_domain::metadata::Catalog;
use keywarden_domain::registration::Trust;
use keywarden_testkit::{Attestation, SoftAuthenticator, TestCa, metadata_entry};
use keywarden_webauthn::{Conveyance, PendingCeremony, RegistrationRequest, RelyingParty, StoredCredential};
use serde_json::Value;
use time::OffsetDateTime;

const ORIGIN: &str = "http://localhost:8080";
/// How many timed runs of each case; the fastest is reported.
const ROUNDS: usize = 3;
/// The load generator's AAGUID ("keywarden-bench!").
const AAGUID: [u8; 16] = *b"keywarden-bench!";

/// One attestation case: how the authenticator attests, what the server asks for and what it trusts.
struct Case {
    name: &'static str,
    attestation: Attestation,
    conveyance: Conveyance,
    catalog: Catalog,
}

/// A registration response ready to be verified, and what begin stored for it.
struct Registration {
    response: Value,
    pending: PendingCeremony,
    authenticator: SoftAuthenticator,
}

/// A sign-in response ready to be verified.
struct SignIn {
    response: Value,
    pending: PendingCeremony,
    credential: StoredCredential,
}

fn main() {
    let iterations: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2000);
    let rp = RelyingParty::new("localhost", "keywarden", &[ORIGIN.to_string()]).expect("a valid relying party");
    let aaguid = Aaguid::from_bytes(AAGUID);
    let ca = Arc::new(TestCa::generate("keywarden bench attestation root"));
    let mut trusted = Catalog::default();
    trusted
        .entries
        .insert(aaguid, metadata_entry(aaguid, "keywarden bench key", &ca));
    let cases = [
        Case {
            name: "none",
            attestation: Attestation::None,
            conveyance: Conveyance::None,
            catalog: Catalog::default(),
        },
        Case {
            name: "packed (x5c, test CA in metadata)",
            attestation: Attestation::Packed(ca),
            conveyance: Conveyance::Direct,
            catalog: trusted,
        },
    ];

    println!(
        "keywarden-webauthn in-process verification, one thread, fastest of {ROUNDS} runs of {iterations} ceremonies, {}",
        cpu_model()
    );
    println!();
    println!("| attestation | step | µs/op | ops/s |");
    println!("|---|---|---:|---:|");
    for case in &cases {
        // A short first run warms caches and the allocator. Then each step's fastest of `ROUNDS` runs is
        // reported: on a shared machine other jobs only ever slow a run down.
        run_case(&rp, aaguid, case, iterations.div_ceil(10));
        let mut fastest = run_case(&rp, aaguid, case, iterations);
        for _ in 1..ROUNDS {
            for (best, (_, elapsed)) in fastest.iter_mut().zip(run_case(&rp, aaguid, case, iterations)) {
                best.1 = best.1.min(elapsed);
            }
        }
        for (step, elapsed) in fastest {
            let micros = elapsed.as_secs_f64() * 1e6 / iterations as f64;
            println!("| {} | {step} | {micros:.1} | {:.0} |", case.name, 1e6 / micros);
        }
    }
}

/// Times each step of `iterations` ceremonies of `case`; returns (step, total time) in the order to print.
fn run_case(rp: &RelyingParty, aaguid: Aaguid, case: &Case, iterations: usize) -> Vec<(&'static str, Duration)> {
    let request = RegistrationRequest {
        user_handle: vec![7; 16],
        user_name: "bench@bench.test".into(),
        display_name: "Bench User".into(),
        exclude_credentials: Vec::new(),
        attestation: case.conveyance,
        timeout: Duration::from_secs(300),
        path: None,
    };

    // Registration begin: creation options and the sealed pending state.
    let started = Instant::now();
    let begun: Vec<(Value, PendingCeremony)> = (0..iterations)
        .map(|_| black_box(rp.begin_registration(black_box(&request)).expect("begin registration")))
        .collect();
    let begin = started.elapsed();

    // The client side, for comparison: what the load generator's authenticator spends making each response.
    let started = Instant::now();
    let registrations: Vec<Registration> = begun
        .into_iter()
        .map(|(options, pending)| {
            let mut authenticator = SoftAuthenticator::new(aaguid).attestation(case.attestation.clone());
            let response = authenticator
                .register(&options, ORIGIN)
                .expect("the authenticator registers");
            Registration {
                response,
                pending,
                authenticator,
            }
        })
        .collect();
    let client_register = started.elapsed();

    // Registration finish: verification into facts, attestation trust judged against the catalog.
    let now = OffsetDateTime::now_utc();
    let started = Instant::now();
    let verified: Vec<_> = registrations
        .iter()
        .map(|r| {
            black_box(
                rp.finish_registration(black_box(&r.response), &r.pending, &case.catalog, now)
                    .expect("the registration verifies"),
            )
        })
        .collect();
    let finish = started.elapsed();
    let expect_verified = matches!(case.attestation, Attestation::Packed(_));
    assert_eq!(
        matches!(verified[0].facts.trust, Trust::Verified { .. }),
        expect_verified,
        "{}: attestation trust is as the case intends ({:?})",
        case.name,
        verified[0].facts.trust
    );

    // Sign-in: a username-less request, then the assertion verified against the stored credential.
    let mut sign_ins = Vec::with_capacity(iterations);
    let mut client_sign_in = Duration::ZERO;
    for (mut registration, verified) in registrations.into_iter().zip(&verified) {
        let (options, pending) = rp.begin_sign_in(&[]).expect("begin sign-in");
        let started = Instant::now();
        let response = registration
            .authenticator
            .sign_in(&options, ORIGIN)
            .expect("the authenticator signs in");
        client_sign_in += started.elapsed();
        sign_ins.push(SignIn {
            response,
            pending,
            credential: verified.stored.clone(),
        });
    }
    let started = Instant::now();
    for sign_in in &sign_ins {
        black_box(
            rp.finish_sign_in(black_box(&sign_in.response), &sign_in.pending, &sign_in.credential)
                .expect("the assertion verifies"),
        );
    }
    let sign_in_finish = started.elapsed();
    // Begin is timed alone so that the authenticator's signing is not counted.
    let started = Instant::now();
    for _ in 0..iterations {
        black_box(rp.begin_sign_in(&[]).expect("begin sign-in"));
    }
    let sign_in_begin = started.elapsed();

    vec![
        ("registration begin", begin),
        ("registration finish", finish),
        ("registration begin + finish", begin + finish),
        ("sign-in begin", sign_in_begin),
        ("sign-in finish", sign_in_finish),
        ("sign-in begin + finish", sign_in_begin + sign_in_finish),
        ("client: SoftAuthenticator create (not server work)", client_register),
        ("client: SoftAuthenticator get (not server work)", client_sign_in),
    ]
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
