//! The browser side of the API calls the benchmark makes: TAP sign-in, registration begin and finish, passkey
//! sign-in begin and finish. Every failure is reduced to a short key (`http_422:<code>`, `transport`,
//! `authenticator:<why>`) so a run can count them.

use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

/// A failed step, as counted in the report.
#[derive(Debug)]
pub struct Failure(pub String);

impl Failure {
    fn authenticator(error: &keywarden_testkit::SoftError) -> Failure {
        Failure(format!("authenticator:{error}"))
    }
}

/// A user's signed-in session: the cookie to send and the CSRF token for state-changing requests.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// One client's connection to the server. Each client has its own connection pool; it carries no cookie jar of its
/// own because one client acts for several users in turn, so each user's session cookie is sent explicitly.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    pub origin: String,
}

/// The durations of the two requests of a ceremony.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    pub begin: Duration,
    pub finish: Duration,
}

impl Api {
    pub fn new(base: &str, origin: &str) -> anyhow::Result<Api> {
        Ok(Api {
            http: reqwest::Client::builder()
                .tcp_nodelay(true)
                .pool_max_idle_per_host(2)
                .timeout(Duration::from_secs(30))
                .build()?,
            base: base.to_string(),
            origin: origin.to_string(),
        })
    }

    async fn post(
        &self,
        path: &str,
        session: Option<&Session>,
        body: &Value,
    ) -> Result<(Value, Option<String>), Failure> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(session) = session {
            request = request
                .header(COOKIE, &session.cookie)
                .header("x-csrf-token", &session.csrf);
        }
        let response = request.send().await.map_err(|_| Failure("transport".into()))?;
        let status = response.status();
        let cookie = response
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_string);
        let text = response.text().await.map_err(|_| Failure("transport".into()))?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            let code = body["error"]["code"].as_str().unwrap_or("no_error_body");
            return Err(Failure(format!("http_{}:{code}", status.as_u16())));
        }
        Ok((body, cookie))
    }

    /// Signs `username` in with a Temporary Access Pass, as a new browser would.
    pub async fn sign_in_with_pass(&self, username: &str, code: &str) -> Result<Session, Failure> {
        let (body, cookie) = self
            .post("/v1/signin/tap", None, &json!({ "username": username, "code": code }))
            .await?;
        let csrf = body["csrfToken"].as_str().map(str::to_string);
        match (cookie, csrf) {
            (Some(cookie), Some(csrf)) => Ok(Session { cookie, csrf }),
            _ => Err(Failure("tap_sign_in_without_session".into())),
        }
    }

    /// A complete registration: begin, `navigator.credentials.create()` on `authenticator`, finish.
    pub async fn register(
        &self,
        session: &Session,
        authenticator: &mut keywarden_testkit::SoftAuthenticator,
    ) -> Result<Timings, Failure> {
        let started = Instant::now();
        let (begun, _) = self
            .post(
                "/v1/me/authentication/fido2Methods/registration/begin",
                Some(session),
                &json!({}),
            )
            .await?;
        let begin = started.elapsed();
        let credential = authenticator
            .register(&begun["publicKey"], &self.origin)
            .map_err(|e| Failure::authenticator(&e))?;
        let finishing = Instant::now();
        self.post(
            "/v1/me/authentication/fido2Methods/registration/finish",
            Some(session),
            &json!({ "attemptId": begun["attemptId"], "displayName": "Benchmark passkey", "credential": credential }),
        )
        .await?;
        Ok(Timings {
            begin,
            finish: finishing.elapsed(),
        })
    }

    /// A complete passkey sign-in in a fresh browser (no session cookie sent): begin (username-less, as every
    /// keywarden passkey sign-in is), `navigator.credentials.get()` on `authenticator`, finish.
    pub async fn sign_in_with_passkey(
        &self,
        authenticator: &mut keywarden_testkit::SoftAuthenticator,
    ) -> Result<Timings, Failure> {
        let started = Instant::now();
        let (begun, _) = self.post("/v1/signin/passkey/begin", None, &json!({})).await?;
        let begin = started.elapsed();
        let assertion = authenticator
            .sign_in(&begun["publicKey"], &self.origin)
            .map_err(|e| Failure::authenticator(&e))?;
        let finishing = Instant::now();
        self.post(
            "/v1/signin/passkey/finish",
            None,
            &json!({ "challengeId": begun["challengeId"], "credential": assertion }),
        )
        .await?;
        Ok(Timings {
            begin,
            finish: finishing.elapsed(),
        })
    }
}
