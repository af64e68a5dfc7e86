//! `/v1/reports/...`: the passkey inventory (per passkey, or per model), users without a phishing-resistant method,
//! findings, and the rollout (ring status and its chart, readiness, tightening a profile). Large reports are
//! streamed bodies.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use keywarden_domain::access::Action;

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::context::RequestContext;
use crate::json::Query;
use crate::ops::reports::{self, Export, FindingsQuery, Format};
use crate::ops::rollout::{self, ReadinessQuery, StatusQuery, TightenRequest};
use crate::state::AppState;
use crate::wire::{
    Collection, ErrorBody, FindingsOptionsView, FindingsView, ModelView, ReadinessView, RolloutView, TightenedView,
};

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

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct InventoryQuery {
    /// `json` (the default) or `csv`.
    format: Option<String>,
    /// `model`: one row per authenticator model instead of one per passkey.
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

/// Every passkey with its user, model, attestation and admitting profile (streamed), or with `by=model` one row per
/// authenticator model.
#[utoipa::path(get, path = "/v1/reports/passkeyInventory", tag = "reports", params(InventoryQuery),
    responses((status = 200, body = Collection<ModelView>,
        description = "JSON (a collection of passkeys, or of models with by=model) or CSV (text/csv)"),
        (status = "4XX", body = ErrorBody)))]
pub(super) async fn inventory(
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
            Ok(axum::Json(Collection::of(models.into_iter().map(ModelView).collect())).into_response())
        }
        Some(other) => Err(ApiError::invalid(format!("by {other:?} is not supported (by=model)"))),
    }
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct UsersQuery {
    /// `json` (the default) or `csv`.
    format: Option<String>,
}

/// Users who hold no phishing-resistant method (streamed), with what they hold.
#[utoipa::path(get, path = "/v1/reports/usersWithoutPhishingResistantMethod", tag = "reports", params(UsersQuery),
    responses((status = 200, description = "JSON or CSV (text/csv)"), (status = "4XX", body = ErrorBody)))]
pub(super) async fn users(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<UsersQuery>,
) -> Result<Response, ApiError> {
    let format = format_of(query.format.as_deref())?;
    streamed(reports::users_without_phishing_resistant(&state, &actor, format)?).await
}

/// What deserves a look: passkeys and passes that break today's policy, bursts of registrations by one
/// administrator, long passes, and the rest of the findings, with the options they were reviewed under.
#[utoipa::path(get, path = "/v1/reports/findings", tag = "reports", params(FindingsQuery),
    responses((status = 200, body = FindingsView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn findings(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<FindingsQuery>,
) -> Result<axum::Json<FindingsView>, ApiError> {
    let options = reports::findings_options(&query)?;
    let found = reports::findings(&state, &actor, &options).await?;
    Ok(axum::Json(FindingsView {
        value: found,
        options: FindingsOptionsView::from(&options),
    }))
}

fn svg(status: &keywarden_domain::rollout::status::RolloutStatus) -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        rollout::chart(status),
    )
        .into_response()
}

/// Each ring (group) and then all users: members, targeted, covered by a passkey, attempts; as JSON or as a chart.
#[utoipa::path(get, path = "/v1/reports/rollout", tag = "reports", params(StatusQuery),
    responses((status = 200, body = RolloutView, description = "JSON, or SVG (image/svg+xml) with format=svg"),
        (status = "4XX", body = ErrorBody)))]
pub(super) async fn rollout(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<StatusQuery>,
) -> Result<Response, ApiError> {
    let status = rollout::status(&state, &actor, &query).await?;
    match query.format.as_deref().map(str::trim) {
        None | Some("json") => Ok(axum::Json(RolloutView(status)).into_response()),
        Some("svg") => Ok(svg(&status)),
        Some(other) => Err(ApiError::invalid(format!("format {other:?} is not json or svg"))),
    }
}

/// The rollout status as a chart.
#[utoipa::path(get, path = "/v1/reports/rollout.svg", tag = "reports", params(StatusQuery),
    responses((status = 200, description = "SVG", content_type = "image/svg+xml"), (status = "4XX", body = ErrorBody)))]
pub(super) async fn rollout_svg(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<StatusQuery>,
) -> Result<Response, ApiError> {
    Ok(svg(&rollout::status(&state, &actor, &query).await?))
}

/// Propose an allow list of the models a profile's users already hold, judge it with a what-if and, with `apply`,
/// save it as a new policy version (applying needs a role that manages the policy).
#[utoipa::path(post, path = "/v1/reports/rollout/tighten", tag = "reports", request_body = TightenRequest,
    responses((status = 200, body = TightenedView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn tighten(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    crate::json::Json(request): crate::json::Json<TightenRequest>,
) -> Result<axum::Json<TightenedView>, ApiError> {
    Ok(axum::Json(TightenedView(
        rollout::tighten(&state, &ctx, &actor, &request).await?,
    )))
}

/// Who would be locked out if an authentication strength were required at sign-in now, and why each one.
#[utoipa::path(get, path = "/v1/reports/readiness", tag = "reports", params(ReadinessQuery),
    responses((status = 200, body = ReadinessView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn readiness(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<ReadinessQuery>,
) -> Result<axum::Json<ReadinessView>, ApiError> {
    Ok(axum::Json(ReadinessView(
        rollout::readiness(&state, &actor, &query).await?,
    )))
}
