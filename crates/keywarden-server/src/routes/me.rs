//! `/v1/me`: the signed-in user's own account, sign-in state and passkeys (Security info).

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use keywarden_domain::audit::Activity;
use keywarden_domain::ids::{AttemptId, MethodId};
use keywarden_domain::platform::{CeremonyPath, ClientReport};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{Access, Created, Route, route};
use crate::api_error::ApiError;
use crate::auth::{Actor, clear_session_cookie};
use crate::context::RequestContext;
use crate::json::{Json, Path};
use crate::ops::{self, access_pass, passkeys, registration};
use crate::state::AppState;
use crate::telemetry::ceremony;
use crate::wire::{
    AccessPassView, ClientVerdictView, Collection, ErrorBody, MeView, MethodView, PasskeyView, PasswordMethodView,
    RegistrationBegun, SessionView, SessionsRevoked, TotpEnrolledView, TotpMethodView,
};

pub(super) fn routes() -> Vec<Route> {
    let own = Access::SignedIn;
    vec![
        route(Method::GET, "/v1/me", own, me),
        route(Method::POST, "/v1/me/revokeSignInSessions", own, revoke_sessions),
        route(Method::GET, "/v1/me/authentication/methods", own, methods),
        route(Method::GET, "/v1/me/authentication/fido2Methods", own, list),
        route(Method::GET, "/v1/me/authentication/fido2Methods/{id}", own, get_one),
        route(Method::PATCH, "/v1/me/authentication/fido2Methods/{id}", own, rename),
        route(Method::DELETE, "/v1/me/authentication/fido2Methods/{id}", own, delete),
        route(
            Method::POST,
            "/v1/me/authentication/fido2Methods/registration/begin",
            own,
            begin,
        ),
        route(
            Method::POST,
            "/v1/me/authentication/fido2Methods/registration/finish",
            own,
            finish,
        ),
        route(
            Method::POST,
            "/v1/me/authentication/fido2Methods/registration/clientError",
            own,
            client_error,
        ),
        route(
            Method::POST,
            "/v1/me/authentication/softwareOathMethods",
            own,
            enroll_totp,
        ),
    ]
}

fn signed_in(actor: &Actor) -> Result<(&keywarden_domain::directory::User, &keywarden_store::Session), ApiError> {
    match actor {
        Actor::User { user, session, .. } => Ok((user, session)),
        _ => Err(ApiError::new(
            keywarden_domain::Code::Unauthenticated,
            "/v1/me is for signed-in users, not API tokens",
        )),
    }
}

pub(crate) fn parse_method_id(id: &str) -> Result<MethodId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(format!("method {id:?}")))
}

/// The signed-in user: roles, the administrative actions they allow, the strong methods the user can verify with,
/// and the session's state (when strong authentication was last done, the registration window).
#[utoipa::path(get, path = "/v1/me", tag = "me",
    responses((status = 200, body = MeView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn me(State(state): State<AppState>, actor: Actor) -> Result<axum::Json<MeView>, ApiError> {
    let (user, session) = signed_in(&actor)?;
    // The registration window as question 2 applies it (a one-time pass's session keeps 10 minutes at most).
    let recency = ops::own_recency(&state, user, Some(&session.authentication), state.clock.now())
        .await?
        .evidence;
    Ok(axum::Json(MeView {
        id: user.id.to_string(),
        user_principal_name: user.user_principal_name.clone(),
        display_name: user.display_name.clone(),
        user_type: user.user_type.as_str(),
        roles: user.roles.clone(),
        permissions: keywarden_domain::access::actions_of(&user.roles)
            .iter()
            .map(|a| a.as_str())
            .collect(),
        csrf_token: session.csrf_token.clone(),
        usable_strong_methods: recency.usable_methods.clone(),
        session: SessionView {
            created_date_time: session.created_at,
            expires_date_time: session.expires_at,
            methods: session.authentication.methods.clone(),
            last_strong_authentication_date_time: session.authentication.last_strong().map(|m| m.at),
            registration_window_minutes: recency.window_minutes,
            recently_verified_until: recency.verified_until,
            signed_in_with_access_pass: session.authentication.access_pass.clone(),
            strong_authentication: session.authentication.is_complete(),
            admin_reauthentication_minutes: state.config.admin_reauthentication_minutes,
        },
    }))
}

/// Graph's `revokeSignInSessions` on oneself: ends every session of the user, this one included (a lost or stolen
/// device). Answers `{"value": true}` and clears the cookie.
#[utoipa::path(post, path = "/v1/me/revokeSignInSessions", tag = "me",
    responses((status = 200, body = SessionsRevoked), (status = "4XX", body = ErrorBody)))]
pub(super) async fn revoke_sessions(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
) -> Result<Response, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let ended = ops::sign_in::revoke_sessions(&state, &ctx, &actor, user).await?;
    let mut response = axum::Json(SessionsRevoked {
        value: true,
        ended_sessions: ended,
    })
    .into_response();
    if let Ok(value) = clear_session_cookie(state.config.is_https()).parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

/// Graph's `/me/authentication/methods`: every sign-in method of the user, never a secret (a TAP without its
/// code, an authenticator app without its key), for Security info's list.
#[utoipa::path(get, path = "/v1/me/authentication/methods", tag = "me",
    responses((status = 200, body = Collection<MethodView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn methods(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Collection<MethodView>>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let mut items = Vec::new();
    if state.store.has_password(user.id).await? {
        items.push(MethodView::Password(PasswordMethodView::new()));
    }
    let catalog = state.catalog();
    items.extend(
        passkeys::list(&state, &actor, user)
            .await?
            .iter()
            .map(|p| MethodView::Passkey(Box::new(PasskeyView::new(p, &catalog)))),
    );
    if let Some(totp) = state.store.totp_of(user.id).await? {
        items.push(MethodView::Totp(TotpMethodView {
            odata_type: "#microsoft.graph.softwareOathAuthenticationMethod",
            id: totp.id.to_string(),
            display_name: totp.display_name,
            created_date_time: totp.created_at,
            secret_key: None,
        }));
    }
    if let Some(stored) = state.store.access_pass_of(user.id).await? {
        let policy = ops::current_policy(&state).await?;
        let usable = access_pass::usability_of(&state, &policy, user, &stored.pass).await?;
        items.push(MethodView::AccessPass(AccessPassView::new(&stored.pass, usable, None)));
    }
    Ok(axum::Json(Collection::of(items)))
}

/// The signed-in user's passkeys.
#[utoipa::path(get, path = "/v1/me/authentication/fido2Methods", tag = "me",
    responses((status = 200, body = Collection<PasskeyView>), (status = "4XX", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<axum::Json<Collection<PasskeyView>>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let catalog = state.catalog();
    let items = passkeys::list(&state, &actor, user)
        .await?
        .iter()
        .map(|p| PasskeyView::new(p, &catalog))
        .collect();
    Ok(axum::Json(Collection::of(items)))
}

/// One of the signed-in user's passkeys.
#[utoipa::path(get, path = "/v1/me/authentication/fido2Methods/{id}", tag = "me",
    params(("id" = String, Path, description = "the passkey's id")),
    responses((status = 200, body = PasskeyView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn get_one(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<axum::Json<PasskeyView>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let passkey = passkeys::get(&state, &actor, user, parse_method_id(&id)?).await?;
    Ok(axum::Json(PasskeyView::new(&passkey, &state.catalog())))
}

/// A passkey's new name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RenameRequest {
    /// 1 to 200 characters.
    display_name: String,
}

/// Rename one of the signed-in user's passkeys.
#[utoipa::path(patch, path = "/v1/me/authentication/fido2Methods/{id}", tag = "me", request_body = RenameRequest,
    params(("id" = String, Path, description = "the passkey's id")),
    responses((status = 200, body = PasskeyView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn rename(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    Path(id): Path<String>,
    Json(request): Json<RenameRequest>,
) -> Result<axum::Json<PasskeyView>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let passkey = passkeys::rename(&state, &ctx, &actor, user, parse_method_id(&id)?, &request.display_name).await?;
    Ok(axum::Json(PasskeyView::new(&passkey, &state.catalog())))
}

/// Delete one of the signed-in user's passkeys; the sessions it signed in end.
#[utoipa::path(delete, path = "/v1/me/authentication/fido2Methods/{id}", tag = "me",
    params(("id" = String, Path, description = "the passkey's id")),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (user, _) = signed_in(&actor)?;
    passkeys::delete(&state, &ctx, &actor, user, parse_method_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A registration's begin: the platform path the user chose, if any.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BeginRequest {
    /// `platform`, `securityKey`, `phone` or `passwordManager`.
    #[schema(value_type = Option<String>)]
    pub(crate) path: Option<CeremonyPath>,
}

/// Start adding a passkey: questions 1 and 2 are answered first (403 with the evidence when one says no).
#[utoipa::path(post, path = "/v1/me/authentication/fido2Methods/registration/begin", tag = "me",
    request_body(content = Option<BeginRequest>),
    responses((status = 200, body = RegistrationBegun), (status = "4XX", body = ErrorBody)))]
pub(super) async fn begin(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    body: Option<Json<BeginRequest>>,
) -> Result<axum::Json<RegistrationBegun>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let request = body.map(|Json(r)| r).unwrap_or_default();
    let result = registration::begin(&state, &ctx, &actor, user, request.path).await;
    ceremony("registration_begin", result.as_ref().map(|_| ()).map_err(|e| e.code));
    Ok(axum::Json(RegistrationBegun::from(&result?)))
}

pub(crate) fn parse_attempt(id: &str) -> Result<AttemptId, ApiError> {
    id.parse().map_err(|_| {
        ApiError::new(
            keywarden_domain::Code::ChallengeUnknown,
            format!("attemptId {id:?} is not one keywarden issued"),
        )
    })
}

/// A registration's finish: the attempt and the browser's response.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct FinishRequest {
    attempt_id: String,
    display_name: Option<String>,
    /// The browser's RegistrationResponseJSON (`PublicKeyCredential.toJSON()`).
    #[schema(value_type = Object)]
    credential: Value,
}

/// Finish adding a passkey: questions 3 and 4 (403 with the evidence and what the profiles accept when one says no).
#[utoipa::path(post, path = "/v1/me/authentication/fido2Methods/registration/finish", tag = "me",
    request_body = FinishRequest,
    responses((status = 201, body = PasskeyView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn finish(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    Json(request): Json<FinishRequest>,
) -> Result<Created<PasskeyView>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let attempt = parse_attempt(&request.attempt_id)?;
    let result = registration::finish(
        &state,
        &ctx,
        &actor,
        user,
        attempt,
        request.display_name.as_deref(),
        &request.credential,
    )
    .await;
    ceremony("registration_finish", result.as_ref().map(|_| ()).map_err(|e| e.code));
    Ok(Created(PasskeyView::new(&result?, &state.catalog())))
}

/// What the browser reports about a ceremony that failed on its side, for the attempt it belongs to.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClientErrorRequest {
    pub(crate) attempt_id: String,
    /// The DOMException name (`NotAllowedError`, `InvalidStateError`...).
    name: String,
    #[serde(default)]
    message: String,
    /// `PublicKeyCredential.getClientCapabilities()`, as reported.
    #[serde(default)]
    client_capabilities: std::collections::BTreeMap<String, bool>,
    /// `isUserVerifyingPlatformAuthenticatorAvailable()`, when the page asked.
    #[serde(default)]
    user_verifying_platform_authenticator_available: Option<bool>,
    #[serde(default)]
    user_agent: Option<String>,
    /// `platform`, `securityKey`, `phone` or `passwordManager`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    path: Option<CeremonyPath>,
}

impl ClientErrorRequest {
    pub(crate) fn report(self) -> ClientReport {
        ClientReport {
            name: self.name,
            message: self.message,
            client_capabilities: self.client_capabilities,
            user_verifying_platform_authenticator_available: self.user_verifying_platform_authenticator_available,
            user_agent: self.user_agent,
            path: self.path,
        }
    }
}

/// Report a ceremony that failed in the browser (question 3's evidence); answers what it means and the fix.
#[utoipa::path(post, path = "/v1/me/authentication/fido2Methods/registration/clientError", tag = "me",
    request_body = ClientErrorRequest,
    responses((status = 200, body = ClientVerdictView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn client_error(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    Json(request): Json<ClientErrorRequest>,
) -> Result<axum::Json<ClientVerdictView>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let attempt = parse_attempt(&request.attempt_id)?;
    let verdict = registration::client_error(&state, &ctx, &actor, user, attempt, request.report()).await?;
    ceremony("registration_client_error", Err(verdict.code));
    Ok(axum::Json(ClientVerdictView::from(&verdict)))
}

/// Sets up an authenticator app. A user who already has a strong method must have verified recently.
#[utoipa::path(post, path = "/v1/me/authentication/softwareOathMethods", tag = "me",
    responses((status = 201, body = TotpEnrolledView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn enroll_totp(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
) -> Result<Created<TotpEnrolledView>, ApiError> {
    let (user, session) = signed_in(&actor)?;
    // A user with no strong method yet sets up their first; one who has one must have verified recently.
    let answer = ops::own_recency(&state, user, Some(&session.authentication), ctx.now).await?;
    if !answer.evidence.usable_methods.is_empty() {
        ops::require_recent(&answer, "setting up an authenticator app")?;
    }
    let enrolled = ops::sign_in::enroll_totp(
        &state,
        &ctx,
        actor.initiator(ctx.ip.clone()),
        user,
        Activity::UserRegisteredSecurityInfo,
    )
    .await?;
    Ok(Created(TotpEnrolledView {
        id: enrolled.id.to_string(),
        qr_code_svg: enrolled.qr_svg(),
        secret: enrolled.secret_base32,
        uri: enrolled.uri,
    }))
}
