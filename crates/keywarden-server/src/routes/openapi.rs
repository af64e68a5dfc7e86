//! `/v1/openapi.json`: the API's OpenAPI 3.1 document, kept in `openapi.json` beside this crate; a test checks
//! that it names every route and that every route it names exists.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

pub(crate) const DOCUMENT: &str = include_str!("../../openapi.json");

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/openapi.json", get(document))
}

async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
