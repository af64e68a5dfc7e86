//! The four questions as steps of the walk, shared by both walks: each answer turned into a [`Step`] with its
//! finding, evidence, fixes and matched failure modes, and the walk that stops at the first failure. Question 2
//! differs between a recorded attempt and "now", so its steps live with each walk.

use super::fixes::{acceptance_fixes, eligibility_fixes, platform_fixes};
use super::input::{AttemptRecord, Directory};
use super::knowledge::{self, Observation};
use super::view::{
    AcceptanceView, AuthenticatorName, AuthenticatorView, EligibilityView, Failure, GroupRef, MatchedMode,
    PlatformView, ProfileView, Status, Step, StepEvidence, TargetView, attestation_phrase, client_platform,
    exclude_view, include_view, names, profile_view,
};
use crate::codes::{Code, Question};
use crate::metadata::Catalog;
use crate::platform::Platform;
use crate::policy::Policy;
use crate::policy::evaluate::{Acceptance, Eligibility, Member, RegistrationPath, applicable_profiles};
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
    let (status, finding, fixes) = match answer.code() {
        None => {
            let how = match view.path {
                RegistrationPath::SelfService => "self-service set up is on",
                RegistrationPath::OnBehalf => "an administrator registers on the user's behalf",
            };
            (
                Status::Passed,
                format!(
                    "{upn} is covered by {}, is not excluded, and {how}.",
                    names(&view.included_by)
                ),
                vec![],
            )
        }
        Some(code) => (
            Status::Failed,
            code.summary().to_string(),
            eligibility_fixes(code, upn, &view),
        ),
    };
    let mut step = Step::new(
        Question::Eligible,
        status,
        answer.code(),
        finding,
        StepEvidence::Eligibility(view),
    );
    step.fixes = fixes;
    step
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
    let (status, finding) = match answer.code() {
        None => (
            Status::Passed,
            format!(
                "The ceremony completed: {}, user verified: {}.",
                attestation_phrase(view.attestation_format),
                view.user_verified.map_or("unknown", |v| if v { "yes" } else { "no" }),
            ),
        ),
        Some(code) => (Status::Failed, code.summary().to_string()),
    };
    let mut step = Step::new(
        Question::PlatformCanHost,
        status,
        answer.code(),
        finding,
        StepEvidence::Platform(view),
    );
    if let Some(code) = answer.code() {
        step.failure_modes = matched_modes(attempt, code);
        step.fixes = platform_fixes(code);
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
    let who = view.authenticator.as_ref().map_or_else(
        || answer.evidence.aaguid.to_string(),
        |a| {
            AuthenticatorName {
                aaguid: a.aaguid,
                name: a.name.clone(),
            }
            .label()
        },
    );
    let (status, finding) = match answer.code() {
        None => {
            let by = view
                .verdicts
                .iter()
                .find(|v| v.accepted)
                .map_or_else(|| "a profile".to_string(), |v| v.profile_name.clone());
            (Status::Passed, format!("{who} is accepted by {by}."))
        }
        Some(code) => {
            let reasons: Vec<String> = view
                .verdicts
                .iter()
                .flat_map(|v| v.denials.iter().map(|d| d.detail.clone()))
                .collect();
            let finding = if reasons.is_empty() {
                code.summary().to_string()
            } else {
                format!("{who} is refused: {}.", reasons.join("; "))
            };
            (Status::Failed, finding)
        }
    };
    let mut step = Step::new(
        Question::AuthenticatorAccepted,
        status,
        answer.code(),
        finding,
        StepEvidence::Acceptance(view.clone()),
    );
    if let Some(code) = answer.code() {
        step.fixes = acceptance_fixes(code, &view, profiles);
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
