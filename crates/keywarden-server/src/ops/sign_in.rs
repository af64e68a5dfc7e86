//! Signing in: password then TOTP, a Temporary Access Pass, or a passkey (with or without a user name). Each
//! successful step creates or extends a session; wrong codes count against a per-user, per-method throttle.

use keywarden_domain::Code;
use keywarden_domain::access_pass::usability;
use keywarden_domain::audit::{Activity, Initiator};
use keywarden_domain::directory::User;
use keywarden_domain::ids::MethodId;
use keywarden_domain::policy::evaluate::{Member, access_pass_scope, sign_in_check};
use keywarden_domain::session::{Authentication, Method, PassUse};
use keywarden_store::{AssertionUpdate, Session, SignInChallenge, SignInStep, SignInSubject, ThrottleLimits, Totp};
use keywarden_webauthn::{PendingCeremony, StoredCredential, peek_assertion};
use serde_json::{Value, json};
use time::Duration;
use totp_rs::{Algorithm, TOTP};

use super::{event_by, user_target};
use crate::api_error::ApiError;
use crate::auth::SESSION_PREFIX;
use crate::context::RequestContext;
use crate::secrets::{
    Unsealed, dummy_hash, new_token, open_ceremony, random_bytes, seal_ceremony, token_hash, verify_secret_off_runtime,
};
use crate::state::AppState;

/// The result of a sign-in step.
pub struct SignedIn {
    pub session: Session,
    /// The token of a new session, for the cookie; `None` when an existing session was extended.
    pub token: Option<String>,
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

async fn refuse_if_locked(state: &AppState, ctx: &RequestContext, user: &User, method: &str) -> Result<(), ApiError> {
    if let Some(until) = state.store.locked_until(user.id, method, ctx.now).await? {
        let minutes = (until - ctx.now).whole_minutes() + 1;
        return Err(ApiError::new(
            Code::TooManyAttempts,
            format!("too many wrong attempts: {method} sign-in is locked for this user for {minutes} more minute(s)"),
        ));
    }
    Ok(())
}

/// Counts a wrong code, audits it, and answers `invalid_credentials` (or `too_many_attempts` when it locked).
async fn wrong_code(state: &AppState, ctx: &RequestContext, user: &User, method: &str) -> ApiError {
    let audit = event_by(
        ctx,
        anonymous(ctx),
        Activity::UserSignedIn,
        Err(Code::InvalidCredentials),
        vec![user_target(user)],
        vec![("method", method.into())],
    );
    match state
        .store
        .record_sign_in_failure(user.id, method, ctx.now, throttle(state), &audit)
        .await
    {
        Ok(Some(_)) => ApiError::new(
            Code::TooManyAttempts,
            format!("too many wrong attempts: {method} sign-in is now locked for this user"),
        ),
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
        vec![("method", method.into())],
    );
    if let Err(e) = state.store.record_event(&audit).await {
        return e.into();
    }
    error
}

/// Writes the step: a new session, or the existing one of the same user extended.
async fn commit(
    state: &AppState,
    ctx: &RequestContext,
    user: User,
    existing: Option<Session>,
    step: Step<'_>,
) -> Result<SignedIn, ApiError> {
    let lifetime = Duration::minutes(i64::from(state.config.session_lifetime_minutes));
    let (mut session, token) = match existing.filter(|s| s.user_id == user.id) {
        Some(session) => (session, None),
        None => {
            let token = new_token(SESSION_PREFIX);
            let session = Session {
                id: uuid::Uuid::now_v7(),
                user_id: user.id,
                created_at: ctx.now,
                expires_at: ctx.now + lifetime,
                authentication: Authentication::default(),
                csrf_token: base64_token(),
                ip: ctx.ip.clone(),
                user_agent: ctx.user_agent.clone(),
            };
            (session, Some(token))
        }
    };
    session.authentication.record(step.method, ctx.now);
    session.authentication.mfa_pending = step.mfa_pending;
    if let Some(pass) = step.access_pass {
        session.expires_at = session.expires_at.min(pass.1);
        session.authentication.access_pass = Some(pass.0);
    }
    let mut details = vec![("method", step.method.as_str().to_string())];
    details.extend(step.details.iter().map(|(k, v)| (*k, v.clone())));
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
    let hash = token.as_deref().map(token_hash);
    let written = state
        .store
        .record_sign_in(SignInStep {
            session: &session,
            new_token_hash: hash.as_deref(),
            method: step.method.as_str(),
            totp_step: step.totp_step,
            passkey: step.passkey,
            challenge: step.challenge.map(|challenge| (challenge, ctx.now)),
            event: &audit,
        })
        .await?;
    if !written {
        if step.challenge.is_some() {
            // Another finish of the same ceremony won, or was refused, meanwhile.
            return Err(ApiError::code(Code::ChallengeUsed));
        }
        return Err(wrong_code(state, ctx, &user, step.method.as_str()).await);
    }
    Ok(SignedIn { session, token, user })
}

struct Step<'a> {
    method: Method,
    mfa_pending: bool,
    totp_step: Option<(MethodId, i64)>,
    passkey: Option<&'a AssertionUpdate>,
    /// The sign-in challenge a passkey step answers, used up with the step.
    challenge: Option<SignInChallenge>,
    access_pass: Option<(PassUse, time::OffsetDateTime)>,
    details: Vec<(&'static str, String)>,
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
    let Some(user) = user_by_name(state, username).await? else {
        verify_secret_off_runtime(password, dummy_hash()).await;
        return Err(refused(state, ctx, None, "password", ApiError::code(Code::InvalidCredentials)).await);
    };
    refuse_if_locked(state, ctx, &user, "password").await?;
    let hash = state.store.password_hash(user.id).await?;
    if !verify_secret_off_runtime(password, hash.as_deref().unwrap_or(dummy_hash())).await || hash.is_none() {
        return Err(wrong_code(state, ctx, &user, "password").await);
    }
    if !user.account_enabled {
        return Err(refused(
            state,
            ctx,
            Some(&user),
            "password",
            ApiError::code(Code::AccountDisabled),
        )
        .await);
    }
    let has_totp = state.store.totp_of(user.id).await?.is_some();
    let step = Step {
        method: Method::Password,
        mfa_pending: has_totp,
        totp_step: None,
        passkey: None,
        challenge: None,
        access_pass: None,
        details: vec![],
    };
    commit(state, ctx, user, existing, step).await
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
    refuse_if_locked(state, ctx, &user, "softwareOath").await?;
    let Some(totp) = state.store.totp_of(user.id).await? else {
        return Err(ApiError::invalid("this user has no authenticator app (TOTP) method"));
    };
    let Some(time_step) = matching_step(&totp, code, ctx.now)? else {
        return Err(wrong_code(state, ctx, &user, "softwareOath").await);
    };
    let step = Step {
        method: Method::Totp,
        mfa_pending: false,
        totp_step: Some((totp.id, time_step)),
        passkey: None,
        challenge: None,
        access_pass: None,
        details: vec![],
    };
    commit(state, ctx, user, Some(session), step).await
}

/// A Temporary Access Pass: strong authentication on its own.
pub async fn access_pass(
    state: &AppState,
    ctx: &RequestContext,
    username: &str,
    code: &str,
    existing: Option<Session>,
) -> Result<SignedIn, ApiError> {
    let Some(user) = user_by_name(state, username).await? else {
        verify_secret_off_runtime(code, dummy_hash()).await;
        return Err(refused(
            state,
            ctx,
            None,
            "temporaryAccessPass",
            ApiError::code(Code::InvalidCredentials),
        )
        .await);
    };
    refuse_if_locked(state, ctx, &user, "temporaryAccessPass").await?;
    let Some(stored) = state.store.access_pass_of(user.id).await? else {
        verify_secret_off_runtime(code, dummy_hash()).await;
        return Err(wrong_code(state, ctx, &user, "temporaryAccessPass").await);
    };
    if !verify_secret_off_runtime(code.trim(), &stored.code_hash).await {
        return Err(wrong_code(state, ctx, &user, "temporaryAccessPass").await);
    }
    let (policy, groups) = super::policy_and_groups(state, &user).await?;
    let in_scope = access_pass_scope(
        &policy.policy.temporary_access_pass,
        Member {
            user: &user,
            groups: &groups,
        },
    );
    let (usable, reason) = usability(&stored.pass, &policy.policy.temporary_access_pass, in_scope, ctx.now);
    if !usable {
        let message = match reason.as_str() {
            "DisabledByPolicy" => "Temporary Access Pass sign in was blocked due to User Credential Policy".to_string(),
            other => format!("the Temporary Access Pass is not usable now ({other})"),
        };
        let error = ApiError::new(Code::AccessPassNotUsable, message)
            .with_details(json!({ "methodUsabilityReason": reason.as_str() }));
        return Err(refused(state, ctx, Some(&user), "temporaryAccessPass", error).await);
    }
    if !user.account_enabled {
        return Err(refused(
            state,
            ctx,
            Some(&user),
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
    let step = Step {
        method: Method::TemporaryAccessPass,
        mfa_pending: false,
        totp_step: None,
        passkey: None,
        challenge: None,
        access_pass: Some((pass_use, stored.pass.expires_at())),
        details: vec![
            ("isUsableOnce", stored.pass.is_usable_once.to_string()),
            ("methodId", stored.pass.id.to_string()),
        ],
    };
    commit(state, ctx, user, existing, step).await
}

/// Starts a passkey sign-in. Without a user name the browser offers the user's discoverable passkeys. Returns the
/// pending ceremony sealed (the `challengeId` the finish hands back) and the request options. Nothing is stored:
/// beginning a sign-in, which anybody may, writes nothing.
pub async fn passkey_begin(
    state: &AppState,
    ctx: &RequestContext,
    username: Option<&str>,
) -> Result<(String, Value), ApiError> {
    let allow = match username.map(str::trim).filter(|u| !u.is_empty()) {
        Some(name) => match user_by_name(state, name).await? {
            Some(user) => state
                .store
                .passkey_records_of(user.id)
                .await?
                .into_iter()
                .map(|r| StoredCredential(r.webauthn))
                .collect(),
            // An unknown name gets the same answer as a user without passkeys, so names cannot be probed.
            None => vec![],
        },
        None => vec![],
    };
    let (options, pending) = state.rp.begin_sign_in(&allow).map_err(ApiError::internal)?;
    let sealed = seal_ceremony(
        state.sign_in_key().await?,
        &Unsealed {
            id: uuid::Uuid::now_v7(),
            expires_at: ctx.now + Duration::minutes(5),
            ceremony: pending.0,
        },
    );
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
    let Some(unsealed) = open_ceremony(state.sign_in_key().await?, sealed) else {
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
                vec![("method", "fido2".into()), ("methodId", record.passkey.id.to_string())],
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
        let error = ApiError::code(refusal.code).with_details(json!({ "verdicts": refusal.verdicts }));
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
        ("methodId", record.passkey.id.to_string()),
        ("signCount", verified.sign_count.to_string()),
    ];
    if backup_state_changed {
        details.push((
            "backupStateChanged",
            format!("{} -> {}", record.passkey.backup_state, verified.backup_state),
        ));
    }
    let step = Step {
        method: Method::Passkey,
        mfa_pending: false,
        totp_step: None,
        passkey: Some(&update),
        challenge: Some(challenge),
        access_pass: None,
        details,
    };
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
        vec![("method", "softwareOath".into()), ("methodId", totp.id.to_string())],
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
