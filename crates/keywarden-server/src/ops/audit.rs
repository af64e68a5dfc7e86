//! Reading the audit log, and its Graph `directoryAudit` shape.

use keywarden_domain::access::Action;
use keywarden_domain::audit::{Activity, Outcome};
use keywarden_store::{AuditFilter, AuditPage};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::state::AppState;

/// Filters as given by a person or a client; parsed into the store's filter with clear errors.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Query {
    /// RFC 3339 instant, or a duration back from now such as `90d`, `12h`, `30m`.
    pub since: Option<String>,
    /// As `since`.
    pub until: Option<String>,
    /// An activity's display name (`Add user`, `Update authentication methods policy`...).
    pub activity: Option<String>,
    /// A user id or UPN, a token id, `local-operator`.
    pub initiator: Option<String>,
    /// A target id or UPN, matched against the event's first target (the user, for a user's security info, sign-ins
    /// and group memberships).
    pub target: Option<String>,
    /// `success` or `failure`.
    pub result: Option<String>,
    pub correlation_id: Option<String>,
    /// From `@odata.nextLink`.
    pub cursor: Option<String>,
    /// The page size, 1 to 1000 (100).
    pub top: Option<u32>,
}

/// Parses a duration back from `now` (`90d`, `12h`, `30m`, `45s`; see [`super::reports::parse_duration`]) or an
/// RFC 3339 instant.
pub fn parse_instant(s: &str, now: OffsetDateTime, what: &str) -> Result<OffsetDateTime, ApiError> {
    let s = s.trim();
    if s.ends_with(['s', 'm', 'h', 'd']) {
        let back = super::reports::parse_duration(s, what)?;
        return now
            .checked_sub(back)
            .ok_or_else(|| ApiError::invalid(format!("{what} {s:?} reaches too far back")));
    }
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        ApiError::invalid(format!(
            "{what} {s:?} is neither an RFC 3339 time nor a duration like 90d"
        ))
    })
}

async fn resolve_party(state: &AppState, key: &str) -> Result<String, ApiError> {
    if key.contains('@') {
        return Ok(super::find_user(state, key).await?.id.to_string());
    }
    Ok(key.to_string())
}

pub async fn filter_of(state: &AppState, query: &Query, now: OffsetDateTime) -> Result<(AuditFilter, u32), ApiError> {
    let mut filter = AuditFilter::default();
    if let Some(s) = &query.since {
        filter.since = Some(parse_instant(s, now, "since")?);
    }
    if let Some(s) = &query.until {
        filter.until = Some(parse_instant(s, now, "until")?);
    }
    if let Some(a) = &query.activity {
        filter.activity = Some(
            Activity::parse(a)
                .ok_or_else(|| ApiError::invalid(format!("activity {a:?} is not a known activity name")))?,
        );
    }
    if let Some(i) = &query.initiator {
        filter.initiator_id = Some(resolve_party(state, i).await?);
    }
    if let Some(t) = &query.target {
        filter.target_id = Some(resolve_party(state, t).await?);
    }
    if let Some(r) = &query.result {
        filter.result = Some(match r.as_str() {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            other => return Err(ApiError::invalid(format!("result {other:?} is not success or failure"))),
        });
    }
    if let Some(c) = &query.correlation_id {
        filter.correlation_id = Some(
            c.parse()
                .map_err(|_| ApiError::invalid(format!("correlationId {c:?} is not a GUID")))?,
        );
    }
    if let Some(c) = &query.cursor {
        filter.before = Some(
            c.parse()
                .map_err(|_| ApiError::invalid("cursor is not one keywarden returned"))?,
        );
    }
    let top = query.top.unwrap_or(100);
    if !(1..=1000).contains(&top) {
        return Err(ApiError::invalid("top must be between 1 and 1000"));
    }
    Ok((filter, top))
}

pub async fn list(state: &AppState, actor: &Actor, query: &Query) -> Result<AuditPage, ApiError> {
    actor.require(Action::Read)?;
    let (filter, top) = filter_of(state, query, state.clock.now()).await?;
    Ok(state.store.list_audit(&filter, top).await?)
}
