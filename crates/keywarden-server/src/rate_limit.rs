//! The per-address limit on the sign-in endpoints (tower_governor's token bucket, keyed by the peer address), so
//! that one address cannot lock every administrator out or fill the audit log. A refusal is keywarden's error
//! shape with `rate_limited` and `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Response, header};
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use keywarden_domain::Code;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::PeerIpKeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::api_error::ApiError;
use crate::config::RateLimitConfig;

/// The limiter's configuration and state (its buckets), shared by every sign-in route of a server.
pub type SignInLimit = Arc<GovernorConfig<PeerIpKeyExtractor, NoOpMiddleware>>;

/// The limit `config` sets; `None` when it is off.
pub fn sign_in_limit(config: &RateLimitConfig) -> Option<SignInLimit> {
    if config.sign_in_per_minute == 0 {
        return None;
    }
    let period = Duration::from_micros((60_000_000 / u64::from(config.sign_in_per_minute)).max(1));
    GovernorConfigBuilder::default()
        .period(period)
        .burst_size(config.sign_in_burst.max(1))
        .finish()
        .map(Arc::new)
}

/// The layer that applies `limit` to a route.
pub(crate) fn layer(limit: &SignInLimit) -> GovernorLayer<PeerIpKeyExtractor, NoOpMiddleware, Body> {
    GovernorLayer::new(limit.clone()).error_handler(refusal)
}

fn refusal(error: GovernorError) -> Response<Body> {
    match error {
        GovernorError::TooManyRequests { wait_time, .. } => {
            let wait = wait_time.max(1);
            let mut response = ApiError::new(
                Code::RateLimited,
                format!("too many sign-in requests from this address; retry in {wait} s"),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            response
        }
        other => ApiError::internal(anyhow::anyhow!("sign-in rate limit: {other}")).into_response(),
    }
}
