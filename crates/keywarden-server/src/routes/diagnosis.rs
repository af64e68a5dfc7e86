//! `/v1/users/{user}/passkeyDiagnosis` and `/v1/users/{user}/effectivePolicy`: the help desk's decision tree
//! walked for a user (now, or for one registration attempt) and the user's effective passkey policy; and
//! `/v1/diagnosis/decisionTree`, the tree itself as text, as `keywarden diagnose --tree` prints it.
//!
//! These live beside `users.rs` rather than in it because they are keywarden's own resources, not Graph's.

use axum::extract::State;
use axum::http::{Method, header};
use axum::response::IntoResponse;
use keywarden_domain::access::Action;
use serde::Deserialize;
use utoipa::IntoParams;

use super::users::{OnUser, UserKey};
use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::json::Query;
use crate::ops::diagnosis;
use crate::state::AppState;
use crate::wire::{DiagnosisView, EffectivePolicyView, ErrorBody};

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(
            Method::GET,
            "/v1/users/{user}/passkeyDiagnosis",
            Access::Admin(Action::Read),
            passkey_diagnosis,
        ),
        route(
            Method::GET,
            "/v1/users/{user}/effectivePolicy",
            Access::Admin(Action::Read),
            effective_policy,
        ),
        route(
            Method::GET,
            "/v1/diagnosis/decisionTree",
            Access::Admin(Action::Read),
            decision_tree,
        ),
    ]
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct DiagnosisQuery {
    /// An attempt id, or `last`; absent for "can the user register now?".
    attempt: Option<String>,
}

/// Why can (or can't) this user add a passkey: the four questions walked for the user now, or for one of their
/// registration attempts, each with its evidence, and the fixes in order.
#[utoipa::path(get, path = "/v1/users/{user}/passkeyDiagnosis", tag = "help desk", params(DiagnosisQuery, UserKey),
    responses((status = 200, body = DiagnosisView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn passkey_diagnosis(
    State(state): State<AppState>,
    OnUser { actor, user }: OnUser,
    Query(query): Query<DiagnosisQuery>,
) -> Result<axum::Json<DiagnosisView>, ApiError> {
    let subject = diagnosis::Subject::parse(query.attempt.as_deref())?;
    Ok(axum::Json(DiagnosisView(
        diagnosis::diagnose(&state, &actor, &user, subject).await?,
    )))
}

/// The passkey policy that applies to the user: the targets that include them, the profiles, the pass settings.
#[utoipa::path(get, path = "/v1/users/{user}/effectivePolicy", tag = "help desk",
    params(UserKey),
    responses((status = 200, body = EffectivePolicyView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn effective_policy(
    State(state): State<AppState>,
    OnUser { actor, user }: OnUser,
) -> Result<axum::Json<EffectivePolicyView>, ApiError> {
    Ok(axum::Json(EffectivePolicyView(
        diagnosis::effective_policy(&state, &actor, &user).await?,
    )))
}

/// The help desk's decision tree as text.
#[utoipa::path(get, path = "/v1/diagnosis/decisionTree", tag = "help desk",
    responses((status = 200, description = "the tree", content_type = "text/plain"), (status = "4XX", body = ErrorBody)))]
pub(super) async fn decision_tree(Admin(actor): Admin) -> Result<impl IntoResponse, ApiError> {
    actor.require(Action::Read)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        keywarden_present::diagnosis::tree(),
    ))
}
