//! The test harness: a real keywarden server on a random port, a client per "browser" with its own cookies, and
//! helpers named after API operations.

use std::sync::Arc;

use keywarden_domain::Aaguid;
use keywarden_domain::access_pass::IssueRequest;
use keywarden_domain::audit::Event;
use keywarden_domain::metadata::Catalog;
use keywarden_server::auth::Actor;
use keywarden_server::ops::{access_pass, directory, policy};
use keywarden_server::{AppState, Clock, Config, RequestContext};
use keywarden_store::{AuditFilter, Store};
use keywarden_testkit::SoftAuthenticator;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) struct TestApp {
    pub(crate) backend: Backend,
    pub(crate) base: String,
    pub(crate) origin: String,
    pub(crate) state: AppState,
    _dir: Option<tempfile::TempDir>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// One browser: a cookie jar and the session's CSRF token.
pub(crate) struct Browser {
    pub(crate) client: reqwest::Client,
    pub(crate) jar: Arc<reqwest::cookie::Jar>,
    pub(crate) base: String,
    pub(crate) csrf: std::sync::Mutex<Option<String>>,
}

/// A response: status and JSON body (`null` when empty).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl Answer {
    /// The error code of an error response.
    pub(crate) fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub(crate) fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected answer: {}", self.body);
        self.body
    }

    #[track_caller]
    pub(crate) fn refused(self, status: u16, code: &str) -> Value {
        assert_eq!(
            (self.status.as_u16(), self.code()),
            (status, code),
            "unexpected answer: {}",
            self.body
        );
        self.body
    }
}

/// Awaits answers sent at once and checks that exactly one of them has the status `won` and that every other one
/// is refused with `lost` (status and code): a single-use rule under concurrent finishes.
pub(crate) async fn exactly_one_wins(tasks: Vec<tokio::task::JoinHandle<Answer>>, won: u16, lost: (u16, &str)) {
    let mut outcomes = Vec::new();
    for task in tasks {
        let answer = task.await.expect("task");
        outcomes.push((answer.status.as_u16(), answer.code().to_string()));
    }
    assert_eq!(outcomes.iter().filter(|(s, _)| *s == won).count(), 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|(s, _)| *s != won)
            .all(|(s, c)| (*s, c.as_str()) == lost),
        "{outcomes:?}"
    );
}

pub(crate) const USERS: &str = "\
id,userPrincipalName,displayName,userType,roles,password
11111111-0000-4000-8000-000000000001,alice@contoso.com,Alice,member,,alice-password
11111111-0000-4000-8000-000000000002,bob@contoso.com,Bob,member,,bob-password
11111111-0000-4000-8000-000000000003,guest@fabrikam.com,Guest,guest,,guest-password
11111111-0000-4000-8000-000000000004,erin@contoso.com,Erin,member,,erin-password
11111111-0000-4000-8000-000000000005,helpdesk@contoso.com,Help Desk,member,authentication-administrator,helpdesk-password
11111111-0000-4000-8000-000000000006,reader@contoso.com,Reader,member,global-reader,reader-password
11111111-0000-4000-8000-000000000007,policyadmin@contoso.com,Policy Admin,member,authentication-policy-administrator,policy-password
11111111-0000-4000-8000-000000000008,privileged@contoso.com,Privileged,member,privileged-authentication-administrator,privileged-password
11111111-0000-4000-8000-000000000009,carol@contoso.com,Carol,member,,carol-password
";

pub(crate) const PILOT: &str = "22222222-0000-4000-8000-000000000001";
pub(crate) const CONTRACTORS: &str = "22222222-0000-4000-8000-000000000002";
pub(crate) const ADMINS: &str = "22222222-0000-4000-8000-000000000003";

pub(crate) const GROUPS: &str = "\
id,displayName,members
22222222-0000-4000-8000-000000000001,Pilot,alice@contoso.com;bob@contoso.com;erin@contoso.com;guest@fabrikam.com;helpdesk@contoso.com;privileged@contoso.com;policyadmin@contoso.com
22222222-0000-4000-8000-000000000002,Contractors,erin@contoso.com
22222222-0000-4000-8000-000000000003,Admins,carol@contoso.com
";

/// The base policy: passkeys enabled for Pilot (any passkey) and Admins (attested device-bound), Contractors out.
pub(crate) fn base_policy() -> Value {
    json!({
        "id": "Fido2",
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": true,
        "includeTargets": [
            {"targetType": "group", "id": PILOT, "allowedPasskeyProfiles": ["any"]},
            {"targetType": "group", "id": ADMINS, "allowedPasskeyProfiles": ["attested"]},
        ],
        "excludeTargets": [{"targetType": "group", "id": CONTRACTORS}],
        "defaultPasskeyProfile": "any",
        "passkeyProfiles": [
            {"id": "any", "name": "Any passkey", "passkeyTypes": "deviceBound,synced", "attestationEnforcement": "disabled",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
            {"id": "attested", "name": "Attested device-bound", "passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly",
             "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}},
        ],
    })
}

pub(crate) const YUBIKEY: &str = "ee882879-721c-4913-9775-3dfcce97072a";
pub(crate) const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";

pub(crate) fn aaguid(s: &str) -> Aaguid {
    s.parse().expect("test AAGUID")
}

impl TestApp {
    /// A server on `backend` with the test directory and the base policy; `None` when PostgreSQL is unavailable.
    pub(crate) async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// [`TestApp::spawn`] with a configuration changed by `edit` first.
    pub(crate) async fn spawn_with(backend: Backend, edit: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let catalog = Catalog::default();
        if std::env::var_os("TEST_LOG").is_some() {
            keywarden_server::telemetry::init_logging(keywarden_server::config::LogFormat::Text);
        }
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                (
                    format!("sqlite://{}", dir.path().join("keywarden.db").display()),
                    Some(dir),
                )
            }
            Backend::Postgres => (keywarden_testkit::postgres::cluster()?.fresh_database(), None),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let port = listener.local_addr().expect("bound address").port();
        let origin = format!("http://localhost:{port}");
        let mut config = Config {
            database_url: url.clone(),
            origins: vec![origin.clone()],
            listen: format!("127.0.0.1:{port}"),
            secret_key: Some(keywarden_server::secrets::new_secret()),
            ..Config::default()
        };
        // Every test signs in from 127.0.0.1, many times: the per-address limit is tested on its own.
        config.rate_limit.sign_in_per_minute = 60_000;
        config.rate_limit.sign_in_burst = 10_000;
        edit(&mut config);
        config.validate().expect("test configuration is valid");
        let store = Store::connect(&url).await.expect("store");
        let clock = Clock::for_config(&config).expect("the test configuration's clock");
        let state = AppState::new(config, store, catalog, clock).expect("state");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(keywarden_server::serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        let app = TestApp {
            backend,
            base: format!("http://127.0.0.1:{port}"),
            origin,
            state,
            _dir: dir,
            _shutdown: tx,
        };
        app.seed().await;
        Some(app)
    }

    pub(crate) fn operator() -> Actor {
        Actor::LocalOperator { os_user: "test".into() }
    }

    pub(crate) fn ctx(&self) -> RequestContext {
        RequestContext::local(self.state.clock.now())
    }

    async fn seed(&self) {
        let ctx = self.ctx();
        directory::import_users(&self.state, &ctx, &Self::operator(), USERS, directory::Format::Csv)
            .await
            .expect("users");
        directory::import_groups(&self.state, &ctx, &Self::operator(), GROUPS, directory::Format::Csv)
            .await
            .expect("groups");
        self.apply_policy(&base_policy()).await;
    }

    pub(crate) async fn apply_policy(&self, document: &Value) {
        policy::apply_document(&self.state, &self.ctx(), &Self::operator(), &document.to_string())
            .await
            .expect("policy applies");
    }

    /// Changes one property of the Fido2 configuration (as an operator).
    pub(crate) async fn patch_fido2(&self, patch: Value) {
        let mut document = patch;
        document["id"] = json!("Fido2");
        self.apply_policy(&document).await;
    }

    pub(crate) fn store(&self) -> &Store {
        &self.state.store
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// Issues a pass as the local operator and returns its code.
    pub(crate) async fn issue_pass(&self, upn: &str, once: bool) -> String {
        let user = self.store().find_user(upn).await.expect("query").expect("user exists");
        let request = IssueRequest {
            lifetime_in_minutes: Some(60),
            is_usable_once: Some(once),
            start_date_time: None,
        };
        access_pass::issue(&self.state, &self.ctx(), &Self::operator(), &user, &request)
            .await
            .expect("pass issued")
            .code
    }

    pub(crate) fn browser(&self) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Browser {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .build()
                .expect("http client"),
            jar,
            base: self.base.clone(),
            csrf: std::sync::Mutex::new(None),
        }
    }

    /// A browser signed in with a fresh pass.
    pub(crate) async fn signed_in_with_pass(&self, upn: &str, once: bool) -> Browser {
        let code = self.issue_pass(upn, once).await;
        let browser = self.browser();
        browser
            .post("/v1/signin/tap", json!({"username": upn, "code": code}))
            .await
            .expect(200);
        browser
    }

    /// Adds a user (password `<local part>-password`) holding `roles`, as the local operator.
    pub(crate) async fn add_user(&self, upn: &str, roles: &[keywarden_domain::directory::Role]) {
        let local = upn.split('@').next().unwrap_or(upn);
        let slugs: Vec<&str> = roles.iter().map(|r| r.slug()).collect();
        let row = format!(
            "userPrincipalName,displayName,roles,password\n{upn},{local},{},{local}-password\n",
            slugs.join(";")
        );
        directory::import_users(
            &self.state,
            &self.ctx(),
            &Self::operator(),
            &row,
            directory::Format::Csv,
        )
        .await
        .expect("user added");
    }

    /// Sets up an authenticator app for `upn` (as the local operator) and returns its base32 secret.
    pub(crate) async fn totp_for(&self, upn: &str) -> String {
        let user = self.store().find_user(upn).await.expect("query").expect("user");
        keywarden_server::ops::sign_in::enroll_totp(
            &self.state,
            &self.ctx(),
            keywarden_domain::audit::Initiator::LocalOperator { os_user: "test".into() },
            &user,
            keywarden_domain::audit::Activity::AdminRegisteredSecurityInfo,
        )
        .await
        .expect("totp enrolled")
        .secret_base32
    }

    /// An API token with `role`, made by the local operator.
    pub(crate) async fn automation(&self, role: keywarden_domain::directory::Role) -> Automation {
        let (_, secret) = keywarden_server::ops::tokens::create(
            &self.state,
            &self.ctx(),
            &Self::operator(),
            role.slug(),
            role,
            Some(1),
        )
        .await
        .expect("token");
        Automation::new(self, &secret)
    }

    /// What an attack must not change: every user (attributes, roles, password hash), their passes, passkeys and
    /// authenticator apps, the policy version and the API tokens. (The audit log is not in it: refusals that are
    /// security events are recorded.)
    pub(crate) async fn fingerprint(&self) -> Value {
        let store = self.store();
        let mut users = Vec::new();
        for user in store.list_users(None, None, 1000).await.expect("users").users {
            let pass = store.access_pass_of(user.id).await.expect("pass");
            let passkeys: Vec<Value> = store
                .passkeys_of(user.id)
                .await
                .expect("passkeys")
                .iter()
                .map(|p| json!([p.id.to_string(), p.display_name, p.sign_count]))
                .collect();
            users.push(json!({
                "user": user,
                "password": store.password_hash(user.id).await.expect("password"),
                "pass": pass.map(|p| json!([p.pass.id.to_string(), p.pass.used_date_time.is_some()])),
                "passkeys": passkeys,
                "totp": store.totp_of(user.id).await.expect("totp").map(|t| t.id.to_string()),
            }));
        }
        let tokens: Vec<Value> = store
            .list_tokens()
            .await
            .expect("tokens")
            .iter()
            .map(|t| json!([t.id.to_string(), t.role, t.revoked_at.is_some()]))
            .collect();
        json!({
            "users": users,
            "policy": store.current_policy().await.expect("policy").map(|p| p.version),
            "tokens": tokens,
        })
    }

    /// Every audit event, oldest first.
    pub(crate) async fn audit(&self) -> Vec<Event> {
        let mut events = self
            .store()
            .list_audit(&AuditFilter::default(), 100_000)
            .await
            .expect("audit")
            .events;
        events.reverse();
        events
    }

    /// Registers a passkey for the browser's user with `authenticator`: begin, create, finish.
    pub(crate) async fn register(&self, browser: &Browser, authenticator: &mut SoftAuthenticator) -> Answer {
        let begun = browser
            .post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
            .await
            .expect(200);
        let credential = authenticator
            .register(&begun["publicKey"], &self.origin)
            .expect("authenticator answers");
        browser
            .post(
                "/v1/me/authentication/fido2Methods/registration/finish",
                json!({"attemptId": begun["attemptId"], "displayName": "My key", "credential": credential}),
            )
            .await
    }

    /// Signs in with a passkey, username-less, in a new browser.
    pub(crate) async fn sign_in_with_passkey(&self, authenticator: &mut SoftAuthenticator) -> (Browser, Answer) {
        let browser = self.browser();
        let begun = browser.post("/v1/signin/passkey/begin", json!({})).await.expect(200);
        let assertion = authenticator
            .sign_in(&begun["publicKey"], &self.origin)
            .expect("authenticator answers");
        let answer = browser
            .post(
                "/v1/signin/passkey/finish",
                json!({"challengeId": begun["challengeId"], "credential": assertion}),
            )
            .await;
        (browser, answer)
    }
}

impl Browser {
    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let request = match self.csrf.lock().expect("csrf lock").clone() {
            Some(token) => request.header("x-csrf-token", token),
            None => request,
        };
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let text = response.text().await.expect("response body");
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if let Some(token) = body.get("csrfToken").and_then(Value::as_str) {
            *self.csrf.lock().expect("csrf lock") = Some(token.to_string());
        }
        Answer { status, body }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(self.client.patch(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub(crate) async fn delete(&self, path: &str) -> Answer {
        self.send(self.client.delete(format!("{}{path}", self.base))).await
    }

    /// Signs in with a password (and a TOTP code when asked).
    pub(crate) async fn sign_in_password(&self, upn: &str, password: &str) -> Answer {
        self.post("/v1/signin/password", json!({"username": upn, "password": password}))
            .await
    }
}

/// A bearer-token client.
pub(crate) struct Automation {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Automation {
    pub(crate) fn new(app: &TestApp, token: &str) -> Automation {
        Automation {
            client: reqwest::Client::new(),
            base: app.base.clone(),
            token: token.to_string(),
        }
    }

    pub(crate) async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let text = response.text().await.expect("body");
        Answer {
            status,
            body: if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            },
        }
    }
}

pub(crate) fn shared_ca() -> Arc<keywarden_testkit::TestCa> {
    Arc::new(keywarden_testkit::TestCa::generate("keywarden test attestation root"))
}

/// FIDO metadata for one model: the YubiKey AAGUID named "YubiKey 5 (test)", attested by `ca`, with these statuses.
pub(crate) fn yubikey_catalog(
    ca: &keywarden_testkit::TestCa,
    statuses: &[keywarden_domain::metadata::Status],
) -> Catalog {
    let mut entry = keywarden_testkit::metadata_entry(aaguid(YUBIKEY), "YubiKey 5 (test)", ca);
    for status in statuses {
        entry.status_reports.push(keywarden_domain::metadata::StatusReport {
            status: status.clone(),
            effective_date: None,
            authenticator_version: None,
            certificate_number: None,
        });
    }
    let mut catalog = Catalog::default();
    catalog.entries.insert(aaguid(YUBIKEY), entry);
    catalog
}
