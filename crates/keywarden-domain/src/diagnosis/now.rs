//! The "now" walk: can this user register a passkey now, and with what? Questions 1 and 2 are answered from
//! today's policy, groups and methods; questions 3 and 4 from the user's last attempts that reached them.

use time::OffsetDateTime;

use super::fixes::access_pass_fix;
use super::input::{AttemptRecord, Directory, Methods, PolicyInForce};
use super::steps::{acceptance_step, eligibility_step, member_of, profiles_for, recorded_platform_step, walk};
use super::view::{AccessPassView, Diagnosis, Status, Step, StepEvidence, Subject, VerificationView, method_list};
use crate::codes::{Code, Question};
use crate::instant::rfc3339;
use crate::metadata::Catalog;
use crate::policy::evaluate::{RegistrationPath, acceptance, applicable_profiles, eligibility};
use crate::verification::{Held, usable_strong_methods};

/// Can this user register a passkey now, and with what? Question 1 from today's policy and groups, question 2
/// from the methods the user could verify with, question 3 from the last attempt that reached the platform (and
/// the knowledge base), question 4 from the last authenticator the user tried, against today's profiles.
/// `attempts` are the user's attempts, newest first.
pub fn diagnose_now(
    directory: &Directory<'_>,
    policy: &PolicyInForce<'_>,
    methods: &Methods<'_>,
    attempts: &[AttemptRecord],
    catalog: &Catalog,
    now: OffsetDateTime,
) -> Diagnosis {
    let member = directory.member();
    let upn = &directory.user.user_principal_name;
    let q1 = eligibility(&policy.policy.fido2, member, RegistrationPath::SelfService);
    let eligible = eligibility_step(directory, policy.policy, &q1, Some(member_of(directory)));
    let verified = verification_now(directory, policy, methods, attempts, catalog, now);

    let last_platform = attempts.iter().find(|a| a.evidence.platform.is_some());
    let platform = match last_platform {
        Some(attempt) => {
            let mut step = recorded_platform_step(attempt, attempt.evidence.platform.as_ref().expect("filtered on it"));
            step.finding = format!(
                "From the last ceremony (attempt {} at {}): {}",
                attempt.id,
                rfc3339(attempt.started_at),
                step.finding
            );
            step
        }
        None => Step::new(
            Question::PlatformCanHost,
            Status::Unknown,
            None,
            "No ceremony has been recorded yet: the platform's answer comes with the user's first attempt.".into(),
            StepEvidence::None,
        ),
    };

    let profiles = profiles_for(policy.policy, member, catalog);
    let applicable = applicable_profiles(&policy.policy.fido2, member);
    let accepted = match attempts.iter().find(|a| a.facts.is_some()) {
        Some(attempt) => {
            let facts = attempt.facts.as_ref().expect("filtered on it");
            let answer = acceptance(&applicable, facts, catalog.entry(&facts.aaguid));
            let mut step = acceptance_step(Some(attempt), &answer, Some(facts), &profiles, catalog);
            step.finding = format!(
                "The authenticator last tried (attempt {}): {}",
                attempt.id, step.finding
            );
            step
        }
        None => Step::new(
            Question::AuthenticatorAccepted,
            Status::Unknown,
            None,
            "Depends on the authenticator the user chooses: see what the profiles that apply accept.".into(),
            StepEvidence::None,
        ),
    };

    let (questions, first_failure) = walk(vec![eligible, verified, platform, accepted]);
    let summary = match first_failure {
        Some(f) => format!(
            "{upn} cannot register a passkey now: question {} fails ({}).",
            f.question.number(),
            f.code
        ),
        None => {
            let with: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
            format!(
                "{upn} can register a passkey now, with an authenticator that {} accepts.",
                if with.is_empty() {
                    "a profile".to_string()
                } else {
                    with.join(" or ")
                }
            )
        }
    };
    Diagnosis {
        user: directory.user.into(),
        subject: Subject::Now { at: now },
        policy_version: policy.version,
        summary,
        first_failure,
        questions,
        profiles: if q1.passed() { profiles } else { vec![] },
        today: None,
        notes: vec![],
    }
}

fn verification_now(
    directory: &Directory<'_>,
    policy: &PolicyInForce<'_>,
    methods: &Methods<'_>,
    attempts: &[AttemptRecord],
    catalog: &Catalog,
    now: OffsetDateTime,
) -> Step {
    let member = directory.member();
    let tap = &policy.policy.temporary_access_pass;
    let passkeys: Vec<_> = methods.passkeys.iter().map(|p| (p.aa_guid, p.passkey_type)).collect();
    let held = Held {
        has_password: methods.has_password,
        has_totp: methods.totp,
        passkeys: &passkeys,
        access_pass: methods.access_pass,
    };
    // The same rule registration's question 2 asks.
    let decided = usable_strong_methods(policy.policy, member, held, catalog, now);
    let usable = decided.methods;
    let usable_passkeys = decided.usable_passkeys;
    let access_pass = methods
        .access_pass
        .zip(decided.access_pass)
        .map(|(pass, state)| AccessPassView {
            is_usable: state.usable,
            method_usability_reason: state.reason,
            is_usable_once: pass.is_usable_once,
            start_date_time: pass.start_date_time,
            expires_date_time: pass.expires_at(),
            in_policy_scope: state.in_scope,
            method_state: tap.state,
        });
    let last = attempts
        .iter()
        .filter_map(|a| a.evidence.recently_verified.as_ref())
        .find(|r| r.evidence.last_strong_authentication.is_some());
    let view = VerificationView {
        window_minutes: policy.window.whole_minutes(),
        verified_party: None,
        last_strong_authentication: last.and_then(|r| r.evidence.last_strong_authentication),
        last_strong_method: last.and_then(|r| r.evidence.last_strong_method),
        verified_until: None,
        via_one_time_access_pass: false,
        usable_methods: usable.clone(),
        authenticator_app: Some(methods.totp),
        passkeys: Some((methods.passkeys.len(), usable_passkeys)),
        access_pass: access_pass.clone(),
    };
    let upn = &directory.user.user_principal_name;
    let once = crate::access_pass::ONE_TIME_REGISTRATION_WINDOW.whole_minutes();
    if usable.is_empty() {
        let pass = match &access_pass {
            Some(p) => format!(
                "its Temporary Access Pass is not usable ({})",
                p.method_usability_reason.as_str()
            ),
            None => "no Temporary Access Pass".to_string(),
        };
        let finding = format!(
            "{upn} has no usable strong authentication method: {}, {} usable passkey, {pass}.",
            if methods.totp && methods.has_password {
                "an authenticator app"
            } else {
                "no authenticator app"
            },
            if usable_passkeys == 0 { "no" } else { "a" },
        );
        let mut step = Step::new(
            Question::RecentlyVerified,
            Status::Failed,
            Some(Code::NoUsableMfaMethod),
            finding,
            StepEvidence::Verification(view.clone()),
        );
        step.fixes = vec![access_pass_fix(upn, view.access_pass.as_ref())];
        return step;
    }
    let window = view.window_minutes;
    let finding = if window > once {
        format!(
            "{upn} can verify with {}, then has {window} minutes to register ({once} after a one-time pass).",
            method_list(&usable, " or ")
        )
    } else {
        format!(
            "{upn} can verify with {}, then has {window} minutes to register.",
            method_list(&usable, " or ")
        )
    };
    Step::new(
        Question::RecentlyVerified,
        Status::Passed,
        None,
        finding,
        StepEvidence::Verification(view),
    )
}
