//! Reports for the help desk and governance: the passkey inventory (and per model), users without a
//! phishing-resistant method, findings, and the audit export for a SIEM.
//!
//! Large reports are streamed: a task reads the store row by row and sends batches of rows ([`Batches`]); another
//! encodes them as CSV, JSON or JSON lines into byte chunks ([`Chunks`]). The HTTP handlers send the chunks as the
//! response body and the CLI writes them to a file, so memory stays flat whatever the size of the directory. The
//! permission check happens before anything is spawned, so a refusal is an ordinary error.

use futures_util::{StreamExt, TryStreamExt};
use keywarden_domain::access::Action;
use keywarden_domain::audit::Event;
use keywarden_domain::reports::audit_logs;
use keywarden_domain::reports::findings::{Finding, FindingsOptions, Review, policy_scope};
use keywarden_domain::reports::inventory::{self, Inventory, ModelSummary};
use keywarden_domain::reports::methods::{self, UserRow};
use keywarden_store::{Scan, Selection, Store};
use time::Duration;
use tokio::sync::mpsc;

use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::ops::audit;
use crate::state::AppState;

/// Rows per batch sent between the reading task and the encoding task.
const BATCH: usize = 1024;
/// Bytes per chunk sent to the client or the file.
const CHUNK: usize = 64 * 1024;

/// Batches of report rows, read by a task; an error ends the stream.
pub type Batches<T> = mpsc::Receiver<Result<Vec<T>, ApiError>>;

/// Encoded bytes, with how many rows they hold; an error ends the stream.
pub type Chunks = mpsc::Receiver<Result<Chunk, ApiError>>;

#[derive(Debug)]
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub rows: u64,
}

/// How a streamed report is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A Graph collection: `{"value": [...]}`.
    Json,
    /// RFC 4180, every field quoted, CRLF line ends: what PowerShell's `Export-Csv` writes.
    Csv,
    /// One JSON object per line (for SIEM ingestion).
    Jsonl,
}

impl Format {
    pub fn parse(text: &str) -> Result<Format, ApiError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            other => Err(ApiError::invalid(format!("format {other:?} is not json, csv or jsonl"))),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Jsonl => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// A streamed report: its bytes and how to name them.
pub struct Export {
    pub chunks: Chunks,
    pub content_type: &'static str,
    /// The file name a download or the CLI uses (`passkey-inventory.csv`, as the playbook's script writes).
    pub file_name: String,
}

/// A CSV cell as a spreadsheet will read it: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
/// is prefixed with `'`, so that Excel, LibreOffice and Google Sheets keep it as text and never run it as a formula
/// (OWASP, CSV injection: a passkey renamed `=HYPERLINK(...)` must not become a link in the help desk's sheet).
/// Every CSV keywarden writes, on the server and in the CLI, goes through this.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Writes one CSV record, every cell through [`csv_cell`].
fn write_cells<I, T>(out: &mut csv::Writer<Vec<u8>>, cells: I) -> csv::Result<()>
where
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    out.write_record(cells.into_iter().map(|cell| csv_cell(cell.as_ref()).into_owned()))
}

/// A row type that can be written in each format.
pub trait Encode: Send + 'static {
    fn columns() -> &'static [&'static str];
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;
    fn write_csv(&self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()>;
}

impl Encode for inventory::Row {
    fn columns() -> &'static [&'static str] {
        &inventory::COLUMNS
    }
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
    }
    fn write_csv(&self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
        write_cells(out, self.cells())
    }
}

impl Encode for UserRow {
    fn columns() -> &'static [&'static str] {
        &methods::COLUMNS
    }
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
    }
    fn write_csv(&self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
        write_cells(out, self.cells())
    }
}

impl Encode for Event {
    fn columns() -> &'static [&'static str] {
        &audit_logs::COLUMNS
    }
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, &audit_logs::Record::new(self))
    }
    fn write_csv(&self, out: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
        write_cells(out, audit_logs::Record::new(self).cells())
    }
}

/// Writes rows in one format into a buffer that is drained chunk by chunk.
struct Encoder {
    format: Format,
    out: Vec<u8>,
    /// CSV goes through its own writer, replaced at each chunk (`csv::Writer` gives its buffer back only whole).
    csv: csv::Writer<Vec<u8>>,
    first: bool,
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(CHUNK + 4096))
}

impl Encoder {
    fn begin(format: Format, columns: &[&str]) -> Result<Encoder, ApiError> {
        let mut csv = csv_writer();
        let mut out = Vec::with_capacity(CHUNK + 4096);
        match format {
            Format::Csv => csv.write_record(columns).map_err(ApiError::internal)?,
            Format::Json => out.extend_from_slice(b"{\"value\":["),
            Format::Jsonl => {}
        }
        Ok(Encoder {
            format,
            out,
            csv,
            first: true,
        })
    }

    fn row<T: Encode>(&mut self, row: &T) -> Result<(), ApiError> {
        match self.format {
            Format::Csv => row.write_csv(&mut self.csv).map_err(ApiError::internal)?,
            Format::Json => {
                if !self.first {
                    self.out.push(b',');
                }
                self.out.push(b'\n');
                row.write_json(&mut self.out).map_err(ApiError::internal)?;
            }
            Format::Jsonl => {
                row.write_json(&mut self.out).map_err(ApiError::internal)?;
                self.out.push(b'\n');
            }
        }
        self.first = false;
        Ok(())
    }

    /// The bytes written so far.
    fn take(&mut self) -> Result<Vec<u8>, ApiError> {
        if self.format == Format::Csv {
            let writer = std::mem::replace(&mut self.csv, csv_writer());
            return writer
                .into_inner()
                .map_err(|e| ApiError::internal(anyhow::anyhow!("writing CSV: {}", e.error())));
        }
        Ok(std::mem::replace(&mut self.out, Vec::with_capacity(CHUNK + 4096)))
    }

    /// Roughly how many bytes are waiting (the CSV writer's own buffer of a few kilobytes is not counted).
    fn pending(&self) -> usize {
        self.out.len() + self.csv.get_ref().len()
    }

    fn finish(mut self) -> Result<Vec<u8>, ApiError> {
        if self.format == Format::Json {
            self.out.extend_from_slice(b"\n]}\n");
        }
        self.take()
    }
}

/// Reads `scan` in a task, sending batches of what `map` makes of each item (none, one or several rows).
fn produce<T, U>(store: Store, scan: Scan<T>, mut map: impl FnMut(T, &mut Vec<U>) + Send + 'static) -> Batches<U>
where
    T: Send + 'static,
    U: Send + 'static,
{
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let mut rows = store.stream(&scan);
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            match rows.next().await {
                Some(Ok(item)) => {
                    map(item, &mut batch);
                    if batch.len() >= BATCH && tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                        return;
                    }
                }
                Some(Err(e)) => {
                    let _ = tx.send(Err(ApiError::from(e))).await;
                    return;
                }
                None => {
                    if !batch.is_empty() {
                        let _ = tx.send(Ok(batch)).await;
                    }
                    return;
                }
            }
        }
    });
    rx
}

/// Encodes batches of rows in a task, sending chunks of about [`CHUNK`] bytes.
pub fn encode<T: Encode>(mut batches: Batches<T>, format: Format) -> Chunks {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let result: Result<(), ApiError> = async {
            let mut encoder = Encoder::begin(format, T::columns())?;
            let mut rows = 0u64;
            while let Some(batch) = batches.recv().await {
                for row in batch? {
                    encoder.row(&row)?;
                    rows += 1;
                }
                if encoder.pending() >= CHUNK {
                    let bytes = encoder.take()?;
                    if tx.send(Ok(Chunk { bytes, rows })).await.is_err() {
                        return Ok(());
                    }
                    rows = 0;
                }
            }
            let bytes = encoder.finish()?;
            let _ = tx.send(Ok(Chunk { bytes, rows })).await;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            let _ = tx.send(Err(e)).await;
        }
    });
    rx
}

/// Every registered passkey as an inventory row, ordered by userPrincipalName, streamed.
pub fn inventory_rows(state: &AppState, actor: &Actor) -> Result<Batches<inventory::Row>, ApiError> {
    actor.require(Action::Read)?;
    let catalog = state.catalog();
    let mut inventory = Inventory::default();
    Ok(produce(
        state.store.clone(),
        state.store.inventory_scan(),
        move |records: Vec<_>, rows: &mut Vec<_>| rows.extend(records.into_iter().map(|r| inventory.row(&catalog, r))),
    ))
}

/// The inventory as a file: `passkey-inventory.csv` (or `.json`).
pub fn inventory(state: &AppState, actor: &Actor, format: Format) -> Result<Export, ApiError> {
    let rows = inventory_rows(state, actor)?;
    Ok(Export {
        chunks: encode(rows, format),
        content_type: format.content_type(),
        file_name: format!("passkey-inventory.{}", format.extension()),
    })
}

/// Passkeys counted per authenticator model.
pub async fn by_model(state: &AppState, actor: &Actor) -> Result<Vec<ModelSummary>, ApiError> {
    actor.require(Action::Read)?;
    let policy = super::current_policy(state).await?;
    let counts = state.store.model_counts().await?;
    Ok(inventory::by_model(counts, &policy.policy.fido2, &state.catalog()))
}

/// Users who hold no passkey, with the methods they do hold, ordered by userPrincipalName, streamed.
pub fn users_without_phishing_resistant_rows(state: &AppState, actor: &Actor) -> Result<Batches<UserRow>, ApiError> {
    actor.require(Action::Read)?;
    let now = state.clock.now();
    Ok(produce(
        state.store.clone(),
        state.store.user_methods_scan(true),
        move |methods, rows: &mut Vec<_>| rows.push(UserRow::new(&methods, now)),
    ))
}

pub fn users_without_phishing_resistant(state: &AppState, actor: &Actor, format: Format) -> Result<Export, ApiError> {
    let rows = users_without_phishing_resistant_rows(state, actor)?;
    Ok(Export {
        chunks: encode(rows, format),
        content_type: format.content_type(),
        file_name: format!("users-without-phishing-resistant-method.{}", format.extension()),
    })
}

/// The audit log, with the audit list's filters, oldest first, as Entra `AuditLogs` records.
pub async fn audit_export(
    state: &AppState,
    actor: &Actor,
    query: &audit::Query,
    format: Format,
) -> Result<Export, ApiError> {
    actor.require(Action::Read)?;
    let (filter, _) = audit::filter_of(state, query, state.clock.now()).await?;
    let rows = produce(
        state.store.clone(),
        state.store.audit_export_scan(&filter),
        |event, rows: &mut Vec<_>| rows.push(event),
    );
    Ok(Export {
        chunks: encode(rows, format),
        content_type: format.content_type(),
        file_name: format!("audit-logs.{}", format.extension()),
    })
}

/// Findings thresholds as a person or a client gives them; every field is optional.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// How many registrations by one administrator within the window make a burst.
    pub bulk_threshold: Option<u32>,
    /// A duration such as `10m`.
    pub bulk_window: Option<String>,
    /// How far back the audit log is read, such as `90d`.
    pub since: Option<String>,
    /// A duration such as `4h`.
    pub long_pass_lifetime: Option<String>,
    /// How many users and credentials each finding lists.
    pub top: Option<usize>,
}

/// Parses `30s`, `10m`, `4h`, `90d`.
/// At most 100 years: longer would reach past the times keywarden can represent.
pub fn parse_duration(text: &str, what: &str) -> Result<Duration, ApiError> {
    const LONGEST_SECONDS: i64 = 36_500 * 86_400;
    let text = text.trim();
    let invalid = || ApiError::invalid(format!("{what} {text:?} is not a duration such as 30s, 10m, 4h or 90d"));
    let unit = text.chars().last().ok_or_else(invalid)?;
    let n: i64 = text[..text.len() - unit.len_utf8()].parse().map_err(|_| invalid())?;
    if n <= 0 {
        return Err(invalid());
    }
    let unit_seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(invalid()),
    };
    n.checked_mul(unit_seconds)
        .filter(|&seconds| seconds <= LONGEST_SECONDS)
        .map(Duration::seconds)
        .ok_or_else(|| ApiError::invalid(format!("{what} {text:?} is longer than 100 years")))
}

pub fn findings_options(query: &FindingsQuery) -> Result<FindingsOptions, ApiError> {
    let mut options = FindingsOptions::default();
    if let Some(n) = query.bulk_threshold {
        if n == 0 {
            return Err(ApiError::invalid("bulkThreshold must be at least 1"));
        }
        options.bulk_threshold = n;
    }
    if let Some(w) = &query.bulk_window {
        options.bulk_window = parse_duration(w, "bulkWindow")?;
    }
    if let Some(s) = &query.since {
        options.audit_lookback = parse_duration(s, "since")?;
    }
    if let Some(l) = &query.long_pass_lifetime {
        options.long_access_pass_lifetime = parse_duration(l, "longPassLifetime")?;
    }
    if let Some(top) = query.top {
        if !(1..=100_000).contains(&top) {
            return Err(ApiError::invalid("top must be between 1 and 100000"));
        }
        options.max_listed = top;
    }
    Ok(options)
}

async fn feed<T>(store: &Store, scan: Scan<T>, mut each: impl FnMut(T)) -> Result<(), ApiError>
where
    T: Send,
{
    let mut rows = store.stream(&scan);
    while let Some(row) = rows.try_next().await? {
        each(row);
    }
    Ok(())
}

/// The findings today, most severe first. The store selects and counts; the domain decides.
pub async fn findings(state: &AppState, actor: &Actor, options: &FindingsOptions) -> Result<Vec<Finding>, ApiError> {
    actor.require(Action::Read)?;
    let policy = super::current_policy(state).await?;
    let fido2 = &policy.policy.fido2;
    let catalog = state.catalog();
    let now = state.clock.now();
    let store = &state.store;
    let mut review = Review::new(options, fido2, &catalog, now);

    feed(store, store.user_methods_scan(true), |methods| review.user(&methods)).await?;

    let scope = policy_scope(fido2);
    feed(store, store.recheck_scan(&scope), |passkeys| {
        passkeys.iter().for_each(|c| review.passkey_to_recheck(c))
    })
    .await?;
    let scan = store.finding_credentials_scan(&Selection::Aaguids(review.alerted_aaguids()), &scope);
    feed(store, scan, |c| review.passkey_of_alerted_model(&c)).await?;
    let scan = store.finding_credentials_scan(&Selection::BackupStateChanged, &scope);
    feed(store, scan, |c| review.passkey_with_backup_change(&c)).await?;
    let scan = store.finding_credentials_scan(&Selection::CounterRegressed, &scope);
    feed(store, scan, |c| review.passkey_with_counter_regression(&c)).await?;

    let scan = store.access_pass_findings_scan(now, options.long_access_pass_lifetime.whole_minutes());
    feed(store, scan, |(pass, user)| review.access_pass(&pass, &user)).await?;

    let since = now - options.audit_lookback;
    for initiator in store
        .admin_registration_initiators(since, options.bulk_threshold)
        .await?
    {
        let scan = store.admin_registrations_scan(&initiator, since);
        feed(store, scan, |event| review.admin_registration(&event)).await?;
    }
    Ok(review.finish())
}
