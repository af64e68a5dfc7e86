//! The router, built from one route table: every API route with its method, path and access rule (public, a
//! sign-in step, the signed-in user's own account, or an administrative action). One module per URL prefix holds
//! its handlers and its part of the table. The guard applies each route's rule before the handler runs, so a route
//! cannot be added without one, and the security tests read the same table to try every admin route as every role.

mod audit;
mod authenticators;
mod diagnosis;
mod groups;
mod me;
mod openapi;
pub use openapi::{generate as openapi_document, to_json as openapi_json};
mod operations;
mod policies;
mod reports;
mod signin;
mod tokens;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use keywarden_domain::Code;
use keywarden_domain::access::Action;

use crate::api_error::ApiError;
use crate::auth::{Actor, Admitted};
use crate::state::AppState;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, readiness, metrics, the API's description.
    Public,
    /// A sign-in step: anyone, limited per client address (`rate_limit`).
    SignIn,
    /// A signed-in user, about their own account (`/v1/me`); the handler checks what the session must have done.
    SignedIn,
    /// An administrator whose roles allow this action on some target, in a session completed with a strong method
    /// (recently, for a sensitive action). The operation checks the target.
    Admin(Action),
    /// An administrator whose roles allow one of these actions (a route whose body says which, such as a user's
    /// `PATCH`), in a session completed with a strong method. The operation checks each action it takes, and how
    /// recent the strong authentication is for a sensitive one.
    AdminAnyOf(&'static [Action]),
}

/// One row of the route table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// A route: its row and its handler.
pub(crate) struct Route {
    info: RouteInfo,
    handler: MethodRouter<AppState>,
}

/// A route for `method` (`GET` also answers `HEAD`) on `path`, called as `access` allows.
pub(crate) fn route<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let name = match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        _ => "OTHER",
    };
    let filter = MethodFilter::try_from(method).expect("the route table names standard methods");
    Route {
        info: RouteInfo {
            method: name,
            path,
            access,
        },
        handler: on(filter, handler),
    }
}

fn routes() -> Vec<Route> {
    [
        operations::routes(),
        openapi::routes(),
        signin::routes(),
        me::routes(),
        users::routes(),
        diagnosis::routes(),
        groups::routes(),
        policies::routes(),
        audit::routes(),
        reports::routes(),
        authenticators::routes(),
        tokens::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every API route with its access rule: what the router serves, for the security and OpenAPI tests.
pub fn table() -> Vec<RouteInfo> {
    routes().into_iter().map(|r| r.info).collect()
}

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let limiter = state.sign_in_limit.as_ref().map(crate::rate_limit::layer);
    let mut router = Router::new();
    for Route { info, handler } in routes() {
        let mut handler = handler
            .route_layer(middleware::from_fn_with_state(
                Arc::new((state.clone(), info.access)),
                guard,
            ))
            .route_layer(middleware::from_fn(openapi::refuse_undocumented_parameters));
        if info.access == Access::SignIn
            && let Some(limiter) = &limiter
        {
            handler = handler.route_layer(limiter.clone());
        }
        router = router.route(info.path, handler);
    }
    router
        .merge(crate::pages::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// Applies a route's access rule. For an admin route: resolves the caller, refuses one whose roles cannot take the
/// route's action on anyone or whose session is not strong (or recent) enough, and hands the admitted caller to
/// the handler ([`crate::auth::Admin`]).
async fn guard(State(rule): State<Arc<(AppState, Access)>>, request: Request, next: Next) -> Response {
    let (state, access) = &*rule;
    let actions: &[Action] = match access {
        Access::Admin(action) => std::slice::from_ref(action),
        Access::AdminAnyOf(actions) => actions,
        Access::Public | Access::SignIn | Access::SignedIn => return next.run(request).await,
    };
    let (mut parts, body) = request.into_parts();
    let actor = match Actor::from_request_parts(&mut parts, state).await {
        Ok(actor) => actor,
        Err(refusal) => return refusal.into_response(),
    };
    let admitted = match actions {
        [action] => actor.admit(*action),
        _ => actor.admit_any(actions),
    };
    if let Err(refusal) = admitted {
        return refusal.into_response();
    }
    parts.extensions.insert(Admitted(actor));
    next.run(Request::from_parts(parts, body)).await
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(Code::RouteNotFound, format!("no route for {}", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    ApiError::new(
        Code::MethodNotAllowed,
        format!("{} does not accept this method", uri.path()),
    )
}

/// A `201 Created` answer with its body.
pub(crate) struct Created<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (axum::http::StatusCode::CREATED, axum::Json(self.0)).into_response()
    }
}
