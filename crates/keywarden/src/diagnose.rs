//! `keywarden diagnose` and `keywarden policy explain`: the help desk's decision tree for a user or an attempt,
//! and a user's effective policy, as text for people, JSON or CSV. The answers come from the server's operations
//! and keywarden-present's renderers; this module only chooses the output.

use keywarden_domain::diagnosis::{Diagnosis, Explanation};
use keywarden_domain::metadata::Catalog;
use keywarden_present::diagnosis as render;
use keywarden_server::ops::{self, diagnosis};
use keywarden_server::{AppState, Config};
use time::OffsetDateTime;

use crate::cli::{DiagnoseArgs, Output};
use crate::commands::{operator, output, print_json, state};
use crate::{Failure, Outcome};

/// The FIDO metadata the configuration names, so that AAGUIDs show with their authenticators' names.
async fn catalog(config: &Config) -> Result<Catalog, Failure> {
    keywarden_server::state::load_catalog(config, OffsetDateTime::now_utc())
        .await
        .map_err(Failure::Usage)
}

fn internal(e: serde_json::Error) -> Failure {
    Failure::Internal(e.into())
}

/// One row per question, for `--format csv`.
fn rows(diagnosis: &Diagnosis) -> Vec<Vec<String>> {
    diagnosis
        .questions
        .iter()
        .map(|step| {
            let modes: Vec<&str> = step.failure_modes.iter().map(|m| m.id.as_str()).collect();
            let fixes: Vec<String> = step
                .failure_modes
                .iter()
                .map(|m| &m.fix)
                .chain(&step.fixes)
                .map(|f| format!("{}: {}", f.action.as_str(), f.text))
                .collect();
            vec![
                step.question.number().to_string(),
                step.title.to_string(),
                step.status.as_str().to_string(),
                step.code.map(|c| c.as_str().to_string()).unwrap_or_default(),
                step.finding.clone(),
                modes.join(";"),
                fixes.join(" | "),
            ]
        })
        .collect()
}

pub(crate) async fn run(config: Config, args: DiagnoseArgs) -> Outcome {
    if args.tree {
        print!("{}", render::tree());
        return Ok(());
    }
    let Some(user) = args.user else {
        return Err(Failure::Usage(anyhow::anyhow!("name a user, or ask for --tree")));
    };
    let catalog = catalog(&config).await?;
    let state = state(config, catalog).await?;
    let subject = if args.last {
        diagnosis::Subject::LastAttempt
    } else {
        diagnosis::Subject::parse(args.attempt.as_deref())?
    };
    let user = ops::find_user(&state, &user).await?;
    let diagnosis = diagnosis::diagnose(&state, &operator(), &user, subject).await?;
    let header = [
        "Question",
        "Title",
        "Status",
        "Code",
        "Finding",
        "FailureModes",
        "Fixes",
    ];
    match args.format {
        Output::Table => print!("{}", render::diagnosis(&diagnosis)),
        Output::Json => print_json(&serde_json::to_value(&diagnosis).map_err(internal)?),
        Output::Csv => output(Output::Csv, &header, &rows(&diagnosis), || serde_json::Value::Null),
    }
    if diagnosis.first_failure.is_some() {
        return Err(Failure::No);
    }
    Ok(())
}

/// One row per applicable profile, for `--format csv`.
fn profile_rows(explanation: &Explanation) -> Vec<Vec<String>> {
    explanation
        .profiles
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.id.clone(),
                p.passkey_types.to_string(),
                serde_json::to_value(p.attestation_enforcement)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                p.accepts.join("; "),
            ]
        })
        .collect()
}

pub(crate) async fn explain(state: &AppState, user: &str, format: Output) -> Outcome {
    state.set_catalog(catalog(&state.config).await?);
    let user = ops::find_user(state, user).await?;
    let explanation = diagnosis::effective_policy(state, &operator(), &user).await?;
    match format {
        Output::Table => print!("{}", render::explanation(&explanation)),
        Output::Json => print_json(&serde_json::to_value(&explanation).map_err(internal)?),
        Output::Csv => output(
            Output::Csv,
            &["Profile", "Id", "PasskeyTypes", "AttestationEnforcement", "Accepts"],
            &profile_rows(&explanation),
            || serde_json::Value::Null,
        ),
    }
    Ok(())
}
