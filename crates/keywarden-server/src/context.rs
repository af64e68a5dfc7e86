//! Per-request facts every operation records: the correlation id, the client's address and user agent, and now.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::api_error::ApiError;
use crate::state::AppState;

/// The header that carries a correlation id in and out; a client may set it to tie its own logs to ours.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

#[derive(Clone, Debug)]
pub struct RequestContext {
    pub correlation_id: Uuid,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub now: OffsetDateTime,
}

impl RequestContext {
    /// The context of a command run on the host (CLI).
    pub fn local(now: OffsetDateTime) -> RequestContext {
        RequestContext {
            correlation_id: Uuid::now_v7(),
            ip: None,
            user_agent: None,
            now,
        }
    }
}

impl FromRequestParts<AppState> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let correlation_id = parts
            .extensions
            .get::<CorrelationId>()
            .map(|c| c.0)
            .unwrap_or_else(Uuid::now_v7);
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        Ok(RequestContext {
            correlation_id,
            ip,
            user_agent,
            now: state.clock.now(),
        })
    }
}

/// Set on every request by the correlation middleware.
#[derive(Clone, Copy, Debug)]
pub struct CorrelationId(pub Uuid);
