//! `/v1/users`: the directory, and each user's authentication methods as an administrator sees them
//! (Graph's `/users/{id | userPrincipalName}/authentication/...`).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use keywarden_domain::access::{self, Action, TargetKind};
use keywarden_domain::access_pass::IssueRequest;
use keywarden_domain::directory::User;
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::me::{BeginRequest, ClientErrorRequest, parse_attempt, parse_method_id};
use super::{Access, Created, Route, route};
use crate::api_error::ApiError;
use crate::auth::{Actor, Admin};
use crate::context::RequestContext;
use crate::json::{Json, Path, Query};
use crate::ops::directory::{UserFields, UserRow};
use crate::ops::{self, access_pass, passkeys, registration};
use crate::state::AppState;
use crate::telemetry::ceremony;
use crate::wire::{
    AccessPassView, AttemptView, ClientVerdictView, Collection, ErrorBody, PasskeyView, RegistrationBegun,
    SessionsRevoked, UserDetail, UserView,
};

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

/// A user in the address: `/v1/users/{user}/...`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct UserKey {
    /// The user's id or userPrincipalName.
    pub(super) user: String,
}

/// One of a user's methods in the address: `/v1/users/{user}/authentication/.../{id}` (the user is [`OnUser`]'s).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct MethodKey {
    /// The method's id.
    id: String,
}

/// The admitted administrator and the user the address names (`{user}`, by id or userPrincipalName): reading the
/// user is the least any route under `/v1/users/{user}` needs; the operation checks what it does on them.
pub(super) struct OnUser {
    pub(super) actor: Actor,
    pub(super) user: User,
}

impl FromRequestParts<AppState> for OnUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<OnUser, ApiError> {
        let Admin(actor) = Admin::from_request_parts(parts, state).await?;
        let Path(UserKey { user: key }) = Path::<UserKey>::from_request_parts(parts, state).await?;
        actor.require(Action::Read)?;
        let user = ops::find_user(state, &key).await?;
        Ok(OnUser { actor, user })
    }
}

/// The user list's filters and paging.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// The start of the userPrincipalName or display name, case-insensitive.
    search: Option<String>,
    /// From `@odata.nextLink`.
    cursor: Option<String>,
    /// The page size, 1 to 1000 (100).
    top: Option<u32>,
}

/// Users, by userPrincipalName, with search and paging.
#[utoipa::path(get, path = "/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, body = Collection<UserView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn list_users(
    State(state): State<AppState>,
    Admin(actor): Admin,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Collection<UserView>>, ApiError> {
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
    Ok(axum::Json(Collection {
        value: page.users.iter().map(UserView::from).collect(),
        next_link: next,
    }))
}

/// Create a user; roles need a Global or Privileged Role Administrator (409 `already_exists` when the
/// userPrincipalName is taken: change a user with PATCH).
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = UserRow,
    responses((status = 201, body = UserView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn create_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    Admin(actor): Admin,
    Json(row): Json<UserRow>,
) -> Result<Created<UserView>, ApiError> {
    let user = ops::directory::create_user(&state, &ctx, &actor, &row).await?;
    Ok(Created(UserView::from(&user)))
}

/// One user, with group memberships and the actions the caller's roles allow on them (`allowedActions`).
#[utoipa::path(get, path = "/v1/users/{user}", tag = "users",
    params(UserKey),
    responses((status = 200, body = UserDetail), (status = "4XX", body = ErrorBody)))]
pub(super) async fn get_user(
    State(state): State<AppState>,
    OnUser { actor, user }: OnUser,
) -> Result<axum::Json<UserDetail>, ApiError> {
    let groups = state.store.groups_of(user.id).await?;
    // What the caller's roles allow on this user, so that the console offers only what the API would accept.
    let kind = TargetKind::of(actor.user().map(|u| u.id), &user);
    let roles = actor.roles();
    Ok(axum::Json(UserDetail {
        user: UserView::from(&user),
        member_of: groups.iter().map(ToString::to_string).collect(),
        allowed_actions: Action::ALL
            .into_iter()
            .filter(|&action| access::decide(&roles, action, kind).is_ok())
            .map(Action::as_str)
            .collect(),
    }))
}

/// Graph's `passwordProfile`, reduced to the password: keywarden has no "change at next sign-in".
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordProfile {
    /// At least 8 characters.
    password: String,
}

/// `PATCH /v1/users/{user}`: only the fields sent change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct UserPatch {
    display_name: Option<String>,
    /// `member` or `guest`.
    user_type: Option<String>,
    account_enabled: Option<bool>,
    /// Role slugs or display names; `[]` removes every role.
    roles: Option<Vec<String>>,
    password_profile: Option<PasswordProfile>,
}

/// Change the fields sent, each checked against the caller's roles on this user (attributes: User Administrator on
/// members; a password: Authentication, Helpdesk or User Administrator on members, Privileged Authentication
/// Administrator on all but Global Administrators; roles: Global or Privileged Role Administrator). Disabling ends
/// the user's sessions; a new password ends the password sessions.
#[utoipa::path(patch, path = "/v1/users/{user}", tag = "users", request_body = UserPatch,
    params(UserKey),
    responses((status = 200, body = UserView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn update_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
    Json(patch): Json<UserPatch>,
) -> Result<axum::Json<UserView>, ApiError> {
    let roles = patch
        .roles
        .map(|roles| Value::Array(roles.into_iter().map(Value::String).collect()));
    let fields = UserFields::parse(
        patch.display_name.as_deref(),
        patch.user_type.as_deref(),
        patch.account_enabled.map(Value::Bool).as_ref(),
        roles.as_ref(),
        patch.password_profile.as_ref().map(|p| p.password.as_str()),
    )
    .map_err(ApiError::invalid)?;
    let updated = ops::directory::update_user(&state, &ctx, &actor, &user, fields).await?;
    Ok(axum::Json(UserView::from(&updated)))
}

/// Delete a user: the account is disabled and its sessions end (audited as Delete user).
#[utoipa::path(delete, path = "/v1/users/{user}", tag = "users",
    params(UserKey),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn delete_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
) -> Result<StatusCode, ApiError> {
    ops::directory::delete_user(&state, &ctx, &actor, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End every session of the user (Graph's `revokeSignInSessions`); answers `{"value": true}` as Graph does.
#[utoipa::path(post, path = "/v1/users/{user}/revokeSignInSessions", tag = "users",
    params(UserKey),
    responses((status = 200, body = SessionsRevoked), (status = "4XX", body = ErrorBody)))]
pub(super) async fn revoke_sessions(
    State(state): State<AppState>,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
) -> Result<axum::Json<SessionsRevoked>, ApiError> {
    let ended = ops::sign_in::revoke_sessions(&state, &ctx, &actor, &user).await?;
    Ok(axum::Json(SessionsRevoked {
        value: true,
        ended_sessions: ended,
    }))
}

/// The user's latest registration attempts, each with the four questions' evidence.
#[utoipa::path(get, path = "/v1/users/{user}/registrationAttempts", tag = "help desk",
    params(UserKey),
    responses((status = 200, body = Collection<AttemptView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn attempts(
    State(state): State<AppState>,
    OnUser { user, .. }: OnUser,
) -> Result<axum::Json<Collection<AttemptView>>, ApiError> {
    let attempts = state.store.attempts_of(user.id, 100).await?;
    Ok(axum::Json(Collection::of(
        attempts.iter().map(AttemptView::from).collect(),
    )))
}

/// The user's passkeys (Graph's `fido2AuthenticationMethod`).
#[utoipa::path(get, path = "/v1/users/{user}/authentication/fido2Methods", tag = "methods",
    params(UserKey),
    responses((status = 200, body = Collection<PasskeyView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn list_passkeys(
    State(state): State<AppState>,
    OnUser { actor, user }: OnUser,
) -> Result<axum::Json<Collection<PasskeyView>>, ApiError> {
    let catalog = state.catalog();
    let items = passkeys::list(&state, &actor, &user)
        .await?
        .iter()
        .map(|p| PasskeyView::new(p, &catalog))
        .collect();
    Ok(axum::Json(Collection::of(items)))
}

/// One of the user's passkeys.
#[utoipa::path(get, path = "/v1/users/{user}/authentication/fido2Methods/{id}", tag = "methods",
    params(UserKey, MethodKey),
    responses((status = 200, body = PasskeyView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn get_passkey(
    State(state): State<AppState>,
    OnUser { actor, user }: OnUser,
    Path(MethodKey { id }): Path<MethodKey>,
) -> Result<axum::Json<PasskeyView>, ApiError> {
    Ok(axum::Json(PasskeyView::new(
        &passkeys::get(&state, &actor, &user, parse_method_id(&id)?).await?,
        &state.catalog(),
    )))
}

/// Delete one of the user's passkeys; the sessions it signed in end.
#[utoipa::path(delete, path = "/v1/users/{user}/authentication/fido2Methods/{id}", tag = "methods",
    params(UserKey, MethodKey),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn delete_passkey(
    State(state): State<AppState>,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
    Path(MethodKey { id }): Path<MethodKey>,
) -> Result<StatusCode, ApiError> {
    passkeys::delete(&state, &ctx, &actor, &user, parse_method_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Graph's `creationOptions`: start a registration on the user's behalf (questions 1 and 2 answered first).
/// Browsers must use POST (so that the CSRF check applies); GET is accepted from API tokens, as in Graph.
#[utoipa::path(method(get, post), path = "/v1/users/{user}/authentication/fido2Methods/creationOptions", tag = "methods",
    request_body(content = Option<BeginRequest>),
    params(UserKey),
    responses((status = 200, body = RegistrationBegun), (status = "4XX", body = ErrorBody)))]
pub(super) async fn creation_options(
    State(state): State<AppState>,
    method: Method,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
    body: Option<Json<BeginRequest>>,
) -> Result<axum::Json<RegistrationBegun>, ApiError> {
    if method == Method::GET && matches!(actor, Actor::User { .. }) {
        return Err(ApiError::invalid(
            "from a browser session, use POST for creationOptions",
        ));
    }
    // On someone else's behalf only: one's own passkeys are added in Security info.
    actor.require_on(Action::ManageMethods, &user)?;
    let request = body.map(|Json(r)| r).unwrap_or_default();
    let result = registration::begin(&state, &ctx, &actor, &user, request.path).await;
    ceremony("registration_begin", result.as_ref().map(|_| ()).map_err(|e| e.code));
    Ok(axum::Json(RegistrationBegun::from(&result?)))
}

/// Registering a passkey on a user's behalf: the attempt and the authenticator's response.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RegisterRequest {
    attempt_id: String,
    display_name: Option<String>,
    /// The browser's or CTAP client's RegistrationResponseJSON.
    #[schema(value_type = Object)]
    public_key_credential: Value,
}

/// Finish a registration on the user's behalf (Graph's create `fido2AuthenticationMethod`): questions 3 and 4.
#[utoipa::path(post, path = "/v1/users/{user}/authentication/fido2Methods", tag = "methods", request_body = RegisterRequest,
    params(UserKey),
    responses((status = 201, body = PasskeyView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn register_passkey(
    State(state): State<AppState>,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
    Json(request): Json<RegisterRequest>,
) -> Result<Created<PasskeyView>, ApiError> {
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
    Ok(Created(PasskeyView::new(&result?, &state.catalog())))
}

/// Report a ceremony that failed in the client (question 3's evidence), for a registration on the user's behalf.
#[utoipa::path(post, path = "/v1/users/{user}/authentication/fido2Methods/registration/clientError", tag = "methods",
    request_body = ClientErrorRequest,
    params(UserKey),
    responses((status = 200, body = ClientVerdictView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn client_error(
    State(state): State<AppState>,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
    Json(request): Json<ClientErrorRequest>,
) -> Result<axum::Json<ClientVerdictView>, ApiError> {
    actor.require_on(Action::ManageMethods, &user)?;
    let attempt = parse_attempt(&request.attempt_id)?;
    let verdict = registration::client_error(&state, &ctx, &actor, &user, attempt, request.report()).await?;
    Ok(axum::Json(ClientVerdictView::from(&verdict)))
}

/// The user's Temporary Access Pass, if any (never its code).
#[utoipa::path(get, path = "/v1/users/{user}/authentication/temporaryAccessPassMethods", tag = "methods",
    params(UserKey),
    responses((status = 200, body = Collection<AccessPassView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn list_passes(
    State(state): State<AppState>,
    OnUser { actor, user }: OnUser,
) -> Result<axum::Json<Collection<AccessPassView>>, ApiError> {
    let items = access_pass::get(&state, &actor, &user)
        .await?
        .map(|(pass, usable)| AccessPassView::new(&pass, usable, None))
        .into_iter()
        .collect();
    Ok(axum::Json(Collection::of(items)))
}

/// The user's Temporary Access Pass by its id (never its code).
#[utoipa::path(get, path = "/v1/users/{user}/authentication/temporaryAccessPassMethods/{id}", tag = "methods",
    params(UserKey, MethodKey),
    responses((status = 200, body = AccessPassView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn get_pass(
    State(state): State<AppState>,
    OnUser { actor, user }: OnUser,
    Path(MethodKey { id }): Path<MethodKey>,
) -> Result<axum::Json<AccessPassView>, ApiError> {
    let id = parse_method_id(&id)?;
    match access_pass::get(&state, &actor, &user).await? {
        Some((pass, usable)) if pass.id == id => Ok(axum::Json(AccessPassView::new(&pass, usable, None))),
        _ => Err(ApiError::not_found(format!("temporary access pass {id}"))),
    }
}

/// Graph's Temporary Access Pass request: everything optional, the policy's defaults otherwise.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct IssuePassRequest {
    lifetime_in_minutes: Option<u32>,
    is_usable_once: Option<bool>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    start_date_time: Option<OffsetDateTime>,
}

/// Issue a Temporary Access Pass (replacing the user's previous one, whose sessions end): the code is in this answer
/// only.
#[utoipa::path(post, path = "/v1/users/{user}/authentication/temporaryAccessPassMethods", tag = "methods",
    request_body(content = Option<IssuePassRequest>),
    params(UserKey),
    responses((status = 201, body = AccessPassView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn issue_pass(
    State(state): State<AppState>,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
    body: Option<Json<IssuePassRequest>>,
) -> Result<Created<AccessPassView>, ApiError> {
    let request = body.map(|Json(r)| r).unwrap_or_default();
    let issue = IssueRequest {
        lifetime_in_minutes: request.lifetime_in_minutes,
        is_usable_once: request.is_usable_once,
        start_date_time: request.start_date_time,
    };
    let issued = access_pass::issue(&state, &ctx, &actor, &user, &issue).await?;
    Ok(Created(AccessPassView::new(
        &issued.pass,
        issued.usable,
        Some(&issued.code),
    )))
}

/// Revoke the user's Temporary Access Pass; the sessions it opened end.
#[utoipa::path(delete, path = "/v1/users/{user}/authentication/temporaryAccessPassMethods/{id}", tag = "methods",
    params(UserKey, MethodKey),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn delete_pass(
    State(state): State<AppState>,
    ctx: RequestContext,
    OnUser { actor, user }: OnUser,
    Path(MethodKey { id }): Path<MethodKey>,
) -> Result<StatusCode, ApiError> {
    access_pass::revoke(&state, &ctx, &actor, &user, parse_method_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
