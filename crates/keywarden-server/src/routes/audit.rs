//! `/v1/auditLogs/directoryAudits`: the audit log, filtered and paged with a cursor.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::Value;

use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::json::Query;
use crate::ops::audit::{self, Query as AuditQuery};
use crate::routes::collection;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/auditLogs/directoryAudits", get(list))
}

async fn list(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<Value>, ApiError> {
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
    Ok(axum::Json(collection(
        page.events.iter().map(audit::to_json).collect(),
        next,
    )))
}
