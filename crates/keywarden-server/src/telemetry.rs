//! Logs and metrics: structured logs (text or JSON), request latency and ceremony outcomes in Prometheus form.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::config::LogFormat;

/// Installs the process-wide metrics recorder once and returns its handle.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
            .expect("static buckets are valid")
            .install_recorder()
            .expect("the metrics recorder is installed once per process")
    })
}

/// Starts logging to standard error; `RUST_LOG` sets the filter (default `info`). Secrets are never logged:
/// handlers log codes and ids, not bodies.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Records every request's latency by route and status.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("keywarden_http_request_duration_seconds", "method" => method, "route" => route, "status" => status)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a metric label: the standard methods by name, any other as `other`, so that a client sending made-up
/// methods cannot add series without end.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts a ceremony's outcome (`registration_begin`, `registration_finish`, `sign_in`...), with its code.
pub fn ceremony(ceremony: &'static str, result: Result<(), keywarden_domain::Code>) {
    let (outcome, code) = match result {
        Ok(()) => ("success", "ok"),
        Err(code) => ("failure", code.as_str()),
    };
    metrics::counter!("keywarden_ceremonies_total", "ceremony" => ceremony, "outcome" => outcome, "code" => code)
        .increment(1);
}

/// The Prometheus text exposition of every metric.
pub async fn render_metrics() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics().render(),
    )
}
