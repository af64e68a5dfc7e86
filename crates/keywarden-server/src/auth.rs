//! Who is calling: a signed-in user (session cookie), an application (API token), or the local operator (CLI),
//! and what their roles let them do. Every admin endpoint goes through [`Actor::require`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use keywarden_domain::Code;
use keywarden_domain::audit::Initiator;
use keywarden_domain::directory::{Permission, Role, User};
use keywarden_store::{ApiToken, Session};

use crate::api_error::ApiError;
use crate::context::RequestContext;
use crate::secrets::token_hash;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "kw_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const TOKEN_PREFIX: &str = "kwt_";
pub const SESSION_PREFIX: &str = "kws_";

/// The identity behind a request or a command.
#[derive(Clone, Debug)]
pub enum Actor {
    User {
        user: User,
        session: Session,
    },
    App {
        token: ApiToken,
    },
    /// The `keywarden` command line on the host: full authority, audited as itself.
    LocalOperator {
        os_user: String,
    },
}

impl Actor {
    pub fn initiator(&self, ip: Option<String>) -> Initiator {
        match self {
            Actor::User { user, .. } => Initiator::User {
                id: user.id.to_string(),
                user_principal_name: user.user_principal_name.clone(),
                display_name: user.display_name.clone(),
                ip_address: ip,
            },
            Actor::App { token } => Initiator::App {
                app_id: token.id.to_string(),
                display_name: token.name.clone(),
                ip_address: ip,
            },
            Actor::LocalOperator { os_user } => Initiator::LocalOperator {
                os_user: os_user.clone(),
            },
        }
    }

    fn roles(&self) -> Vec<Role> {
        match self {
            Actor::User { user, .. } => user.roles.clone(),
            Actor::App { token } => vec![token.role],
            Actor::LocalOperator { .. } => Role::ALL.to_vec(),
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.roles().iter().any(|r| r.allows(permission))
    }

    /// Refuses with `forbidden` unless a role of the actor allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(ApiError::new(
                Code::Forbidden,
                format!("no role of the caller allows {permission:?}"),
            ))
        }
    }

    /// Managing a user's authentication methods: admins' methods need a privileged role, and administrators
    /// do not manage their own methods through the admin API (they use Security info, like everyone).
    pub fn require_manage_methods_of(&self, target: &User) -> Result<(), ApiError> {
        if let Actor::User { user, .. } = self
            && user.id == target.id
        {
            return Err(ApiError::new(
                Code::Forbidden,
                "administrators manage their own methods in Security info, not through the admin API",
            ));
        }
        self.require(if target.is_admin() {
            Permission::ManageMethodsOfAdmins
        } else {
            Permission::ManageMethodsOfMembers
        })
    }

    pub fn user(&self) -> Option<&User> {
        match self {
            Actor::User { user, .. } => Some(user),
            _ => None,
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match self {
            Actor::User { session, .. } => Some(session),
            _ => None,
        }
    }
}

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookies| {
            cookies.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                (key == name).then(|| value.to_string())
            })
        })
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The session named by the request's cookie, whatever its state (used by the sign-in steps themselves).
pub async fn session_of(parts: &Parts, state: &AppState) -> Result<Option<(Session, User)>, ApiError> {
    let Some(token) = cookie_value(parts, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some((session, user)) = state.store.session_with_user_by_token(&token_hash(&token)).await? else {
        return Ok(None);
    };
    if session.expires_at <= state.clock.now() {
        return Ok(None);
    }
    if !user.account_enabled {
        return Ok(None);
    }
    Ok(Some((session, user)))
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// An authenticated caller: a complete session (with the CSRF header on state-changing requests) or a valid API
/// token.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer(parts) {
            let now = state.clock.now();
            let found = state.store.token_by_hash(&token_hash(token)).await?;
            return match found {
                Some(t) if t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now) => {
                    Ok(Actor::App { token: t })
                }
                _ => Err(ApiError::new(
                    Code::Unauthenticated,
                    "the API token is unknown, revoked or expired",
                )),
            };
        }
        let Some((session, user)) = session_of(parts, state).await? else {
            return Err(ApiError::new(
                Code::Unauthenticated,
                "sign in first: there is no valid session",
            ));
        };
        if session.authentication.mfa_pending {
            return Err(ApiError::code(Code::MfaRequired));
        }
        if is_state_changing(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(session.csrf_token.as_str()) {
                return Err(ApiError::new(
                    Code::CsrfTokenInvalid,
                    format!("send the session's CSRF token in {CSRF_HEADER}"),
                ));
            }
        }
        Ok(Actor::User { user, session })
    }
}

/// An actor holding at least one administrative role.
pub struct Admin(pub Actor);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let actor = Actor::from_request_parts(parts, state).await?;
        if actor.roles().is_empty() {
            return Err(ApiError::new(
                Code::Forbidden,
                "this endpoint needs an administrative role",
            ));
        }
        Ok(Admin(actor))
    }
}

/// The `Set-Cookie` value for a session token.
pub fn session_cookie(token: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// Makes the context and actor pair most handlers need.
pub type Caller = (RequestContext, Actor);
