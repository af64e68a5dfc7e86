//! `/v1/openapi.json`: the API's OpenAPI 3.1 document, kept in `openapi.json` beside this crate; a test checks
//! that it names every route and that every route it names exists. Its query parameters are also what the API
//! accepts: [`refuse_undocumented_parameters`].

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{Access, Route, route};
use crate::api_error::ApiError;

pub(crate) const DOCUMENT: &str = include_str!("../../openapi.json");

/// The query parameters the document lists for each operation, by method (`get`, `post`...) and path template.
fn documented_parameters() -> &'static HashMap<(String, String), HashSet<String>> {
    static PARAMETERS: OnceLock<HashMap<(String, String), HashSet<String>>> = OnceLock::new();
    PARAMETERS.get_or_init(|| {
        let document: Value = serde_json::from_str(DOCUMENT).unwrap_or(Value::Null);
        let mut parameters = HashMap::new();
        for (path, operations) in document["paths"].as_object().into_iter().flatten() {
            for (method, operation) in operations.as_object().into_iter().flatten() {
                let names = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_string))
                    .collect();
                parameters.insert((method.clone(), path.clone()), names);
            }
        }
        parameters
    })
}

/// Refuses a query parameter that the OpenAPI document does not list for the operation, on every documented route
/// (those with parameters also check them as they parse them): a parameter that is not understood is refused, never
/// silently ignored. The document is the contract; a test checks that it lists every route.
pub(crate) async fn refuse_undocumented_parameters(request: Request, next: Next) -> Response {
    if let (Some(query), Some(template)) = (request.uri().query(), request.extensions().get::<MatchedPath>()) {
        let method = if request.method() == Method::HEAD {
            "get".to_string()
        } else {
            request.method().as_str().to_ascii_lowercase()
        };
        if let Some(known) = documented_parameters().get(&(method, template.as_str().to_string())) {
            let unknown: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
                .map(|(name, _)| name.into_owned())
                .filter(|name| !known.contains(name))
                .collect();
            if let Some(name) = unknown.first() {
                let mut accepted: Vec<&str> = known.iter().map(String::as_str).collect();
                accepted.sort_unstable();
                let message = if accepted.is_empty() {
                    format!("{} takes no query parameters (got {name:?})", template.as_str())
                } else {
                    format!(
                        "{} does not take the query parameter {name:?}; it takes {}",
                        template.as_str(),
                        accepted.join(", ")
                    )
                };
                return ApiError::invalid(message).into_response();
            }
        }
    }
    next.run(request).await
}

pub(super) fn routes() -> Vec<Route> {
    vec![route(Method::GET, "/v1/openapi.json", Access::Public, document)]
}

async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
