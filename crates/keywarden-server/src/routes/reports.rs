//! `/v1/reports/...`: the passkey inventory (per passkey, or per model), users without a phishing-resistant method,
//! findings, and the rollout (ring status and its chart, readiness, tightening a profile). Large reports are
//! streamed bodies.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use keywarden_domain::access::Action;
use serde_json::json;

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::context::RequestContext;
use crate::json::Query;
use crate::ops::reports::{self, Export, FindingsQuery, Format};
use crate::ops::rollout::{self, ReadinessQuery, StatusQuery, TightenRequest};
use crate::routes::collection;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/v1/reports/passkeyInventory",
            Access::Admin(Action::Read),
            inventory,
        ),
        route(
            Method::GET,
            "/v1/reports/usersWithoutPhishingResistantMethod",
            Access::Admin(Action::Read),
            users,
        ),
        route(
            Method::GET,
            "/v1/reports/findings",
            Access::Admin(Action::Read),
            findings,
        ),
        route(Method::GET, "/v1/reports/rollout", Access::Admin(Action::Read), rollout),
        route(
            Method::GET,
            "/v1/reports/rollout.svg",
            Access::Admin(Action::Read),
            rollout_svg,
        ),
        route(
            Method::POST,
            "/v1/reports/rollout/tighten",
            Access::Admin(Action::Read),
            tighten,
        ),
        route(
            Method::GET,
            "/v1/reports/readiness",
            Access::Admin(Action::Read),
            readiness,
        ),
    ]
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryQuery {
    format: Option<String>,
    by: Option<String>,
}

fn format_of(text: Option<&str>) -> Result<Format, ApiError> {
    match text {
        None => Ok(Format::Json),
        Some(text) => match Format::parse(text)? {
            Format::Jsonl => Err(ApiError::invalid("reports are json or csv")),
            format => Ok(format),
        },
    }
}

/// Answers with a streamed export. The first chunk is awaited before answering, so that a failure at the start
/// (the database is unreachable) is an ordinary error response rather than a cut body.
pub(super) async fn streamed(mut export: Export) -> Result<Response, ApiError> {
    let first = match export.chunks.recv().await {
        Some(chunk) => chunk?,
        None => {
            return Err(ApiError::internal(anyhow::anyhow!(
                "the report ended before its first chunk"
            )));
        }
    };
    let rest = futures_util::stream::unfold(export.chunks, |mut chunks| async move {
        let item = chunks.recv().await?.map(|chunk| Bytes::from(chunk.bytes)).map_err(|e| {
            tracing::error!(code = e.code.as_str(), cause = ?e.source, "report stream failed: the body is cut short");
            std::io::Error::other(e.message)
        });
        Some((item, chunks))
    });
    let body = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(first.bytes)) }),
        rest,
    );
    Ok((
        [
            (header::CONTENT_TYPE, export.content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", export.file_name),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

async fn inventory(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<InventoryQuery>,
) -> Result<Response, ApiError> {
    let format = format_of(query.format.as_deref())?;
    match query.by.as_deref() {
        None => streamed(reports::inventory(&state, &actor, format)?).await,
        Some("model") => {
            let models = reports::by_model(&state, &actor).await?;
            if format == Format::Csv {
                let mut writer = csv::WriterBuilder::new()
                    .quote_style(csv::QuoteStyle::Always)
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(Vec::new());
                writer
                    .write_record(keywarden_domain::reports::inventory::BY_MODEL_COLUMNS)
                    .map_err(ApiError::internal)?;
                for model in &models {
                    writer.write_record(model.cells()).map_err(ApiError::internal)?;
                }
                let bytes = writer
                    .into_inner()
                    .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
                return Ok((
                    [
                        (header::CONTENT_TYPE, Format::Csv.content_type()),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"passkey-models.csv\"",
                        ),
                    ],
                    bytes,
                )
                    .into_response());
            }
            let value: Vec<serde_json::Value> = models.iter().map(|m| json!(m)).collect();
            Ok(axum::Json(collection(value, None)).into_response())
        }
        Some(other) => Err(ApiError::invalid(format!("by {other:?} is not supported (by=model)"))),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersQuery {
    format: Option<String>,
}

async fn users(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<UsersQuery>,
) -> Result<Response, ApiError> {
    let format = format_of(query.format.as_deref())?;
    streamed(reports::users_without_phishing_resistant(&state, &actor, format)?).await
}

async fn findings(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<FindingsQuery>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let options = reports::findings_options(&query)?;
    let found = reports::findings(&state, &actor, &options).await?;
    Ok(axum::Json(reports::findings_json(&found, &options)))
}

fn svg(status: &keywarden_domain::rollout::status::RolloutStatus) -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        rollout::chart(status),
    )
        .into_response()
}

async fn rollout(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<StatusQuery>,
) -> Result<Response, ApiError> {
    let status = rollout::status(&state, &actor, &query).await?;
    match query.format.as_deref().map(str::trim) {
        None | Some("json") => Ok(axum::Json(status).into_response()),
        Some("svg") => Ok(svg(&status)),
        Some(other) => Err(ApiError::invalid(format!("format {other:?} is not json or svg"))),
    }
}

async fn rollout_svg(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<StatusQuery>,
) -> Result<Response, ApiError> {
    Ok(svg(&rollout::status(&state, &actor, &query).await?))
}

async fn tighten(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    crate::json::Json(request): crate::json::Json<TightenRequest>,
) -> Result<axum::Json<rollout::Tightened>, ApiError> {
    Ok(axum::Json(rollout::tighten(&state, &ctx, &actor, &request).await?))
}

async fn readiness(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<ReadinessQuery>,
) -> Result<axum::Json<rollout::ReadinessReport>, ApiError> {
    Ok(axum::Json(rollout::readiness(&state, &actor, &query).await?))
}
