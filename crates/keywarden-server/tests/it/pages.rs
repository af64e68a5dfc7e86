//! The web pages' security contract over HTTP: the browser-security headers on every page and asset, no inline
//! script or style, sign-in redirects and the admin gate, the assets' cache validators, the session cookie's
//! attributes, and CSRF on state-changing requests.

use axum::body::Body;
use axum::http::{Request, header};
use keywarden_domain::audit::{Activity, Initiator};
use keywarden_domain::metadata::Catalog;
use keywarden_server::{AppState, Clock, Config};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::TestApp;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// A client that does not follow redirects, so that a test sees them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

#[track_caller]
fn assert_security_headers(path: &str, headers: &reqwest::header::HeaderMap) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(get("content-security-policy"), CSP, "{path}: content-security-policy");
    assert_eq!(get("x-frame-options"), "DENY", "{path}: x-frame-options");
    assert_eq!(
        get("x-content-type-options"),
        "nosniff",
        "{path}: x-content-type-options"
    );
    assert_eq!(get("referrer-policy"), "no-referrer", "{path}: referrer-policy");
}

/// What the CSP forbids must not be in the markup at all: inline scripts, event-handler attributes, inline styles.
#[track_caller]
fn assert_no_inline_code(path: &str, html: &str) {
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..html[i..].find('>').map_or(html.len(), |end| i + end)];
        assert!(tag.contains(" src=\"/assets/"), "{path}: inline script {tag}");
    }
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        " onclick=",
        " onload=",
        " onsubmit=",
        " onerror=",
        " style=",
        "<style",
        "javascript:",
    ] {
        assert!(!lower.contains(forbidden), "{path}: {forbidden} in the page");
    }
}

/// The `/assets/…` files a page names in `src` or `href`.
fn assets_of(html: &str) -> Vec<String> {
    html.split(['"', '\''])
        .filter(|s| s.starts_with("/assets/"))
        .map(str::to_string)
        .collect()
}

pub(crate) async fn pages_and_assets_carry_security_headers_and_no_inline_code(app: TestApp) {
    let anonymous = no_redirects();
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let mut pages = vec![("/security-info/signin".to_string(), anonymous.clone())];
    for path in [
        "/security-info",
        "/admin/users",
        "/admin/users/alice@contoso.com",
        "/admin/policy",
        "/admin/audit",
        "/admin/reports/inventory",
        "/admin/reports/findings",
        "/admin/reports/rollout",
    ] {
        pages.push((path.to_string(), helpdesk.client.clone()));
    }
    let mut assets = Vec::new();
    for (path, client) in &pages {
        let response = client.get(format!("{}{path}", app.base)).send().await.expect("page");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_security_headers(path, response.headers());
        assert!(
            response.headers()[header::CONTENT_TYPE.as_str()]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/html")),
            "{path}"
        );
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let html = response.text().await.expect("html");
        assert!(
            html.starts_with("<!doctype html>") && html.contains("<html lang=\"en\">"),
            "{path}"
        );
        assert!(html.contains("name=\"viewport\""), "{path}: phones need the viewport");
        assert_no_inline_code(path, &html);
        if path == "/admin/audit" {
            // The activity filter offers every activity keywarden records.
            for activity in Activity::ALL {
                assert!(
                    html.contains(&format!("<option value=\"{}\">", activity.name())),
                    "{activity:?}"
                );
            }
        }
        assets.extend(assets_of(&html));
    }
    // Every asset a page names, and every module a script imports, exists and carries the headers too.
    assets.push("/assets/passkey.svg".to_string());
    let mut seen = Vec::new();
    while let Some(path) = assets.pop() {
        if seen.contains(&path) {
            continue;
        }
        let response = anonymous
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("asset");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_security_headers(&path, response.headers());
        let text = response.text().await.expect("asset body");
        for import in text.lines().filter_map(|l| l.split(" from './").nth(1)) {
            let file = import.split('\'').next().unwrap_or_default();
            assets.push(format!("/assets/{file}"));
        }
        seen.push(path);
    }
    for expected in [
        "/assets/kw.js",
        "/assets/kw.css",
        "/assets/admin-answers.js",
        "/assets/admin-users.js",
        "/assets/admin-user.js",
        "/assets/admin-audit.js",
        "/assets/admin-report.js",
        "/assets/admin-policy.js",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected} in {seen:?}");
    }
}

pub(crate) async fn visitors_are_sent_to_sign_in_and_members_kept_out_of_the_admin_console(app: TestApp) {
    let anonymous = no_redirects();
    for (path, location) in [
        ("/", "/security-info"),
        ("/security-info", "/security-info/signin?next=%2Fsecurity-info"),
        ("/admin", "/admin/users"),
        ("/admin/users", "/security-info/signin?next=%2Fadmin%2Fusers"),
        (
            "/admin/users/alice@contoso.com",
            "/security-info/signin?next=%2Fadmin%2Fusers%2Falice%2540contoso.com",
        ),
        ("/admin/policy", "/security-info/signin?next=%2Fadmin%2Fpolicy"),
    ] {
        let response = anonymous.get(format!("{}{path}", app.base)).send().await.expect("page");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()["location"], location, "{path}");
        assert_security_headers(path, response.headers());
    }

    // A member signs in: Security info is theirs, the admin console is not (and offers no link to it).
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let page = alice.get("/security-info").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.as_str().is_some_and(|html| !html.contains("Admin console")));
    let refused = alice
        .client
        .get(format!("{}/admin/users", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_security_headers("/admin/users", refused.headers());
    assert!(refused.text().await.expect("html").contains("for administrators"));

    // Signed in, the sign-in page returns to `next`, but only to a path on this site.
    let pass = app.issue_pass("bob@contoso.com", false).await;
    let bob = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    bob.post(format!("{}/v1/signin/tap", app.base))
        .json(&json!({"username": "bob@contoso.com", "code": pass}))
        .send()
        .await
        .expect("sign in");
    for (next, location) in [
        ("%2Fsecurity-info%3Fx%3D1", "/security-info?x=1"),
        ("%2F%2Fevil.example%2F", "/security-info"),
        ("https%3A%2F%2Fevil.example%2F", "/security-info"),
    ] {
        let response = bob
            .get(format!("{}/security-info/signin?next={next}", app.base))
            .send()
            .await
            .expect("page");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(response.headers()["location"], location, "{next}");
    }

    // A password accepted with a second factor still pending is not signed in for the pages.
    let carol = app
        .store()
        .find_user("carol@contoso.com")
        .await
        .expect("query")
        .expect("carol");
    keywarden_server::ops::sign_in::enroll_totp(
        &app.state,
        &app.ctx(),
        Initiator::LocalOperator { os_user: "test".into() },
        &carol,
        Activity::AdminRegisteredSecurityInfo,
    )
    .await
    .expect("totp");
    let pending = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let answer: Value = pending
        .post(format!("{}/v1/signin/password", app.base))
        .json(&json!({"username": "carol@contoso.com", "password": "carol-password"}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["status"], "mfaRequired");
    let response = pending
        .get(format!("{}/security-info", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

pub(crate) async fn assets_revalidate_with_their_etag(app: TestApp) {
    let client = no_redirects();
    let url = format!("{}/assets/kw.js", app.base);
    let first = client.get(&url).send().await.expect("asset");
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("asset");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.text().await.expect("body").is_empty());
    let css = client
        .get(format!("{}/assets/kw.css", app.base))
        .send()
        .await
        .expect("css");
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let missing = client
        .get(format!("{}/assets/nope.js", app.base))
        .send()
        .await
        .expect("asset");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

pub(crate) async fn session_cookie_is_http_only_same_site_and_secure_over_https(app: TestApp) {
    // Over http://localhost: HttpOnly and SameSite, not Secure (the browser would drop it).
    let pass = app.issue_pass("alice@contoso.com", false).await;
    let response = no_redirects()
        .post(format!("{}/v1/signin/tap", app.base))
        .json(&json!({"username": "alice@contoso.com", "code": pass}))
        .send()
        .await
        .expect("sign in");
    let cookie = response.headers()["set-cookie"].to_str().expect("cookie").to_string();
    assert!(cookie.starts_with("kw_session=kws_"), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");

    // Served over https, in process, with the same store: the cookie is Secure as well.
    let mut config = Config {
        database_url: app.state.config.database_url.clone(),
        rp_id: "login.example.com".into(),
        origins: vec!["https://login.example.com".into()],
        ..Config::default()
    };
    // In process there is no client address to rate-limit by.
    config.rate_limit.sign_in_per_minute = 0;
    config.validate().expect("https configuration is valid");
    let https = AppState::new(config, app.state.store.clone(), Catalog::default(), Clock::system()).expect("state");
    let pass = app.issue_pass("alice@contoso.com", false).await;
    let request = Request::post("/v1/signin/tap")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": "alice@contoso.com", "code": pass}).to_string(),
        ))
        .expect("request");
    let response = keywarden_server::app(https).oneshot(request).await.expect("response");
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()[header::SET_COOKIE].to_str().expect("cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(
        cookie.starts_with("__Host-kw_session="),
        "over https the cookie is __Host- prefixed, so a subdomain cannot plant one: {cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
}

pub(crate) async fn state_changing_requests_need_the_session_csrf_token(app: TestApp) {
    let alice = app.signed_in_with_pass("alice@contoso.com", false).await;
    let token = alice.get("/v1/me").await.expect(200)["csrfToken"]
        .as_str()
        .expect("csrf token")
        .to_string();
    let begin = format!("{}/v1/me/authentication/fido2Methods/registration/begin", app.base);
    for sent in [None, Some("not-the-token")] {
        let mut request = alice.client.post(&begin).json(&json!({}));
        if let Some(value) = sent {
            request = request.header("x-csrf-token", value);
        }
        let response = request.send().await.expect("begin");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{sent:?}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "csrf_token_invalid", "{sent:?}");
    }
    // The same holds for PATCH and DELETE, and for admin actions.
    let patch = alice
        .client
        .patch(format!(
            "{}/v1/me/authentication/fido2Methods/{}",
            app.base,
            uuid::Uuid::new_v4()
        ))
        .json(&json!({"displayName": "x"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(patch.status(), StatusCode::FORBIDDEN);
    let helpdesk = app.signed_in_with_pass("helpdesk@contoso.com", false).await;
    let issue = helpdesk
        .client
        .post(format!(
            "{}/v1/users/bob@contoso.com/authentication/temporaryAccessPassMethods",
            app.base
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("issue");
    assert_eq!(issue.status(), StatusCode::FORBIDDEN);
    // With the session's token the request goes through; reading never needs it.
    let response = alice
        .client
        .post(&begin)
        .header("x-csrf-token", &token)
        .json(&json!({}))
        .send()
        .await
        .expect("begin");
    assert_eq!(response.status(), StatusCode::OK);
    let read = alice
        .client
        .get(format!("{}/v1/me/authentication/methods", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(read.status(), StatusCode::OK);
    // A cross-site HTML form cannot sign anyone in: form bodies are refused before any check.
    let form = no_redirects()
        .post(format!("{}/v1/signin/password", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=alice%40contoso.com&password=alice-password")
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(form.headers().get("set-cookie").is_none());
}
