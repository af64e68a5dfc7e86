//! Who is calling: a signed-in user (session cookie), an application (API token), or the local operator (CLI),
//! and whether they may take an administrative action on a target. The rules are the domain's
//! (`keywarden_domain::access`); this module applies them to a caller: [`Actor::require`] and
//! [`Actor::require_on`], and the route guard's [`Actor::admit`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use keywarden_domain::Code;
use keywarden_domain::access::{self, Action, Denial, SessionShortfall, TargetKind};
use keywarden_domain::audit::Initiator;
use keywarden_domain::directory::{Role, User};
use keywarden_store::{ApiToken, Session};
use time::{Duration, OffsetDateTime};

use crate::api_error::ApiError;
use crate::secrets::token_hash;
use crate::state::AppState;
use crate::wire::ErrorDetails;

/// The strong authentication an administrative action found too old, and what it needs (the shape question 2's
/// evidence has, so that the pages ask again the same way).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct AdminVerification {
    #[serde(with = "time::serde::rfc3339")]
    last_strong_authentication: OffsetDateTime,
    window_minutes: i64,
    #[serde(with = "time::serde::rfc3339")]
    verified_until: OffsetDateTime,
}

/// The session cookie's name over plain http (development on localhost).
pub const SESSION_COOKIE: &str = "kw_session";
/// The session cookie's name over https: the `__Host-` prefix makes the browser refuse it unless it is `Secure`,
/// has `Path=/` and no `Domain`, so that a neighbouring subdomain cannot plant or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-kw_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const TOKEN_PREFIX: &str = "kwt_";
pub const SESSION_PREFIX: &str = "kws_";

/// The session cookie's name for a deployment (see [`SECURE_SESSION_COOKIE`]).
pub fn session_cookie_name(https: bool) -> &'static str {
    if https { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

/// What an administrator's session is judged against when the request is made: now, and how recent strong
/// authentication must be for a sensitive action.
#[derive(Clone, Copy, Debug)]
pub struct Freshness {
    pub now: OffsetDateTime,
    pub max_age: Duration,
}

/// The identity behind a request or a command.
// One per request, moved rarely: boxing the user and session would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Actor {
    User {
        user: User,
        session: Session,
        freshness: Freshness,
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

    pub fn roles(&self) -> Vec<Role> {
        match self {
            Actor::User { user, .. } => user.roles.clone(),
            Actor::App { token } => vec![token.role],
            Actor::LocalOperator { .. } => Role::ALL.to_vec(),
        }
    }

    /// Whether the actor's roles allow `action` on some target (for pages and listings that only hide things).
    pub fn may(&self, action: Action) -> bool {
        self.roles().into_iter().any(|role| access::allows_some(role, action))
    }

    /// Refuses unless the actor may take `action`, which is about no user in particular (reading, the policy,
    /// groups, tokens, creating a user), and its session is strong enough for it.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        self.require_kind(action, TargetKind::NoUser)
    }

    /// Refuses unless the actor may take `action` on `target` (a user of that privilege, not themselves) and its
    /// session is strong enough for it.
    pub fn require_on(&self, action: Action, target: &User) -> Result<(), ApiError> {
        let caller = self.user().map(|u| u.id);
        self.require_kind(action, TargetKind::of(caller, target))
    }

    /// [`Actor::require_on`] for a target of a known kind (a user being created with roles is a kind of its own).
    pub fn require_kind(&self, action: Action, target: TargetKind) -> Result<(), ApiError> {
        match self {
            Actor::LocalOperator { .. } => return Ok(()),
            Actor::App { .. } if action == Action::ManageTokens => {
                return Err(ApiError::new(
                    Code::Forbidden,
                    "API tokens are made by a Global Administrator or the local operator, never by another token",
                ));
            }
            _ => {}
        }
        access::decide(&self.roles(), action, target).map_err(|denial| forbidden(action, target, denial))?;
        self.strong_enough(action)
    }

    /// The route guard's check, made before a request's body is read: a role of the actor allows `action` on
    /// some target, and the session is strong enough for it. The operation then checks the target.
    pub fn admit(&self, action: Action) -> Result<(), ApiError> {
        if let Actor::App { .. } = self
            && action == Action::ManageTokens
        {
            return self.require(action);
        }
        if !matches!(self, Actor::LocalOperator { .. }) && !self.may(action) {
            return Err(forbidden(action, TargetKind::NoUser, Denial::NoRole));
        }
        self.strong_enough(action)
    }

    /// [`Actor::admit`] for a route whose body says which of `actions` it takes: a role allows one of them, and the
    /// session was completed with a strong method (how recently is checked per action by the operation).
    pub fn admit_any(&self, actions: &[Action]) -> Result<(), ApiError> {
        match actions.iter().find(|&&action| self.may(action)) {
            Some(_) => self.strong_enough(Action::Read),
            None => Err(forbidden(
                actions.first().copied().unwrap_or(Action::Read),
                TargetKind::NoUser,
                Denial::NoRole,
            )),
        }
    }

    /// A user's session must have been completed with a strong method, recently for a sensitive action.
    /// Applications are trusted by their role (the local operator chose it); the operator by the host.
    fn strong_enough(&self, action: Action) -> Result<(), ApiError> {
        let Actor::User { session, freshness, .. } = self else {
            return Ok(());
        };
        match access::admin_session(&session.authentication, action, freshness.max_age, freshness.now) {
            Ok(()) => Ok(()),
            Err(SessionShortfall::NotStrong) => Err(ApiError::new(
                Code::StrongAuthenticationRequired,
                "administration needs a session completed with a strong method: finish signing in with your \
                 authenticator app or a passkey (a password alone is not enough)",
            )),
            Err(SessionShortfall::NotRecent { last_strong, max_age }) => Err(ApiError::new(
                Code::RecentAuthenticationRequired,
                format!(
                    "{} needs strong authentication within the last {} minutes; verify again and retry",
                    action.as_str(),
                    max_age.whole_minutes()
                ),
            )
            .with_details(ErrorDetails {
                verification: Some(crate::wire::to_value(&AdminVerification {
                    last_strong_authentication: last_strong,
                    window_minutes: max_age.whole_minutes(),
                    verified_until: last_strong + max_age,
                })),
                ..ErrorDetails::default()
            })),
        }
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

fn forbidden(action: Action, target: TargetKind, denial: Denial) -> ApiError {
    let message = match denial {
        Denial::NoRole => format!("no role of the caller allows {}", action.as_str()),
        Denial::OwnAccount => {
            "administrators manage their own account and methods in Security info, not through the admin API".into()
        }
        Denial::TargetTooPrivileged => format!(
            "the caller's roles allow {} only on less privileged users; this user is {}",
            action.as_str(),
            match target {
                TargetKind::GlobalAdministrator => "a Global Administrator",
                _ => "an administrator",
            }
        ),
    };
    ApiError::new(Code::Forbidden, message)
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
    let Some(token) = cookie_value(parts, session_cookie_name(state.config.is_https())) else {
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

/// Refuses a state-changing request whose CSRF header is not the session's token.
pub fn check_csrf(parts: &Parts, session: &Session) -> Result<(), ApiError> {
    if is_state_changing(&parts.method) {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(session.csrf_token.as_str()) {
            return Err(ApiError::new(
                Code::CsrfTokenInvalid,
                format!("send the session's CSRF token in {CSRF_HEADER}"),
            ));
        }
    }
    Ok(())
}

/// An authenticated caller: a session whose sign-in is not waiting for a second factor (with the CSRF header on
/// state-changing requests), or a valid API token. Whether it may administer is decided per action.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(Admitted(actor)) = parts.extensions.get::<Admitted>() {
            return Ok(actor.clone());
        }
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
        check_csrf(parts, &session)?;
        let freshness = Freshness {
            now: state.clock.now(),
            max_age: Duration::minutes(i64::from(state.config.admin_reauthentication_minutes)),
        };
        Ok(Actor::User {
            user,
            session,
            freshness,
        })
    }
}

/// An actor the route guard admitted to an admin route (see `routes::guard`). A handler that takes it cannot run
/// on a route the guard does not know: it fails closed.
pub struct Admin(pub Actor);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Admitted>() {
            Some(Admitted(actor)) => Ok(Admin(actor.clone())),
            None => Err(ApiError::internal(anyhow::anyhow!(
                "{} has no access rule in the route table",
                parts.uri.path()
            ))),
        }
    }
}

/// Set by the route guard on a request it admitted to an admin route.
#[derive(Clone, Debug)]
pub(crate) struct Admitted(pub(crate) Actor);

/// The `Set-Cookie` value for a session token.
pub fn session_cookie(token: &str, max_age_seconds: i64, https: bool) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        session_cookie_name(https),
        if https { "; Secure" } else { "" }
    )
}

pub fn clear_session_cookie(https: bool) -> String {
    session_cookie("", 0, https)
}
