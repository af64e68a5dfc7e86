//! The report commands: `inventory` (per passkey, per model, or the users without a phishing-resistant method),
//! `findings`, and `audit export`. They write what the operations stream, chunk by chunk, so memory stays flat
//! however large the directory; a progress line goes to standard error when it is a terminal.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use keywarden_domain::reports::findings::Finding;
use keywarden_domain::reports::inventory::{self, BY_MODEL_COLUMNS};
use keywarden_domain::reports::methods;
use keywarden_server::ops::audit;
use keywarden_server::ops::reports::{self as ops, Batches, Export, FindingsQuery, Format};
use keywarden_server::{AppState, Config};
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::{AuditExportArgs, ExportFormat, FindingsArgs, GroupBy, InventoryArgs, Output};
use crate::commands::{operator, state};
use crate::progress::Progress;
use crate::{Failure, Outcome, table};

/// Rows shown before the table's column widths are fixed; later rows keep those widths.
const TABLE_SAMPLE: usize = 500;

/// The state with the configured FIDO metadata, which the inventory's status column and the findings read.
pub(crate) async fn state_with_metadata(config: Config) -> Result<AppState, Failure> {
    let catalog = keywarden_server::state::load_catalog(&config, OffsetDateTime::now_utc())
        .await
        .map_err(Failure::Usage)?;
    state(config, catalog).await
}

/// Where a report goes: `-` or nothing is standard output, except CSV which goes to `default_file`.
fn open(output: Option<&Path>, csv_default: Option<&str>) -> Result<(Box<dyn Write + Send>, Option<PathBuf>), Failure> {
    let path = match output {
        Some(path) if path == Path::new("-") => None,
        Some(path) => Some(path.to_path_buf()),
        None => csv_default.map(PathBuf::from),
    };
    match path {
        None => Ok((Box::new(std::io::stdout()), None)),
        Some(path) => {
            let file = std::fs::File::create(&path)
                .with_context(|| format!("creating {}", path.display()))
                .map_err(Failure::Usage)?;
            Ok((
                Box::new(std::io::BufWriter::with_capacity(256 * 1024, file)),
                Some(path),
            ))
        }
    }
}

fn write_failed(e: std::io::Error) -> Failure {
    Failure::Internal(anyhow::Error::new(e).context("writing the report"))
}

/// Writes an export's chunks; returns how many rows it held.
async fn write_export(export: Export, out: &mut dyn Write, progress: &mut Progress) -> Result<u64, Failure> {
    let mut chunks = export.chunks;
    let mut rows = 0;
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk?;
        out.write_all(&chunk.bytes).map_err(write_failed)?;
        rows += chunk.rows;
        progress.add(chunk.rows);
    }
    out.flush().map_err(write_failed)?;
    progress.finish();
    Ok(rows)
}

fn wrote(rows: u64, what: &str, path: Option<&Path>) {
    if let Some(path) = path {
        eprintln!("wrote {rows} {what} to {}", path.display());
    }
}

/// Prints batches of rows as a table: the first rows fix the column widths.
async fn write_table<T>(
    mut batches: Batches<T>,
    header: &[&str],
    cells: impl Fn(&T) -> Vec<String>,
    out: &mut dyn Write,
    progress: &mut Progress,
) -> Result<u64, Failure> {
    let mut sample: Vec<Vec<String>> = Vec::new();
    let mut widths: Option<Vec<usize>> = None;
    let mut rows = 0u64;
    let print = |row: &[String], widths: &[usize], out: &mut dyn Write| -> Result<(), Failure> {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", table::line(&cells, widths)).map_err(write_failed)
    };
    while let Some(batch) = batches.recv().await {
        let batch = batch?;
        progress.add(batch.len() as u64);
        for row in &batch {
            rows += 1;
            let row = cells(row);
            match &widths {
                Some(widths) => print(&row, widths, out)?,
                None => {
                    sample.push(row);
                    if sample.len() == TABLE_SAMPLE {
                        let fixed = table::widths(header, &sample);
                        writeln!(out, "{}", table::line(header, &fixed)).map_err(write_failed)?;
                        for row in sample.drain(..) {
                            print(&row, &fixed, out)?;
                        }
                        widths = Some(fixed);
                    }
                }
            }
        }
    }
    if widths.is_none() {
        write!(out, "{}", table::render(header, &sample)).map_err(write_failed)?;
    }
    out.flush().map_err(write_failed)?;
    progress.finish();
    Ok(rows)
}

fn export_format(format: Output) -> Format {
    match format {
        Output::Csv => Format::Csv,
        Output::Json | Output::Table => Format::Json,
    }
}

pub(crate) async fn inventory(config: Config, args: InventoryArgs) -> Outcome {
    let state = state_with_metadata(config).await?;
    let actor = operator();
    let csv_file = |name: &'static str| (args.format == Output::Csv).then_some(name);
    if args.by == Some(GroupBy::Model) {
        let models = ops::by_model(&state, &actor).await?;
        let (mut out, path) = open(args.output.as_deref(), csv_file("passkey-models.csv"))?;
        let rows: Vec<Vec<String>> = models.iter().map(|m| m.cells()).collect();
        let text = match args.format {
            Output::Table => table::render(&BY_MODEL_COLUMNS, &rows),
            Output::Csv => table::csv(&BY_MODEL_COLUMNS, &rows),
            Output::Json => format!("{:#}\n", json!({ "value": models })),
        };
        out.write_all(text.as_bytes()).map_err(write_failed)?;
        out.flush().map_err(write_failed)?;
        wrote(models.len() as u64, "models", path.as_deref());
        return Ok(());
    }
    if args.without_phishing_resistant {
        let (mut out, path) = open(
            args.output.as_deref(),
            csv_file("users-without-phishing-resistant-method.csv"),
        )?;
        let mut progress = Progress::new("users", None);
        let rows = if args.format == Output::Table {
            let batches = ops::users_without_phishing_resistant_rows(&state, &actor)?;
            write_table(
                batches,
                &methods::COLUMNS,
                |r| r.cells().to_vec(),
                &mut out,
                &mut progress,
            )
            .await?
        } else {
            let export = ops::users_without_phishing_resistant(&state, &actor, export_format(args.format))?;
            write_export(export, &mut out, &mut progress).await?
        };
        wrote(rows, "users", path.as_deref());
        return Ok(());
    }
    let total = state.store.count_passkeys().await?;
    let (mut out, path) = open(args.output.as_deref(), csv_file("passkey-inventory.csv"))?;
    let mut progress = Progress::new("passkeys", Some(total));
    let rows = if args.format == Output::Table {
        let batches = ops::inventory_rows(&state, &actor)?;
        let cells = |row: &inventory::Row| row.cells().iter().map(|c| c.to_string()).collect();
        write_table(batches, &inventory::COLUMNS, cells, &mut out, &mut progress).await?
    } else {
        let export = ops::inventory(&state, &actor, export_format(args.format))?;
        write_export(export, &mut out, &mut progress).await?
    };
    wrote(rows, "passkeys", path.as_deref());
    Ok(())
}

fn users_cell(finding: &Finding) -> String {
    let names: Vec<&str> = finding.users.iter().map(|u| u.user_principal_name.as_str()).collect();
    let more = finding.n_users.saturating_sub(names.len() as u64);
    let mut text = names.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

fn credentials_cell(finding: &Finding) -> String {
    let names: Vec<String> = finding
        .credentials
        .iter()
        .map(|c| {
            let what = c.model.clone().or(c.aaguid.map(|a| a.to_string()));
            match what {
                Some(what) => format!(
                    "{} ({what}) of {}",
                    c.display_name.as_deref().unwrap_or(c.method),
                    c.user_principal_name
                ),
                None => format!(
                    "{} of {}",
                    c.display_name.as_deref().unwrap_or(c.method),
                    c.user_principal_name
                ),
            }
        })
        .collect();
    let more = finding.n_credentials.saturating_sub(names.len() as u64);
    let mut text = names.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

pub(crate) async fn findings(config: Config, args: FindingsArgs) -> Outcome {
    let state = state_with_metadata(config).await?;
    let query = FindingsQuery {
        bulk_threshold: args.bulk_threshold,
        bulk_window: args.bulk_window,
        since: args.since,
        long_pass_lifetime: args.long_pass_lifetime,
        top: args.top,
    };
    let options = ops::findings_options(&query)?;
    let found = ops::findings(&state, &operator(), &options).await?;
    match args.format {
        Output::Json => crate::commands::print_json(&keywarden_server::wire::FindingsView {
            options: keywarden_server::wire::FindingsOptionsView::from(&options),
            value: found.clone(),
        }),
        Output::Csv => {
            let header = [
                "Severity",
                "Kind",
                "UserCount",
                "CredentialCount",
                "Summary",
                "Action",
                "Users",
                "Credentials",
            ];
            let rows: Vec<Vec<String>> = found
                .iter()
                .map(|f| {
                    vec![
                        f.severity.as_str().into(),
                        f.kind.as_str().into(),
                        f.n_users.to_string(),
                        f.n_credentials.to_string(),
                        f.summary.clone(),
                        f.action.clone(),
                        users_cell(f),
                        credentials_cell(f),
                    ]
                })
                .collect();
            print!("{}", table::csv(&header, &rows));
        }
        Output::Table => {
            if found.is_empty() {
                println!("no findings");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = found
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    vec![
                        (i + 1).to_string(),
                        f.severity.as_str().into(),
                        f.kind.as_str().into(),
                        f.n_users.to_string(),
                        f.n_credentials.to_string(),
                        f.summary.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table::render(&["#", "Severity", "Finding", "Users", "Credentials", "Summary"], &rows)
            );
            for (i, f) in found.iter().enumerate() {
                println!();
                println!("{}. {} ({})", i + 1, f.kind.as_str(), f.severity.as_str());
                if !f.users.is_empty() {
                    println!("   users: {}", users_cell(f));
                }
                if !f.credentials.is_empty() {
                    println!("   credentials: {}", credentials_cell(f));
                }
                println!("   action: {}", f.action);
            }
        }
    }
    Ok(())
}

pub(crate) async fn audit_export(config: Config, args: AuditExportArgs) -> Outcome {
    let state = state(config, keywarden_domain::metadata::Catalog::default()).await?;
    let filters = args.filters;
    let query = audit::Query {
        since: filters.since,
        until: filters.until,
        activity: filters.activity,
        initiator: filters.initiator,
        target: filters.target,
        result: filters.result,
        correlation_id: filters.correlation_id,
        cursor: None,
        top: None,
    };
    let format = match args.format {
        ExportFormat::Jsonl => Format::Jsonl,
        ExportFormat::Csv => Format::Csv,
    };
    let export = ops::audit_export(&state, &operator(), &query, format).await?;
    let (mut out, path) = open(args.output.as_deref(), None)?;
    let mut progress = Progress::new("audit events", None);
    let rows = write_export(export, &mut out, &mut progress).await?;
    wrote(rows, "audit events", path.as_deref());
    Ok(())
}
