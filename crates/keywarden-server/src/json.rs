//! A JSON body extractor whose rejections are keywarden errors (`invalid_request`, `unsupported_media_type`,
//! `payload_too_large`) in the usual error shape, never axum's plain-text ones.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use keywarden_domain::Code;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;

pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(rejection_to_error(&rejection)),
        }
    }
}

fn rejection_to_error(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            Code::UnsupportedMediaType,
            "the body must be JSON, sent with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::invalid(format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => ApiError::invalid(e.body_text()),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            Code::PayloadTooLarge,
            "the body is larger than keywarden accepts (64 KiB)",
        ),
        other => ApiError::invalid(other.body_text()),
    }
}

/// An optional JSON body: an empty body is `None`; anything else must be valid JSON of the right shape.
impl<S, T> axum::extract::OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                Code::PayloadTooLarge,
                "the body is larger than keywarden accepts (64 KiB)",
            )
        })?;
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
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                Code::PayloadTooLarge,
                "the body is larger than keywarden accepts (64 KiB)",
            )
        })?;
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
