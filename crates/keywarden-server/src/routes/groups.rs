//! `/v1/groups`: groups and their members.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use keywarden_domain::access::Action;
use keywarden_domain::directory::Group;
use serde::Deserialize;
use serde_json::{Value, json};

use super::users::user_json;
use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::context::RequestContext;
use crate::json::{Json, Path};
use crate::ops::directory::{self, Format, import_groups};
use crate::ops::find_group;
use crate::routes::collection;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/v1/groups", Access::Admin(Action::Read), list),
        route(Method::POST, "/v1/groups", Access::Admin(Action::ManageGroups), create),
        route(Method::GET, "/v1/groups/{group}", Access::Admin(Action::Read), get_one),
        route(
            Method::GET,
            "/v1/groups/{group}/members",
            Access::Admin(Action::Read),
            members,
        ),
        route(
            Method::POST,
            "/v1/groups/{group}/members",
            Access::Admin(Action::ManageGroups),
            add_members,
        ),
        route(
            Method::DELETE,
            "/v1/groups/{group}/members/{user}",
            Access::Admin(Action::ManageGroups),
            remove_member,
        ),
    ]
}

fn group_json(group: &Group, members: Option<i64>) -> Value {
    json!({ "id": group.id.to_string(), "displayName": group.display_name, "description": group.description, "memberCount": members })
}

async fn list(State(state): State<AppState>, Admin(actor): Admin) -> Result<axum::Json<Value>, ApiError> {
    actor.require(Action::Read)?;
    let groups = state.store.list_groups().await?;
    Ok(axum::Json(collection(
        groups.iter().map(|(g, n)| group_json(g, Some(*n))).collect(),
        None,
    )))
}

async fn get_one(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    actor.require(Action::Read)?;
    Ok(axum::Json(group_json(&find_group(&state, &key).await?, None)))
}

async fn members(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    actor.require(Action::Read)?;
    let group = find_group(&state, &key).await?;
    let members = state.store.group_members(group.id).await?;
    Ok(axum::Json(collection(members.iter().map(user_json).collect(), None)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateGroup {
    display_name: String,
    description: Option<String>,
    #[serde(default)]
    members: Vec<String>,
}

async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Json(request): Json<CreateGroup>,
) -> Result<Response, ApiError> {
    let text = json!([{ "displayName": request.display_name, "description": request.description, "members": request.members }]).to_string();
    import_groups(&state, &ctx, &actor, &text, Format::Json).await?;
    let group = find_group(&state, &request.display_name).await?;
    Ok((StatusCode::CREATED, axum::Json(group_json(&group, None))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMembers {
    /// User ids or userPrincipalNames.
    members: Vec<String>,
}

async fn add_members(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(key): Path<String>,
    Json(request): Json<AddMembers>,
) -> Result<StatusCode, ApiError> {
    let group = find_group(&state, &key).await?;
    let mut upns = Vec::new();
    for member in &request.members {
        upns.push(crate::ops::find_user(&state, member).await?.user_principal_name);
    }
    let text = json!([{ "id": group.id.to_string(), "displayName": group.display_name, "members": upns }]).to_string();
    import_groups(&state, &ctx, &actor, &text, Format::Json).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path((group, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    directory::remove_member(&state, &ctx, &actor, &group, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}
