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
use serde_json::Value;

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::json::{Path, Query};
use crate::ops::{self, diagnosis};
use crate::state::AppState;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnosisQuery {
    /// An attempt id, or `last`; absent for "can the user register now?".
    attempt: Option<String>,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<axum::Json<Value>, ApiError> {
    serde_json::to_value(value).map(axum::Json).map_err(ApiError::internal)
}

async fn passkey_diagnosis(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
    Query(query): Query<DiagnosisQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    actor.require(Action::Read)?;
    let subject = diagnosis::Subject::parse(query.attempt.as_deref())?;
    let user = ops::find_user(&state, &key).await?;
    to_json(&diagnosis::diagnose(&state, &actor, &user, subject).await?)
}

async fn effective_policy(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    actor.require(Action::Read)?;
    let user = ops::find_user(&state, &key).await?;
    to_json(&diagnosis::effective_policy(&state, &actor, &user).await?)
}

async fn decision_tree(Admin(actor): Admin) -> Result<impl IntoResponse, ApiError> {
    actor.require(Action::Read)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        keywarden_domain::diagnosis::render::tree(),
    ))
}
