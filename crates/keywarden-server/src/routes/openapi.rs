//! `/v1/openapi.json`: the API's OpenAPI 3.1 document, generated from the handlers' annotations and the wire types
//! (utoipa), with each operation's access rule taken from the route table. `keywarden openapi` writes it to
//! `openapi.json` beside this crate, and a test fails when that file differs from what the code generates. Its query
//! parameters are also what the API accepts: [`refuse_undocumented_parameters`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{self as oa};

use super::{
    Access, Route, audit, authenticators, diagnosis, groups, me, operations, policies, reports, route, signin, tokens,
    users,
};
use crate::api_error::ApiError;

const DESCRIPTION: &str = "Passkey registration governance. Errors are always {\"error\": {\"code\", \"message\", \
    \"question\", \"fix\"}}; codes are listed in docs/codes.md. Browser sessions use the kw_session cookie \
    (__Host-kw_session over https) and must send X-CSRF-Token on state-changing requests; automation uses \
    Authorization: Bearer <token> (keywarden token create). Administrative routes need a session completed with a \
    strong method (password and authenticator app, a passkey or a Temporary Access Pass); sensitive ones a recent one \
    (403 strong_authentication_required, recent_authentication_required). The sign-in routes are limited per client \
    address (429 rate_limited with Retry-After). Each operation's x-keywarden-access says who may call it.";

#[derive(OpenApi)]
#[openapi(
    info(title = "keywarden API", version = "1"),
    servers((url = "/")),
    paths(
        operations::healthz, operations::readyz, operations::metrics, document,
        signin::password, signin::totp, signin::tap, signin::passkey_begin, signin::passkey_finish, signin::sign_out,
        me::me, me::revoke_sessions, me::methods, me::list, me::get_one, me::rename, me::delete, me::begin,
        me::finish, me::client_error, me::enroll_totp,
        users::list_users, users::create_user, users::get_user, users::update_user, users::delete_user,
        users::revoke_sessions, users::attempts, users::list_passkeys, users::register_passkey,
        users::creation_options, users::client_error, users::get_passkey, users::delete_passkey, users::list_passes,
        users::issue_pass, users::get_pass, users::delete_pass,
        diagnosis::passkey_diagnosis, diagnosis::effective_policy, diagnosis::decision_tree,
        groups::list, groups::create, groups::get_one, groups::members, groups::add_members, groups::remove_member,
        policies::show, policies::apply, policies::what_if, policies::show_config, policies::patch_config,
        policies::reset_config,
        audit::list, audit::export,
        reports::inventory, reports::users, reports::findings, reports::rollout, reports::rollout_svg,
        reports::tighten, reports::readiness,
        authenticators::search, authenticators::one,
        tokens::list, tokens::create, tokens::revoke,
    ),
    tags(
        (name = "operations", description = "Liveness, readiness, metrics, this document."),
        (name = "sign-in", description = "The sign-in steps; each sets the session cookie."),
        (name = "me", description = "The signed-in user's own account and passkeys (Security info)."),
        (name = "users", description = "The directory's users, as Graph's `/users`."),
        (name = "methods", description = "A user's authentication methods, as Graph's `/users/{id}/authentication`."),
        (name = "help desk", description = "Why a user can or cannot add a passkey, and their attempts."),
        (name = "directory", description = "Groups and their members."),
        (name = "policy", description = "The authentication methods policy, in Graph's shape, and its what-if."),
        (name = "audit", description = "The audit log, as Graph's `directoryAudits`."),
        (name = "reports", description = "Inventory, findings, rollout and readiness."),
        (name = "authenticators", description = "What the FIDO metadata says about authenticator models."),
        (name = "tokens", description = "API tokens for automation."),
    )
)]
struct ApiDoc;

/// The document: what the annotations say, with the description, the security schemes, and each operation's access
/// rule from the route table (`security`, and `x-keywarden-access` in words).
pub fn generate() -> oa::OpenApi {
    let mut document = ApiDoc::openapi();
    document.info.description = Some(DESCRIPTION.to_string());
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(oa::security::ApiKey::Cookie(oa::security::ApiKeyValue::new(
            "kw_session",
        ))),
    );
    components.add_security_scheme("token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    let rules: HashMap<(String, &str), Access> = super::table()
        .into_iter()
        .map(|r| ((r.method.to_ascii_lowercase(), r.path), r.access))
        .collect();
    let mut ids = HashSet::new();
    for (path, item) in document.paths.paths.iter_mut() {
        for (method, operation) in operations_of(item) {
            // An operation the route table does not name gets no rule; the coverage test refuses such a document.
            if let Some(access) = rules.get(&(method.to_string(), path.as_str())) {
                describe_access(operation, *access);
            }
            // Handlers' names repeat across modules (`list`): the tag makes the id unique, which a test checks.
            let tag = operation.tags.iter().flatten().next().cloned().unwrap_or_default();
            let name = operation.operation_id.take().unwrap_or_default();
            let mut id = format!("{}_{name}", tag.replace([' ', '-'], "_"));
            // One handler for two methods (`creationOptions`): the method tells them apart.
            if !ids.insert(id.clone()) {
                id = format!("{id}_{method}");
                ids.insert(id.clone());
            }
            operation.operation_id = Some(id);
            for (status, response) in operation.responses.responses.iter_mut() {
                if let oa::RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = if status.starts_with('2') {
                        "Done.".into()
                    } else {
                        "Refused or failed: the error's code says why, and its fix what to do.".into()
                    };
                }
            }
        }
    }
    document
}

fn operations_of(item: &mut oa::PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("post", item.post.as_mut()),
        ("put", item.put.as_mut()),
        ("patch", item.patch.as_mut()),
        ("delete", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
    .collect()
}

fn describe_access(operation: &mut Operation, access: Access) {
    let (security, words): (Vec<SecurityRequirement>, String) = match access {
        Access::Public => (vec![SecurityRequirement::default()], "anyone".into()),
        Access::SignIn => (
            vec![SecurityRequirement::default()],
            "anyone, limited per client address".into(),
        ),
        Access::SignedIn => (
            vec![SecurityRequirement::new("session", Vec::<String>::new())],
            "a signed-in user, about their own account".into(),
        ),
        Access::Admin(action) => (
            admin_security(),
            format!("an administrator whose roles allow {}", action.as_str()),
        ),
        Access::AdminAnyOf(actions) => (
            admin_security(),
            format!(
                "an administrator whose roles allow one of {}",
                actions.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
    };
    operation.security = Some(security);
    let extensions = ExtensionsBuilder::new()
        .add("x-keywarden-access", serde_json::Value::String(words))
        .build();
    match &mut operation.extensions {
        Some(existing) => existing.merge(extensions),
        None => operation.extensions = Some(extensions),
    }
}

fn admin_security() -> Vec<SecurityRequirement> {
    vec![
        SecurityRequirement::new("session", Vec::<String>::new()),
        SecurityRequirement::new("token", Vec::<String>::new()),
    ]
}

/// The document as served and as committed: pretty JSON with a final newline.
pub fn to_json() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = generate()
            .to_pretty_json()
            .expect("an OpenAPI document serializes to JSON");
        text.push('\n');
        text
    })
}

/// The query parameters the document lists for each operation, by method (`get`, `post`...) and path template.
fn documented_parameters() -> &'static HashMap<(String, String), HashSet<String>> {
    static PARAMETERS: OnceLock<HashMap<(String, String), HashSet<String>>> = OnceLock::new();
    PARAMETERS.get_or_init(|| {
        let mut document = generate();
        let mut parameters = HashMap::new();
        for (path, item) in document.paths.paths.iter_mut() {
            for (method, operation) in operations_of(item) {
                let names = operation
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|p| p.parameter_in == ParameterIn::Query)
                    .map(|p| p.name.clone())
                    .collect();
                parameters.insert((method.to_string(), path.clone()), names);
            }
        }
        parameters
    })
}

/// Refuses a query parameter that the OpenAPI document does not list for the operation (those with parameters
/// also check them as they parse them): a parameter that is not understood is refused, never silently ignored. An
/// operation the document does not describe takes no parameters (a test checks that it describes every route).
pub(crate) async fn refuse_undocumented_parameters(request: Request, next: Next) -> Response {
    if let (Some(query), Some(template)) = (request.uri().query(), request.extensions().get::<MatchedPath>()) {
        let method = if request.method() == Method::HEAD {
            "get".to_string()
        } else {
            request.method().as_str().to_ascii_lowercase()
        };
        let none = HashSet::new();
        let known = documented_parameters()
            .get(&(method, template.as_str().to_string()))
            .unwrap_or(&none);
        let unknown = url::form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name.into_owned())
            .find(|name| !known.contains(name));
        if let Some(name) = unknown {
            let accepted: BTreeMap<&str, ()> = known.iter().map(|k| (k.as_str(), ())).collect();
            let accepted: Vec<&str> = accepted.into_keys().collect();
            let message = if accepted.is_empty() {
                format!("{} takes no query parameters (got {name:?})", template.as_str())
            } else {
                format!(
                    "{} does not take the query parameter {name:?}; it takes {}",
                    template.as_str(),
                    accepted.join(", ")
                )
            };
            return ApiError::invalid(message).into_response();
        }
    }
    next.run(request).await
}

pub(super) fn routes() -> Vec<Route> {
    vec![route(Method::GET, "/v1/openapi.json", Access::Public, document)]
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], to_json())
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::refuse_undocumented_parameters;

    async fn status(uri: &str) -> StatusCode {
        let app: Router = Router::new()
            .route("/v1/users", get(|| async { "ok" }))
            .route("/v1/not-documented", get(|| async { "ok" }))
            .route_layer(axum::middleware::from_fn(refuse_undocumented_parameters));
        let request = Request::builder().uri(uri).body(Body::empty()).expect("request");
        app.oneshot(request).await.expect("answer").status()
    }

    #[tokio::test]
    async fn a_parameter_is_accepted_only_where_the_generated_document_lists_it() {
        assert_eq!(status("/v1/users?top=5&search=a").await, StatusCode::OK);
        assert_eq!(status("/v1/users?colour=blue").await, StatusCode::BAD_REQUEST);
        assert_eq!(status("/v1/users").await, StatusCode::OK);
        // An operation the document does not describe takes no parameters: the check fails closed.
        assert_eq!(status("/v1/not-documented").await, StatusCode::OK);
        assert_eq!(status("/v1/not-documented?a=1").await, StatusCode::BAD_REQUEST);
    }
}
