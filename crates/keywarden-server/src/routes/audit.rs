//! `/v1/auditLogs/directoryAudits`: the audit log, filtered and paged with a cursor; and its export for a SIEM
//! (`/export`), streamed as Entra `AuditLogs` records.

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::json::Query;
use crate::ops::audit::{self, Query as AuditQuery};
use crate::ops::reports::{self, Format};
use crate::state::AppState;
use crate::wire::{Collection, DirectoryAudit, ErrorBody};
use axum::extract::State;
use axum::http::Method;
use keywarden_domain::access::Action;

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/v1/auditLogs/directoryAudits",
            Access::Admin(Action::Read),
            list,
        ),
        route(
            Method::GET,
            "/v1/auditLogs/directoryAudits/export",
            Access::Admin(Action::Read),
            export,
        ),
    ]
}

/// The audit log as Graph's `directoryAudits`, newest first, filtered, paged with a cursor.
#[utoipa::path(get, path = "/v1/auditLogs/directoryAudits", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Collection<DirectoryAudit>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<Collection<DirectoryAudit>>, ApiError> {
    let page = audit::list(&state, &actor, &query).await?;
    let next = page.next.map(|cursor| {
        let mut params: Vec<(&str, String)> = vec![("cursor", cursor.to_string())];
        let keep = [
            ("since", &query.since),
            ("until", &query.until),
            ("activity", &query.activity),
            ("initiator", &query.initiator),
            ("target", &query.target),
            ("result", &query.result),
            ("correlationId", &query.correlation_id),
        ];
        params.extend(keep.iter().filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.clone()))));
        if let Some(top) = query.top {
            params.push(("top", top.to_string()));
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!("/v1/auditLogs/directoryAudits?{query}")
    });
    Ok(axum::Json(Collection {
        value: page.events.iter().map(DirectoryAudit::from).collect(),
        next_link: next,
    }))
}

/// The export's parameters: the list's filters (no cursor, no page size) and a format.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ExportQuery {
    /// `jsonl` (the default) or `csv`.
    format: Option<String>,
    /// RFC 3339 instant, or a duration back from now such as `90d`.
    since: Option<String>,
    until: Option<String>,
    activity: Option<String>,
    initiator: Option<String>,
    target: Option<String>,
    result: Option<String>,
    correlation_id: Option<String>,
}

/// The audit log for a SIEM, streamed as Entra `AuditLogs` records (JSON lines or CSV), oldest first.
#[utoipa::path(get, path = "/v1/auditLogs/directoryAudits/export", tag = "audit", params(ExportQuery),
    responses((status = 200, description = "JSON lines (application/x-ndjson) or CSV (text/csv)", content_type = "application/x-ndjson"),
        (status = "4XX", body = ErrorBody)))]
pub(super) async fn export(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<ExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    let format = match query.format.as_deref() {
        None => Format::Jsonl,
        Some(text) => match Format::parse(text)? {
            Format::Json => return Err(ApiError::invalid("the audit export is jsonl or csv")),
            format => format,
        },
    };
    let filters = AuditQuery {
        since: query.since,
        until: query.until,
        activity: query.activity,
        initiator: query.initiator,
        target: query.target,
        result: query.result,
        correlation_id: query.correlation_id,
        cursor: None,
        top: None,
    };
    super::reports::streamed(reports::audit_export(&state, &actor, &filters, format).await?).await
}
