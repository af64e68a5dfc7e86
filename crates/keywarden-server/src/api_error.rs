//! The single place where failures become HTTP responses: `{ "error": { code, message, question, fix } }` with the
//! status that fits the code. Internal causes are logged here, once, and never sent to the client.

use crate::wire::{ErrorBody, ErrorDetail, ErrorDetails};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keywarden_domain::ids::AttemptId;
use keywarden_domain::{Code, Question};

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// Overrides the code's own question (a code reported for another question's evidence).
    pub question: Option<Question>,
    /// Structured detail: the list of policy problems, the profiles' verdicts.
    pub details: Option<Box<ErrorDetails>>,
    /// The registration attempt that recorded this refusal, so the help desk can find it.
    pub attempt_id: Option<AttemptId>,
    /// For internal errors: the cause, logged and withheld.
    pub source: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            question: None,
            details: None,
            attempt_id: None,
            source: None,
        }
    }

    /// A refusal with the code's own summary as its message.
    pub fn code(code: Code) -> ApiError {
        ApiError::new(code, code.summary())
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> ApiError {
        ApiError {
            source: Some(cause.into()),
            ..ApiError::code(Code::InternalError)
        }
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::InvalidRequest, message)
    }

    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(Code::NotFound, format!("{what} does not exist"))
    }

    pub fn with_details(mut self, details: ErrorDetails) -> ApiError {
        self.details = Some(Box::new(details));
        self
    }

    pub fn with_attempt(mut self, attempt: AttemptId) -> ApiError {
        self.attempt_id = Some(attempt);
        self
    }

    pub fn with_question(mut self, question: Question) -> ApiError {
        self.question = Some(question);
        self
    }

    pub fn status(&self) -> StatusCode {
        status_of(self.code)
    }
}

/// The HTTP status for each code. Denials of questions 1 and 2 are 403, of questions 3 and 4 are 422.
pub fn status_of(code: Code) -> StatusCode {
    use Code::*;
    match code {
        InvalidRequest
        | InvalidPolicy
        | MalformedResponse
        | CredentialIdMismatch
        | AttestationInvalid
        | AttestationFormatUnsupported
        | OriginMismatch
        | RpIdMismatch
        | ChallengeUnknown => StatusCode::BAD_REQUEST,
        Unauthenticated | InvalidCredentials | SignatureInvalid | UnknownCredential | SignCountRegressed
        | MfaRequired => StatusCode::UNAUTHORIZED,
        Forbidden
        | CsrfTokenInvalid
        | AccessPassNotUsable
        | AccessPassAlreadyUsed
        | CredentialNotAllowedAtSignIn
        | StrongAuthenticationRequired
        | RecentAuthenticationRequired => StatusCode::FORBIDDEN,
        NotFound | RouteNotFound => StatusCode::NOT_FOUND,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        AlreadyExists | ChallengeUsed | CredentialAlreadyRegistered => StatusCode::CONFLICT,
        ChallengeExpired => StatusCode::GONE,
        PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AccessPassPolicyViolation => StatusCode::UNPROCESSABLE_ENTITY,
        TooManyAttempts | RateLimited => StatusCode::TOO_MANY_REQUESTS,
        InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        other => match other.question() {
            Some(Question::Eligible | Question::RecentlyVerified) => StatusCode::FORBIDDEN,
            Some(Question::PlatformCanHost | Question::AuthenticatorAccepted) => StatusCode::UNPROCESSABLE_ENTITY,
            None => StatusCode::BAD_REQUEST,
        },
    }
}

impl ApiError {
    /// The body, also used by the CLI to print the same error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                question: self.question.or(self.code.question()).map(Question::number),
                fix: self.code.fix(),
                details: self.details.as_deref().cloned(),
                attempt_id: self.attempt_id.map(|a| a.to_string()),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(source) = &self.source {
            tracing::error!(
                code = self.code.as_str(),
                cause = format!("{source:#}"),
                "request failed"
            );
        }
        (self.status(), axum::Json(self.body())).into_response()
    }
}

impl From<keywarden_store::Error> for ApiError {
    fn from(e: keywarden_store::Error) -> ApiError {
        match e {
            keywarden_store::Error::NotFound => ApiError::code(Code::NotFound),
            keywarden_store::Error::Conflict(what) => ApiError::new(Code::AlreadyExists, format!("conflict: {what}")),
            unavailable if unavailable.is_unavailable() => ApiError {
                source: Some(unavailable.into()),
                ..ApiError::code(Code::ServiceUnavailable)
            },
            other => ApiError::internal(other),
        }
    }
}

impl From<keywarden_webauthn::Rejection> for ApiError {
    fn from(r: keywarden_webauthn::Rejection) -> ApiError {
        ApiError::new(r.code, r.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_client_or_server_error_status() {
        for code in Code::ALL {
            let status = status_of(*code);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code} -> {status}"
            );
        }
    }

    #[test]
    fn denials_carry_their_question_and_fix() {
        let body = serde_json::to_value(ApiError::code(Code::AaguidNotAllowed).body()).expect("json");
        assert_eq!(body["error"]["code"], "aaguid_not_allowed");
        assert_eq!(body["error"]["question"], 4);
        assert!(body["error"]["fix"].as_str().is_some_and(|f| f.contains("allow list")));
        assert_eq!(status_of(Code::AaguidNotAllowed), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_of(Code::ReauthenticationRequired), StatusCode::FORBIDDEN);
    }
}
