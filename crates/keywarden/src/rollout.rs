//! The rollout commands: `rollout status` (per ring, with the chart written as SVG by `--svg`), `rollout tighten`
//! (a proposal, saved only with `--apply`), `rollout readiness`, and `policy what-if`. The operations decide and
//! change; this module prints.

use std::path::Path;

use anyhow::Context;
use keywarden_domain::rollout::status::RingStatus;
use keywarden_domain::rollout::what_if::WhatIf;
use keywarden_server::ops::rollout::{self as ops, ReadinessQuery, StatusQuery, TightenRequest};
use keywarden_server::{AppState, Config, RequestContext};

use crate::cli::{Output, ReadinessArgs, RolloutCommand, StatusArgs, TightenArgs};
use crate::commands::{operator, print_json};
use crate::reports::state_with_metadata;
use crate::{Failure, Outcome, table};

/// Prints a report as JSON.
fn json(value: Result<serde_json::Value, serde_json::Error>) -> Result<(), Failure> {
    print_json(&value.map_err(|e| Failure::Internal(e.into()))?);
    Ok(())
}

pub(crate) async fn run(config: Config, command: RolloutCommand) -> Outcome {
    match command {
        RolloutCommand::Status(args) => status(config, args).await,
        RolloutCommand::Tighten(args) => tighten(config, args).await,
        RolloutCommand::Readiness(args) => readiness(config, args).await,
    }
}

const STATUS_COLUMNS: [&str; 11] = [
    "Ring",
    "Targeting",
    "Members",
    "Targeted",
    "Covered",
    "Coverage",
    "Refused",
    "Attempts",
    "Succeeded",
    "Failed",
    "FailureCodes",
];

fn status_row(ring: &RingStatus) -> Vec<String> {
    vec![
        ring.display_name.clone(),
        ring.targeting.label().into(),
        ring.members.to_string(),
        ring.targeted.to_string(),
        ring.covered.to_string(),
        format!("{:.0}%", ring.coverage * 100.0),
        ring.refused.to_string(),
        ring.attempts.total.to_string(),
        ring.attempts.succeeded.to_string(),
        ring.attempts.failed.to_string(),
        ring.attempts.codes_text(),
    ]
}

async fn status(config: Config, args: StatusArgs) -> Outcome {
    let state = state_with_metadata(config).await?;
    let query = StatusQuery {
        since: args.since,
        format: None,
    };
    let status = ops::status(&state, &operator(), &query).await?;
    if let Some(path) = &args.svg {
        write_file(path, &ops::chart(&status))?;
        eprintln!("wrote the rollout chart to {}", path.display());
    }
    let rows: Vec<Vec<String>> = status
        .rings
        .iter()
        .chain(std::iter::once(&status.all_users))
        .map(status_row)
        .collect();
    match args.format {
        Output::Json => json(serde_json::to_value(&status))?,
        Output::Csv => print!("{}", table::csv(&STATUS_COLUMNS, &rows)),
        Output::Table => {
            print!("{}", table::render(&STATUS_COLUMNS, &rows));
            if status.method_state == keywarden_domain::policy::State::Disabled {
                println!("\nthe passkey method is disabled: targeted users cannot register yet");
            }
        }
    }
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .with_context(|| format!("writing {}", path.display()))
        .map_err(Failure::Usage)
}

async fn tighten(config: Config, args: TightenArgs) -> Outcome {
    let state = state_with_metadata(config).await?;
    let ctx = RequestContext::local(state.clock.now());
    let request = TightenRequest {
        profile: args.profile,
        apply: args.apply,
    };
    let tightened = ops::tighten(&state, &ctx, &operator(), &request).await?;
    if args.format == Output::Json {
        return json(serde_json::to_value(&tightened));
    }
    let proposal = &tightened.proposal;
    let rows: Vec<Vec<String>> = proposal
        .observed
        .iter()
        .map(|m| {
            vec![
                m.aaguid.to_string(),
                m.name.clone().unwrap_or_default(),
                m.passkeys.to_string(),
                m.users.to_string(),
                m.passkey_types.to_string(),
                if m.proposed { "yes" } else { "no" }.into(),
                m.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    if args.format == Output::Csv {
        print!("{}", table::csv(&OBSERVED_COLUMNS, &rows));
        return Ok(());
    }
    println!(
        "profile {} ({}): {} user(s), {} holding passkeys",
        proposal.profile.name, proposal.profile.id, proposal.users, proposal.users_with_passkeys
    );
    println!("today it accepts: {}", proposal.current.accepts.join("; "));
    println!();
    if rows.is_empty() {
        println!("no passkeys among the profile's users");
    } else {
        print!("{}", table::render(&OBSERVED_COLUMNS, &rows));
    }
    if let Some(proposed) = &proposal.proposed {
        println!("\nonce tightened it would accept: {}", proposed.accepts.join("; "));
    }
    if let Some(what_if) = &tightened.what_if {
        println!();
        print_what_if(what_if);
    }
    for note in &proposal.notes {
        println!("note: {note}");
    }
    println!();
    // A proposal comes with its what-if; without one there is nothing to apply.
    if tightened.applied {
        println!("applied: policy version {}", tightened.policy_version);
    } else if tightened.what_if.is_some() {
        println!(
            "not applied: run again with --apply to save it (the policy is at version {})",
            tightened.policy_version
        );
    } else {
        println!("nothing to apply (policy version {})", tightened.policy_version);
    }
    Ok(())
}

const READINESS_COLUMNS: [&str; 7] = [
    "UserPrincipalName",
    "Reason",
    "Code",
    "Detail",
    "MethodsUsable",
    "CanRegisterPasskey",
    "Fix",
];

async fn readiness(config: Config, args: ReadinessArgs) -> Outcome {
    let state = state_with_metadata(config).await?;
    let query = ReadinessQuery {
        strength: Some(args.strength),
        group: args.group,
        top: args.top,
    };
    let answer = ops::readiness(&state, &operator(), &query).await?;
    let report = &answer.report;
    let rows: Vec<Vec<String>> = report
        .locked_out_users
        .iter()
        .map(|l| {
            vec![
                l.user.user_principal_name.clone(),
                l.reason.as_str().into(),
                l.code.map(|c| c.as_str().to_string()).unwrap_or_default(),
                l.detail.clone(),
                l.methods_usable.join(", "),
                if l.can_register_passkey { "yes" } else { "no" }.into(),
                l.fix.clone(),
            ]
        })
        .collect();
    match args.format {
        Output::Json => json(serde_json::to_value(&answer))?,
        Output::Csv => print!("{}", table::csv(&READINESS_COLUMNS, &rows)),
        Output::Table => {
            let scope = match &answer.group {
                Some(group) => format!("members of {}", group.display_name),
                None => "users".into(),
            };
            println!(
                "if {} were required now: {} {scope}, {} ready, {} would be locked out",
                report.strength.display_name, report.users, report.ready, report.locked_out
            );
            for count in &report.by_reason {
                println!("  {}: {}", count.reason.as_str(), count.users);
            }
            if !rows.is_empty() {
                println!();
                print!("{}", table::render(&READINESS_COLUMNS[..6], &rows));
                let listed = rows.len() as u64;
                if report.locked_out > listed {
                    println!("... and {} more (--top)", report.locked_out - listed);
                }
            }
        }
    }
    Ok(())
}

/// The models observed among a profile's users, as `tighten` lists them.
const OBSERVED_COLUMNS: [&str; 7] = ["AAGUID", "Model", "Passkeys", "Users", "Types", "Proposed", "Note"];

/// A what-if as one row per passkey or user whose outcome would change.
const WHAT_IF_COLUMNS: [&str; 8] = [
    "Effect",
    "UserPrincipalName",
    "Passkey",
    "AAGUID",
    "Model",
    "AcceptedTodayBy",
    "Code",
    "Reason",
];

fn what_if_rows(what_if: &WhatIf) -> Vec<Vec<String>> {
    let stop = what_if.credentials_stop_working.iter().map(|c| {
        vec![
            "stopsWorkingAtSignIn".to_string(),
            c.user.user_principal_name.clone(),
            c.passkey.display_name.clone(),
            c.passkey.aaguid.to_string(),
            c.passkey.model.clone().unwrap_or_default(),
            c.accepted_today_by.clone(),
            c.code.as_str().to_string(),
            c.reason.clone(),
        ]
    });
    let registration = |effect: &str, r: &keywarden_domain::rollout::what_if::RegistrationChange| {
        vec![
            effect.to_string(),
            r.user.user_principal_name.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            r.code.as_str().to_string(),
            r.reason.clone(),
        ]
    };
    stop.chain(
        what_if
            .users_lose_registration
            .iter()
            .map(|r| registration("losesRegistration", r)),
    )
    .chain(
        what_if
            .users_gain_registration
            .iter()
            .map(|r| registration("gainsRegistration", r)),
    )
    .collect()
}

fn print_what_if(what_if: &WhatIf) {
    let summary = &what_if.summary;
    println!(
        "what-if over {} user(s) and {} passkey(s): {} passkey(s) of {} user(s) would stop working at sign-in ({} \
         left with none), {} would start working; {} user(s) would lose the ability to register, {} would gain it",
        summary.users,
        summary.passkeys,
        summary.credentials_stop_working,
        summary.users_losing_credentials,
        summary.users_left_without_passkey,
        summary.credentials_start_working,
        summary.users_lose_registration,
        summary.users_gain_registration,
    );
    for change in &what_if.changes {
        println!(
            "  change {}: {} -> {}",
            change.display_name,
            change.old_value.as_deref().unwrap_or(""),
            change.new_value.as_deref().unwrap_or("")
        );
    }
    for c in &what_if.credentials_stop_working {
        println!(
            "  stops working: {} {}: {} ({})",
            c.user.user_principal_name,
            c.passkey.label(),
            c.reason,
            c.code.as_str()
        );
    }
    for r in &what_if.users_lose_registration {
        println!(
            "  cannot register any more: {}: {} ({})",
            r.user.user_principal_name,
            r.reason,
            r.code.as_str()
        );
    }
    for r in &what_if.users_gain_registration {
        println!(
            "  newly able to register: {} (today: {})",
            r.user.user_principal_name,
            r.code.as_str()
        );
    }
    for note in &what_if.notes {
        println!("  note: {note}");
    }
}

/// `policy what-if FILE`: the document is read as `policy apply` reads it, and nothing is saved.
pub(crate) async fn what_if(state: &AppState, file: &Path, format: Output) -> Outcome {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading {}", file.display()))
        .map_err(Failure::Usage)?;
    let catalog = keywarden_server::state::load_catalog(&state.config, time::OffsetDateTime::now_utc())
        .await
        .map_err(Failure::Usage)?;
    state.set_catalog(catalog);
    let report = ops::what_if(state, &operator(), &text).await?;
    match format {
        Output::Json => json(serde_json::to_value(&report))?,
        Output::Csv => print!("{}", table::csv(&WHAT_IF_COLUMNS, &what_if_rows(&report.what_if))),
        Output::Table => {
            if report.what_if.changes.is_empty() {
                println!(
                    "no change: {} is the policy in force (version {})",
                    file.display(),
                    report.policy_version
                );
            }
            print_what_if(&report.what_if);
            println!("nothing was saved (the policy is at version {})", report.policy_version);
        }
    }
    Ok(())
}
