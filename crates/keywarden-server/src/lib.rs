//! keywarden's HTTP service: the `/v1` API (Graph-shaped where Graph has the resource), operational endpoints,
//! the web pages (Security info and the admin console, which use the same API), and the application operations
//! (`ops`) that the CLI shares.
//!
//! `app(state)` builds the router; `serve(listener, state, shutdown)` runs it on an already-bound listener so
//! tests can use port 0. Handlers extract, call an operation, and answer; rules live in `ops` and the domain.

pub mod api_error;
pub mod auth;
pub mod clock;
pub mod config;
pub mod context;
pub mod json;
pub mod ops;
mod pages;
pub mod rate_limit;
pub mod routes;
pub mod secrets;
pub mod state;
pub mod telemetry;
pub mod wire;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::net::TcpListener;
use tracing::Instrument;

pub use api_error::ApiError;
pub use clock::Clock;
pub use config::Config;
pub use context::RequestContext;
pub use state::AppState;

use crate::context::{CORRELATION_HEADER, CorrelationId};

/// The largest request body keywarden reads (attestation objects with certificate chains fit easily).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Gives each request a correlation id (the client's, if it sent a GUID) and echoes it in the response.
async fn correlate(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<uuid::Uuid>().ok())
        .unwrap_or_else(uuid::Uuid::now_v7);
    request.extensions_mut().insert(CorrelationId(id));
    let span =
        tracing::info_span!("request", correlation_id = %id, method = %request.method(), path = %request.uri().path());
    // The span is entered only while the request's future is polled (`instrument`), never held across an await:
    // a guard held across an await would leave it entered on the worker thread while other requests run there,
    // making it their parent, so that spans chain up and are never closed.
    let mut response = next.run(request).instrument(span.clone()).await;
    tracing::info!(parent: &span, status = response.status().as_u16(), "handled");
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(CORRELATION_HEADER), value);
    }
    response
}

/// Refuses an address whose path or query string holds a NUL character (`%00`): PostgreSQL cannot store or
/// compare it in text, and no name, id or filter keywarden takes has one (bodies: see [`json`]).
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if uri.path().contains("%00") || uri.query().is_some_and(|q| q.contains("%00")) {
        use axum::response::IntoResponse;
        return ApiError::invalid("the address holds a NUL character (%00), which keywarden does not accept")
            .into_response();
    }
    next.run(request).await
}

/// Dates every response by the server's [`Clock`] (hyper leaves a `Date` header that is there alone): the pages
/// read the server's now from it (`serverNow` in kw.js), and it must be the now the API's times are counted from,
/// also when a test clock has moved it.
async fn date(axum::extract::State(clock): axum::extract::State<Clock>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    if let Ok(value) = clock.now().to_offset(time::UtcOffset::UTC).format(format)
        && let Ok(value) = HeaderValue::from_str(&value)
    {
        response.headers_mut().insert(axum::http::header::DATE, value);
    }
    response
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    telemetry::metrics();
    routes::router(&state)
        .layer(middleware::from_fn(refuse_nul))
        .layer(middleware::from_fn(telemetry::track))
        .layer(middleware::from_fn(correlate))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            use axum::response::IntoResponse;
            ApiError::code(keywarden_domain::Code::InternalError).into_response()
        }))
        .layer(middleware::from_fn_with_state(state.clock.clone(), date))
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let purge = tokio::spawn(purge_expired(state.clone()));
    let refresh = tokio::spawn(refresh_metadata(state.clone()));
    let metrics = match &state.config.metrics_listen {
        Some(address) => {
            let metrics_listener = TcpListener::bind(address).await?;
            tracing::info!(address = %address, "serving /metrics on its own address");
            Some(tokio::spawn(serve_metrics(metrics_listener)))
        }
        None => None,
    };
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    purge.abort();
    refresh.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    result
}

/// Serves `/metrics` alone on `listener` (the `metrics_listen` address), for a scraper kept off the public listener.
pub async fn serve_metrics(listener: TcpListener) -> std::io::Result<()> {
    telemetry::metrics();
    let app = Router::new().route("/metrics", axum::routing::get(telemetry::render_metrics));
    axum::serve(listener, app).await
}

/// Removes expired sign-in challenges, sessions and throttle counts every few minutes.
async fn purge_expired(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        let before = state.clock.now() - time::Duration::hours(1);
        if let Err(e) = state.store.purge_expired(before).await {
            tracing::warn!(error = %e, "purging expired sessions failed");
        }
        if let Some(limit) = &state.sign_in_limit {
            // Forget the addresses whose buckets are full again, so that the limiter's memory stays bounded.
            limit.limiter().retain_recent();
        }
    }
}

/// Reloads the FIDO metadata every `metadata.refresh_hours`, so that status changes (a model revoked) and named
/// authenticator groups follow the latest BLOB. A failed reload keeps the metadata in use and is logged.
async fn refresh_metadata(state: AppState) {
    let hours = state.config.metadata.refresh_hours;
    if hours == 0 || state.config.metadata.source == config::MetadataSource::None {
        return;
    }
    let period = Duration::from_secs(u64::from(hours) * 3600);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tick.tick().await;
        match state::load_catalog(&state.config, state.clock.now()).await {
            Ok(catalog) => {
                tracing::info!(entries = catalog.entries.len(), serial = ?catalog.serial, "FIDO metadata reloaded");
                state.set_catalog(catalog);
            }
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "reloading FIDO metadata failed; keeping the current one"
            ),
        }
    }
}

/// Resolves when the process receives Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
