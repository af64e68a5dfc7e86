//! Operational endpoints: liveness, readiness (database reachable, migrations applied), Prometheus metrics.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;

use super::{Access, Route, route};
use crate::state::AppState;
use crate::wire::{ErrorBody, Health};

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/healthz", Access::Public, healthz),
        route(Method::GET, "/readyz", Access::Public, readyz),
        route(Method::GET, "/metrics", Access::Public, metrics),
    ]
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub(super) async fn healthz() -> axum::Json<Health> {
    axum::Json(health("ok"))
}

fn health(status: &'static str) -> Health {
    Health { status, database: None }
}

/// Readiness: the database answers and its migrations are applied.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub(super) async fn readyz(State(state): State<AppState>) -> (StatusCode, axum::Json<Health>) {
    match state.store.ready().await {
        Ok(true) => (
            StatusCode::OK,
            axum::Json(Health {
                status: "ready",
                database: Some(state.store.backend().as_str()),
            }),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(health("migrations pending")),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(health("database unreachable")),
            )
        }
    }
}

/// `/metrics` on the public listener, where the configuration serves it there (see
/// `Config::metrics_on_public_listener`); elsewhere the route does not exist.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 404, body = ErrorBody)))]
pub(super) async fn metrics(State(state): State<AppState>, uri: axum::http::Uri) -> axum::response::Response {
    if !state.config.metrics_on_public_listener() {
        return crate::ApiError::new(
            keywarden_domain::Code::RouteNotFound,
            format!("no route for {} (metrics are served on metrics_listen)", uri.path()),
        )
        .into_response();
    }
    crate::telemetry::render_metrics().await.into_response()
}
