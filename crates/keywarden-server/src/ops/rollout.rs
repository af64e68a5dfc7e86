//! The rollout operations: ring status and its chart, readiness before requiring an authentication strength,
//! tightening a profile to the AAGUIDs observed (proposed, or applied through the policy's own save), and the
//! what-if of a proposed policy document.
//!
//! Each streams the users from the store into one of the domain's accumulators (`keywarden_domain::rollout`), so
//! memory does not grow with the directory. Only tightening with `apply` changes anything, and it changes the
//! policy exactly as `policy apply` does: one new version, one `Authentication Methods Policy Update` event.

use futures_util::TryStreamExt;
use keywarden_domain::access::Action;
use keywarden_domain::directory::Group;
use keywarden_domain::ids::GroupId;
use keywarden_domain::rollout::readiness::{self, Readiness};
use keywarden_domain::rollout::status::{Ring, RolloutStatus, Tally};
use keywarden_domain::rollout::tighten::{Observation, Proposal};
use keywarden_domain::rollout::what_if::{Comparison, WhatIf};
use keywarden_domain::rollout::{DEFAULT_MAX_LISTED, Subject};
use keywarden_domain::strength::{BUILT_IN, Strength};
use serde::{Deserialize, Serialize};

use super::{current_policy, policy, reports};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::context::RequestContext;
use crate::state::AppState;

/// The largest list a caller may ask for; counts are always complete.
const MAX_TOP: usize = 100_000;

/// Feeds every user (or a group's members) to `each`, one at a time.
async fn each_subject(
    state: &AppState,
    group: Option<GroupId>,
    mut each: impl FnMut(&Subject),
) -> Result<(), ApiError> {
    let scan = state.store.subjects_scan(group);
    let mut subjects = state.store.subjects(&scan);
    while let Some(subject) = subjects.try_next().await? {
        each(&subject);
    }
    Ok(())
}

fn max_listed(top: Option<usize>) -> Result<usize, ApiError> {
    match top {
        None => Ok(DEFAULT_MAX_LISTED),
        Some(top) if (1..=MAX_TOP).contains(&top) => Ok(top),
        Some(_) => Err(ApiError::invalid(format!("top must be between 1 and {MAX_TOP}"))),
    }
}

/// The rollout status's options as a person or a client gives them.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Count only the registration attempts begun this recently, such as `30d` (default: all).
    pub since: Option<String>,
    /// `json` (default) or `svg`.
    pub format: Option<String>,
}

/// Every ring (each group of the directory, by name), then all users: members, targeted, covered, attempts.
pub async fn status(state: &AppState, actor: &Actor, query: &StatusQuery) -> Result<RolloutStatus, ApiError> {
    actor.require(Action::Read)?;
    let since = query
        .since
        .as_deref()
        .map(|text| reports::parse_duration(text, "since"))
        .transpose()?
        .map(|window| state.clock.now() - window);
    let current = current_policy(state).await?;
    let catalog = state.catalog();
    let rings = state
        .store
        .list_groups()
        .await?
        .into_iter()
        .map(|(group, _)| Ring {
            id: group.id,
            display_name: group.display_name,
        })
        .collect();
    let mut tally = Tally::new(&current.policy.fido2, &catalog, rings);
    each_subject(state, None, |subject| tally.user(subject)).await?;
    tally.attempts(state.store.attempt_counts(since).await?);
    Ok(tally.finish())
}

/// The rollout chart (SVG), the same bytes for the API and the CLI's file.
pub fn chart(status: &RolloutStatus) -> String {
    keywarden_present::chart::svg(status)
}

/// Readiness's options.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadinessQuery {
    /// A built-in strength by short name (`mfa`, `passwordless`, `phishing-resistant`), Entra id or display name;
    /// phishing-resistant when left out.
    pub strength: Option<String>,
    /// Only this group's members (id or display name).
    pub group: Option<String>,
    /// How many locked-out users are listed (counts are complete).
    pub top: Option<usize>,
}

/// A group as a report names it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    pub id: GroupId,
    pub display_name: String,
}

impl From<&Group> for GroupRef {
    fn from(group: &Group) -> GroupRef {
        GroupRef {
            id: group.id,
            display_name: group.display_name.clone(),
        }
    }
}

/// The readiness report, with the group it was limited to.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessReport {
    #[serde(flatten)]
    pub report: readiness::Report,
    pub group: Option<GroupRef>,
}

/// Who would be locked out if the strength were required at sign-in now, and why each one.
pub async fn readiness(state: &AppState, actor: &Actor, query: &ReadinessQuery) -> Result<ReadinessReport, ApiError> {
    actor.require(Action::Read)?;
    let name = query.strength.as_deref().unwrap_or("phishing-resistant");
    let strength = Strength::parse(name).ok_or_else(|| {
        let known: Vec<String> = BUILT_IN
            .iter()
            .map(|s| format!("{} ({})", s.display_name, s.id))
            .collect();
        ApiError::invalid(format!(
            "strength {name:?} is not a built-in authentication strength: mfa, passwordless, phishing-resistant, \
             or one of {}",
            known.join(", ")
        ))
    })?;
    let group = match query.group.as_deref() {
        None => None,
        Some(key) => Some(super::find_group(state, key).await?),
    };
    let max = max_listed(query.top)?;
    let current = current_policy(state).await?;
    let catalog = state.catalog();
    let mut readiness = Readiness::new(&strength, &current.policy, &catalog, state.clock.now(), max);
    each_subject(state, group.as_ref().map(|g| g.id), |subject| readiness.user(subject)).await?;
    Ok(ReadinessReport {
        report: readiness.finish(),
        group: group.as_ref().map(GroupRef::from),
    })
}

/// A request to tighten a profile.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TightenRequest {
    /// The profile's id or name.
    pub profile: String,
    /// Save the proposal as a new policy version; without it nothing changes.
    #[serde(default)]
    pub apply: bool,
}

/// A tightening proposal, what it would do, and whether it was applied.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tightened {
    #[serde(flatten)]
    pub proposal: Proposal,
    /// What the proposed policy would do to today's users and passkeys; `None` when nothing is proposed.
    pub what_if: Option<WhatIf>,
    pub applied: bool,
    /// The policy version in force after the request (the new one when it was applied).
    pub policy_version: i64,
}

/// Proposes the allow list of AAGUIDs observed among the profile's users, judges it with a what-if, and with
/// `apply` saves it through the policy's own path (versioned and audited). Applying needs
/// [`Action::ManagePolicy`], checked before anything is read.
pub async fn tighten(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    request: &TightenRequest,
) -> Result<Tightened, ApiError> {
    actor.require(Action::Read)?;
    if request.apply {
        actor.require(Action::ManagePolicy)?;
    }
    let current = current_policy(state).await?;
    let catalog = state.catalog();
    let mut observation = Observation::new(&current.policy, &request.profile, &catalog).ok_or_else(|| {
        let names: Vec<String> = current
            .policy
            .fido2
            .passkey_profiles
            .iter()
            .map(|p| format!("{} ({})", p.name, p.id))
            .collect();
        ApiError::not_found(format!(
            "passkey profile {:?} (the policy has {})",
            request.profile,
            names.join(", ")
        ))
    })?;
    each_subject(state, None, |subject| observation.user(subject)).await?;
    let tightening = observation.finish();
    let what_if = match &tightening.policy {
        None => None,
        Some(proposed) => {
            let mut comparison = Comparison::with_defaults(&current.policy, proposed, &catalog);
            each_subject(state, None, |subject| comparison.user(subject)).await?;
            Some(comparison.finish())
        }
    };
    let mut version = current.version;
    if request.apply
        && let Some(proposed) = &tightening.policy
    {
        version = policy::save(state, ctx, actor, &current, proposed).await?;
    }
    Ok(Tightened {
        proposal: tightening.proposal,
        what_if,
        applied: version != current.version,
        policy_version: version,
    })
}

/// A what-if, with the policy version it was judged against.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhatIfReport {
    #[serde(flatten)]
    pub what_if: WhatIf,
    /// The version in force that the proposal was compared with.
    pub policy_version: i64,
}

/// What a policy document (the same as `policy apply` takes) would do to today's users and passkeys, without
/// saving it. An invalid document is refused with every problem listed, as applying it would be.
pub async fn what_if(state: &AppState, actor: &Actor, text: &str) -> Result<WhatIfReport, ApiError> {
    actor.require(Action::Read)?;
    let current = current_policy(state).await?;
    let proposed = policy::parse_document(state, &current, text).await?;
    let catalog = state.catalog();
    let mut comparison = Comparison::with_defaults(&current.policy, &proposed, &catalog);
    each_subject(state, None, |subject| comparison.user(subject)).await?;
    Ok(WhatIfReport {
        what_if: comparison.finish(),
        policy_version: current.version,
    })
}
