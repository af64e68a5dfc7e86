//! The "attempt" walk: why did a recorded attempt end as it did? The four questions are read from the evidence
//! recorded with it, under the policy version of the time, and questions 1 and 4 are asked again under today's.

use super::fixes::{refused_when_stored_fixes, verification_fixes};
use super::input::{AttemptRecord, Directory, PolicyInForce};
use super::steps::{acceptance_step, eligibility_step, member_of, profiles_for, recorded_platform_step, walk};
use super::view::{
    Diagnosis, Failure, ProfileView, Status, Step, StepEvidence, Subject, Today, VerificationView, profile_ref,
    profile_view,
};
use crate::codes::Question;
use crate::instant::rfc3339;
use crate::metadata::Catalog;
use crate::policy::evaluate::{acceptance, applicable_profiles, eligibility};
use crate::registration::{Answer, Recency, Status as AttemptStatus};
use crate::session::Method;

/// Why did this attempt end as it did? The four questions read from its recorded evidence, against the policy
/// version in force at the time (`then`), and questions 1 and 4 again under `today`.
pub fn diagnose_attempt(
    directory: &Directory<'_>,
    attempt: &AttemptRecord,
    then: &PolicyInForce<'_>,
    today: &PolicyInForce<'_>,
    catalog: &Catalog,
) -> Diagnosis {
    let upn = &directory.user.user_principal_name;
    let mut notes = Vec::new();
    if then.version != attempt.policy_version {
        notes.push(format!(
            "policy version {} is no longer stored; the profiles shown are those of version {}",
            attempt.policy_version, then.version
        ));
    }
    // The profiles of the time: those the recorded eligibility named.
    let profile_ids: Vec<String> = attempt
        .evidence
        .eligible
        .as_ref()
        .map(|a| a.evidence.profiles.clone())
        .unwrap_or_default();
    let profiles: Vec<ProfileView> = profile_ids
        .iter()
        .filter_map(|id| then.policy.fido2.profile(id))
        .map(|p| profile_view(p, catalog))
        .collect();
    let pending =
        |question: Question, why: &str| Step::new(question, Status::Unknown, None, why.to_string(), StepEvidence::None);
    let open = attempt.status == AttemptStatus::Open;
    let eligible = match &attempt.evidence.eligible {
        Some(answer) => eligibility_step(directory, then.policy, answer, None),
        None => pending(Question::Eligible, "not recorded"),
    };
    let verified = match &attempt.evidence.recently_verified {
        Some(answer) => recorded_verification_step(upn, answer),
        None => pending(Question::RecentlyVerified, "not recorded"),
    };
    let platform = match &attempt.evidence.platform {
        Some(answer) => recorded_platform_step(attempt, answer),
        None if open => pending(
            Question::PlatformCanHost,
            "The browser never finished or reported the ceremony: it was abandoned, or failed before reaching keywarden.",
        ),
        None => pending(Question::PlatformCanHost, "not recorded"),
    };
    let accepted = match &attempt.evidence.accepted {
        Some(answer) => acceptance_step(Some(attempt), answer, attempt.facts.as_ref(), &profiles, catalog),
        None => pending(Question::AuthenticatorAccepted, "not recorded"),
    };
    let mut steps = vec![eligible, verified, platform, accepted];
    // Refused after every question passed (a duplicate credential found at commit): the outcome names the question.
    if attempt.status == AttemptStatus::Failed
        && attempt.evidence.first_failure().is_none()
        && let Some(code) = attempt.outcome
        && let Some(question) = code.question()
    {
        let step = &mut steps[usize::from(question.number() - 1)];
        step.status = Status::Failed;
        step.code = Some(code);
        step.finding = format!(
            "Every check passed, then the registration was refused when stored: {}",
            code.summary()
        );
        step.fixes = refused_when_stored_fixes(question, code);
    }
    let (questions, first_failure) = walk(steps);
    let when = rfc3339(attempt.started_at);
    let summary = match (attempt.status, first_failure, attempt.outcome) {
        (AttemptStatus::Succeeded, _, _) => format!(
            "Attempt {} at {when} succeeded: the passkey was admitted by {}.",
            attempt.id,
            attempt
                .evidence
                .accepted
                .as_ref()
                .and_then(|a| a.evidence.admitted_by.clone())
                .map(|id| profile_ref(then.policy, &id).name)
                .unwrap_or_else(|| "a profile".into())
        ),
        (AttemptStatus::Open, _, _) => format!(
            "Attempt {} at {when} is still open: the browser never finished or reported the ceremony.",
            attempt.id
        ),
        (AttemptStatus::Failed, Some(f), _) => format!(
            "Attempt {} at {when} failed at question {} ({}).",
            attempt.id,
            f.question.number(),
            f.code
        ),
        (AttemptStatus::Failed, None, Some(code)) => {
            format!("Attempt {} at {when} failed: {code} ({}).", attempt.id, code.summary())
        }
        (AttemptStatus::Failed, None, None) => format!("Attempt {} at {when} failed.", attempt.id),
    };
    let today = reevaluate(directory, attempt, first_failure, today, catalog);
    Diagnosis {
        user: directory.user.into(),
        subject: Subject::Attempt {
            id: attempt.id,
            started_at: attempt.started_at,
            finished_at: attempt.finished_at,
            status: attempt.status,
            outcome: attempt.outcome,
            on_behalf: attempt.on_behalf,
        },
        policy_version: then.version,
        summary,
        first_failure,
        questions,
        profiles,
        today: Some(today),
        notes,
    }
}

/// Questions 1 and 4 of a recorded attempt under today's policy and today's group memberships.
fn reevaluate(
    directory: &Directory<'_>,
    attempt: &AttemptRecord,
    recorded: Option<Failure>,
    today: &PolicyInForce<'_>,
    catalog: &Catalog,
) -> Today {
    let member = directory.member();
    let q1 = eligibility(&today.policy.fido2, member, attempt.path());
    let eligible = eligibility_step(directory, today.policy, &q1, Some(member_of(directory)));
    let profiles = profiles_for(today.policy, member, catalog);
    let accepted = match (&attempt.facts, q1.passed()) {
        (Some(facts), true) => {
            let applicable = applicable_profiles(&today.policy.fido2, member);
            let answer = acceptance(&applicable, facts, catalog.entry(&facts.aaguid));
            Some(acceptance_step(Some(attempt), &answer, Some(facts), &profiles, catalog))
        }
        _ => None,
    };
    let first_failure = [Some(&eligible), accepted.as_ref()]
        .into_iter()
        .flatten()
        .find(|s| s.status == Status::Failed)
        .and_then(|s| {
            s.code.map(|code| Failure {
                question: s.question,
                code,
            })
        });
    // Compare like with like: the recorded answers to questions 1 and 4.
    let recorded = recorded.filter(|f| matches!(f.question, Question::Eligible | Question::AuthenticatorAccepted));
    let comparable = accepted.is_some() || recorded.is_none_or(|f| f.question == Question::Eligible);
    let changed = comparable && recorded != first_failure;
    let checked = if accepted.is_some() {
        "questions 1 and 4"
    } else {
        "question 1"
    };
    let summary = match (changed, first_failure) {
        (false, _) => format!(
            "Under today's policy (version {}) {checked} give the same answer.",
            today.version
        )
        .replace("question 1 give", "question 1 gives"),
        (true, None) => format!("Under today's policy (version {}) {checked} would pass.", today.version),
        (true, Some(f)) => format!(
            "Under today's policy (version {}) it would fail at question {} ({}) instead.",
            today.version,
            f.question.number(),
            f.code
        ),
    };
    Today {
        policy_version: today.version,
        eligible,
        accepted,
        first_failure,
        changed,
        summary,
    }
}

fn recorded_verification_step(upn: &str, answer: &Answer<Recency>) -> Step {
    let e = &answer.evidence;
    let view = VerificationView {
        window_minutes: e.window_minutes,
        verified_party: Some(e.verified_party.clone()),
        last_strong_authentication: e.last_strong_authentication,
        last_strong_method: e.last_strong_method,
        verified_until: e.verified_until,
        via_one_time_access_pass: e.via_one_time_access_pass,
        usable_methods: e.usable_methods.clone(),
        authenticator_app: None,
        passkeys: None,
        access_pass: None,
    };
    let passed = if e.application {
        format!(
            "{} is an application, trusted by its role rather than by freshness.",
            e.verified_party
        )
    } else {
        format!(
            "{} verified with {} at {}, within the {}-minute window.",
            e.verified_party,
            e.last_strong_method.map_or("a strong method", Method::as_str),
            e.last_strong_authentication.map(rfc3339).unwrap_or_default(),
            e.window_minutes
        )
    };
    let fixes = answer
        .code()
        .map_or_else(Vec::new, |code| verification_fixes(code, upn, &view));
    Step::answered(
        Question::RecentlyVerified,
        answer.code(),
        passed,
        StepEvidence::Verification(view),
        fixes,
    )
}
