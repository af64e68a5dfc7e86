//! The router: one module per URL prefix, each with its handlers.

mod audit;
mod authenticators;
mod diagnosis;
mod groups;
mod me;
mod openapi;
pub(crate) use openapi::refuse_undocumented_parameters;
mod operations;
mod policies;
mod reports;
mod signin;
mod users;

use axum::Router;
use axum::http::Uri;
use keywarden_domain::Code;

use crate::api_error::ApiError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(operations::router())
        .merge(openapi::router())
        .merge(signin::router())
        .merge(me::router())
        .merge(users::router())
        .merge(diagnosis::router())
        .merge(groups::router())
        .merge(policies::router())
        .merge(audit::router())
        .merge(reports::router())
        .merge(authenticators::router())
        .merge(crate::pages::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
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

/// A Graph-style collection: `{ "value": [...] }`, with `@odata.nextLink` when there is more.
pub(crate) fn collection(items: Vec<serde_json::Value>, next_link: Option<String>) -> serde_json::Value {
    let mut body = serde_json::json!({ "value": serde_json::Value::Array(items) });
    if let Some(link) = next_link {
        body["@odata.nextLink"] = serde_json::Value::String(link);
    }
    body
}
