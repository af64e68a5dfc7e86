//! The pages' static files (stylesheet, script modules, icons), compiled into the binary and served under
//! `/assets/` with an ETag. Browsers revalidate them on each use (`no-cache`), so a new binary's files are
//! picked up at once and an unchanged file costs a 304.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// A file under `/assets/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        name: "kw.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/kw.css"),
    },
    Asset {
        name: "kw.js",
        content_type: JS,
        body: include_bytes!("assets/kw.js"),
    },
    Asset {
        name: "signin.js",
        content_type: JS,
        body: include_bytes!("assets/signin.js"),
    },
    Asset {
        name: "security-info.js",
        content_type: JS,
        body: include_bytes!("assets/security-info.js"),
    },
    Asset {
        name: "admin-answers.js",
        content_type: JS,
        body: include_bytes!("assets/admin-answers.js"),
    },
    Asset {
        name: "admin-users.js",
        content_type: JS,
        body: include_bytes!("assets/admin-users.js"),
    },
    Asset {
        name: "admin-user.js",
        content_type: JS,
        body: include_bytes!("assets/admin-user.js"),
    },
    Asset {
        name: "admin-audit.js",
        content_type: JS,
        body: include_bytes!("assets/admin-audit.js"),
    },
    Asset {
        name: "admin-report.js",
        content_type: JS,
        body: include_bytes!("assets/admin-report.js"),
    },
    Asset {
        name: "admin-policy.js",
        content_type: JS,
        body: include_bytes!("assets/admin-policy.js"),
    },
    Asset {
        name: "verify.js",
        content_type: JS,
        body: include_bytes!("assets/verify.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("assets/favicon.svg"),
    },
    Asset {
        name: "passkey.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("assets/passkey.svg"),
    },
];

/// Each asset's strong ETag: a quoted SHA-256 prefix of its content, computed once.
fn etags() -> &'static HashMap<&'static str, String> {
    static ETAGS: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let digest = Sha256::digest(asset.body);
                let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
                (asset.name, format!("\"{hex}\""))
            })
            .collect()
    })
}

pub(super) async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = etags().get(asset.name).cloned().unwrap_or_default();
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}
