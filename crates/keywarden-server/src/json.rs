//! Request extractors whose rejections are keywarden errors (`invalid_request`, `unsupported_media_type`,
//! `payload_too_large`) in the usual error shape, never axum's plain-text ones: JSON bodies, text bodies, query
//! strings and path parameters. Bodies holding a NUL character (`\u0000`) are refused here, as
//! [`crate::refuse_nul`] refuses addresses: PostgreSQL cannot store or compare it in text, and no name or code
//! keywarden takes has one.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use keywarden_domain::Code;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::api_error::ApiError;

pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                "the body must be JSON, sent with Content-Type: application/json",
            ));
        }
        let bytes = body(req, state).await?;
        serde_json::from_slice::<T>(&bytes)
            .map(Json)
            .map_err(|e| match e.classify() {
                Category::Data => ApiError::invalid(format!("the body is not valid: {e}")),
                Category::Syntax | Category::Eof | Category::Io => {
                    ApiError::invalid(format!("the body is not valid JSON: {e}"))
                }
            })
    }
}

/// `Content-Type: application/json`, or a `+json` type, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The whole body (at most [`crate::BODY_LIMIT`]), refused when it holds an escaped NUL character.
async fn body<S: Send + Sync>(req: Request, state: &S) -> Result<axum::body::Bytes, ApiError> {
    let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| {
        ApiError::new(
            Code::PayloadTooLarge,
            "the body is larger than keywarden accepts (64 KiB)",
        )
    })?;
    if has_escaped_nul(&bytes) {
        return Err(ApiError::invalid(
            "the body holds a NUL character (\\u0000), which keywarden does not accept",
        ));
    }
    Ok(bytes)
}

/// Whether JSON text holds `\u0000`: the escape itself, not a literal backslash followed by `u0000`.
fn has_escaped_nul(bytes: &[u8]) -> bool {
    bytes.windows(5).enumerate().any(|(at, window)| {
        window == b"u0000" && {
            let backslashes = bytes[..at].iter().rev().take_while(|&&b| b == b'\\').count();
            backslashes % 2 == 1
        }
    })
}

/// An optional JSON body: an empty body is `None`; anything else must be valid JSON of the right shape.
impl<S, T> axum::extract::OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let bytes = body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice::<T>(&bytes)
            .map(|value| Some(Json(value)))
            .map_err(|e| ApiError::invalid(format!("the body is not valid: {e}")))
    }
}

/// A UTF-8 request body read whole (for documents validated by keywarden itself, such as policies), with the same
/// error shape as [`Json`].
pub struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body(req, state).await?;
        String::from_utf8(bytes.to_vec())
            .map(Text)
            .map_err(|_| ApiError::invalid("the body is not UTF-8 text"))
    }
}

/// Query-string parameters with the same error shape as [`Json`] (`invalid_request` naming the parameter).
pub struct Query<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(ApiError::invalid(format!(
                "the query string is not valid: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// Path parameters with the same error shape (`invalid_request`), e.g. for a segment that is not UTF-8.
pub struct Path<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError::invalid(format!(
                "the address is not valid: {}",
                rejection.body_text()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escaped_nul_is_found_and_a_literal_backslash_is_not_one() {
        assert!(has_escaped_nul(br#"{"a":"x\u0000y"}"#));
        assert!(
            has_escaped_nul(br#"{"a":"\\\u0000"}"#),
            "an escaped backslash, then the escape"
        );
        assert!(
            !has_escaped_nul(br#"{"a":"\\u0000"}"#),
            "a backslash, then the text u0000"
        );
        assert!(!has_escaped_nul(br#"{"a":"u0000"}"#));
        assert!(!has_escaped_nul(b""));
    }

    #[test]
    fn json_content_types() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().expect("header"));
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
