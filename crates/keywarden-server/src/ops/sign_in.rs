//! Signing in: password then TOTP, a Temporary Access Pass, or a passkey. Each successful step creates a session
//! or raises the caller's, always under a new token (the old one stops working). Wrong passwords, codes and passes
//! count against a throttle keyed by the name typed, counted before the check, so that a name that does not exist
//! behaves exactly like one that does and a burst of guesses sent at once is checked no more than the limit allows.

use keywarden_domain::Code;
use keywarden_domain::access_pass::{UsabilityReason, usability};
use keywarden_domain::audit::{Activity, DetailKey, Initiator};
use keywarden_domain::directory::User;
use keywarden_domain::ids::MethodId;
use keywarden_domain::policy::evaluate::{Member, access_pass_scope, sign_in_check};
use keywarden_domain::session::{Authentication, Method, PassUse};
use keywarden_store::{
    Admission, AssertionUpdate, Session, SignInChallenge, SignInConflict, SignInStep, SignInSubject, ThrottleLimits,
    Totp,
};
use keywarden_webauthn::{PendingCeremony, StoredCredential, peek_assertion};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::Duration;
use totp_rs::{Algorithm, TOTP};

use super::{event_by, user_target};
use crate::api_error::ApiError;
use crate::auth::SESSION_PREFIX;
use crate::context::RequestContext;
use crate::secrets::{Unsealed, dummy_hash, new_token, random_bytes, token_hash, verify_secret_off_runtime};
use crate::state::AppState;
use crate::wire::ErrorDetails;

/// The result of a sign-in step.
pub struct SignedIn {
    pub session: Session,
    /// The session's token from now on, for the cookie: a new session's, or the new token of the session the step
    /// raised.
    pub token: String,
    pub user: User,
}

impl SignedIn {
    pub fn status(&self) -> &'static str {
        if self.session.authentication.mfa_pending {
            "mfaRequired"
        } else {
            "signedIn"
        }
    }
}

fn throttle(state: &AppState) -> ThrottleLimits {
    let t = state.config.throttle;
    ThrottleLimits {
        max_failures: t.max_failures,
        window: Duration::minutes(i64::from(t.window_minutes)),
        lock: Duration::minutes(i64::from(t.lock_minutes)),
    }
}

/// The throttle key of a sign-in name: the SHA-256 of the name as typed, trimmed and lower-cased. The same for a
/// name that exists and one that does not, and never the name itself (an attacker chooses it).
pub fn throttle_subject(name: &str) -> String {
    let digest = Sha256::digest(name.trim().to_lowercase().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn anonymous(ctx: &RequestContext) -> Initiator {
    Initiator::Anonymous {
        ip_address: ctx.ip.clone(),
    }
}

fn user_initiator(ctx: &RequestContext, user: &User) -> Initiator {
    Initiator::User {
        id: user.id.to_string(),
        user_principal_name: user.user_principal_name.clone(),
        display_name: user.display_name.clone(),
        ip_address: ctx.ip.clone(),
    }
}

fn locked(method: &str, until: time::OffsetDateTime, now: time::OffsetDateTime) -> ApiError {
    let minutes = (until - now).whole_minutes() + 1;
    ApiError::new(
        Code::TooManyAttempts,
        format!("too many wrong attempts: {method} sign-in is locked for this name for {minutes} more minute(s)"),
    )
}

/// Counts the attempt before it is checked; refuses it while the name and method are locked (or once more attempts
/// than the limit arrive in one window), whether the name exists or not.
async fn admit(state: &AppState, ctx: &RequestContext, subject: &str, method: &str) -> Result<(), ApiError> {
    match state
        .store
        .admit_sign_in_attempt(subject, method, ctx.now, throttle(state))
        .await?
    {
        Admission::Admitted => Ok(()),
        Admission::Locked(until) => Err(locked(method, until, ctx.now)),
    }
}

/// Records a wrong password, code or pass (already counted), audits it, and answers `invalid_credentials` (or
/// `too_many_attempts` when the name and method are locked now).
async fn wrong_code(
    state: &AppState,
    ctx: &RequestContext,
    subject: &str,
    user: Option<&User>,
    method: &str,
) -> ApiError {
    let audit = event_by(
        ctx,
        anonymous(ctx),
        Activity::UserSignedIn,
        Err(Code::InvalidCredentials),
        user.map(user_target).into_iter().collect(),
        vec![(DetailKey::Method, method.into())],
    );
    match state
        .store
        .record_sign_in_failure(subject, method, ctx.now, throttle(state), &audit)
        .await
    {
        Ok(Some(until)) => locked(method, until, ctx.now),
        Ok(None) => ApiError::code(Code::InvalidCredentials),
        Err(e) => e.into(),
    }
}

/// Audits a refused sign-in that changes nothing else.
async fn refused(
    state: &AppState,
    ctx: &RequestContext,
    user: Option<&User>,
    method: &str,
    error: ApiError,
) -> ApiError {
    let targets = user.map(user_target).into_iter().collect();
    let audit = event_by(
        ctx,
        anonymous(ctx),
        Activity::UserSignedIn,
        Err(error.code),
        targets,
        vec![(DetailKey::Method, method.into())],
    );
    if let Err(e) = state.store.record_event(&audit).await {
        return e.into();
    }
    error
}

/// Writes the step: a new session, or the caller's session of the same user raised, under a new token and CSRF
/// token either way.
async fn commit(
    state: &AppState,
    ctx: &RequestContext,
    user: User,
    existing: Option<Session>,
    step: Step<'_>,
) -> Result<SignedIn, ApiError> {
    let lifetime = Duration::minutes(i64::from(state.config.session_lifetime_minutes));
    let (mut session, creates_session) = match existing.filter(|s| s.user_id == user.id) {
        Some(session) => (session, false),
        None => (
            Session {
                id: uuid::Uuid::now_v7(),
                user_id: user.id,
                created_at: ctx.now,
                expires_at: ctx.now + lifetime,
                authentication: Authentication::default(),
                csrf_token: String::new(),
                ip: ctx.ip.clone(),
                user_agent: ctx.user_agent.clone(),
            },
            true,
        ),
    };
    let token = new_token(SESSION_PREFIX);
    session.csrf_token = base64_token();
    session.authentication.record(step.method, ctx.now, step.method_id);
    session.authentication.mfa_pending = step.mfa_pending;
    if let Some((pass, expires_at)) = &step.access_pass {
        // A session opened with a pass lives no longer than the pass (entra-model.md 2.4).
        session.expires_at = session.expires_at.min(*expires_at);
        session.authentication.access_pass = Some(pass.clone());
    }
    let mut details = vec![(DetailKey::Method, step.method.as_str().to_string())];
    details.extend(step.details.iter().cloned());
    let audit = event_by(
        ctx,
        user_initiator(ctx, &user),
        Activity::UserSignedIn,
        Ok(if step.mfa_pending {
            "Password accepted; second factor required"
        } else {
            "User signed in"
        }),
        vec![user_target(&user)],
        details,
    );
    let hash = token_hash(&token);
    let written = state
        .store
        .record_sign_in(SignInStep {
            session: &session,
            token_hash: &hash,
            creates_session,
            throttle: (&step.subject, step.method.as_str()),
            password: step.password.as_ref().map(|(id, hash)| (*id, hash.as_str())),
            totp_step: step.totp_step,
            access_pass: step
                .access_pass
                .as_ref()
                .map(|(pass, _)| (pass.method_id, pass.is_usable_once)),
            passkey: step.passkey,
            challenge: step.challenge.map(|challenge| (challenge, ctx.now)),
            event: &audit,
        })
        .await?;
    match written {
        Ok(()) => Ok(SignedIn { session, token, user }),
        // Another finish of the same ceremony won, or was refused, meanwhile.
        Err(SignInConflict::ChallengeUsed) => Err(ApiError::code(Code::ChallengeUsed)),
        // A replayed code counts as a wrong one.
        Err(SignInConflict::CodeReplayed) => {
            Err(wrong_code(state, ctx, &step.subject, Some(&user), step.method.as_str()).await)
        }
        Err(SignInConflict::AccessPassUsed) => Err(refused(
            state,
            ctx,
            Some(&user),
            step.method.as_str(),
            ApiError::new(
                Code::AccessPassAlreadyUsed,
                "the Temporary Access Pass was used by another sign-in (a one-time pass signs in once), or was \
                 revoked or replaced meanwhile",
            )
            .with_details(ErrorDetails {
                method_usability_reason: Some(UsabilityReason::OneTimeUsed),
                ..ErrorDetails::default()
            }),
        )
        .await),
        Err(SignInConflict::PasswordChanged) => {
            Err(wrong_code(state, ctx, &step.subject, Some(&user), step.method.as_str()).await)
        }
        Err(SignInConflict::PasskeyGone) => Err(refused(
            state,
            ctx,
            Some(&user),
            step.method.as_str(),
            ApiError::code(Code::UnknownCredential),
        )
        .await),
        Err(SignInConflict::SessionEnded) => Err(ApiError::new(
            Code::Unauthenticated,
            "the session ended (signed out or revoked) while this step ran; sign in again",
        )),
    }
}

struct Step<'a> {
    method: Method,
    /// The method object used (the pass, passkey or authenticator app), recorded on the session.
    method_id: Option<MethodId>,
    /// The throttle key of the sign-in name (see [`throttle_subject`]), cleared by the success.
    subject: String,
    mfa_pending: bool,
    /// For a password step: the user and the hash that was checked.
    password: Option<(keywarden_domain::ids::UserId, String)>,
    totp_step: Option<(MethodId, i64)>,
    passkey: Option<&'a AssertionUpdate>,
    /// The sign-in challenge a passkey step answers, used up with the step.
    challenge: Option<SignInChallenge>,
    /// The pass the step signed in with, and when the pass expires.
    access_pass: Option<(PassUse, time::OffsetDateTime)>,
    details: Vec<(DetailKey, String)>,
}

impl Step<'_> {
    fn new(method: Method, subject: String) -> Step<'static> {
        Step {
            method,
            method_id: None,
            subject,
            mfa_pending: false,
            password: None,
            totp_step: None,
            passkey: None,
            challenge: None,
            access_pass: None,
            details: vec![],
        }
    }
}

fn base64_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<24>())
}

async fn user_by_name(state: &AppState, username: &str) -> Result<Option<User>, ApiError> {
    Ok(state.store.user_by_upn(username).await?)
}

/// Password, the first factor. When the user has a TOTP method the session waits for it (`mfaRequired`).
pub async fn password(
    state: &AppState,
    ctx: &RequestContext,
    username: &str,
    password: &str,
    existing: Option<Session>,
) -> Result<SignedIn, ApiError> {
    let subject = throttle_subject(username);
    admit(state, ctx, &subject, "password").await?;
    let user = user_by_name(state, username).await?;
    let hash = match &user {
        Some(user) => state.store.password_hash(user.id).await?,
        None => None,
    };
    // A name that does not exist, or a user without a password, is checked against a dummy hash: the same work.
    let matches = verify_secret_off_runtime(password, hash.as_deref().unwrap_or(dummy_hash())).await;
    let (Some(user), Some(hash), true) = (user.as_ref(), hash, matches) else {
        return Err(wrong_code(state, ctx, &subject, user.as_ref(), "password").await);
    };
    if !user.account_enabled {
        return Err(refused(
            state,
            ctx,
            Some(user),
            "password",
            ApiError::code(Code::AccountDisabled),
        )
        .await);
    }
    let has_totp = state.store.totp_of(user.id).await?.is_some();
    let mut step = Step::new(Method::Password, subject);
    step.mfa_pending = has_totp;
    step.password = Some((user.id, hash));
    commit(state, ctx, user.clone(), existing, step).await
}

fn totp_of(secret: &[u8]) -> Result<TOTP, ApiError> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret.to_vec())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored TOTP secret: {e:?}")))
}

/// The time step whose code is `code`, within one step of now either way.
fn matching_step(totp: &Totp, code: &str, now: time::OffsetDateTime) -> Result<Option<i64>, ApiError> {
    let generator = totp_of(&totp.secret)?;
    let t = now.unix_timestamp();
    for offset in [-30, 0, 30] {
        let at = u64::try_from(t + offset).unwrap_or(0);
        if generator.generate(at).as_bytes() == code.trim().as_bytes() {
            return Ok(Some(i64::try_from(at / 30).unwrap_or(i64::MAX)));
        }
    }
    Ok(None)
}

/// A TOTP code: completes a password sign-in, or re-verifies a signed-in user in place.
pub async fn totp(
    state: &AppState,
    ctx: &RequestContext,
    session: Session,
    user: User,
    code: &str,
) -> Result<SignedIn, ApiError> {
    let subject = throttle_subject(&user.user_principal_name);
    let Some(totp) = state.store.totp_of(user.id).await? else {
        return Err(ApiError::invalid("this user has no authenticator app (TOTP) method"));
    };
    admit(state, ctx, &subject, "softwareOath").await?;
    let Some(time_step) = matching_step(&totp, code, ctx.now)? else {
        return Err(wrong_code(state, ctx, &subject, Some(&user), "softwareOath").await);
    };
    let mut step = Step::new(Method::Totp, subject);
    step.method_id = Some(totp.id);
    step.totp_step = Some((totp.id, time_step));
    commit(state, ctx, user, Some(session), step).await
}

/// A Temporary Access Pass: strong authentication on its own. A one-time pass is consumed by this sign-in.
pub async fn access_pass(
    state: &AppState,
    ctx: &RequestContext,
    username: &str,
    code: &str,
    existing: Option<Session>,
) -> Result<SignedIn, ApiError> {
    let subject = throttle_subject(username);
    admit(state, ctx, &subject, "temporaryAccessPass").await?;
    let user = user_by_name(state, username).await?;
    let stored = match &user {
        Some(user) => state.store.access_pass_of(user.id).await?,
        None => None,
    };
    // A name that does not exist, or a user without a pass, is checked against a dummy hash: the same work.
    let code_hash = stored.as_ref().map_or(dummy_hash(), |s| s.code_hash.as_str());
    let matches = verify_secret_off_runtime(code.trim(), code_hash).await;
    let (Some(user), Some(stored), true) = (user.as_ref(), stored, matches) else {
        return Err(wrong_code(state, ctx, &subject, user.as_ref(), "temporaryAccessPass").await);
    };
    let (policy, groups) = super::policy_and_groups(state, user).await?;
    let in_scope = access_pass_scope(&policy.policy.temporary_access_pass, Member { user, groups: &groups });
    let (usable, reason) = usability(&stored.pass, &policy.policy.temporary_access_pass, in_scope, ctx.now);
    if !usable {
        let (code, message) = match reason {
            UsabilityReason::OneTimeUsed => (
                Code::AccessPassAlreadyUsed,
                "this one-time Temporary Access Pass has already signed in once".to_string(),
            ),
            UsabilityReason::DisabledByPolicy => (
                Code::AccessPassNotUsable,
                "Temporary Access Pass sign in was blocked due to User Credential Policy".to_string(),
            ),
            other => (
                Code::AccessPassNotUsable,
                format!("the Temporary Access Pass is not usable now ({})", other.as_str()),
            ),
        };
        let error = ApiError::new(code, message).with_details(ErrorDetails {
            method_usability_reason: Some(reason),
            ..ErrorDetails::default()
        });
        return Err(refused(state, ctx, Some(user), "temporaryAccessPass", error).await);
    }
    if !user.account_enabled {
        return Err(refused(
            state,
            ctx,
            Some(user),
            "temporaryAccessPass",
            ApiError::code(Code::AccountDisabled),
        )
        .await);
    }
    let pass_use = PassUse {
        method_id: stored.pass.id,
        is_usable_once: stored.pass.is_usable_once,
        signed_in_at: ctx.now,
    };
    let mut step = Step::new(Method::TemporaryAccessPass, subject);
    step.method_id = Some(stored.pass.id);
    step.access_pass = Some((pass_use, stored.pass.expires_at()));
    step.details = vec![
        (DetailKey::IsUsableOnce, stored.pass.is_usable_once.to_string()),
        (DetailKey::MethodId, stored.pass.id.to_string()),
    ];
    commit(state, ctx, user.clone(), existing, step).await
}

/// Starts a passkey sign-in. The browser offers the user's discoverable passkeys (every keywarden passkey is
/// one), so no user name is taken: a name would let anyone list a user's credential ids. A signed-in caller
/// (verifying again) is offered their own passkeys only. Returns the pending ceremony sealed (the `challengeId` the
/// finish hands back) and the request options. Nothing is stored: beginning a sign-in, which anybody may, writes
/// nothing.
pub async fn passkey_begin(
    state: &AppState,
    ctx: &RequestContext,
    signed_in: Option<&User>,
) -> Result<(String, Value), ApiError> {
    let allow = match signed_in {
        Some(user) => state
            .store
            .passkey_records_of(user.id)
            .await?
            .into_iter()
            .map(|r| StoredCredential(r.webauthn))
            .collect(),
        None => vec![],
    };
    let (options, pending) = state.rp.begin_sign_in(&allow).map_err(ApiError::internal)?;
    let sealed = state.sealing_keys()?.seal(&Unsealed {
        id: uuid::Uuid::now_v7(),
        expires_at: ctx.now + Duration::minutes(5),
        ceremony: pending.0,
    });
    Ok((sealed, options))
}

/// Finishes a passkey sign-in (`sealed`: the `challengeId` its begin returned): verifies the assertion and re-checks
/// today's policy for the passkey.
pub async fn passkey_finish(
    state: &AppState,
    ctx: &RequestContext,
    sealed: &str,
    credential: &Value,
    existing: Option<Session>,
) -> Result<SignedIn, ApiError> {
    let (credential_id, user_handle) = peek_assertion(credential)?;
    let Some(unsealed) = state.sealing_keys()?.open(sealed) else {
        return Err(ApiError::new(
            Code::ChallengeUnknown,
            "challengeId is not one keywarden issued",
        ));
    };
    if unsealed.expires_at <= ctx.now {
        return Err(ApiError::code(Code::ChallengeExpired));
    }
    let challenge = SignInChallenge {
        id: unsealed.id,
        expires_at: unsealed.expires_at,
    };
    // Whether the challenge was used, and the passkey, its user, their groups and the policy version, in one read.
    // The challenge is used up with the sign-in it allows, or by the refusal.
    let (used, subject) = state.store.passkey_sign_in_reads(challenge.id, &credential_id).await?;
    if used {
        return Err(ApiError::code(Code::ChallengeUsed));
    }
    let pending = PendingCeremony(unsealed.ceremony);
    let subject = subject.filter(|s| user_handle.as_deref().is_none_or(|h| h == s.user.id.0.as_bytes()));
    match verify_passkey(state, ctx, challenge, credential, pending, subject, existing).await {
        Ok(signed_in) => Ok(signed_in),
        Err(error) => Err(use_up(state, ctx, challenge, error).await),
    }
}

/// Uses up a sign-in challenge whose finish was refused (a refused ceremony cannot be tried again), and returns
/// the refusal.
async fn use_up(state: &AppState, ctx: &RequestContext, challenge: SignInChallenge, error: ApiError) -> ApiError {
    if let Err(e) = state.store.use_up_sign_in_challenge(challenge, ctx.now).await {
        return e.into();
    }
    error
}

/// Verifies the assertion against the passkey presented, re-checks today's policy for it, and records the sign-in.
async fn verify_passkey(
    state: &AppState,
    ctx: &RequestContext,
    challenge: SignInChallenge,
    credential: &Value,
    pending: PendingCeremony,
    subject: Option<SignInSubject>,
    existing: Option<Session>,
) -> Result<SignedIn, ApiError> {
    let Some(SignInSubject {
        record,
        user,
        groups,
        policy_version,
    }) = subject
    else {
        return Err(refused(state, ctx, None, "fido2", ApiError::code(Code::UnknownCredential)).await);
    };
    let verified = match state
        .rp
        .finish_sign_in(credential, &pending, &StoredCredential(record.webauthn.clone()))
    {
        Ok(verified) => verified,
        Err(rejection) if rejection.code == Code::SignCountRegressed => {
            let audit = event_by(
                ctx,
                user_initiator(ctx, &user),
                Activity::UserSignedIn,
                Err(Code::SignCountRegressed),
                vec![user_target(&user)],
                vec![
                    (DetailKey::Method, "fido2".into()),
                    (DetailKey::MethodId, record.passkey.id.to_string()),
                ],
            );
            state.store.record_counter_regression(record.passkey.id, &audit).await?;
            return Err(rejection.into());
        }
        Err(rejection) => return Err(refused(state, ctx, Some(&user), "fido2", rejection.into()).await),
    };
    if !user.account_enabled {
        return Err(refused(state, ctx, Some(&user), "fido2", ApiError::code(Code::AccountDisabled)).await);
    }
    let policy = super::policy_at(state, policy_version).await?;
    let member = Member {
        user: &user,
        groups: &groups,
    };
    if let Err(refusal) = sign_in_check(
        &policy.policy.fido2,
        member,
        record.passkey.aa_guid,
        record.passkey.passkey_type,
        state.catalog().entry(&record.passkey.aa_guid),
    ) {
        let error = ApiError::code(refusal.code).with_details(ErrorDetails {
            verdicts: Some(crate::wire::to_value(&refusal.verdicts)),
            ..ErrorDetails::default()
        });
        return Err(refused(state, ctx, Some(&user), "fido2", error).await);
    }
    let backup_state_changed = verified.backup_state != record.passkey.backup_state;
    let update = AssertionUpdate {
        method_id: record.passkey.id,
        sign_count: verified.sign_count,
        backup_state: verified.backup_state,
        backup_state_changed,
        webauthn: verified.stored.0.clone(),
        used_at: ctx.now,
    };
    let mut details = vec![
        (DetailKey::MethodId, record.passkey.id.to_string()),
        (DetailKey::SignCount, verified.sign_count.to_string()),
    ];
    if backup_state_changed {
        details.push((
            DetailKey::BackupStateChanged,
            format!("{} -> {}", record.passkey.backup_state, verified.backup_state),
        ));
    }
    let mut step = Step::new(Method::Passkey, throttle_subject(&user.user_principal_name));
    step.method_id = Some(record.passkey.id);
    step.passkey = Some(&update);
    step.challenge = Some(challenge);
    step.details = details;
    commit(state, ctx, user, existing, step).await
}

/// Ends a session.
pub async fn sign_out(state: &AppState, ctx: &RequestContext, session: &Session, user: &User) -> Result<(), ApiError> {
    let audit = event_by(
        ctx,
        user_initiator(ctx, user),
        Activity::UserSignedOut,
        Ok("User signed out"),
        vec![user_target(user)],
        vec![],
    );
    state.store.delete_session(session.id, &audit).await?;
    Ok(())
}

/// Ends every session of `target` (Graph's `revokeSignInSessions`): by the user themselves, or by an
/// administrator whose roles allow it on this user. Returns how many sessions ended.
pub async fn revoke_sessions(
    state: &AppState,
    ctx: &RequestContext,
    actor: &crate::auth::Actor,
    target: &User,
) -> Result<u64, ApiError> {
    let by_themselves = actor.user().is_some_and(|u| u.id == target.id);
    if !by_themselves {
        actor.require_on(keywarden_domain::access::Action::RevokeSessions, target)?;
    }
    let audit = super::event(
        ctx,
        actor,
        Activity::InvalidateAllRefreshTokens,
        Ok(if by_themselves {
            "User ended all their sign-in sessions"
        } else {
            "Sign-in sessions revoked"
        }),
        vec![user_target(target)],
        vec![],
    );
    Ok(state
        .store
        .end_sessions(target.id, keywarden_domain::session::Ending::All, &audit)
        .await?)
}

/// A new TOTP method: the secret is returned once, as base32, as an otpauth URI and as that URI's QR code.
pub struct Enrolled {
    pub id: MethodId,
    pub secret_base32: String,
    pub uri: String,
    /// The QR code of `uri`, for an authenticator app's camera.
    pub qr_code: qrcode::QrCode,
}

impl Enrolled {
    /// The QR code as an SVG document (black on white, with the quiet zone scanners need).
    pub fn qr_svg(&self) -> String {
        self.qr_code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build()
    }

    /// The QR code drawn with Unicode half blocks, for a terminal.
    pub fn qr_text(&self) -> String {
        self.qr_code
            .render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build()
    }
}

/// Sets up an authenticator app (TOTP) for `user`, replacing any previous one.
pub async fn enroll_totp(
    state: &AppState,
    ctx: &RequestContext,
    initiator: Initiator,
    user: &User,
    activity: Activity,
) -> Result<Enrolled, ApiError> {
    let secret = crate::secrets::new_totp_secret();
    let generator = totp_of(&secret)?;
    let secret_base32 = generator.get_secret_base32();
    let issuer = state.config.rp_name.replace(':', "");
    let uri = format!(
        "otpauth://totp/{issuer}:{}?secret={secret_base32}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        user.user_principal_name
    );
    // Made before anything is stored, so that a URI too long for a QR code changes nothing.
    let qr_code = qrcode::QrCode::new(uri.as_bytes()).map_err(ApiError::internal)?;
    let totp = Totp {
        id: MethodId(uuid::Uuid::now_v7()),
        user_id: user.id,
        secret,
        display_name: "Authenticator app".into(),
        created_at: ctx.now,
        last_used_step: 0,
    };
    let audit = event_by(
        ctx,
        initiator,
        activity,
        Ok("Authenticator app (TOTP) registered"),
        vec![user_target(user)],
        vec![
            (DetailKey::Method, "softwareOath".into()),
            (DetailKey::MethodId, totp.id.to_string()),
        ],
    );
    state.store.replace_totp(&totp, &audit).await?;
    Ok(Enrolled {
        id: totp.id,
        secret_base32,
        uri,
        qr_code,
    })
}

/// The current code of a TOTP secret (for tests and the demo).
pub fn totp_code(secret_base32: &str, at: time::OffsetDateTime) -> Option<String> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    let generator = TOTP::new(Algorithm::SHA1, 6, 1, 30, secret).ok()?;
    Some(generator.generate(u64::try_from(at.unix_timestamp()).ok()?))
}

/// A stored TOTP secret as an authenticator app takes it (base32, RFC 4648).
pub fn totp_secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::Raw(secret.to_vec()).to_encoded().to_string()
}
