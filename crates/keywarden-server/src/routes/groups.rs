//! `/v1/groups`: groups and their members.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use keywarden_domain::access::Action;
use keywarden_domain::directory::Group;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{Access, Created, Route, route};
use crate::api_error::ApiError;
use crate::auth::Admin;
use crate::context::RequestContext;
use crate::json::{Json, Path};
use crate::ops::directory::{self, GroupRow};
use crate::ops::find_group;
use crate::state::AppState;
use crate::wire::{Collection, ErrorBody, GroupView, UserView};

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

fn group_view(group: &Group, members: Option<i64>) -> GroupView {
    GroupView {
        id: group.id.to_string(),
        display_name: group.display_name.clone(),
        description: group.description.clone(),
        member_count: members,
    }
}

/// The directory's groups, with how many members each has.
#[utoipa::path(get, path = "/v1/groups", tag = "directory",
    responses((status = 200, body = Collection<GroupView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    Admin(actor): Admin,
) -> Result<axum::Json<Collection<GroupView>>, ApiError> {
    actor.require(Action::Read)?;
    let groups = state.store.list_groups().await?;
    Ok(axum::Json(Collection::of(
        groups.iter().map(|(g, n)| group_view(g, Some(*n))).collect(),
    )))
}

/// One group, by id or display name.
#[utoipa::path(get, path = "/v1/groups/{group}", tag = "directory",
    params(("group" = String, Path, description = "group id or display name")),
    responses((status = 200, body = GroupView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn get_one(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<GroupView>, ApiError> {
    actor.require(Action::Read)?;
    Ok(axum::Json(group_view(&find_group(&state, &key).await?, None)))
}

/// A group's members.
#[utoipa::path(get, path = "/v1/groups/{group}/members", tag = "directory",
    params(("group" = String, Path, description = "group id or display name")),
    responses((status = 200, body = Collection<UserView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn members(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Collection<UserView>>, ApiError> {
    actor.require(Action::Read)?;
    let group = find_group(&state, &key).await?;
    let members = state.store.group_members(group.id).await?;
    Ok(axum::Json(Collection::of(members.iter().map(UserView::from).collect())))
}

/// A new group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct CreateGroup {
    /// 1 to 256 characters; a group is also found by its name.
    display_name: String,
    description: Option<String>,
    /// userPrincipalNames of existing users.
    #[serde(default)]
    members: Vec<String>,
}

/// Create a group (or add to the one with this name), with members.
#[utoipa::path(post, path = "/v1/groups", tag = "directory", request_body = CreateGroup,
    responses((status = 201, body = GroupView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Json(request): Json<CreateGroup>,
) -> Result<Created<GroupView>, ApiError> {
    let row = GroupRow {
        id: None,
        display_name: request.display_name.clone(),
        description: request.description,
        members: Some(Value::from(request.members)),
    };
    directory::put_groups(&state, &ctx, &actor, &[("request".into(), row)]).await?;
    let group = find_group(&state, &request.display_name).await?;
    Ok(Created(group_view(&group, None)))
}

/// Users to add to a group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AddMembers {
    /// User ids or userPrincipalNames.
    members: Vec<String>,
}

/// Add members to a group (those already in it stay).
#[utoipa::path(post, path = "/v1/groups/{group}/members", tag = "directory", request_body = AddMembers,
    params(("group" = String, Path, description = "group id or display name")),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn add_members(
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
    let row = GroupRow {
        id: Some(group.id.to_string()),
        display_name: group.display_name,
        description: None,
        members: Some(Value::from(upns)),
    };
    directory::put_groups(&state, &ctx, &actor, &[("request".into(), row)]).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a user out of a group; the passkey rules that applied through it stop applying from the user's next ceremony.
#[utoipa::path(delete, path = "/v1/groups/{group}/members/{user}", tag = "directory",
    params(("group" = String, Path, description = "group id or display name"),
        ("user" = String, Path, description = "user id or userPrincipalName")),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn remove_member(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path((group, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    directory::remove_member(&state, &ctx, &actor, &group, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}
