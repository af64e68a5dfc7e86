//! The registration ceremony and the four questions: begin answers 1 and 2 and hands out creation options;
//! the browser may report a failure (question 3's evidence); finish verifies the response and answers 3 and 4,
//! then commits the passkey, the attempt's outcome and the audit event together. (A one-time pass was consumed when
//! it signed in; the session it opened keeps its registration window, in which a failed ceremony can be retried.)

use keywarden_domain::access::Action;
use keywarden_domain::audit::{Activity, DetailKey, Event};
use keywarden_domain::directory::User;
use keywarden_domain::ids::{AttemptId, MethodId};
use keywarden_domain::metadata::Catalog;
use keywarden_domain::passkey::{Passkey, Registrar};
use keywarden_domain::platform::{CeremonyPath, ClientReport, answer_client_error, answer_from_facts};
use keywarden_domain::policy::evaluate::{Member, RegistrationPath, acceptance, applicable_profiles, eligibility};
use keywarden_domain::policy::{AttestationEnforcement, PasskeyProfile, PasskeyType};
use keywarden_domain::registration::{Evidence, Facts, RecencyInput, Status, recently_verified};
use keywarden_domain::{Code, Question};
use keywarden_store::{
    Attempt, AttemptClosed, ClientErrorRecord, CommitRefusal, NewAttempt, RegistrationCommit, RegistrationFailure,
    StoredPolicy,
};
use keywarden_webauthn::{Conveyance, PendingCeremony, RegistrationRequest};
use serde_json::Value;
use time::Duration;

use super::{event, user_target};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::context::RequestContext;
use crate::state::AppState;
use crate::wire::{AaguidModel, ErrorDetails, KeyRestrictionsView, ProfileAccepts, to_value};

/// How long a registration challenge lives (Graph's fixed 5 minutes).
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);

/// What begin hands out.
pub struct Begun {
    pub attempt_id: AttemptId,
    pub public_key: Value,
    pub expires_at: time::OffsetDateTime,
}

fn path_of(actor: &Actor, target: &User) -> RegistrationPath {
    match actor.user() {
        Some(user) if user.id == target.id => RegistrationPath::SelfService,
        _ => RegistrationPath::OnBehalf,
    }
}

/// Attestation conveyance: `direct` when a profile that applies needs the authenticator's identity (attestation
/// or key restrictions), since browsers zero a security key's AAGUID under `none`.
fn conveyance(profiles: &[&PasskeyProfile]) -> Conveyance {
    if profiles.iter().any(|p| {
        p.attestation_enforcement == AttestationEnforcement::RegistrationOnly || p.key_restrictions.is_enforced
    }) {
        Conveyance::Direct
    } else {
        Conveyance::None
    }
}

/// The target of a registration as question 2 sees it: the user, their groups and the methods they hold.
struct Target<'a> {
    user: &'a User,
    groups: &'a std::collections::BTreeSet<keywarden_domain::ids::GroupId>,
    held: keywarden_domain::verification::Held<'a>,
}

/// Question 2 for whoever acts: the user themselves, or the administrator acting for them.
async fn answer_recency(
    state: &AppState,
    actor: &Actor,
    target: Target<'_>,
    policy: &StoredPolicy,
    now: time::OffsetDateTime,
) -> Result<keywarden_domain::registration::Answer<keywarden_domain::registration::Recency>, ApiError> {
    let window = super::registration_window(state, policy);
    let (party, usable) = match actor {
        Actor::User { user, .. } if user.id == target.user.id => {
            let member = Member {
                user,
                groups: target.groups,
            };
            (
                user.user_principal_name.clone(),
                super::strong_methods_of(state, policy, member, target.held),
            )
        }
        Actor::User { user, .. } => {
            let admin_groups = super::groups_of(state, user).await?;
            (
                user.user_principal_name.clone(),
                super::usable_strong_methods(state, policy, user, &admin_groups).await?,
            )
        }
        Actor::App { token } => (token.name.clone(), Default::default()),
        Actor::LocalOperator { os_user } => (format!("keywarden CLI ({os_user})"), Default::default()),
    };
    let input = RecencyInput {
        verified_party: &party,
        authentication: actor.session().map(|s| &s.authentication),
        window,
        usable_methods: usable,
    };
    Ok(recently_verified(&input, now))
}

fn begin_activity(path: RegistrationPath) -> Activity {
    match path {
        RegistrationPath::SelfService => Activity::UserStartedSecurityInfoRegistration,
        RegistrationPath::OnBehalf => Activity::GetPasskeyCreationOptions,
    }
}

fn finish_activity(on_behalf: bool) -> Activity {
    if on_behalf {
        Activity::AdminRegisteredSecurityInfo
    } else {
        Activity::UserRegisteredSecurityInfo
    }
}

/// Begins a registration for `target`: answers questions 1 and 2, records the attempt either way, and returns
/// creation options when both pass.
pub async fn begin(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    target: &User,
    path_choice: Option<CeremonyPath>,
) -> Result<Begun, ApiError> {
    let path = path_of(actor, target);
    if path == RegistrationPath::OnBehalf {
        actor.require_on(Action::ManageMethods, target)?;
    }
    // What questions 1 and 2 and the creation options need about the target, in one read.
    let subject = state.store.registration_subject(target.id).await?;
    let policy = super::policy_at(state, subject.policy_version).await?;
    let groups = subject.groups;
    let member = Member {
        user: target,
        groups: &groups,
    };
    let mut evidence = Evidence::default();
    let q1 = eligibility(&policy.policy.fido2, member, path);
    let q1_failure = q1.code();
    evidence.eligible = Some(q1);
    // Question 2 looks at the user's passkeys, and the creation options exclude them.
    let passkeys = if q1_failure.is_none() {
        let kinds: Vec<_> = subject.passkeys.iter().map(|p| (p.aa_guid, p.passkey_type)).collect();
        let of_target = Target {
            user: target,
            groups: &groups,
            held: keywarden_domain::verification::Held {
                has_password: subject.has_password,
                has_totp: subject.totp.is_some(),
                passkeys: &kinds,
                access_pass: subject.access_pass.as_ref().map(|stored| &stored.pass),
            },
        };
        evidence.recently_verified = Some(answer_recency(state, actor, of_target, &policy, ctx.now).await?);
        subject.passkeys
    } else {
        Vec::new()
    };
    let attempt_id = AttemptId(uuid::Uuid::now_v7());
    let mut attempt = NewAttempt {
        id: attempt_id,
        user_id: target.id,
        initiator: actor.initiator(ctx.ip.clone()),
        on_behalf: path == RegistrationPath::OnBehalf,
        started_at: ctx.now,
        correlation_id: ctx.correlation_id,
        policy_version: policy.version,
        session_id: actor.session().map(|s| s.id),
        ceremony: None,
        challenge_expires_at: None,
        status: Status::Open,
        outcome: None,
        evidence: evidence.clone(),
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent.clone(),
    };
    let details = |extra: Vec<(DetailKey, String)>| {
        let mut d = vec![
            (DetailKey::Method, "Passkey".to_string()),
            (DetailKey::AttemptId, attempt_id.to_string()),
        ];
        d.extend(extra);
        d
    };
    if let Some((question, code)) = evidence.first_failure() {
        attempt.status = Status::Failed;
        attempt.outcome = Some(code);
        let audit = event(
            ctx,
            actor,
            begin_activity(path),
            Err(code),
            vec![user_target(target)],
            details(vec![(DetailKey::Question, question.number().to_string())]),
        );
        state.store.insert_attempt(&attempt, &audit).await?;
        return Err(refusal(code, question, &evidence).with_attempt(attempt_id));
    }
    let profiles = applicable_profiles(&policy.policy.fido2, member);
    let exclude = passkeys.into_iter().map(|p| p.credential_id).collect();
    let request = RegistrationRequest {
        user_handle: target.id.0.as_bytes().to_vec(),
        user_name: target.user_principal_name.clone(),
        display_name: target.display_name.clone(),
        exclude_credentials: exclude,
        attestation: conveyance(&profiles),
        timeout: std::time::Duration::from_secs(CHALLENGE_LIFETIME.whole_seconds().unsigned_abs()),
        path: path_choice,
    };
    let (public_key, pending) = state.rp.begin_registration(&request).map_err(ApiError::internal)?;
    let expires_at = ctx.now + CHALLENGE_LIFETIME;
    attempt.ceremony = Some(pending.0);
    attempt.challenge_expires_at = Some(expires_at);
    let audit = event(
        ctx,
        actor,
        begin_activity(path),
        Ok("Passkey creation options issued"),
        vec![user_target(target)],
        details(vec![(
            DetailKey::Attestation,
            public_key["attestation"].as_str().unwrap_or("none").to_string(),
        )]),
    );
    state.store.insert_attempt(&attempt, &audit).await?;
    Ok(Begun {
        attempt_id,
        public_key,
        expires_at,
    })
}

/// The error for a failed question, with the evidence a client can show.
fn refusal(code: Code, question: Question, evidence: &Evidence) -> ApiError {
    let mut details = ErrorDetails::default();
    match question {
        Question::Eligible => details.eligibility = evidence.eligible.as_ref().map(|a| to_value(&a.evidence)),
        Question::RecentlyVerified => {
            details.verification = evidence.recently_verified.as_ref().map(|a| to_value(&a.evidence));
        }
        Question::PlatformCanHost => details.platform = evidence.platform.as_ref().map(|a| to_value(&a.evidence)),
        Question::AuthenticatorAccepted => {
            details.acceptance = evidence.accepted.as_ref().map(|a| to_value(&a.evidence));
        }
    }
    let mut message = code.summary().to_string();
    if let Some(acceptance) = evidence.accepted.as_ref().filter(|a| !a.passed()) {
        let reasons: Vec<String> = acceptance
            .evidence
            .verdicts
            .iter()
            .flat_map(|v| v.denials.iter().map(|d| d.detail.clone()))
            .collect();
        if !reasons.is_empty() {
            message = format!("{message} ({})", reasons.join("; "));
        }
    }
    ApiError::new(code, message)
        .with_question(question)
        .with_details(details)
}

/// Finds the open attempt a finish or client report names, checking that it belongs to this caller.
async fn open_attempt(state: &AppState, actor: &Actor, target: &User, id: AttemptId) -> Result<Attempt, ApiError> {
    open_attempt_given(actor, target, id, state.store.attempt(id).await?)
}

/// [`open_attempt`], given the attempt as read by the caller.
fn open_attempt_given(actor: &Actor, target: &User, id: AttemptId, read: Option<Attempt>) -> Result<Attempt, ApiError> {
    let attempt = read.filter(|a| {
        a.user_id == target.id
            && match actor {
                Actor::User { session, .. } if !a.on_behalf => a.session_id == Some(session.id),
                other => a.initiator.id() == other.initiator(None).id(),
            }
    });
    let Some(attempt) = attempt else {
        return Err(ApiError::new(
            Code::ChallengeUnknown,
            format!("no registration attempt {id} is open for this user"),
        ));
    };
    if attempt.status != Status::Open || attempt.challenge_used_at.is_some() {
        return Err(ApiError::code(Code::ChallengeUsed));
    }
    Ok(attempt)
}

/// Security-relevant refusals of a response are audited even though they change nothing else.
fn is_security_event(code: Code) -> bool {
    matches!(
        code,
        Code::OriginMismatch | Code::RpIdMismatch | Code::AttestationInvalid | Code::CredentialIdMismatch
    )
}

/// An attempt refused after its ceremony: what is recorded with the refusal.
struct Refused<'a> {
    attempt: &'a Attempt,
    evidence: &'a Evidence,
    facts: Option<&'a Facts>,
}

/// Records a refusal after the ceremony and returns the error for it.
async fn fail(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    target: &User,
    refused: Refused<'_>,
    (question, code): (Question, Code),
) -> Result<ApiError, ApiError> {
    let Refused {
        attempt,
        evidence,
        facts,
    } = refused;
    let mut details = vec![
        (DetailKey::Method, "Passkey".to_string()),
        (DetailKey::AttemptId, attempt.id.to_string()),
        (DetailKey::Question, question.number().to_string()),
    ];
    if let Some(facts) = facts {
        details.push((DetailKey::Aaguid, facts.aaguid.to_string()));
        details.push((DetailKey::Model, facts.model.clone().unwrap_or_default()));
        details.push((DetailKey::AttestationFormat, facts.format.as_str().to_string()));
    }
    let audit = event(
        ctx,
        actor,
        finish_activity(attempt.on_behalf),
        Err(code),
        vec![user_target(target)],
        details,
    );
    let failure = RegistrationFailure {
        attempt: attempt.id,
        now: ctx.now,
        code,
        evidence,
        facts,
        event: &audit,
    };
    match state.store.fail_registration(failure).await? {
        Ok(()) => Ok(refusal(code, question, evidence).with_attempt(attempt.id)),
        Err(AttemptClosed) => Ok(ApiError::code(Code::ChallengeUsed)),
    }
}

/// What each profile that applies to the user accepts, sent with a question-4 refusal so that the user is told
/// what would work: passkey types, whether attestation is enforced, and the models a key restriction lists (named
/// from the FIDO metadata where it knows them).
fn what_profiles_accept(profiles: &[&PasskeyProfile], catalog: &Catalog) -> Vec<ProfileAccepts> {
    profiles
        .iter()
        .map(|profile| {
            let restrictions = &profile.key_restrictions;
            ProfileAccepts {
                id: profile.id.clone(),
                name: profile.name.clone(),
                passkey_types: [PasskeyType::DeviceBound, PasskeyType::Synced]
                    .into_iter()
                    .filter(|t| profile.passkey_types.allows(*t))
                    .map(PasskeyType::as_str)
                    .collect(),
                attestation_required: profile.attestation_enforcement == AttestationEnforcement::RegistrationOnly,
                key_restrictions: KeyRestrictionsView {
                    is_enforced: restrictions.is_enforced,
                    enforcement_type: to_value(&restrictions.enforcement_type),
                    authenticator_groups: to_value(&restrictions.authenticator_groups),
                    aa_guids: restrictions
                        .aa_guids
                        .iter()
                        .map(|aaguid| AaguidModel {
                            aa_guid: aaguid.to_string(),
                            model: catalog.name(aaguid).map(str::to_string),
                        })
                        .collect(),
                },
            }
        })
        .collect()
}

/// A passkey's display name: trimmed, 1 to 64 characters, no control characters.
pub fn valid_display_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("displayName must have 1 to 64 printable characters"));
    }
    Ok(name.to_string())
}

/// Finishes a registration: verifies the response, answers questions 3 and 4, commits.
pub async fn finish(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    target: &User,
    attempt_id: AttemptId,
    display_name: Option<&str>,
    credential: &Value,
) -> Result<Passkey, ApiError> {
    // The attempt, and what question 1 is answered again with, in one read.
    let (read, groups, policy_version) = state.store.registration_finish_subject(attempt_id, target.id).await?;
    let attempt = open_attempt_given(actor, target, attempt_id, read)?;
    if attempt.challenge_expires_at.is_none_or(|e| e <= ctx.now) {
        return Err(ApiError::code(Code::ChallengeExpired).with_attempt(attempt.id));
    }
    let display_name = display_name.map(valid_display_name).transpose()?;
    let pending = PendingCeremony(attempt.ceremony.clone().unwrap_or_default());
    let catalog = state.catalog();
    let verified = match state.rp.finish_registration(credential, &pending, &catalog, ctx.now) {
        Ok(verified) => verified,
        Err(rejection) => {
            let mut evidence = attempt.evidence.clone();
            if let Some(question) = rejection.code.question() {
                // The authenticator's answer shows the platform cannot host a passkey (no UV, a key type we
                // cannot use): that decides the attempt.
                let mut answer = keywarden_domain::registration::Answer::fail(rejection.code, Default::default());
                answer.question = question;
                evidence.platform = Some(answer);
                return Err(fail(
                    state,
                    ctx,
                    actor,
                    target,
                    Refused {
                        attempt: &attempt,
                        evidence: &evidence,
                        facts: None,
                    },
                    (question, rejection.code),
                )
                .await?);
            }
            if is_security_event(rejection.code) {
                let audit = event(
                    ctx,
                    actor,
                    finish_activity(attempt.on_behalf),
                    Err(rejection.code),
                    vec![user_target(target)],
                    vec![
                        (DetailKey::AttemptId, attempt.id.to_string()),
                        (DetailKey::Detail, rejection.detail.clone()),
                    ],
                );
                state.store.record_event(&audit).await?;
            }
            return Err(ApiError::from(rejection).with_attempt(attempt.id));
        }
    };
    let facts = verified.facts.clone();
    let mut evidence = attempt.evidence.clone();
    let q3 = answer_from_facts(&facts);
    let q3_code = q3.code();
    evidence.platform = Some(q3);
    if let Some(code) = q3_code {
        return Err(fail(
            state,
            ctx,
            actor,
            target,
            Refused {
                attempt: &attempt,
                evidence: &evidence,
                facts: Some(&facts),
            },
            (Question::PlatformCanHost, code),
        )
        .await?);
    }
    // Policy may have changed since begin: question 1 is answered again with today's policy.
    let policy = super::policy_at(state, policy_version).await?;
    let member = Member {
        user: target,
        groups: &groups,
    };
    let path = if attempt.on_behalf {
        RegistrationPath::OnBehalf
    } else {
        RegistrationPath::SelfService
    };
    let q1 = eligibility(&policy.policy.fido2, member, path);
    if let Some(code) = q1.code() {
        evidence.eligible = Some(q1);
        return Err(fail(
            state,
            ctx,
            actor,
            target,
            Refused {
                attempt: &attempt,
                evidence: &evidence,
                facts: Some(&facts),
            },
            (Question::Eligible, code),
        )
        .await?);
    }
    let profiles = applicable_profiles(&policy.policy.fido2, member);
    let q4 = acceptance(&profiles, &facts, catalog.entry(&facts.aaguid));
    let admitted_by = q4.evidence.admitted_by.clone();
    let q4_code = q4.code();
    evidence.accepted = Some(q4);
    if let Some(code) = q4_code {
        let mut refused = fail(
            state,
            ctx,
            actor,
            target,
            Refused {
                attempt: &attempt,
                evidence: &evidence,
                facts: Some(&facts),
            },
            (Question::AuthenticatorAccepted, code),
        )
        .await?;
        if let Some(details) = refused.details.as_mut() {
            details.accepts = Some(what_profiles_accept(&profiles, &catalog));
        }
        return Err(refused);
    }
    let passkey = Passkey {
        id: MethodId(uuid::Uuid::now_v7()),
        user_id: target.id,
        credential_id: verified.credential_id.clone(),
        display_name: display_name.unwrap_or_else(|| facts.model.clone().unwrap_or_else(|| "Passkey".into())),
        created_date_time: ctx.now,
        aa_guid: facts.aaguid,
        model: facts.model.clone(),
        attestation_level: facts.attestation_level(),
        attestation_certificates: facts.certificate_thumbprints.clone(),
        passkey_type: facts.passkey_type(),
        sign_count: facts.sign_count,
        backup_eligible: facts.flags.backup_eligible,
        backup_state: facts.flags.backup_state,
        transports: facts.transports.clone(),
        admitting_profile: admitted_by.unwrap_or_default(),
        registered_by: match (attempt.on_behalf, actor) {
            (false, _) => Registrar::User,
            (true, other) => {
                let initiator = other.initiator(None);
                Registrar::Admin {
                    id: initiator.id(),
                    name: initiator.name(),
                }
            }
        },
        attempt_id: attempt.id,
        last_used_date_time: None,
        backup_state_changed_date_time: None,
        counter_regressions: 0,
        facts: facts.clone(),
    };
    let audit = success_event(ctx, actor, target, &attempt, &passkey);
    let commit = RegistrationCommit {
        attempt: attempt.id,
        now: ctx.now,
        passkey: &passkey,
        webauthn: &verified.stored.0,
        evidence: &evidence,
        event: &audit,
    };
    match state.store.commit_registration(commit).await? {
        Ok(()) => Ok(passkey),
        Err(CommitRefusal::AttemptClosed) => Err(ApiError::code(Code::ChallengeUsed)),
        Err(CommitRefusal::CredentialAlreadyRegistered) => {
            let code = Code::CredentialAlreadyRegistered;
            let question = code.question().unwrap_or(Question::AuthenticatorAccepted);
            Err(fail(
                state,
                ctx,
                actor,
                target,
                Refused {
                    attempt: &attempt,
                    evidence: &evidence,
                    facts: Some(&facts),
                },
                (question, code),
            )
            .await?)
        }
    }
}

fn success_event(ctx: &RequestContext, actor: &Actor, target: &User, attempt: &Attempt, passkey: &Passkey) -> Event {
    let phrase = format!("Passkey ({})", passkey.passkey_type.label());
    let reason = if attempt.on_behalf {
        format!("Admin registered {phrase} for user")
    } else {
        format!("User registered {phrase}")
    };
    let mut audit = event(
        ctx,
        actor,
        finish_activity(attempt.on_behalf),
        Ok(&reason),
        vec![
            user_target(target).with_changes(vec![keywarden_domain::audit::ModifiedProperty {
                display_name: "StrongAuthenticationMethod".into(),
                old_value: None,
                new_value: Some(phrase.clone()),
            }]),
        ],
        vec![
            (DetailKey::Method, phrase),
            (DetailKey::MethodId, passkey.id.to_string()),
            (DetailKey::AttemptId, attempt.id.to_string()),
            (DetailKey::Aaguid, passkey.aa_guid.to_string()),
            (DetailKey::Model, passkey.model.clone().unwrap_or_default()),
            (DetailKey::AttestationLevel, passkey.attestation_level.as_str().into()),
            (DetailKey::AdmittingProfile, passkey.admitting_profile.clone()),
        ],
    );
    audit.correlation_id = attempt.correlation_id;
    audit
}

/// What the server tells the browser after it reports a failed ceremony.
pub struct ClientVerdict {
    pub code: Code,
    pub message: String,
}

/// Records a ceremony the browser reports as failed: the evidence for question 3.
pub async fn client_error(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    target: &User,
    attempt_id: AttemptId,
    report: ClientReport,
) -> Result<ClientVerdict, ApiError> {
    let attempt = open_attempt(state, actor, target, attempt_id).await?;
    let mut evidence = attempt.evidence.clone();
    let answer = answer_client_error(report.clone());
    let code = answer.code().unwrap_or(Code::AuthenticatorError);
    evidence.platform = Some(answer);
    let activity = if keywarden_domain::platform::is_cancellation(code) {
        Activity::UserCanceledSecurityInfoRegistration
    } else {
        finish_activity(attempt.on_behalf)
    };
    let mut audit = event(
        ctx,
        actor,
        activity,
        Err(code),
        vec![user_target(target)],
        vec![
            (DetailKey::AttemptId, attempt.id.to_string()),
            (DetailKey::Question, "3".into()),
            (
                DetailKey::DomException,
                format!(
                    "{}: {}",
                    report.name,
                    report.message.chars().take(300).collect::<String>()
                ),
            ),
        ],
    );
    audit.correlation_id = attempt.correlation_id;
    let record = ClientErrorRecord {
        attempt: attempt.id,
        now: ctx.now,
        code,
        report: &report,
        evidence: &evidence,
        event: &audit,
    };
    match state.store.record_client_error(record).await? {
        Ok(()) => Ok(ClientVerdict {
            code,
            message: code.summary().to_string(),
        }),
        Err(AttemptClosed) => Err(ApiError::code(Code::ChallengeUsed)),
    }
}
