//! Operational endpoints and the error contract: health, readiness, metrics, the OpenAPI document matching the
//! routes, and one error shape for every refusal.

use serde_json::{Value, json};

use crate::TestApp;

pub(crate) async fn health_readiness_metrics_and_openapi(app: TestApp) {
    let browser = app.browser();
    assert_eq!(browser.get("/healthz").await.expect(200)["status"], "ok");
    assert_eq!(browser.get("/readyz").await.expect(200)["status"], "ready");
    // A ceremony to count.
    let bob = app.signed_in_with_pass("bob@contoso.com", false).await;
    bob.post("/v1/me/authentication/fido2Methods/registration/begin", json!({}))
        .await
        .expect(200);
    // A made-up method is counted as `other`, so that such requests cannot add series without end.
    let made_up = reqwest::Method::from_bytes(b"MADEUP").expect("method");
    browser
        .client
        .request(made_up, format!("{}/v1/users", app.base))
        .send()
        .await
        .expect("request");
    let response = reqwest::get(format!("{}/metrics", app.base)).await.expect("metrics");
    let text = response.text().await.expect("text");
    assert!(!text.contains("MADEUP"), "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(
        text.contains("keywarden_ceremonies_total{ceremony=\"registration_begin\",outcome=\"success\",code=\"ok\"}"),
        "{text}"
    );
    assert!(text.contains("keywarden_http_request_duration_seconds"), "{text}");

    let document = browser.get("/v1/openapi.json").await.expect(200);
    // What is served is what the code generates, and what the repository keeps.
    let generated: Value = serde_json::from_str(keywarden_server::routes::openapi_json()).expect("generated document");
    assert_eq!(document, generated);
    let paths = document["paths"].as_object().expect("paths");
    // Operation ids are unique (client generators need them so).
    let mut ids = std::collections::HashSet::new();
    for operations in paths.values() {
        for operation in operations.as_object().expect("operations").values() {
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_string()), "operationId {id} is used twice");
            assert!(
                operation["x-keywarden-access"].is_string(),
                "{id} names who may call it"
            );
        }
    }
    // Every documented route exists: it answers with anything but route_not_found.
    for (path, operations) in paths {
        let concrete = path
            .replace("{user}", "alice@contoso.com")
            .replace("{group}", "Pilot")
            .replace("{id}", "fido2")
            .replace("{aaguid}", "ee882879-721c-4913-9775-3dfcce97072a");
        for method in operations.as_object().expect("operations").keys() {
            let request = browser.client.request(
                method.to_uppercase().parse().expect("method"),
                format!("{}{concrete}", app.base),
            );
            let answer = request
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("request");
            let status = answer.status().as_u16();
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            assert_ne!(
                body["error"]["code"], "route_not_found",
                "{method} {path} is documented but not routed"
            );
            assert_ne!(status, 405, "{method} {path}");
        }
    }
    // Every route the router serves (its route table) is documented with its method, and every documented
    // operation is a route.
    let table = keywarden_server::routes::table();
    for route in &table {
        let method = route.method.to_ascii_lowercase();
        assert!(
            paths.get(route.path).is_some_and(|ops| ops.get(&method).is_some()),
            "{} {} is routed but not in openapi.json",
            route.method,
            route.path
        );
    }
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            assert!(
                table
                    .iter()
                    .any(|r| r.path == path && r.method.eq_ignore_ascii_case(method)),
                "{method} {path} is documented but not in the route table"
            );
        }
    }
}

/// The repository's `openapi.json` is the document the code generates: a change to a handler's annotations or a wire
/// type shows in review as a change to that file. `UPDATE_EXPECT=1` rewrites it (as `keywarden openapi --output`).
pub(crate) fn the_committed_openapi_document_is_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = keywarden_server::routes::openapi_json();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, generated).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(&path).expect("openapi.json");
    assert!(
        committed == generated,
        "crates/keywarden-server/openapi.json is stale: run `cargo run -- openapi --output \
         crates/keywarden-server/openapi.json` (or the tests with UPDATE_EXPECT=1) and commit it"
    );
}

pub(crate) async fn errors_have_one_shape(app: TestApp) {
    let browser = app.browser();
    let wrong_method = browser
        .client
        .delete(format!("{}/v1/signin/password", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_method.status().as_u16(), 405);
    assert_eq!(
        wrong_method.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let body: Value = wrong_method.json().await.expect("json");
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
    let body = browser.get("/v1/nowhere").await.refused(404, "route_not_found");
    assert!(body["error"]["message"].is_string() && body["error"]["fix"].is_string());
    let raw = browser
        .client
        .post(format!("{}/v1/signin/tap", app.base))
        .body("username=x")
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status().as_u16(), 415);
    let body: Value = raw.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    let raw = browser
        .client
        .post(format!("{}/v1/signin/tap", app.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status().as_u16(), 400);
    let big = "x".repeat(70 * 1024);
    let raw = browser
        .client
        .post(format!("{}/v1/signin/tap", app.base))
        .header("content-type", "application/json")
        .body(format!("{{\"username\":\"{big}\",\"code\":\"x\"}}"))
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status().as_u16(), 413);
    let body: Value = raw.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "payload_too_large");
    browser
        .post("/v1/signin/tap", json!({"username": "alice@contoso.com"}))
        .await
        .refused(400, "invalid_request");
    browser
        .post(
            "/v1/signin/tap",
            json!({"username": "alice@contoso.com", "code": "x", "extra": 1}),
        )
        .await
        .refused(400, "invalid_request");
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    reader
        .get("/v1/users?colour=blue")
        .await
        .refused(400, "invalid_request");
    reader.get("/v1/users?top=many").await.refused(400, "invalid_request");
    // A path segment that is not UTF-8 is answered in the same shape.
    reader.get("/v1/users/%ff%fe").await.refused(400, "invalid_request");
    reader
        .get("/v1/groups/%ff/members")
        .await
        .refused(400, "invalid_request");
    let correlation = uuid::Uuid::new_v4();
    let raw = browser
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-correlation-id", correlation.to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(
        raw.headers().get("x-correlation-id").and_then(|v| v.to_str().ok()),
        Some(correlation.to_string().as_str())
    );
}

/// A NUL character, which PostgreSQL cannot store or compare in text, is bad input like any other: refused with
/// `invalid_request` wherever it comes (a JSON body, a path, a query string), never an internal error.
pub(crate) async fn a_nul_character_is_refused_as_bad_input(app: TestApp) {
    let browser = app.browser();
    let reader = app.signed_in_with_pass("reader@contoso.com", false).await;
    let before = app.audit().await.len();
    for body in [
        json!({"username": "alice\u{0}@contoso.com", "password": "x"}),
        json!({"username": "alice@contoso.com", "password": "x\u{0}"}),
    ] {
        browser
            .post("/v1/signin/password", body)
            .await
            .refused(400, "invalid_request");
    }
    browser
        .post("/v1/signin/passkey/begin", json!({"username": "\u{0}"}))
        .await
        .refused(400, "invalid_request");
    for path in [
        "/v1/users?search=a%00",
        "/v1/users/alice%00@contoso.com",
        "/v1/groups/Pilot%00",
        "/v1/auditLogs/directoryAudits?target=a%00@contoso.com",
    ] {
        reader.get(path).await.refused(400, "invalid_request");
    }
    // Refused before anything was looked at: not even a failed sign-in was recorded.
    assert_eq!(app.audit().await.len(), before);
}

/// Graceful shutdown: a request in flight when the signal comes is answered, then the server stops.
pub(crate) async fn shutdown_finishes_requests_in_flight() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let config = keywarden_server::Config {
        database_url: url.clone(),
        origins: vec![format!("http://localhost:{port}")],
        ..keywarden_server::Config::default()
    };
    let store = keywarden_store::Store::connect(&url).await.expect("store");
    let state = keywarden_server::AppState::new(config, store, Default::default(), keywarden_server::Clock::system())
        .expect("state");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(keywarden_server::serve(listener, state, async move {
        let _ = rx.await;
    }));
    // A request whose body is still being sent when the signal arrives, over a raw connection.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = br#"{"username":"nobody@contoso.com","code":"x"}"#;
    let mut connection = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/signin/tap HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    connection.write_all(head.as_bytes()).await.expect("headers");
    connection.write_all(&body[..10]).await.expect("first part");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    tx.send(()).expect("signal");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    connection.write_all(&body[10..]).await.expect("rest of the body");
    let mut answer = String::new();
    connection
        .read_to_string(&mut answer)
        .await
        .expect("the request in flight is answered");
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "it was handled, not dropped: {answer}"
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .expect("task")
        .expect("clean stop");
    assert!(
        reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_err(),
        "no longer listening"
    );
}
