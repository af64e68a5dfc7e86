//! `/v1/tokens`: API tokens for automation, made by a Global Administrator in a recently verified session (or by
//! the local operator with `keywarden token create`). A token never makes another token.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use keywarden_domain::access::Action;
use keywarden_domain::directory::Role;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Access, Created, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::context::RequestContext;
use crate::json::{Json, Path};
use crate::ops::tokens;
use crate::state::AppState;
use crate::wire::{Collection, ErrorBody, TokenView};

pub(super) fn routes() -> Vec<Route> {
    let manage = Access::Admin(Action::ManageTokens);
    vec![
        route(Method::GET, "/v1/tokens", manage, list),
        route(Method::POST, "/v1/tokens", manage, create),
        route(Method::DELETE, "/v1/tokens/{id}", manage, revoke),
    ]
}

/// The API tokens, never their secrets (only a hash is kept).
#[utoipa::path(get, path = "/v1/tokens", tag = "tokens",
    responses((status = 200, body = Collection<TokenView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    Admin(actor): Admin,
) -> Result<axum::Json<Collection<TokenView>>, ApiError> {
    let items = tokens::list(&state, &actor)
        .await?
        .iter()
        .map(TokenView::from)
        .collect();
    Ok(axum::Json(Collection::of(items)))
}

/// A new API token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct CreateRequest {
    display_name: String,
    /// A role's name or slug.
    role: String,
    /// Days until the token expires: 1 to 365 (90 when left out). Only the local operator makes tokens that never
    /// expire.
    expires_in_days: Option<u32>,
}

/// Make an API token with one role (Global Administrator, in a recently verified session): the secret is in this
/// answer only.
#[utoipa::path(post, path = "/v1/tokens", tag = "tokens", request_body = CreateRequest,
    responses((status = 201, body = TokenView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Json(request): Json<CreateRequest>,
) -> Result<Created<TokenView>, ApiError> {
    let role: Role = request.role.parse().map_err(ApiError::invalid)?;
    let days = request.expires_in_days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid("expiresInDays must be between 1 and 365"));
    }
    let (token, secret) = tokens::create(&state, &ctx, &actor, &request.display_name, role, Some(days)).await?;
    Ok(Created(TokenView {
        token: Some(secret),
        ..TokenView::from(&token)
    }))
}

/// Revoke an API token: it stops working at once.
#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "the token's id")),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn revoke(
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
