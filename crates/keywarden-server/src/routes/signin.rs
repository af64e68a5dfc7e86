//! `/v1/signin/*`, `/v1/signout`: the sign-in steps. Each answers `{ status, user, csrfToken }` and sets the
//! session cookie when it creates a session.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use keywarden_domain::Code;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{Access, Route, route};
use crate::api_error::ApiError;
use crate::auth::{CSRF_HEADER, clear_session_cookie, session_cookie, session_of};
use crate::context::RequestContext;
use crate::json::Json;
use crate::ops::sign_in::{self, SignedIn};
use crate::state::AppState;
use crate::telemetry::ceremony;
use crate::wire::{ErrorBody, SignInAnswer, SignInChallengeView, UserRefView};

pub(super) fn routes() -> Vec<Route> {
    vec![
        route(Method::POST, "/v1/signin/password", Access::SignIn, password),
        route(Method::POST, "/v1/signin/totp", Access::SignIn, totp),
        route(Method::POST, "/v1/signin/tap", Access::SignIn, tap),
        route(Method::POST, "/v1/signin/passkey/begin", Access::SignIn, passkey_begin),
        route(
            Method::POST,
            "/v1/signin/passkey/finish",
            Access::SignIn,
            passkey_finish,
        ),
        route(Method::POST, "/v1/signout", Access::Public, sign_out),
    ]
}

/// The current session, if the request carries one (sign-in steps extend it).
pub(crate) struct MaybeSession(Option<(keywarden_store::Session, keywarden_domain::directory::User)>);

impl axum::extract::FromRequestParts<AppState> for MaybeSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeSession(session_of(parts, state).await?))
    }
}

/// The answer to a successful step: the session's state and CSRF token, and the cookie with the session's new
/// token (every step issues one; the previous token stops working).
fn answer(state: &AppState, signed_in: &SignedIn) -> Response {
    let body = SignInAnswer {
        status: signed_in.status(),
        user: UserRefView::from(&signed_in.user),
        csrf_token: signed_in.session.csrf_token.clone(),
        expires_date_time: signed_in.session.expires_at,
    };
    let mut response = axum::Json(body).into_response();
    let max_age = (signed_in.session.expires_at - state.clock.now())
        .whole_seconds()
        .max(0);
    if let Ok(value) = session_cookie(&signed_in.token, max_age, state.config.is_https()).parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

fn count(step: &'static str, result: &Result<SignedIn, ApiError>) {
    ceremony(step, result.as_ref().map(|_| ()).map_err(|e| e.code));
}

/// The first step: a userPrincipalName and its password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordRequest {
    username: String,
    password: String,
}

/// Sign in with a password: `mfaRequired` when the user has an authenticator app (send its code next), else a
/// session that can change nothing but its own security info.
#[utoipa::path(post, path = "/v1/signin/password", tag = "sign-in", request_body = PasswordRequest,
    responses((status = 200, body = SignInAnswer), (status = "4XX", body = ErrorBody)))]
pub(super) async fn password(
    State(state): State<AppState>,
    ctx: RequestContext,
    MaybeSession(existing): MaybeSession,
    Json(request): Json<PasswordRequest>,
) -> Result<Response, ApiError> {
    let result = sign_in::password(
        &state,
        &ctx,
        &request.username,
        &request.password,
        existing.map(|(s, _)| s),
    )
    .await;
    count("sign_in_password", &result);
    Ok(answer(&state, &result?))
}

/// An authenticator app's code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CodeRequest {
    /// Six digits.
    code: String,
}

/// The second step after a password: the authenticator app's code completes a strong sign-in.
#[utoipa::path(post, path = "/v1/signin/totp", tag = "sign-in", request_body = CodeRequest,
    responses((status = 200, body = SignInAnswer), (status = "4XX", body = ErrorBody)))]
pub(super) async fn totp(
    State(state): State<AppState>,
    ctx: RequestContext,
    MaybeSession(existing): MaybeSession,
    Json(request): Json<CodeRequest>,
) -> Result<Response, ApiError> {
    let Some((session, user)) = existing else {
        return Err(ApiError::new(Code::Unauthenticated, "sign in with the password first"));
    };
    let result = sign_in::totp(&state, &ctx, session, user, &request.code).await;
    count("sign_in_totp", &result);
    Ok(answer(&state, &result?))
}

/// A Temporary Access Pass sign-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TapRequest {
    username: String,
    /// The pass's code.
    code: String,
}

/// Sign in with a Temporary Access Pass (a strong method; a one-time pass is used up here).
#[utoipa::path(post, path = "/v1/signin/tap", tag = "sign-in", request_body = TapRequest,
    responses((status = 200, body = SignInAnswer), (status = "4XX", body = ErrorBody)))]
pub(super) async fn tap(
    State(state): State<AppState>,
    ctx: RequestContext,
    MaybeSession(existing): MaybeSession,
    Json(request): Json<TapRequest>,
) -> Result<Response, ApiError> {
    let result = sign_in::access_pass(&state, &ctx, &request.username, &request.code, existing.map(|(s, _)| s)).await;
    count("sign_in_tap", &result);
    Ok(answer(&state, &result?))
}

/// A passkey sign-in's begin takes nothing: the browser offers the user's discoverable passkeys. (A user name would
/// let anyone list a user's credential ids.)
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasskeyBeginRequest {}

/// Start a passkey sign-in: request options with no allowed credentials (the browser offers the user's own).
#[utoipa::path(post, path = "/v1/signin/passkey/begin", tag = "sign-in",
    request_body(content = Option<PasskeyBeginRequest>),
    responses((status = 200, body = SignInChallengeView), (status = "4XX", body = ErrorBody)))]
pub(super) async fn passkey_begin(
    State(state): State<AppState>,
    ctx: RequestContext,
    MaybeSession(existing): MaybeSession,
    body: Option<Json<Value>>,
) -> Result<axum::Json<SignInChallengeView>, ApiError> {
    if let Some(Json(body)) = body {
        if body.get("username").is_some() {
            return Err(ApiError::invalid(
                "passkey sign-in takes no username: every keywarden passkey is discoverable, and the browser offers \
                 the user's own",
            ));
        }
        serde_json::from_value::<PasskeyBeginRequest>(body)
            .map_err(|e| ApiError::invalid(format!("the body does not match the request: {e}")))?;
    }
    let signed_in = existing.as_ref().map(|(_, user)| user);
    let (challenge_id, public_key) = sign_in::passkey_begin(&state, &ctx, signed_in).await?;
    Ok(axum::Json(SignInChallengeView {
        challenge_id,
        public_key,
    }))
}

/// A passkey sign-in's finish.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PasskeyFinishRequest {
    /// From the begin's answer.
    challenge_id: String,
    /// The browser's AuthenticationResponseJSON.
    #[schema(value_type = Object)]
    credential: Value,
}

/// Finish a passkey sign-in: a strong session, or the profiles' verdicts when today's policy no longer admits the
/// passkey.
#[utoipa::path(post, path = "/v1/signin/passkey/finish", tag = "sign-in", request_body = PasskeyFinishRequest,
    responses((status = 200, body = SignInAnswer), (status = "4XX", body = ErrorBody)))]
pub(super) async fn passkey_finish(
    State(state): State<AppState>,
    ctx: RequestContext,
    MaybeSession(existing): MaybeSession,
    Json(request): Json<PasskeyFinishRequest>,
) -> Result<Response, ApiError> {
    let result = sign_in::passkey_finish(
        &state,
        &ctx,
        &request.challenge_id,
        &request.credential,
        existing.map(|(s, _)| s),
    )
    .await;
    count("sign_in_passkey", &result);
    Ok(answer(&state, &result?))
}

/// Ends the session; like every state-changing request of a session, it needs the session's CSRF token (a page
/// elsewhere cannot sign the user out). Without a session it only clears the cookie.
#[utoipa::path(post, path = "/v1/signout", tag = "sign-in",
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub(super) async fn sign_out(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    MaybeSession(existing): MaybeSession,
) -> Result<Response, ApiError> {
    if let Some((session, user)) = existing {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(session.csrf_token.as_str()) {
            return Err(ApiError::new(
                Code::CsrfTokenInvalid,
                format!("send the session's CSRF token in {CSRF_HEADER} to sign out"),
            ));
        }
        sign_in::sign_out(&state, &ctx, &session, &user).await?;
    }
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = clear_session_cookie(state.config.is_https()).parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}
