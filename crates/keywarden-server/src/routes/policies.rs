//! `/v1/policies/authenticationMethodsPolicy`: the policy as Graph shapes it. GET reads; PATCH changes the
//! properties it names (204, as Graph) or lists every problem (400 `invalid_policy`); DELETE on a configuration
//! restores its defaults. POST `whatIf` judges a proposed document against today's users and passkeys and saves
//! nothing.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use keywarden_domain::access::Action;
use keywarden_domain::policy::{ConfigId, config_to_json, to_graph_document};
use serde_json::Value;

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::context::RequestContext;
use crate::json::{Path, Text};
use crate::ops::{self, policy};
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/v1/policies/authenticationMethodsPolicy",
            Access::Admin(Action::Read),
            show,
        ),
        route(
            Method::PATCH,
            "/v1/policies/authenticationMethodsPolicy",
            Access::Admin(Action::ManagePolicy),
            apply,
        ),
        route(
            Method::POST,
            "/v1/policies/authenticationMethodsPolicy/whatIf",
            Access::Admin(Action::Read),
            what_if,
        ),
        route(
            Method::GET,
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
            Access::Admin(Action::Read),
            show_config,
        ),
        route(
            Method::PATCH,
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
            Access::Admin(Action::ManagePolicy),
            patch_config,
        ),
        route(
            Method::DELETE,
            "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
            Access::Admin(Action::ManagePolicy),
            reset_config,
        ),
    ]
}

fn config_id(id: &str) -> Result<ConfigId, ApiError> {
    ConfigId::parse(id).ok_or_else(|| {
        ApiError::not_found(format!(
            "authentication method configuration {id:?} (keywarden governs Fido2 and TemporaryAccessPass)"
        ))
    })
}

async fn show(State(state): State<AppState>, Admin(actor): Admin) -> Result<axum::Json<Value>, ApiError> {
    actor.require(Action::Read)?;
    let current = ops::current_policy(&state).await?;
    Ok(axum::Json(to_graph_document(
        &current.policy,
        current.version,
        current.modified_at,
    )))
}

async fn apply(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Text(body): Text,
) -> Result<StatusCode, ApiError> {
    policy::apply_document(&state, &ctx, &actor, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn what_if(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Text(body): Text,
) -> Result<axum::Json<ops::rollout::WhatIfReport>, ApiError> {
    Ok(axum::Json(ops::rollout::what_if(&state, &actor, &body).await?))
}

async fn show_config(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    actor.require(Action::Read)?;
    let id = config_id(&id)?;
    let current = ops::current_policy(&state).await?;
    Ok(axum::Json(config_to_json(&current.policy, id)))
}

async fn patch_config(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(id): Path<String>,
    Text(body): Text,
) -> Result<StatusCode, ApiError> {
    let id = config_id(&id)?;
    let patch: Value =
        serde_json::from_str(&body).map_err(|e| ApiError::invalid(format!("the body is not valid JSON: {e}")))?;
    policy::patch_configuration(&state, &ctx, &actor, id, &patch).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_config(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = config_id(&id)?;
    policy::reset_configuration(&state, &ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
