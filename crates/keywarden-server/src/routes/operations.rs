//! Operational endpoints: liveness, readiness (database reachable, migrations applied), Prometheus metrics.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use super::{Access, Route, route};
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/healthz", Access::Public, healthz),
        route(Method::GET, "/readyz", Access::Public, readyz),
        route(Method::GET, "/metrics", Access::Public, metrics),
    ]
}

async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ready().await {
        Ok(true) => (
            StatusCode::OK,
            axum::Json(json!({ "status": "ready", "database": state.store.backend().as_str() })),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "migrations pending" })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "database unreachable" })),
            )
        }
    }
}

/// `/metrics` on the public listener, where the configuration serves it there (see
/// `Config::metrics_on_public_listener`); elsewhere the route does not exist.
async fn metrics(State(state): State<AppState>, uri: axum::http::Uri) -> axum::response::Response {
    if !state.config.metrics_on_public_listener() {
        return crate::ApiError::new(
            keywarden_domain::Code::RouteNotFound,
            format!("no route for {} (metrics are served on metrics_listen)", uri.path()),
        )
        .into_response();
    }
    crate::telemetry::render_metrics().await.into_response()
}
