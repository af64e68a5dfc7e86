//! `/v1/me`: the signed-in user's own account, sign-in state and passkeys (Security info).

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use keywarden_domain::audit::Activity;
use keywarden_domain::ids::{AttemptId, MethodId};
use keywarden_domain::platform::{CeremonyPath, ClientReport};
use serde::Deserialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::{Actor, clear_session_cookie};
use crate::context::RequestContext;
use crate::json::{Json, Path};
use crate::ops::{self, access_pass, passkeys, registration};
use crate::routes::collection;
use crate::state::AppState;
use crate::telemetry::ceremony;

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

async fn me(State(state): State<AppState>, actor: Actor) -> Result<axum::Json<Value>, ApiError> {
    let (user, session) = signed_in(&actor)?;
    let (policy, groups) = ops::policy_and_groups(&state, user).await?;
    let window = ops::registration_window(&state, &policy);
    let usable = ops::usable_strong_methods(&state, &policy, user, &groups).await?;
    let last = session.authentication.last_strong();
    // The registration window as question 2 applies it (a one-time pass's session keeps 10 minutes at most).
    let recency = keywarden_domain::registration::recently_verified(
        &keywarden_domain::registration::RecencyInput {
            verified_party: &user.user_principal_name,
            authentication: Some(&session.authentication),
            window,
            usable_methods: usable.clone(),
        },
        state.clock.now(),
    )
    .evidence;
    Ok(axum::Json(json!({
        "id": user.id.to_string(),
        "userPrincipalName": user.user_principal_name,
        "displayName": user.display_name,
        "userType": user.user_type.as_str(),
        "roles": user.roles,
        "permissions": keywarden_domain::access::actions_of(&user.roles)
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        "csrfToken": session.csrf_token,
        "usableStrongMethods": usable,
        "session": {
            "createdDateTime": session.created_at.format(&Rfc3339).unwrap_or_default(),
            "expiresDateTime": session.expires_at.format(&Rfc3339).unwrap_or_default(),
            "methods": session.authentication.methods,
            "lastStrongAuthenticationDateTime": last.map(|m| m.at.format(&Rfc3339).unwrap_or_default()),
            "registrationWindowMinutes": recency.window_minutes,
            "recentlyVerifiedUntil": recency.verified_until.map(|t| t.format(&Rfc3339).unwrap_or_default()),
            "signedInWithAccessPass": session.authentication.access_pass,
            "strongAuthentication": session.authentication.is_complete(),
            "adminReauthenticationMinutes": state.config.admin_reauthentication_minutes,
        },
    })))
}

/// Graph's `revokeSignInSessions` on oneself: ends every session of the user, this one included (a lost or stolen
/// device). Answers `{"value": true}` and clears the cookie.
async fn revoke_sessions(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
) -> Result<Response, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let ended = ops::sign_in::revoke_sessions(&state, &ctx, &actor, user).await?;
    let mut response = axum::Json(json!({ "value": true, "endedSessions": ended })).into_response();
    if let Ok(value) = clear_session_cookie(state.config.is_https()).parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

/// Graph's `/me/authentication/methods`: every sign-in method of the user, never a secret (a TAP without its
/// code, an authenticator app without its key), for Security info's list.
async fn methods(State(state): State<AppState>, actor: Actor) -> Result<axum::Json<Value>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let mut items = Vec::new();
    if state.store.password_hash(user.id).await?.is_some() {
        // Graph's fixed id of the password method.
        items.push(json!({
            "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
            "id": "28c10230-6103-485e-b985-444c60001490",
        }));
    }
    let catalog = state.catalog();
    items.extend(
        passkeys::list(&state, &actor, user)
            .await?
            .iter()
            .map(|p| passkeys::to_json(p, &catalog)),
    );
    if let Some(totp) = state.store.totp_of(user.id).await? {
        items.push(json!({
            "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod",
            "id": totp.id.to_string(),
            "displayName": totp.display_name,
            "createdDateTime": totp.created_at.format(&Rfc3339).unwrap_or_default(),
            "secretKey": null,
        }));
    }
    if let Some(stored) = state.store.access_pass_of(user.id).await? {
        let policy = ops::current_policy(&state).await?;
        let usable = access_pass::usability_of(&state, &policy, user, &stored.pass).await?;
        items.push(access_pass::to_json(&stored.pass, usable, None));
    }
    Ok(axum::Json(collection(items, None)))
}

async fn list(State(state): State<AppState>, actor: Actor) -> Result<axum::Json<Value>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let catalog = state.catalog();
    let items = passkeys::list(&state, &actor, user)
        .await?
        .iter()
        .map(|p| passkeys::to_json(p, &catalog))
        .collect();
    Ok(axum::Json(collection(items, None)))
}

async fn get_one(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let passkey = passkeys::get(&state, &actor, user, parse_method_id(&id)?).await?;
    Ok(axum::Json(passkeys::to_json(&passkey, &state.catalog())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RenameRequest {
    display_name: String,
}

async fn rename(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    Path(id): Path<String>,
    Json(request): Json<RenameRequest>,
) -> Result<axum::Json<Value>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let passkey = passkeys::rename(&state, &ctx, &actor, user, parse_method_id(&id)?, &request.display_name).await?;
    Ok(axum::Json(passkeys::to_json(&passkey, &state.catalog())))
}

async fn delete(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (user, _) = signed_in(&actor)?;
    passkeys::delete(&state, &ctx, &actor, user, parse_method_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct BeginRequest {
    pub(crate) path: Option<CeremonyPath>,
}

pub(crate) fn begun_json(begun: &registration::Begun) -> Value {
    json!({
        "attemptId": begun.attempt_id.to_string(),
        "publicKey": begun.public_key,
        "challengeTimeoutDateTime": begun.expires_at.format(&Rfc3339).unwrap_or_default(),
    })
}

async fn begin(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    body: Option<Json<BeginRequest>>,
) -> Result<axum::Json<Value>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let request = body.map(|Json(r)| r).unwrap_or_default();
    let result = registration::begin(&state, &ctx, &actor, user, request.path).await;
    ceremony("registration_begin", result.as_ref().map(|_| ()).map_err(|e| e.code));
    Ok(axum::Json(begun_json(&result?)))
}

pub(crate) fn parse_attempt(id: &str) -> Result<AttemptId, ApiError> {
    id.parse().map_err(|_| {
        ApiError::new(
            keywarden_domain::Code::ChallengeUnknown,
            format!("attemptId {id:?} is not one keywarden issued"),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FinishRequest {
    attempt_id: String,
    display_name: Option<String>,
    credential: Value,
}

async fn finish(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    Json(request): Json<FinishRequest>,
) -> Result<Response, ApiError> {
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
    Ok((
        StatusCode::CREATED,
        axum::Json(passkeys::to_json(&result?, &state.catalog())),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClientErrorRequest {
    pub(crate) attempt_id: String,
    #[serde(flatten)]
    pub(crate) report: ClientReport,
}

pub(crate) fn verdict_json(verdict: &registration::ClientVerdict) -> Value {
    json!({
        "code": verdict.code.as_str(),
        "question": 3,
        "message": verdict.message,
        "fix": verdict.code.fix(),
    })
}

async fn client_error(
    State(state): State<AppState>,
    ctx: RequestContext,
    actor: Actor,
    Json(request): Json<ClientErrorRequest>,
) -> Result<axum::Json<Value>, ApiError> {
    let (user, _) = signed_in(&actor)?;
    let attempt = parse_attempt(&request.attempt_id)?;
    let verdict = registration::client_error(&state, &ctx, &actor, user, attempt, request.report).await?;
    ceremony("registration_client_error", Err(verdict.code));
    Ok(axum::Json(verdict_json(&verdict)))
}

/// Sets up an authenticator app. A user who already has a strong method must have verified recently.
async fn enroll_totp(State(state): State<AppState>, ctx: RequestContext, actor: Actor) -> Result<Response, ApiError> {
    let (user, session) = signed_in(&actor)?;
    let (policy, groups) = ops::policy_and_groups(&state, user).await?;
    let usable = ops::usable_strong_methods(&state, &policy, user, &groups).await?;
    if !usable.is_empty() {
        let input = keywarden_domain::registration::RecencyInput {
            verified_party: &user.user_principal_name,
            authentication: Some(&session.authentication),
            window: ops::registration_window(&state, &policy),
            usable_methods: usable,
        };
        let answer = keywarden_domain::registration::recently_verified(&input, ctx.now);
        if let Some(code) = answer.code() {
            return Err(ApiError::code(code).with_details(json!({ "verification": answer.evidence })));
        }
    }
    let enrolled = ops::sign_in::enroll_totp(
        &state,
        &ctx,
        actor.initiator(ctx.ip.clone()),
        user,
        Activity::UserRegisteredSecurityInfo,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "id": enrolled.id.to_string(),
            "secret": enrolled.secret_base32,
            "uri": enrolled.uri,
            "qrCodeSvg": enrolled.qr_svg(),
        })),
    )
        .into_response())
}
