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
use crate::wire::{ErrorBody, PolicyDocument, WhatIfView};

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

/// The authentication methods policy as Graph's `authenticationMethodsPolicy` (Fido2 and TemporaryAccessPass
/// configurations, with keywarden's passkey profiles), with its version.
#[utoipa::path(get, path = "/v1/policies/authenticationMethodsPolicy", tag = "policy",
    responses((status = 200, body = PolicyDocument), (status = "4XX", body = ErrorBody)))]
pub(super) async fn show(
    State(state): State<AppState>,
    Admin(actor): Admin,
) -> Result<axum::Json<PolicyDocument>, ApiError> {
    actor.require(Action::Read)?;
    let current = ops::current_policy(&state).await?;
    Ok(axum::Json(PolicyDocument(to_graph_document(
        &current.policy,
        current.version,
        current.modified_at,
    ))))
}

/// Change the properties the document names (a new policy version, audited), or list every problem (400
/// `invalid_policy`) and change nothing.
#[utoipa::path(patch, path = "/v1/policies/authenticationMethodsPolicy", tag = "policy", request_body = PolicyDocument,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn apply(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Text(body): Text,
) -> Result<StatusCode, ApiError> {
    policy::apply_document(&state, &ctx, &actor, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Judge a proposed policy document against today's users and passkeys: who could no longer register, which
/// passkeys the proposal would refuse at sign-in. Saves nothing.
#[utoipa::path(post, path = "/v1/policies/authenticationMethodsPolicy/whatIf", tag = "policy",
    request_body = PolicyDocument,
    responses((status = 200, body = WhatIfView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn what_if(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Text(body): Text,
) -> Result<axum::Json<WhatIfView>, ApiError> {
    Ok(axum::Json(WhatIfView(
        ops::rollout::what_if(&state, &actor, &body).await?,
    )))
}

/// One method's configuration (`Fido2` or `TemporaryAccessPass`).
#[utoipa::path(get, path = "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
    tag = "policy", params(("id" = String, Path, description = "`Fido2` or `TemporaryAccessPass`")),
    responses((status = 200, body = PolicyDocument), (status = "4XX", body = ErrorBody)))]
pub(super) async fn show_config(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<axum::Json<PolicyDocument>, ApiError> {
    actor.require(Action::Read)?;
    let id = config_id(&id)?;
    let current = ops::current_policy(&state).await?;
    Ok(axum::Json(PolicyDocument(config_to_json(&current.policy, id))))
}

/// Change the properties of one method's configuration that the body names.
#[utoipa::path(patch, path = "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
    tag = "policy", request_body = PolicyDocument,
    params(("id" = String, Path, description = "`Fido2` or `TemporaryAccessPass`")),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn patch_config(
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

/// Restore one method's configuration to its defaults.
#[utoipa::path(delete, path = "/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
    tag = "policy", params(("id" = String, Path, description = "`Fido2` or `TemporaryAccessPass`")),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn reset_config(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = config_id(&id)?;
    policy::reset_configuration(&state, &ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
