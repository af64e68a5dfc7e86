//! `/v1/users`: the directory, and each user's authentication methods as an administrator sees them
//! (Graph's `/users/{id | userPrincipalName}/authentication/...`).

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use keywarden_domain::access::{self, Action, TargetKind};
use keywarden_domain::access_pass::IssueRequest;
use keywarden_domain::directory::User;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::me::{BeginRequest, ClientErrorRequest, begun_json, parse_attempt, parse_method_id, verdict_json};
use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::{Actor, Admin};
use crate::context::RequestContext;
use crate::json::{Json, Path, Query};
use crate::ops::directory::{UserFields, UserRow};
use crate::ops::{self, access_pass, passkeys, registration};
use crate::routes::collection;
use crate::state::AppState;
use crate::telemetry::ceremony;

/// A `PATCH` of a user may change attributes, the password or the roles; each field is checked against the
/// caller's roles on the user by the operation.
const CHANGE_USER: &[Action] = &[Action::UpdateUser, Action::ResetPassword, Action::AssignRoles];

pub(super) fn routes() -> Vec<Route> {
    use Access::{Admin, AdminAnyOf};
    use Action::{CreateUser, DeleteUser, ManageMethods, Read, RevokeSessions};
    let methods = "/v1/users/{user}/authentication/fido2Methods";
    let passes = "/v1/users/{user}/authentication/temporaryAccessPassMethods";
    vec![
        route(Method::GET, "/v1/users", Admin(Read), list_users),
        route(Method::POST, "/v1/users", Admin(CreateUser), create_user),
        route(Method::GET, "/v1/users/{user}", Admin(Read), get_user),
        route(Method::PATCH, "/v1/users/{user}", AdminAnyOf(CHANGE_USER), update_user),
        route(Method::DELETE, "/v1/users/{user}", Admin(DeleteUser), delete_user),
        route(
            Method::POST,
            "/v1/users/{user}/revokeSignInSessions",
            Admin(RevokeSessions),
            revoke_sessions,
        ),
        route(
            Method::GET,
            "/v1/users/{user}/registrationAttempts",
            Admin(Read),
            attempts,
        ),
        route(Method::GET, methods, Admin(Read), list_passkeys),
        route(Method::POST, methods, Admin(ManageMethods), register_passkey),
        route(
            Method::GET,
            "/v1/users/{user}/authentication/fido2Methods/creationOptions",
            Admin(ManageMethods),
            creation_options,
        ),
        route(
            Method::POST,
            "/v1/users/{user}/authentication/fido2Methods/creationOptions",
            Admin(ManageMethods),
            creation_options,
        ),
        route(
            Method::POST,
            "/v1/users/{user}/authentication/fido2Methods/registration/clientError",
            Admin(ManageMethods),
            client_error,
        ),
        route(
            Method::GET,
            "/v1/users/{user}/authentication/fido2Methods/{id}",
            Admin(Read),
            get_passkey,
        ),
        route(
            Method::DELETE,
            "/v1/users/{user}/authentication/fido2Methods/{id}",
            Admin(ManageMethods),
            delete_passkey,
        ),
        route(Method::GET, passes, Admin(Read), list_passes),
        route(Method::POST, passes, Admin(ManageMethods), issue_pass),
        route(
            Method::GET,
            "/v1/users/{user}/authentication/temporaryAccessPassMethods/{id}",
            Admin(Read),
            get_pass,
        ),
        route(
            Method::DELETE,
            "/v1/users/{user}/authentication/temporaryAccessPassMethods/{id}",
            Admin(ManageMethods),
            delete_pass,
        ),
    ]
}

pub(crate) fn user_json(user: &User) -> Value {
    json!({
        "id": user.id.to_string(),
        "userPrincipalName": user.user_principal_name,
        "displayName": user.display_name,
        "userType": user.user_type.as_str(),
        "accountEnabled": user.account_enabled,
        "roles": user.roles,
    })
}

async fn target(state: &AppState, actor: &Actor, key: &str) -> Result<User, ApiError> {
    actor.require(Action::Read)?;
    ops::find_user(state, key).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    search: Option<String>,
    cursor: Option<String>,
    top: Option<u32>,
}

async fn list_users(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    actor.require(Action::Read)?;
    let top = query.top.unwrap_or(100);
    if !(1..=1000).contains(&top) {
        return Err(ApiError::invalid("top must be between 1 and 1000"));
    }
    let page = state
        .store
        .list_users(query.search.as_deref(), query.cursor.as_deref(), top)
        .await?;
    let next = page.next.map(|cursor| {
        // Encoded: a UPN may hold `+`, and a search spaces or `&`.
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        link.append_pair("top", &top.to_string()).append_pair("cursor", &cursor);
        if let Some(search) = &query.search {
            link.append_pair("search", search);
        }
        format!("/v1/users?{}", link.finish())
    });
    Ok(axum::Json(collection(page.users.iter().map(user_json).collect(), next)))
}

async fn create_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Json(row): Json<UserRow>,
) -> Result<Response, ApiError> {
    let user = ops::directory::create_user(&state, &ctx, &actor, &row).await?;
    Ok((StatusCode::CREATED, axum::Json(user_json(&user))).into_response())
}

async fn get_user(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    let groups = state.store.groups_of(user.id).await?;
    let mut body = user_json(&user);
    body["memberOf"] = json!(groups.iter().map(ToString::to_string).collect::<Vec<_>>());
    // What the caller's roles allow on this user, so that the console offers only what the API would accept.
    let kind = TargetKind::of(actor.user().map(|u| u.id), &user);
    let roles = actor.roles();
    body["allowedActions"] = json!(
        Action::ALL
            .into_iter()
            .filter(|&action| access::decide(&roles, action, kind).is_ok())
            .map(Action::as_str)
            .collect::<Vec<_>>()
    );
    Ok(axum::Json(body))
}

/// Graph's `passwordProfile`, reduced to the password: keywarden has no "change at next sign-in".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordProfile {
    password: String,
}

/// `PATCH /v1/users/{user}`: only the fields sent change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UserPatch {
    display_name: Option<String>,
    user_type: Option<String>,
    account_enabled: Option<bool>,
    roles: Option<Vec<String>>,
    password_profile: Option<PasswordProfile>,
}

async fn update_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(key): Path<String>,
    Json(patch): Json<UserPatch>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    let fields = UserFields::parse(
        patch.display_name.as_deref(),
        patch.user_type.as_deref(),
        patch.account_enabled.map(Value::Bool).as_ref(),
        patch.roles.map(|r| json!(r)).as_ref(),
        patch.password_profile.as_ref().map(|p| p.password.as_str()),
    )
    .map_err(ApiError::invalid)?;
    let updated = ops::directory::update_user(&state, &ctx, &actor, &user, fields).await?;
    Ok(axum::Json(user_json(&updated)))
}

async fn delete_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = target(&state, &actor, &key).await?;
    ops::directory::delete_user(&state, &ctx, &actor, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Graph's `revokeSignInSessions`: ends every session of the user. Answers `{"value": true}` as Graph does.
async fn revoke_sessions(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    let ended = ops::sign_in::revoke_sessions(&state, &ctx, &actor, &user).await?;
    Ok(axum::Json(json!({ "value": true, "endedSessions": ended })))
}

async fn attempts(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    let attempts = state.store.attempts_of(user.id, 100).await?;
    Ok(axum::Json(collection(
        attempts.iter().map(registration::attempt_to_json).collect(),
        None,
    )))
}

async fn list_passkeys(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    let catalog = state.catalog();
    let items = passkeys::list(&state, &actor, &user)
        .await?
        .iter()
        .map(|p| passkeys::to_json(p, &catalog))
        .collect();
    Ok(axum::Json(collection(items, None)))
}

async fn get_passkey(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path((key, id)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    Ok(axum::Json(passkeys::to_json(
        &passkeys::get(&state, &actor, &user, parse_method_id(&id)?).await?,
        &state.catalog(),
    )))
}

async fn delete_passkey(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path((key, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let user = target(&state, &actor, &key).await?;
    passkeys::delete(&state, &ctx, &actor, &user, parse_method_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Graph's `creationOptions`: starts a registration on the user's behalf. Browsers must use POST (so that the
/// CSRF check applies); GET is accepted from API tokens, as in Graph.
async fn creation_options(
    State(state): State<AppState>,
    method: Method,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(key): Path<String>,
    body: Option<Json<BeginRequest>>,
) -> Result<axum::Json<Value>, ApiError> {
    if method == Method::GET && matches!(actor, Actor::User { .. }) {
        return Err(ApiError::invalid(
            "from a browser session, use POST for creationOptions",
        ));
    }
    let user = target(&state, &actor, &key).await?;
    // On someone else's behalf only: one's own passkeys are added in Security info.
    actor.require_on(Action::ManageMethods, &user)?;
    let request = body.map(|Json(r)| r).unwrap_or_default();
    let result = registration::begin(&state, &ctx, &actor, &user, request.path).await;
    ceremony("registration_begin", result.as_ref().map(|_| ()).map_err(|e| e.code));
    Ok(axum::Json(begun_json(&result?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RegisterRequest {
    attempt_id: String,
    display_name: Option<String>,
    public_key_credential: Value,
}

async fn register_passkey(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(key): Path<String>,
    Json(request): Json<RegisterRequest>,
) -> Result<Response, ApiError> {
    let user = target(&state, &actor, &key).await?;
    actor.require_on(Action::ManageMethods, &user)?;
    let attempt = parse_attempt(&request.attempt_id)?;
    let result = registration::finish(
        &state,
        &ctx,
        &actor,
        &user,
        attempt,
        request.display_name.as_deref(),
        &request.public_key_credential,
    )
    .await;
    ceremony("registration_finish", result.as_ref().map(|_| ()).map_err(|e| e.code));
    Ok((
        StatusCode::CREATED,
        axum::Json(passkeys::to_json(&result?, &state.catalog())),
    )
        .into_response())
}

async fn client_error(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(key): Path<String>,
    Json(request): Json<ClientErrorRequest>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    actor.require_on(Action::ManageMethods, &user)?;
    let attempt = parse_attempt(&request.attempt_id)?;
    let verdict = registration::client_error(&state, &ctx, &actor, &user, attempt, request.report).await?;
    Ok(axum::Json(verdict_json(&verdict)))
}

async fn list_passes(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path(key): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    let items = access_pass::get(&state, &actor, &user)
        .await?
        .map(|(pass, usable)| access_pass::to_json(&pass, usable, None))
        .into_iter()
        .collect();
    Ok(axum::Json(collection(items, None)))
}

async fn get_pass(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Path((key, id)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = target(&state, &actor, &key).await?;
    let id = parse_method_id(&id)?;
    match access_pass::get(&state, &actor, &user).await? {
        Some((pass, usable)) if pass.id == id => Ok(axum::Json(access_pass::to_json(&pass, usable, None))),
        _ => Err(ApiError::not_found(format!("temporary access pass {id}"))),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IssuePassRequest {
    lifetime_in_minutes: Option<u32>,
    is_usable_once: Option<bool>,
    start_date_time: Option<String>,
}

async fn issue_pass(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path(key): Path<String>,
    body: Option<Json<IssuePassRequest>>,
) -> Result<Response, ApiError> {
    let user = target(&state, &actor, &key).await?;
    let request = body.map(|Json(r)| r).unwrap_or_default();
    let start = request
        .start_date_time
        .as_deref()
        .map(|s| {
            OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|_| ApiError::invalid(format!("startDateTime {s:?} is not an RFC 3339 time")))
        })
        .transpose()?;
    let issue = IssueRequest {
        lifetime_in_minutes: request.lifetime_in_minutes,
        is_usable_once: request.is_usable_once,
        start_date_time: start,
    };
    let issued = access_pass::issue(&state, &ctx, &actor, &user, &issue).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(access_pass::to_json(&issued.pass, issued.usable, Some(&issued.code))),
    )
        .into_response())
}

async fn delete_pass(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Path((key, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let user = target(&state, &actor, &key).await?;
    access_pass::revoke(&state, &ctx, &actor, &user, parse_method_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
