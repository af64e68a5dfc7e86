//! Temporary Access Pass rules (entra-model.md section 2): when a pass may be issued, when it is usable, and
//! why not.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::directory::{User, UserType};
use crate::ids::{MethodId, UserId};
use crate::policy::{State, TAP_LIFETIME_MINUTES, TapConfiguration};

/// After signing in with a one-time pass the user has this long to register a passkey (Entra's rule).
pub const ONE_TIME_REGISTRATION_WINDOW: Duration = Duration::minutes(10);

/// A stored pass. The code itself is never here: only its hash, in the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPass {
    pub id: MethodId,
    pub user_id: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    pub lifetime_in_minutes: u32,
    pub is_usable_once: bool,
    /// When a one-time pass was consumed by a committed registration.
    #[serde(with = "time::serde::rfc3339::option")]
    pub used_date_time: Option<OffsetDateTime>,
}

impl AccessPass {
    pub fn expires_at(&self) -> OffsetDateTime {
        self.start_date_time + Duration::minutes(i64::from(self.lifetime_in_minutes))
    }
}

/// Graph's `methodUsabilityReason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsabilityReason {
    EnabledByPolicy,
    DisabledByPolicy,
    Expired,
    NotYetValid,
    OneTimeUsed,
}

impl UsabilityReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UsabilityReason::EnabledByPolicy => "EnabledByPolicy",
            UsabilityReason::DisabledByPolicy => "DisabledByPolicy",
            UsabilityReason::Expired => "Expired",
            UsabilityReason::NotYetValid => "NotYetValid",
            UsabilityReason::OneTimeUsed => "OneTimeUsed",
        }
    }
}

/// Graph's `isUsable` and `methodUsabilityReason` for a pass, now.
///
/// `in_scope` says whether the pass's user is covered by the TAP configuration's targets (see
/// [`crate::policy::evaluate::access_pass_scope`]); a pass can be issued to anyone but only used by users in scope.
pub fn usability(
    pass: &AccessPass,
    config: &TapConfiguration,
    in_scope: bool,
    now: OffsetDateTime,
) -> (bool, UsabilityReason) {
    if pass.is_usable_once && pass.used_date_time.is_some() {
        return (false, UsabilityReason::OneTimeUsed);
    }
    if config.state == State::Disabled || !in_scope || (config.is_usable_once && !pass.is_usable_once) {
        return (false, UsabilityReason::DisabledByPolicy);
    }
    if now < pass.start_date_time {
        return (false, UsabilityReason::NotYetValid);
    }
    if now >= pass.expires_at() {
        return (false, UsabilityReason::Expired);
    }
    (true, UsabilityReason::EnabledByPolicy)
}

/// What an administrator asks for when issuing a pass; everything is optional, as in Graph's POST.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IssueRequest {
    pub lifetime_in_minutes: Option<u32>,
    pub is_usable_once: Option<bool>,
    pub start_date_time: Option<OffsetDateTime>,
}

/// A checked request: what will be stored, and how long the code must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuePlan {
    pub start_date_time: OffsetDateTime,
    pub lifetime_in_minutes: u32,
    pub is_usable_once: bool,
    pub length: u32,
}

/// Checks an issue request against the TAP configuration, filling defaults as Entra does.
/// The error is a message naming what is wrong (code `access_pass_policy_violation`).
pub fn plan_issue(
    request: &IssueRequest,
    config: &TapConfiguration,
    user: &User,
    now: OffsetDateTime,
) -> Result<IssuePlan, String> {
    if config.state == State::Disabled {
        return Err("the Temporary Access Pass method is disabled in the authentication methods policy".into());
    }
    if user.user_type == UserType::Guest {
        return Err("Temporary Access Pass cannot be added to an external guest user".into());
    }
    let lifetime = request
        .lifetime_in_minutes
        .unwrap_or(config.default_lifetime_in_minutes);
    let (min, max) = (config.minimum_lifetime_in_minutes, config.maximum_lifetime_in_minutes);
    if !TAP_LIFETIME_MINUTES.contains(&lifetime) || !(min..=max).contains(&lifetime) {
        return Err(format!(
            "lifetimeInMinutes {lifetime} is outside the policy's range of {min} to {max} minutes"
        ));
    }
    let is_usable_once = request.is_usable_once.unwrap_or(config.is_usable_once);
    if config.is_usable_once && !is_usable_once {
        return Err("the policy allows only one-time passes (isUsableOnce is true)".into());
    }
    let start = request.start_date_time.unwrap_or(now);
    if start < now - Duration::minutes(5) {
        return Err("startDateTime is in the past".into());
    }
    if start > now + Duration::days(30) {
        return Err("startDateTime is more than 30 days ahead".into());
    }
    Ok(IssuePlan {
        start_date_time: start.max(now),
        lifetime_in_minutes: lifetime,
        is_usable_once,
        length: config.default_length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::UserType;
    use crate::policy::Policy;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

    fn pass(once: bool, start: OffsetDateTime, lifetime: u32) -> AccessPass {
        AccessPass {
            id: MethodId(uuid::Uuid::from_u128(9)),
            user_id: User::alice().id,
            created_date_time: start,
            start_date_time: start,
            lifetime_in_minutes: lifetime,
            is_usable_once: once,
            used_date_time: None,
        }
    }

    #[test]
    fn usability_follows_entra_reasons() {
        let config = Policy::default().temporary_access_pass;
        let fresh = pass(true, NOW, 60);
        assert_eq!(
            usability(&fresh, &config, true, NOW),
            (true, UsabilityReason::EnabledByPolicy)
        );
        assert_eq!(
            usability(&fresh, &config, true, NOW - Duration::minutes(1)),
            (false, UsabilityReason::NotYetValid)
        );
        assert_eq!(
            usability(&fresh, &config, true, NOW + Duration::minutes(60)),
            (false, UsabilityReason::Expired)
        );
        assert_eq!(
            usability(&fresh, &config, false, NOW),
            (false, UsabilityReason::DisabledByPolicy)
        );
        let used = AccessPass {
            used_date_time: Some(NOW),
            ..fresh.clone()
        };
        assert_eq!(
            usability(&used, &config, true, NOW),
            (false, UsabilityReason::OneTimeUsed)
        );
        let mut one_time_only = config.clone();
        one_time_only.is_usable_once = true;
        let multi = pass(false, NOW, 60);
        assert_eq!(
            usability(&multi, &one_time_only, true, NOW),
            (false, UsabilityReason::DisabledByPolicy)
        );
    }

    #[test]
    fn issue_defaults_come_from_the_policy() {
        let config = Policy::default().temporary_access_pass;
        let plan =
            plan_issue(&IssueRequest::default(), &config, &User::alice(), NOW).expect("default request is valid");
        assert_eq!(plan.lifetime_in_minutes, 60);
        assert!(!plan.is_usable_once);
        assert_eq!(plan.length, 8);
        assert_eq!(plan.start_date_time, NOW);
    }

    #[test]
    fn issue_outside_the_lifetime_range_is_refused() {
        let config = Policy::default().temporary_access_pass;
        for lifetime in [9, 59, 481, 50_000] {
            let request = IssueRequest {
                lifetime_in_minutes: Some(lifetime),
                ..Default::default()
            };
            assert!(
                plan_issue(&request, &config, &User::alice(), NOW).is_err(),
                "lifetime {lifetime}"
            );
        }
    }

    #[test]
    fn multi_use_pass_is_refused_when_policy_is_one_time_only() {
        let mut config = Policy::default().temporary_access_pass;
        config.is_usable_once = true;
        let request = IssueRequest {
            is_usable_once: Some(false),
            ..Default::default()
        };
        assert!(plan_issue(&request, &config, &User::alice(), NOW).is_err());
        let plan = plan_issue(&IssueRequest::default(), &config, &User::alice(), NOW).expect("one-time by default");
        assert!(plan.is_usable_once);
    }

    #[test]
    fn guests_cannot_get_a_pass() {
        let config = Policy::default().temporary_access_pass;
        let guest = User {
            user_type: UserType::Guest,
            ..User::alice()
        };
        let err = plan_issue(&IssueRequest::default(), &config, &guest, NOW).expect_err("guest refused");
        assert!(err.contains("guest"));
    }
}
