//! `/v1/tokens`: API tokens for automation, made by a Global Administrator in a recently verified session (or by
//! the local operator with `keywarden token create`). A token never makes another token.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use keywarden_domain::access::Action;
use keywarden_domain::directory::Role;
use keywarden_store::ApiToken;
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::{Access, Route, collection, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::context::RequestContext;
use crate::json::{Json, Path};
use crate::ops::tokens;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    let manage = Access::Admin(Action::ManageTokens);
    vec![
        route(Method::GET, "/v1/tokens", manage, list),
        route(Method::POST, "/v1/tokens", manage, create),
        route(Method::DELETE, "/v1/tokens/{id}", manage, revoke),
    ]
}

/// A token as listed: never its secret (only its hash is kept).
fn token_json(token: &ApiToken) -> Value {
    json!({
        "id": token.id.to_string(),
        "displayName": token.name,
        "role": token.role,
        "createdDateTime": token.created_at.format(&Rfc3339).ok(),
        "createdBy": token.created_by,
        "expiresDateTime": token.expires_at.and_then(|t| t.format(&Rfc3339).ok()),
        "revokedDateTime": token.revoked_at.and_then(|t| t.format(&Rfc3339).ok()),
    })
}

async fn list(State(state): State<AppState>, Admin(actor): Admin) -> Result<axum::Json<Value>, ApiError> {
    let items = tokens::list(&state, &actor).await?.iter().map(token_json).collect();
    Ok(axum::Json(collection(items, None)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateRequest {
    display_name: String,
    /// A role's name or slug.
    role: String,
    /// Days until the token expires: 1 to 365 (90 when left out). Only the local operator makes tokens that never
    /// expire.
    expires_in_days: Option<u32>,
}

async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Json(request): Json<CreateRequest>,
) -> Result<Response, ApiError> {
    let role: Role = request.role.parse().map_err(ApiError::invalid)?;
    let days = request.expires_in_days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid("expiresInDays must be between 1 and 365"));
    }
    let (token, secret) = tokens::create(&state, &ctx, &actor, &request.display_name, role, Some(days)).await?;
    let mut body = token_json(&token);
    body["token"] = json!(secret);
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn revoke(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id
        .parse::<uuid::Uuid>()
        .map_err(|_| ApiError::not_found(format!("token {id:?}")))?;
    tokens::revoke(&state, &ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
