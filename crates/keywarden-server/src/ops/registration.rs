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
use keywarden_domain::policy::evaluate::{
    Member, RegistrationPath, acceptance, applicable_profiles, eligibility, refusal_reasons,
};
use keywarden_domain::policy::{AttestationEnforcement, PasskeyProfile, PasskeyType};
use keywarden_domain::registration::{Answer, Evidence, Facts, Recency, RecencyInput, Status, recently_verified};
use keywarden_domain::{Code, Question};
use keywarden_store::{
    Attempt, AttemptClosed, ClientErrorRecord, CommitRefusal, NewAttempt, RegistrationCommit, RegistrationFailure,
    StoredPolicy,
};
use keywarden_webauthn::{Conveyance, PendingCeremony, RegistrationRequest, Rejection, VerifiedRegistration};
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
) -> Result<Answer<Recency>, ApiError> {
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

/// The details a registration's audit event starts with: the method and the attempt, then `extra`.
fn registration_details(
    attempt_id: AttemptId,
    extra: impl IntoIterator<Item = (DetailKey, String)>,
) -> Vec<(DetailKey, String)> {
    let mut details = vec![
        (DetailKey::Method, "Passkey".to_string()),
        (DetailKey::AttemptId, attempt_id.to_string()),
    ];
    details.extend(extra);
    details
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
    if let Some((question, code)) = evidence.first_failure() {
        attempt.status = Status::Failed;
        attempt.outcome = Some(code);
        let audit = event(
            ctx,
            actor,
            begin_activity(path),
            Err(code),
            vec![user_target(target)],
            registration_details(attempt_id, [(DetailKey::Question, question.number().to_string())]),
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
        registration_details(
            attempt_id,
            [(
                DetailKey::Attestation,
                public_key["attestation"].as_str().unwrap_or("none").to_string(),
            )],
        ),
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
        let reasons = refusal_reasons(&acceptance.evidence.verdicts);
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

/// Finishes a registration: verifies the response, answers question 3, question 1 again and question 4, then
/// commits the passkey with its audit event. Every refusal on the way closes the attempt with its evidence.
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
    let finishing = Finishing {
        state,
        ctx,
        actor,
        target,
        attempt: &attempt,
    };
    let catalog = state.catalog();
    let verified = finishing.verify_response(credential, &catalog).await?;
    let facts = &verified.facts;
    let mut evidence = attempt.evidence.clone();
    finishing.answer_question_3(&mut evidence, facts).await?;
    // Policy may have changed since begin: question 1 is answered again with today's policy.
    let policy = super::policy_at(state, policy_version).await?;
    let member = Member {
        user: target,
        groups: &groups,
    };
    finishing
        .answer_question_1_again(&mut evidence, facts, &policy, member)
        .await?;
    let profiles = applicable_profiles(&policy.policy.fido2, member);
    let admitted_by = finishing
        .answer_question_4(&mut evidence, facts, &profiles, &catalog)
        .await?;
    let passkey = finishing.new_passkey(&verified, display_name, admitted_by);
    finishing.commit(passkey, &verified, &evidence).await
}

/// A registration being finished: the request, and the open attempt each step answers for.
struct Finishing<'a> {
    state: &'a AppState,
    ctx: &'a RequestContext,
    actor: &'a Actor,
    target: &'a User,
    attempt: &'a Attempt,
}

impl Finishing<'_> {
    /// Verifies the browser's response against the attempt's ceremony (webauthn-rs-core and keywarden's
    /// attestation checks). A rejection that answers question 3 closes the attempt; a security-relevant one (a
    /// forged origin or RP ID, invalid attestation) is audited though it changes nothing else.
    async fn verify_response(&self, credential: &Value, catalog: &Catalog) -> Result<VerifiedRegistration, ApiError> {
        let pending = PendingCeremony(self.attempt.ceremony.clone().unwrap_or_default());
        let verifying = self
            .state
            .rp
            .finish_registration(credential, &pending, catalog, self.ctx.now);
        let rejection = match verifying {
            Ok(verified) => return Ok(verified),
            Err(rejection) => rejection,
        };
        if let Some(question) = rejection.code.question() {
            // The authenticator's answer shows the platform cannot host a passkey (no UV, a key type we
            // cannot use): that decides the attempt.
            let mut answer = Answer::fail(rejection.code, Default::default());
            answer.question = question;
            let mut evidence = self.attempt.evidence.clone();
            evidence.platform = Some(answer);
            return Err(self.refuse(&evidence, None, question, rejection.code).await?);
        }
        if is_security_event(rejection.code) {
            self.audit_rejection(&rejection).await?;
        }
        Err(ApiError::from(rejection).with_attempt(self.attempt.id))
    }

    /// Records a security-relevant rejection of the response as an audit event of its own.
    async fn audit_rejection(&self, rejection: &Rejection) -> Result<(), ApiError> {
        let audit = event(
            self.ctx,
            self.actor,
            finish_activity(self.attempt.on_behalf),
            Err(rejection.code),
            vec![user_target(self.target)],
            vec![
                (DetailKey::AttemptId, self.attempt.id.to_string()),
                (DetailKey::Detail, rejection.detail.clone()),
            ],
        );
        self.state.store.record_event(&audit).await?;
        Ok(())
    }

    /// Question 3 from the verified response: can the platform host a passkey?
    async fn answer_question_3(&self, evidence: &mut Evidence, facts: &Facts) -> Result<(), ApiError> {
        let q3 = answer_from_facts(facts);
        let code = q3.code();
        evidence.platform = Some(q3);
        match code {
            Some(code) => Err(self
                .refuse(evidence, Some(facts), Question::PlatformCanHost, code)
                .await?),
            None => Ok(()),
        }
    }

    /// Question 1 again, under the policy in force now. Its answer replaces begin's only when it refuses.
    async fn answer_question_1_again(
        &self,
        evidence: &mut Evidence,
        facts: &Facts,
        policy: &StoredPolicy,
        member: Member<'_>,
    ) -> Result<(), ApiError> {
        let path = if self.attempt.on_behalf {
            RegistrationPath::OnBehalf
        } else {
            RegistrationPath::SelfService
        };
        let q1 = eligibility(&policy.policy.fido2, member, path);
        let Some(code) = q1.code() else {
            return Ok(());
        };
        evidence.eligible = Some(q1);
        Err(self.refuse(evidence, Some(facts), Question::Eligible, code).await?)
    }

    /// Question 4: does a profile that applies accept the authenticator? Returns the profile that admits it. A
    /// refusal tells the user what each profile accepts.
    async fn answer_question_4(
        &self,
        evidence: &mut Evidence,
        facts: &Facts,
        profiles: &[&PasskeyProfile],
        catalog: &Catalog,
    ) -> Result<Option<String>, ApiError> {
        let q4 = acceptance(profiles, facts, catalog.entry(&facts.aaguid));
        let admitted_by = q4.evidence.admitted_by.clone();
        let code = q4.code();
        evidence.accepted = Some(q4);
        let Some(code) = code else {
            return Ok(admitted_by);
        };
        let mut refused = self
            .refuse(evidence, Some(facts), Question::AuthenticatorAccepted, code)
            .await?;
        if let Some(details) = refused.details.as_mut() {
            details.accepts = Some(what_profiles_accept(profiles, catalog));
        }
        Err(refused)
    }

    /// The passkey to store: the verified response's facts, named `display_name` (else its model), registered by
    /// the user or by the administrator acting for them.
    fn new_passkey(
        &self,
        verified: &VerifiedRegistration,
        display_name: Option<String>,
        admitted_by: Option<String>,
    ) -> Passkey {
        let facts = &verified.facts;
        Passkey {
            id: MethodId(uuid::Uuid::now_v7()),
            user_id: self.target.id,
            credential_id: verified.credential_id.clone(),
            display_name: display_name.unwrap_or_else(|| facts.model.clone().unwrap_or_else(|| "Passkey".into())),
            created_date_time: self.ctx.now,
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
            registered_by: match (self.attempt.on_behalf, self.actor) {
                (false, _) => Registrar::User,
                (true, other) => {
                    let initiator = other.initiator(None);
                    Registrar::Admin {
                        id: initiator.id(),
                        name: initiator.name(),
                    }
                }
            },
            attempt_id: self.attempt.id,
            last_used_date_time: None,
            backup_state_changed_date_time: None,
            counter_regressions: 0,
            facts: facts.clone(),
        }
    }

    /// Commits in one transaction: the challenge used, the passkey stored, the attempt closed, the audit event. A
    /// credential found already registered only now is refused like any other answer.
    async fn commit(
        &self,
        passkey: Passkey,
        verified: &VerifiedRegistration,
        evidence: &Evidence,
    ) -> Result<Passkey, ApiError> {
        let audit = self.success_event(&passkey);
        let commit = RegistrationCommit {
            attempt: self.attempt.id,
            now: self.ctx.now,
            passkey: &passkey,
            webauthn: &verified.stored.0,
            evidence,
            event: &audit,
        };
        match self.state.store.commit_registration(commit).await? {
            Ok(()) => Ok(passkey),
            Err(CommitRefusal::AttemptClosed) => Err(ApiError::code(Code::ChallengeUsed)),
            Err(CommitRefusal::CredentialAlreadyRegistered) => {
                let code = Code::CredentialAlreadyRegistered;
                let question = code.question().unwrap_or(Question::AuthenticatorAccepted);
                Err(self.refuse(evidence, Some(&verified.facts), question, code).await?)
            }
        }
    }

    /// The audit event of a registered passkey, in the attempt's correlation.
    fn success_event(&self, passkey: &Passkey) -> Event {
        let phrase = format!("Passkey ({})", passkey.passkey_type.label());
        let reason = if self.attempt.on_behalf {
            format!("Admin registered {phrase} for user")
        } else {
            format!("User registered {phrase}")
        };
        let mut audit = event(
            self.ctx,
            self.actor,
            finish_activity(self.attempt.on_behalf),
            Ok(&reason),
            vec![
                user_target(self.target).with_changes(vec![keywarden_domain::audit::ModifiedProperty {
                    display_name: "StrongAuthenticationMethod".into(),
                    old_value: None,
                    new_value: Some(phrase.clone()),
                }]),
            ],
            vec![
                (DetailKey::Method, phrase),
                (DetailKey::MethodId, passkey.id.to_string()),
                (DetailKey::AttemptId, self.attempt.id.to_string()),
                (DetailKey::Aaguid, passkey.aa_guid.to_string()),
                (DetailKey::Model, passkey.model.clone().unwrap_or_default()),
                (DetailKey::AttestationLevel, passkey.attestation_level.as_str().into()),
                (DetailKey::AdmittingProfile, passkey.admitting_profile.clone()),
            ],
        );
        audit.correlation_id = self.attempt.correlation_id;
        audit
    }

    /// Records the attempt as refused at `question` with `code`: closed with its evidence and the facts of the
    /// response, and one audit event, together. Returns the error to answer with; `Err` when recording failed.
    async fn refuse(
        &self,
        evidence: &Evidence,
        facts: Option<&Facts>,
        question: Question,
        code: Code,
    ) -> Result<ApiError, ApiError> {
        let mut details = registration_details(self.attempt.id, [(DetailKey::Question, question.number().to_string())]);
        if let Some(facts) = facts {
            details.push((DetailKey::Aaguid, facts.aaguid.to_string()));
            details.push((DetailKey::Model, facts.model.clone().unwrap_or_default()));
            details.push((DetailKey::AttestationFormat, facts.format.as_str().to_string()));
        }
        let audit = event(
            self.ctx,
            self.actor,
            finish_activity(self.attempt.on_behalf),
            Err(code),
            vec![user_target(self.target)],
            details,
        );
        let failure = RegistrationFailure {
            attempt: self.attempt.id,
            now: self.ctx.now,
            code,
            evidence,
            facts,
            event: &audit,
        };
        match self.state.store.fail_registration(failure).await? {
            Ok(()) => Ok(refusal(code, question, evidence).with_attempt(self.attempt.id)),
            Err(AttemptClosed) => Ok(ApiError::code(Code::ChallengeUsed)),
        }
    }
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
