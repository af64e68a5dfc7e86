//! The four questions as steps of the walk, shared by both walks: each answer turned into a [`Step`] with its
//! finding, evidence, fixes and matched failure modes, and the walk that stops at the first failure. Question 2
//! differs between a recorded attempt and "now", so its steps live with each walk.

use super::fixes::{acceptance_fixes, eligibility_fixes, platform_fixes};
use super::input::{AttemptRecord, Directory};
use super::knowledge::{self, Observation};
use super::view::{
    AcceptanceView, AuthenticatorView, EligibilityView, Failure, GroupRef, MatchedMode, PlatformView, ProfileView,
    Status, Step, StepEvidence, TargetView, attestation_phrase, client_platform, exclude_view, include_view, names,
    profile_view,
};
use crate::codes::{Code, Question};
use crate::metadata::Catalog;
use crate::platform::Platform;
use crate::policy::Policy;
use crate::policy::evaluate::{
    Acceptance, Eligibility, Member, RegistrationPath, applicable_profiles, refusal_reasons,
};
use crate::registration::{Answer, Facts};

/// Question 1's evidence with its targets named; `member_of` is the user's groups today (`None` for an attempt).
pub(super) fn eligibility_view(
    directory: &Directory<'_>,
    policy: &Policy,
    evidence: &Eligibility,
    member_of: Option<Vec<GroupRef>>,
) -> EligibilityView {
    let included_by: Vec<TargetView> = evidence
        .included_by
        .iter()
        .map(|m| include_view(directory, policy, &m.target_id, &m.allowed_passkey_profiles))
        .collect();
    let other_include_targets = policy
        .fido2
        .include_targets
        .iter()
        .filter(|t| !evidence.included_by.iter().any(|m| m.target_id == t.id))
        .map(|t| include_view(directory, policy, &t.id, &t.allowed_passkey_profiles))
        .collect();
    EligibilityView {
        method_state: evidence.method_state,
        account_enabled: evidence.account_enabled,
        user_type: evidence.user_type,
        member_of,
        included_by,
        excluded_by: evidence
            .excluded_by
            .iter()
            .map(|t| exclude_view(directory, t))
            .collect(),
        other_include_targets,
        self_service_registration_allowed: evidence.self_service_registration_allowed,
        path: evidence.path,
    }
}

/// Question 1 as a step: who covers the user, or why they are not eligible and how to fix it.
pub(super) fn eligibility_step(
    directory: &Directory<'_>,
    policy: &Policy,
    answer: &Answer<Eligibility>,
    member_of: Option<Vec<GroupRef>>,
) -> Step {
    let view = eligibility_view(directory, policy, &answer.evidence, member_of);
    let upn = &directory.user.user_principal_name;
    let how = match view.path {
        RegistrationPath::SelfService => "self-service set up is on",
        RegistrationPath::OnBehalf => "an administrator registers on the user's behalf",
    };
    let passed = format!(
        "{upn} is covered by {}, is not excluded, and {how}.",
        names(&view.included_by)
    );
    let fixes = answer
        .code()
        .map_or_else(Vec::new, |code| eligibility_fixes(code, upn, &view));
    Step::answered(
        Question::Eligible,
        answer.code(),
        passed,
        StepEvidence::Eligibility(view),
        fixes,
    )
}

/// The user's groups today, named.
pub(super) fn member_of(directory: &Directory<'_>) -> Vec<GroupRef> {
    directory
        .memberships
        .iter()
        .map(|g| GroupRef {
            id: *g,
            name: directory.group_names.get(g).cloned().unwrap_or_else(|| g.to_string()),
        })
        .collect()
}

/// Question 3's evidence: what the browser reported with the attempt, and what its response showed.
fn platform_view(attempt: &AttemptRecord, answer: Option<&Answer<Platform>>) -> PlatformView {
    let client = attempt.client();
    let user_agent = client
        .and_then(|c| c.user_agent.clone())
        .or_else(|| attempt.user_agent.clone());
    let evidence = answer.map(|a| &a.evidence);
    let facts = attempt.facts.as_ref();
    PlatformView {
        attempt_id: Some(attempt.id),
        at: Some(attempt.finished_at.unwrap_or(attempt.started_at)),
        client_platform: user_agent.as_deref().and_then(client_platform),
        user_agent,
        path: client.and_then(|c| c.path),
        error: client.map(|c| {
            if c.message.is_empty() {
                c.name.clone()
            } else {
                format!("{}: {}", c.name, c.message)
            }
        }),
        client_capabilities: client.map(|c| c.client_capabilities.clone()).unwrap_or_default(),
        platform_authenticator_available: client.and_then(|c| c.user_verifying_platform_authenticator_available),
        attestation_format: evidence.and_then(|e| e.format).or(facts.map(|f| f.format)),
        user_verified: evidence
            .and_then(|e| e.user_verified)
            .or(facts.map(|f| f.flags.user_verified)),
        hardware_backed: evidence
            .and_then(|e| e.hardware_backed)
            .or(facts.and_then(|f| f.hardware_backed)),
        notes: evidence.map(|e| e.notes.clone()).unwrap_or_default(),
    }
}

fn observation<'a>(attempt: &'a AttemptRecord, code: Code) -> Observation<'a> {
    let client = attempt.client();
    Observation {
        code: Some(code),
        client,
        user_agent: client
            .and_then(|c| c.user_agent.as_deref())
            .or(attempt.user_agent.as_deref()),
        facts: attempt.facts.as_ref(),
    }
}

fn matched_modes(attempt: &AttemptRecord, code: Code) -> Vec<MatchedMode> {
    knowledge::matching(&observation(attempt, code))
        .into_iter()
        .map(MatchedMode::from)
        .collect()
}

/// Question 3 as a step, from an attempt's recorded answer, with the failure modes its evidence matches.
pub(super) fn recorded_platform_step(attempt: &AttemptRecord, answer: &Answer<Platform>) -> Step {
    let view = platform_view(attempt, Some(answer));
    let passed = format!(
        "The ceremony completed: {}, user verified: {}.",
        attestation_phrase(view.attestation_format),
        view.user_verified.map_or("unknown", |v| if v { "yes" } else { "no" }),
    );
    let fixes = answer.code().map_or_else(Vec::new, platform_fixes);
    let mut step = Step::answered(
        Question::PlatformCanHost,
        answer.code(),
        passed,
        StepEvidence::Platform(view),
        fixes,
    );
    if let Some(code) = answer.code() {
        step.failure_modes = matched_modes(attempt, code);
    }
    step
}

/// The authenticator of an attempt, named from its facts or else the FIDO metadata.
fn authenticator_view(facts: &Facts, catalog: &Catalog) -> AuthenticatorView {
    AuthenticatorView {
        aaguid: facts.aaguid,
        name: facts
            .model
            .clone()
            .or_else(|| catalog.name(&facts.aaguid).map(str::to_string)),
        passkey_type: facts.passkey_type(),
        attestation_format: facts.format,
        attestation_level: facts.attestation_level(),
        transports: facts.transports.clone(),
    }
}

/// Question 4 as a step: which profile accepts the authenticator, or each refusal and how to fix it. The failure
/// modes are matched only when the answer comes from an `attempt`.
pub(super) fn acceptance_step(
    attempt: Option<&AttemptRecord>,
    answer: &Answer<Acceptance>,
    facts: Option<&Facts>,
    profiles: &[ProfileView],
    catalog: &Catalog,
) -> Step {
    let view = AcceptanceView {
        authenticator: facts.map(|f| authenticator_view(f, catalog)),
        verdicts: answer.evidence.verdicts.clone(),
        admitted_by: answer.evidence.admitted_by.clone(),
        notes: answer.evidence.notes.clone(),
    };
    let who = view
        .authenticator
        .as_ref()
        .map_or_else(|| answer.evidence.aaguid.to_string(), AuthenticatorView::label);
    let by = view
        .verdicts
        .iter()
        .find(|v| v.accepted)
        .map_or_else(|| "a profile".to_string(), |v| v.profile_name.clone());
    // A refusal names each profile's reasons, when there are any, rather than the code's summary.
    let reasons = refusal_reasons(&view.verdicts);
    let fixes = answer
        .code()
        .map_or_else(Vec::new, |code| acceptance_fixes(code, &view, profiles));
    let mut step = Step::answered(
        Question::AuthenticatorAccepted,
        answer.code(),
        format!("{who} is accepted by {by}."),
        StepEvidence::Acceptance(view),
        fixes,
    );
    if let Some(code) = answer.code() {
        if !reasons.is_empty() {
            step.finding = format!("{who} is refused: {}.", reasons.join("; "));
        }
        if let Some(attempt) = attempt {
            step.failure_modes = matched_modes(attempt, code);
        }
    }
    step
}

/// Marks every step after the first failure as not reached.
pub(super) fn walk(steps: Vec<Step>) -> (Vec<Step>, Option<Failure>) {
    let mut failure = None;
    let steps = steps
        .into_iter()
        .map(|step| {
            if failure.is_some() {
                return Step::not_reached(step.question);
            }
            if step.status == Status::Failed
                && let Some(code) = step.code
            {
                failure = Some(Failure {
                    question: step.question,
                    code,
                });
            }
            step
        })
        .collect();
    (steps, failure)
}

/// The passkey profiles that apply to `member`, and what each accepts.
pub(super) fn profiles_for(policy: &Policy, member: Member<'_>, catalog: &Catalog) -> Vec<ProfileView> {
    applicable_profiles(&policy.fido2, member)
        .into_iter()
        .map(|p| profile_view(p, catalog))
        .collect()
}
