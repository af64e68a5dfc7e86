//! `/v1/authenticators`: what the loaded FIDO metadata says about authenticator models (by AAGUID or name).

use axum::extract::State;
use axum::http::Method;
use keywarden_domain::Aaguid;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::json::{Path, Query};
use crate::routes::collection;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/v1/authenticators", Access::SignedIn, search),
        route(Method::GET, "/v1/authenticators/{aaguid}", Access::SignedIn, one),
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    search: String,
}

async fn search(
    State(state): State<AppState>,
    _actor: Actor,
    Query(query): Query<SearchQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    if query.search.trim().len() < 2 {
        return Err(ApiError::invalid("search needs at least 2 characters"));
    }
    let found = state.catalog().lookup(&query.search);
    Ok(axum::Json(collection(found.iter().map(|d| json!(d)).collect(), None)))
}

async fn one(
    State(state): State<AppState>,
    _actor: Actor,
    Path(aaguid): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let parsed: Aaguid = aaguid.parse().map_err(ApiError::invalid)?;
    state
        .catalog()
        .describe(&parsed)
        .map(|d| axum::Json(json!(d)))
        .ok_or_else(|| ApiError::not_found(format!("authenticator {parsed} in the loaded metadata or name list")))
}
