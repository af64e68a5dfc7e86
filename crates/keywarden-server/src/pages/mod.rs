//! The web pages: Security info for end users (`/security-info`) and the admin console (`/admin`).
//!
//! Each page is a server-rendered HTML shell (layout, headings, forms with their labels, `<template>`s) plus a
//! small plain-JavaScript module from `/assets/` that reads and changes data through the `/v1` API, the same API a
//! third-party client uses. Pages hold no rules: they decide only where to send a visitor who is not signed in or
//! holds no admin role, and the API refuses whatever a caller may not do. These routes live outside `routes/`
//! because they are not part of the API (the OpenAPI check reads `routes/` only).

mod assets;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use keywarden_domain::directory::User;
use serde::Deserialize;

use crate::api_error::ApiError;
use crate::auth::session_of;
use crate::state::AppState;

/// The Content-Security-Policy of every page and asset: scripts and styles only from files served here, no
/// inline script or style, images from here or `data:` (authenticator icons), never framed.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/security-info") }))
        .route("/security-info", get(security_info))
        .route("/security-info/signin", get(sign_in))
        .route("/admin", get(|| async { Redirect::to("/admin/users") }))
        .route("/admin/users", get(admin_users))
        .route("/admin/users/{user}", get(admin_user))
        .route("/admin/policy", get(admin_policy))
        .route("/admin/audit", get(admin_audit))
        .route("/admin/reports/{report}", get(admin_report))
        .route("/assets/{file}", get(assets::serve))
        .layer(middleware::from_fn(security_headers))
}

/// Adds the browser-security headers to every page, redirect and asset.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The visitor's user when they are signed in (no second factor pending), and whether the session was completed
/// with a strong method (what the admin console needs).
struct Visitor(Option<(User, bool)>);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let found = session_of(parts, state).await?;
        Ok(Visitor(
            found
                .filter(|(session, _)| !session.authentication.mfa_pending)
                .map(|(session, user)| (user, session.authentication.is_complete())),
        ))
    }
}

/// Escapes text for HTML element content and quoted attribute values (the same escaping as the SVG chart's; control
/// characters are dropped).
pub(crate) use keywarden_present::html::escape;

/// A local path to return to after signing in: one absolute path on this site, nothing that leaves it.
fn local_path(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && n.chars().all(|c| !c.is_control() && c != ' ')
    })
}

fn sign_in_redirect(path: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    Redirect::to(&format!("/security-info/signin?next={next}")).into_response()
}

/// Which part of the site a page belongs to, for its navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    SignIn,
    SecurityInfo,
    Admin(&'static str),
}

/// A page: its title, the script module that runs it, and its body (trusted HTML from `html/`).
struct Page<'a> {
    title: &'a str,
    /// The `data-page` of `<body>`, which tells the script which page it runs on.
    name: &'static str,
    script: &'static str,
    section: Section,
    body: &'a str,
    /// `data-*` attributes of `<main>` (names without the prefix), escaped here.
    data: &'a [(&'static str, &'a str)],
}

const ADMIN_LINKS: [(&str, &str, &str); 6] = [
    ("users", "/admin/users", "Users"),
    ("policy", "/admin/policy", "Policy"),
    ("audit", "/admin/audit", "Audit log"),
    ("inventory", "/admin/reports/inventory", "Inventory"),
    ("findings", "/admin/reports/findings", "Findings"),
    ("rollout", "/admin/reports/rollout", "Rollout"),
];

fn navigation(section: Section, user: Option<&User>) -> String {
    let link = |href: &str, label: &str, current: bool| {
        format!(
            "<a href=\"{href}\"{}>{label}</a>",
            if current { " aria-current=\"page\"" } else { "" }
        )
    };
    let mut links = Vec::new();
    match section {
        Section::SignIn => {}
        Section::SecurityInfo => {
            links.push(link("/security-info", "Security info", true));
            if user.is_some_and(User::is_admin) {
                links.push(link("/admin/users", "Admin console", false));
            }
        }
        Section::Admin(current) => {
            links.extend(
                ADMIN_LINKS
                    .iter()
                    .map(|(key, href, label)| link(href, label, *key == current)),
            );
            links.push(link("/security-info", "My security info", false));
        }
    }
    let who = match user {
        Some(user) => format!(
            "<div class=\"who\"><span class=\"who-name\" title=\"{upn}\">{name}</span>\
             <button type=\"button\" class=\"link\" data-action=\"sign-out\">Sign out</button></div>",
            upn = escape(&user.user_principal_name),
            name = escape(&user.display_name),
        ),
        None => String::new(),
    };
    let nav = if links.is_empty() {
        String::new()
    } else {
        format!("<nav aria-label=\"Main\">{}</nav>", links.join(""))
    };
    format!("{nav}{who}")
}

fn render(page: &Page<'_>, user: Option<&User>) -> Html<String> {
    let data: String = page
        .data
        .iter()
        .map(|(name, value)| format!(" data-{name}=\"{}\"", escape(value)))
        .collect();
    let brand_href = match page.section {
        Section::Admin(_) => "/admin/users",
        _ => "/security-info",
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · keywarden</title>\n\
         <link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"stylesheet\" href=\"/assets/kw.css\">\n\
         <script type=\"module\" src=\"/assets/{script}\"></script>\n\
         </head>\n<body data-page=\"{name}\">\n\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\n\
         <header class=\"top\"><a class=\"brand\" href=\"{brand_href}\">keywarden</a>{nav}</header>\n\
         <main id=\"main\" tabindex=\"-1\"{data}>\n{body}\n</main>\n{reverify}\
         <footer class=\"foot\">keywarden · passkey registration governance</footer>\n\
         </body>\n</html>\n",
        title = escape(page.title),
        script = page.script,
        name = page.name,
        nav = navigation(page.section, user),
        body = page.body,
        reverify = include_str!("html/reverify.html"),
    ))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn sign_in(Visitor(visitor): Visitor, Query(query): Query<NextQuery>) -> Response {
    let user = visitor.map(|(user, _)| user);
    let next = local_path(query.next.as_deref()).unwrap_or("/security-info");
    if user.is_some() {
        return Redirect::to(next).into_response();
    }
    let page = Page {
        title: "Sign in",
        name: "signin",
        script: "signin.js",
        section: Section::SignIn,
        body: include_str!("html/signin.html"),
        data: &[("next", next)],
    };
    render(&page, None).into_response()
}

async fn security_info(Visitor(visitor): Visitor) -> Response {
    let Some((user, _)) = visitor else {
        return sign_in_redirect("/security-info");
    };
    let page = Page {
        title: "Security info",
        name: "security-info",
        script: "security-info.js",
        section: Section::SecurityInfo,
        body: include_str!("html/security_info.html"),
        data: &[],
    };
    render(&page, Some(&user)).into_response()
}

/// An admin console page: visitors who are not signed in go to sign-in, users without an admin role are told
/// the console is not for them, and administrators who signed in with a password alone are asked to finish signing
/// in (the API would refuse them all anyway).
fn admin_page(visitor: Option<(User, bool)>, path: &str, page: &Page<'_>) -> Response {
    let Some((user, strong)) = visitor else {
        return sign_in_redirect(path);
    };
    if !user.is_admin() {
        let refused = Page {
            title: "Not available",
            name: "forbidden",
            script: "kw.js",
            section: Section::SecurityInfo,
            body: include_str!("html/forbidden.html"),
            data: &[],
        };
        return (StatusCode::FORBIDDEN, render(&refused, Some(&user))).into_response();
    }
    if !strong {
        let verify = Page {
            title: "Finish signing in",
            name: "verify",
            script: "verify.js",
            section: Section::SecurityInfo,
            body: include_str!("html/verify.html"),
            data: &[],
        };
        return (StatusCode::FORBIDDEN, render(&verify, Some(&user))).into_response();
    }
    render(page, Some(&user)).into_response()
}

async fn admin_users(Visitor(user): Visitor) -> Response {
    let page = Page {
        title: "Users",
        name: "admin-users",
        script: "admin-users.js",
        section: Section::Admin("users"),
        body: include_str!("html/admin_users.html"),
        data: &[],
    };
    admin_page(user, "/admin/users", &page)
}

async fn admin_user(Visitor(user): Visitor, Path(key): Path<String>) -> Response {
    let path = format!(
        "/admin/users/{}",
        url::form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>()
    );
    let page = Page {
        title: "User",
        name: "admin-user",
        script: "admin-user.js",
        section: Section::Admin("users"),
        body: include_str!("html/admin_user.html"),
        data: &[("user", &key)],
    };
    admin_page(user, &path, &page)
}

async fn admin_policy(Visitor(user): Visitor) -> Response {
    let page = Page {
        title: "Policy",
        name: "admin-policy",
        script: "admin-policy.js",
        section: Section::Admin("policy"),
        body: include_str!("html/admin_policy.html"),
        data: &[],
    };
    admin_page(user, "/admin/policy", &page)
}

async fn admin_audit(Visitor(user): Visitor) -> Response {
    // The activity filter offers every activity keywarden records, from the domain's list.
    let activities: String = keywarden_domain::audit::Activity::ALL
        .iter()
        .map(|a| format!("<option value=\"{}\"></option>", escape(a.name())))
        .collect();
    let body = include_str!("html/admin_audit.html").replace("<!-- activities -->", &activities);
    let page = Page {
        title: "Audit log",
        name: "admin-audit",
        script: "admin-audit.js",
        section: Section::Admin("audit"),
        body: &body,
        data: &[],
    };
    admin_page(user, "/admin/audit", &page)
}

/// Inventory, findings and rollout: the page asks the API for the report and shows it, or says plainly that this
/// version of keywarden does not have it.
async fn admin_report(Visitor(user): Visitor, Path(report): Path<String>) -> Response {
    let Some((key, _, title)) = ADMIN_LINKS
        .iter()
        .find(|(key, _, _)| *key == report && matches!(*key, "inventory" | "findings" | "rollout"))
    else {
        return (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><title>Not found</title><p>No such page.</p>"),
        )
            .into_response();
    };
    let page = Page {
        title,
        name: "admin-report",
        script: "admin-report.js",
        section: Section::Admin(key),
        body: include_str!("html/admin_report.html"),
        data: &[("report", key), ("title", title)],
    };
    admin_page(user, &format!("/admin/reports/{key}"), &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        for (next, expected) in [
            (Some("/admin/users"), Some("/admin/users")),
            (Some("//evil.example/x"), None),
            (Some("https://evil.example/"), None),
            (Some("/\\evil.example"), None),
            (Some("/a b"), None),
            (None, None),
        ] {
            assert_eq!(local_path(next), expected, "{next:?}");
        }
    }
}
