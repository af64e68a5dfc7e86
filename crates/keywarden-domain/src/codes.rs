//! Every stable code keywarden reports, in one table: API errors, denials of the four questions, audit reasons.
//!
//! A code never changes spelling once released; `docs/codes.md` is generated from this table and a test keeps
//! the two in step. The HTTP status that goes with each code is decided in the server, in one `match`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The playbook's four questions, in the order the decision tree walks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Question {
    /// 1. Is the user allowed to register a passkey at all?
    Eligible = 1,
    /// 2. Did the user prove who they are recently enough (MFA, a Temporary Access Pass or a passkey)?
    RecentlyVerified = 2,
    /// 3. Can the platform (device, browser, authenticator) host the credential the user is creating?
    PlatformCanHost = 3,
    /// 4. Does a passkey profile that applies to the user accept this authenticator?
    AuthenticatorAccepted = 4,
}

impl Question {
    pub const ALL: [Question; 4] = [
        Question::Eligible,
        Question::RecentlyVerified,
        Question::PlatformCanHost,
        Question::AuthenticatorAccepted,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn title(self) -> &'static str {
        match self {
            Question::Eligible => "Is the user enabled for passkeys in the authentication methods policy?",
            Question::RecentlyVerified => {
                "Has the user satisfied strong authentication within the registration window?"
            }
            Question::PlatformCanHost => "Can the local platform host the credential type the user is creating?",
            Question::AuthenticatorAccepted => {
                "Does a passkey profile that applies to the user accept this authenticator?"
            }
        }
    }
}

impl From<Question> for u8 {
    fn from(q: Question) -> u8 {
        q.number()
    }
}

impl TryFrom<u8> for Question {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Question::ALL
            .into_iter()
            .find(|q| q.number() == n)
            .ok_or_else(|| format!("there is no question {n}"))
    }
}

macro_rules! codes {
    ($( $variant:ident => $code:literal, $question:expr, $summary:literal, $fix:literal; )+) => {
        /// A stable, documented reason for an outcome. See the module documentation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(into = "&'static str", try_from = "String")]
        pub enum Code { $( $variant, )+ }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )+ ];

            /// The code's stable snake_case spelling.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )+ }
            }

            /// The question this code answers "no" to, when it is a denial of one of the four questions.
            pub fn question(self) -> Option<Question> {
                match self { $( Code::$variant => $question, )+ }
            }

            /// What the code means, in one sentence a help-desk agent can read to a user.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )+ }
            }

            /// What fixes it, in the playbook's terms.
            pub fn fix(self) -> &'static str {
                match self { $( Code::$variant => $fix, )+ }
            }
        }
    };
}

const Q1: Option<Question> = Some(Question::Eligible);
const Q2: Option<Question> = Some(Question::RecentlyVerified);
const Q3: Option<Question> = Some(Question::PlatformCanHost);
const Q4: Option<Question> = Some(Question::AuthenticatorAccepted);
const NONE: Option<Question> = None;

codes! {
    // Question 1: eligible?
    PasskeyMethodDisabled => "passkey_method_disabled", Q1,
        "The passkey (FIDO2) method is disabled in the authentication methods policy.",
        "An Authentication Policy Administrator sets the Fido2 configuration's state to enabled.";
    AccountDisabled => "account_disabled", Q1,
        "The user's account is disabled.",
        "Enable the account (accountEnabled = true) before the user registers or signs in.";
    GuestUserNotSupported => "guest_user_not_supported", Q1,
        "Guest users cannot register passkeys.",
        "Register the passkey in the guest's home organisation, or make the account a member.";
    UserExcluded => "user_excluded", Q1,
        "The user is in a group excluded from the passkey policy; exclusion wins over every include target.",
        "Remove the user from the excluded group, or remove that group from excludeTargets.";
    UserNotInPolicyScope => "user_not_in_policy_scope", Q1,
        "No include target of the passkey policy covers the user.",
        "Update policy targeting: add the user to an included group, or include all_users.";
    SelfServiceRegistrationDisabled => "self_service_registration_disabled", Q1,
        "Self-service passkey registration is turned off (isSelfServiceRegistrationAllowed = false).",
        "Turn on self-service set up, or have an Authentication Administrator register the passkey on the user's behalf.";

    // Question 2: recently verified?
    ReauthenticationRequired => "reauthentication_required", Q2,
        "The user's last strong authentication is older than the registration window.",
        "Sign in again with a second factor (TOTP), an existing passkey or a Temporary Access Pass, then retry within the window.";
    NoUsableMfaMethod => "no_usable_mfa_method", Q2,
        "The user has no usable strong authentication method, so they cannot prove who they are.",
        "Issue a Temporary Access Pass (one-time, 1 to 4 hours) and have the user sign in with it.";

    // Question 3: can the platform host it?
    CeremonyNotAllowed => "ceremony_not_allowed", Q3,
        "The browser ended the ceremony with NotAllowedError: the user cancelled, it timed out, or no authenticator answered.",
        "Retry and complete the prompt; if no prompt appears, switch platform path (security key, phone, this device).";
    CeremonyAborted => "ceremony_aborted", Q3,
        "The ceremony was aborted before it completed.",
        "Retry without leaving the page.";
    PlatformNotSupported => "platform_not_supported", Q3,
        "The platform cannot create the requested credential (NotSupportedError or ConstraintError).",
        "Switch platform path: a security key, a phone or another device that supports passkeys with user verification.";
    BrowserSecurityError => "browser_security_error", Q3,
        "The browser refused the request for this site (SecurityError): the page's origin does not match the relying party.",
        "Open the page at one of the configured origins; an administrator checks rp_id and origins.";
    AuthenticatorError => "authenticator_error", Q3,
        "The authenticator or platform reported an error it did not explain.",
        "Retry; if it persists, switch platform path and report the browser and device to the help desk.";
    U2fOnlyAuthenticator => "u2f_only_authenticator", Q3,
        "The security key speaks only U2F (CTAP1) and cannot hold a passkey.",
        "Use a FIDO2 (CTAP2) security key or another platform path.";
    UserVerificationNotPerformed => "user_verification_not_performed", Q3,
        "The authenticator did not verify the user (no PIN or biometric), which passkeys require.",
        "Set up a PIN or biometric on the authenticator (for Windows Hello, a PIN), then retry.";
    KeyNotHardwareBacked => "key_not_hardware_backed", Q3,
        "The Android key attestation says the key is stored in software, not in a TEE or StrongBox.",
        "Use a device with a hardware-backed keystore, or a security key.";
    UnsupportedAlgorithm => "unsupported_algorithm", Q3,
        "The authenticator made a key with an algorithm keywarden does not accept (only ES256 and RS256).",
        "Use an authenticator that supports ES256; most platform authenticators and security keys do.";

    // Question 4: is the authenticator accepted?
    PasskeyTypeNotAllowed => "passkey_type_not_allowed", Q4,
        "The passkey's type (device-bound or synced) is not allowed by any profile that applies to the user.",
        "Use an authenticator of an allowed type (for device-bound: a security key or Windows Hello), or allow the type in the profile.";
    AttestationRequired => "attestation_required", Q4,
        "The profile enforces attestation and the authenticator sent none.",
        "Use an authenticator that signs attestation (most security keys), or relax attestation enforcement in the profile.";
    AttestationUntrusted => "attestation_untrusted", Q4,
        "The attestation does not chain to a root that the FIDO metadata lists for this AAGUID.",
        "Use an authenticator certified in the FIDO metadata, refresh the metadata, or relax attestation enforcement.";
    AaguidNotAllowed => "aaguid_not_allowed", Q4,
        "The authenticator's AAGUID is not on the allow list of any profile that applies to the user.",
        "Add the AAGUID to the profile's allow list, or steer the user to an allowed authenticator.";
    AaguidBlocked => "aaguid_blocked", Q4,
        "The authenticator's AAGUID is on the block list of every profile that applies to the user.",
        "Steer the user to another authenticator, or remove the AAGUID from the block list.";
    AuthenticatorStatusRevoked => "authenticator_status_revoked", Q4,
        "The FIDO metadata reports this authenticator model as revoked or compromised.",
        "Use another authenticator model; credentials of this model should be replaced.";
    CredentialAlreadyRegistered => "credential_already_registered", Q4,
        "This credential, or another credential on the same authenticator, is already registered.",
        "Use the passkey already registered, or delete it before registering again.";

    // The ceremony itself.
    ChallengeExpired => "challenge_expired", NONE,
        "The registration or sign-in challenge expired (challenges live 5 minutes).",
        "Start again.";
    ChallengeUsed => "challenge_used", NONE,
        "The challenge was already used; a response can be submitted only once.",
        "Start again.";
    ChallengeUnknown => "challenge_unknown", NONE,
        "No open ceremony matches: the attempt id is unknown to this user, a sign-in's challengeId was changed or not issued by this keywarden, or the response answers a challenge this ceremony did not issue.",
        "Start again from the beginning.";
    OriginMismatch => "origin_mismatch", NONE,
        "The response was made for an origin that keywarden does not allow.",
        "Use one of the configured origins; an administrator checks `origins` in the configuration.";
    RpIdMismatch => "rp_id_mismatch", NONE,
        "The authenticator signed for a different relying party id.",
        "Use the site at its configured RP ID; an administrator checks `rp_id` in the configuration.";
    MalformedResponse => "malformed_response", NONE,
        "The WebAuthn response could not be decoded (JSON, base64url, CBOR or authenticator data).",
        "Send the browser's response unchanged (RegistrationResponseJSON or AuthenticationResponseJSON).";
    CredentialIdMismatch => "credential_id_mismatch", NONE,
        "The response's credential id differs from the one the authenticator attested.",
        "Send the browser's response unchanged.";
    AttestationInvalid => "attestation_invalid", NONE,
        "The attestation statement does not verify (signature, certificate or format rules).",
        "Retry with the authenticator; if it persists the authenticator may be faulty.";
    AttestationFormatUnsupported => "attestation_format_unsupported", NONE,
        "The attestation statement format is not one WebAuthn defines.",
        "Use a standard authenticator.";
    SignatureInvalid => "signature_invalid", NONE,
        "The assertion signature does not verify with the registered public key.",
        "Sign in with the passkey that is registered to this account.";
    SignCountRegressed => "sign_count_regressed", NONE,
        "The authenticator's signature counter went backwards, which can mean a cloned authenticator.",
        "An administrator reviews the credential; if it is not explained, delete it and register a new one.";
    CredentialNotAllowedAtSignIn => "credential_not_allowed_at_sign_in", NONE,
        "The passkey is registered, but today's policy (exclusion, passkey type or key restrictions) no longer accepts it.",
        "Register a passkey that today's profiles accept, or adjust the profile; see the user's diagnosis.";
    UnknownCredential => "unknown_credential", NONE,
        "No registered passkey matches this credential.",
        "Use a passkey registered to this account, or register one.";

    // Sign-in and Temporary Access Pass.
    InvalidCredentials => "invalid_credentials", NONE,
        "The user name, password, code or pass is wrong.",
        "Check the input and retry.";
    TooManyAttempts => "too_many_attempts", NONE,
        "Too many wrong attempts; this sign-in method is locked for this user for a while.",
        "Wait until the lock ends, or ask the help desk for a new Temporary Access Pass.";
    MfaRequired => "mfa_required", NONE,
        "The password was accepted; a second factor is needed to finish signing in.",
        "Enter the code from the authenticator app.";
    AccessPassNotUsable => "access_pass_not_usable", NONE,
        "The Temporary Access Pass exists but cannot be used now (see methodUsabilityReason).",
        "Wait for its start time, or have the help desk issue a new pass.";
    AccessPassAlreadyUsed => "access_pass_already_used", NONE,
        "The one-time Temporary Access Pass has already been used: a one-time pass signs in once, and the session it opened keeps a 10-minute registration window.",
        "Sign in with the passkey that was registered, or have the help desk issue a new Temporary Access Pass.";
    StrongAuthenticationRequired => "strong_authentication_required", NONE,
        "Administration needs a session completed with a strong method (password and authenticator app, a passkey or a Temporary Access Pass); a password alone is not enough.",
        "Finish signing in with your authenticator app or a passkey, or set one up in Security info (a help desk can issue a Temporary Access Pass).";
    RecentAuthenticationRequired => "recent_authentication_required", NONE,
        "This administrative action needs strong authentication within the last hour (or the configured time); the session's is older.",
        "Verify again with your authenticator app, a passkey or a Temporary Access Pass, then retry.";
    RateLimited => "rate_limited", NONE,
        "Too many sign-in requests from this address; wait before trying again.",
        "Wait the number of seconds the Retry-After header gives, then retry.";
    AccessPassPolicyViolation => "access_pass_policy_violation", NONE,
        "The requested Temporary Access Pass breaks the TAP policy (lifetime, one-time or scope).",
        "Request a pass within the policy's limits.";

    // API.
    Unauthenticated => "unauthenticated", NONE,
        "The request carries no valid session or API token.",
        "Sign in, or send `Authorization: Bearer <token>`.";
    Forbidden => "forbidden", NONE,
        "The caller's role does not allow this action on this target.",
        "Ask someone holding a role that allows it.";
    CsrfTokenInvalid => "csrf_token_invalid", NONE,
        "A state-changing browser request arrived without the session's CSRF token.",
        "Reload the page and retry.";
    NotFound => "not_found", NONE,
        "The requested object does not exist.",
        "Check the ids and names in the path (a user by id or userPrincipalName, a group by id or display name).";
    RouteNotFound => "route_not_found", NONE,
        "No API route matches this path.",
        "See /v1/openapi.json for the API.";
    MethodNotAllowed => "method_not_allowed", NONE,
        "The path exists but does not accept this method.",
        "Use a method the Allow header lists (see /v1/openapi.json).";
    AlreadyExists => "already_exists", NONE,
        "An object with this name already exists.",
        "Choose another name, or update the existing object.";
    InvalidRequest => "invalid_request", NONE,
        "The request is not valid; the message names the field.",
        "Correct the named field and retry.";
    InvalidPolicy => "invalid_policy", NONE,
        "The policy document is not valid; every problem is listed.",
        "Correct each listed problem and apply the document again.";
    PayloadTooLarge => "payload_too_large", NONE,
        "The request body is larger than keywarden accepts.",
        "Send a smaller body.";
    UnsupportedMediaType => "unsupported_media_type", NONE,
        "The request body is not JSON.",
        "Send `Content-Type: application/json`.";
    InternalError => "internal_error", NONE,
        "keywarden failed to handle the request; the cause is in the server log under the correlation id.",
        "Retry; if it persists, report the correlation id.";
    ServiceUnavailable => "service_unavailable", NONE,
        "keywarden cannot reach its database right now.",
        "Retry shortly.";
}

impl Code {
    /// Looks a code up by its stable spelling.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Code> for &'static str {
    fn from(c: Code) -> &'static str {
        c.as_str()
    }
}

impl TryFrom<String> for Code {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Code::parse(&s).ok_or_else(|| format!("unknown code {s:?}"))
    }
}

impl FromStr for Code {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::parse(s).ok_or_else(|| format!("unknown code {s:?}"))
    }
}

/// Renders the code table as Markdown, for `docs/codes.md`.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Stable codes\n\nGenerated from `crates/keywarden-domain/src/codes.rs` \
         (`UPDATE_EXPECT=1 cargo test -p keywarden-domain codes` refreshes it).\n\
         Every error body, attempt outcome and audit `resultReason` uses one of these codes.\n\n\
         | code | question | meaning | fix |\n|---|---|---|---|\n",
    );
    for code in Code::ALL {
        let question = code.question().map(|q| q.number().to_string()).unwrap_or_default();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            code.as_str(),
            question,
            code.summary(),
            code.fix()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "code {s} listed twice");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()),
                "code {s} is not snake_case"
            );
            assert_eq!(Code::parse(s), Some(*code));
            let json = serde_json::to_string(code).expect("codes serialise");
            assert_eq!(json, format!("\"{s}\""));
        }
    }

    #[test]
    fn the_issue_named_codes_exist() {
        for name in [
            "user_not_in_policy_scope",
            "user_excluded",
            "self_service_registration_disabled",
            "guest_user_not_supported",
            "reauthentication_required",
            "no_usable_mfa_method",
            "passkey_type_not_allowed",
            "attestation_required",
            "attestation_untrusted",
            "aaguid_not_allowed",
            "aaguid_blocked",
            "authenticator_status_revoked",
            "credential_already_registered",
            "challenge_expired",
            "challenge_used",
            "origin_mismatch",
            "rp_id_mismatch",
            "malformed_response",
        ] {
            assert!(Code::parse(name).is_some(), "{name} is missing");
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods, reason = "a test that refreshes its expected file")]
    fn codes_documentation_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/codes.md");
        let rendered = render_markdown();
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(path, &rendered).expect("writing docs/codes.md");
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            on_disk, rendered,
            "docs/codes.md is stale; run UPDATE_EXPECT=1 cargo test -p keywarden-domain codes"
        );
    }
}
