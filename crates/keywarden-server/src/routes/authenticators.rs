//! `/v1/authenticators`: what the loaded FIDO metadata says about authenticator models (by AAGUID or name).

use axum::extract::State;
use axum::http::Method;
use keywarden_domain::Aaguid;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::json::{Path, Query};
use crate::state::AppState;
use crate::wire::{AuthenticatorView, Collection, ErrorBody};

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/v1/authenticators", Access::SignedIn, search),
        route(Method::GET, "/v1/authenticators/{aaguid}", Access::SignedIn, one),
    ]
}

/// The catalog's search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct SearchQuery {
    /// Part of a model's name or an AAGUID, at least 2 characters.
    search: String,
}

/// Authenticator models whose name or AAGUID matches, from the FIDO metadata and the name lists.
#[utoipa::path(get, path = "/v1/authenticators", tag = "authenticators", params(SearchQuery),
    responses((status = 200, body = Collection<AuthenticatorView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn search(
    State(state): State<AppState>,
    _actor: Actor,
    Query(query): Query<SearchQuery>,
) -> Result<axum::Json<Collection<AuthenticatorView>>, ApiError> {
    if query.search.trim().len() < 2 {
        return Err(ApiError::invalid("search needs at least 2 characters"));
    }
    let found = state.catalog().lookup(&query.search);
    Ok(axum::Json(Collection::of(
        found.into_iter().map(AuthenticatorView).collect(),
    )))
}

/// What the loaded metadata says about one authenticator model.
#[utoipa::path(get, path = "/v1/authenticators/{aaguid}", tag = "authenticators",
    params(("aaguid" = String, Path, description = "the model's AAGUID")),
    responses((status = 200, body = AuthenticatorView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn one(
    State(state): State<AppState>,
    _actor: Actor,
    Path(aaguid): Path<String>,
) -> Result<axum::Json<AuthenticatorView>, ApiError> {
    let parsed: Aaguid = aaguid.parse().map_err(ApiError::invalid)?;
    state
        .catalog()
        .describe(&parsed)
        .map(|d| axum::Json(AuthenticatorView(d)))
        .ok_or_else(|| ApiError::not_found(format!("authenticator {parsed} in the loaded metadata or name list")))
}
