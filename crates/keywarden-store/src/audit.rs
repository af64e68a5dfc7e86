//! The audit log: written inside every state-changing transaction, read with filters and a cursor.

use keywarden_domain::audit::{Activity, Event, Initiator, KeyValue, Outcome, TargetResource};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Transaction};
use time::OffsetDateTime;

use crate::scan::{Bind, Sql};
use crate::{Error, Result, Store, from_json, from_micros, get, json, micros, parse_id};

/// Filters for the audit log; every field is optional and they combine with AND.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub activity: Option<Activity>,
    /// An initiator id: a user id, a token id, `local-operator`, `anonymous`.
    pub initiator_id: Option<String>,
    /// The first target's id.
    pub target_id: Option<String>,
    pub result: Option<Outcome>,
    pub correlation_id: Option<uuid::Uuid>,
    /// Return events older than this cursor (from a previous page).
    pub before: Option<i64>,
}

/// A page of events, newest first, and the cursor for the next page when there is one.
#[derive(Clone, Debug)]
pub struct AuditPage {
    pub events: Vec<Event>,
    pub next: Option<i64>,
}

/// Writes one event in the caller's transaction.
pub(crate) async fn insert(tx: &mut Transaction<'static, Any>, event: &Event) -> Result<()> {
    insert_query(event).execute(&mut **tx).await?;
    Ok(())
}

/// The statement that writes `event`, for a [`crate::batch::WriteTx`].
pub(crate) fn insert_query(event: &Event) -> Query<'static, Any, AnyArguments<'static>> {
    sqlx::query(
        "INSERT INTO audit_events (id, activity_at, activity, result, result_reason, correlation_id, initiator_id, \
         initiator, target_id, targets, additional_details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(event.id.to_string())
    .bind(micros(event.activity_date_time))
    .bind(event.activity.name())
    .bind(event.result.as_str())
    .bind(event.result_reason.clone())
    .bind(event.correlation_id.to_string())
    .bind(event.initiated_by.id())
    .bind(json(&event.initiated_by))
    .bind(event.target_id().map(str::to_string))
    .bind(json(&event.target_resources))
    .bind(json(&event.additional_details))
}

pub(crate) fn event_from_row(row: &AnyRow) -> Result<Event> {
    let activity_name: String = get(row, "activity")?;
    let result: String = get(row, "result")?;
    Ok(Event {
        id: parse_id("audit_events.id", &get::<String>(row, "id")?)?,
        activity_date_time: from_micros(get(row, "activity_at")?)?,
        activity: Activity::parse(&activity_name)
            .ok_or_else(|| Error::Corrupt(format!("unknown activity {activity_name:?}")))?,
        correlation_id: parse_id("audit_events.correlation_id", &get::<String>(row, "correlation_id")?)?,
        initiated_by: from_json::<Initiator>("audit_events.initiator", &get::<String>(row, "initiator")?)?,
        result: if result == "success" {
            Outcome::Success
        } else {
            Outcome::Failure
        },
        result_reason: get(row, "result_reason")?,
        target_resources: from_json::<Vec<TargetResource>>("audit_events.targets", &get::<String>(row, "targets")?)?,
        additional_details: from_json::<Vec<KeyValue>>(
            "audit_events.additional_details",
            &get::<String>(row, "additional_details")?,
        )?,
    })
}

/// The columns [`event_from_row`] reads, and `seq`.
pub(crate) const EVENT_COLUMNS: &str = "seq, id, activity_at, activity, result, result_reason, correlation_id, initiator, \
                                        targets, additional_details";

/// Appends ` AND ...` for each condition of `filter`.
pub(crate) fn conditions(sql: &mut Sql, filter: &AuditFilter) {
    if let Some(since) = filter.since {
        sql.push(" AND activity_at >= ").bind(Bind::Int(micros(since)));
    }
    if let Some(until) = filter.until {
        sql.push(" AND activity_at < ").bind(Bind::Int(micros(until)));
    }
    if let Some(activity) = filter.activity {
        sql.push(" AND activity = ")
            .bind(Bind::Text(activity.name().to_string()));
    }
    if let Some(initiator) = &filter.initiator_id {
        sql.push(" AND initiator_id = ").bind(Bind::Text(initiator.clone()));
    }
    if let Some(target) = &filter.target_id {
        sql.push(" AND target_id = ").bind(Bind::Text(target.clone()));
    }
    if let Some(result) = filter.result {
        sql.push(" AND result = ").bind(Bind::Text(result.as_str().to_string()));
    }
    if let Some(correlation) = filter.correlation_id {
        sql.push(" AND correlation_id = ")
            .bind(Bind::Text(correlation.to_string()));
    }
    if let Some(before) = filter.before {
        sql.push(" AND seq < ").bind(Bind::Int(before));
    }
}

impl Store {
    /// Records an event that goes with no other change (a refused, security-relevant request).
    pub async fn record_event(&self, event: &Event) -> Result<()> {
        let mut tx = self.begin().await?;
        insert(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Events matching `filter`, newest first, at most `limit`.
    pub async fn list_audit(&self, filter: &AuditFilter, limit: u32) -> Result<AuditPage> {
        let mut sql = Sql::new(&format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE 1 = 1"));
        conditions(&mut sql, filter);
        sql.push(" ORDER BY seq DESC LIMIT ")
            .bind(Bind::Int(i64::from(limit) + 1));
        let query = sql.query();
        let rows = query.fetch_all(&self.reader).await?;
        let mut events = Vec::with_capacity(rows.len());
        let mut next = None;
        for (i, row) in rows.iter().enumerate() {
            if i == limit as usize {
                break;
            }
            next = Some(get::<i64>(row, "seq")?);
            events.push(event_from_row(row)?);
        }
        if rows.len() <= limit as usize {
            next = None;
        }
        Ok(AuditPage { events, next })
    }
}
