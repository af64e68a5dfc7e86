//! Text for people: the decision tree for the help desk's wall, a diagnosis, and a user's effective policy.
//!
//! Plain lines, no colours and no terminal widths, so that the output reads the same in a terminal, a ticket and a
//! snapshot test. JSON for scripts is the serialised value, not this.

use std::fmt::Write;

use keywarden_domain::codes::{Code, Question};
use keywarden_domain::diagnosis::knowledge::{self, Platform};
use keywarden_domain::diagnosis::{
    AcceptanceView, Diagnosis, EligibilityView, Explanation, PlatformView, Status, Step, StepEvidence, Subject,
    TargetView, VerificationView, attestation_phrase,
};
use keywarden_domain::instant::rfc3339;
use keywarden_domain::policy::evaluate::RegistrationPath;
use keywarden_domain::policy::{State, TargetType};

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn targets(list: &[TargetView]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(|t| {
            let kind = match t.target_type {
                TargetType::Group if t.id == keywarden_domain::policy::ALL_USERS => "",
                TargetType::Group => " (group)",
                TargetType::User => " (user)",
            };
            if t.profiles.is_empty() {
                format!("{}{kind}", t.name)
            } else {
                let profiles: Vec<&str> = t.profiles.iter().map(|p| p.name.as_str()).collect();
                format!("{}{kind}, profiles: {}", t.name, profiles.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The playbook's four-question decision tree, with keywarden's codes and the known platform failure modes.
pub fn tree() -> String {
    let mut out = String::from(
        "The four-question decision tree. Start at question 1 and walk forward; stop at the first NO.\n\
         `keywarden diagnose UPN` walks it for a user, `--attempt ID` for one registration attempt.\n",
    );
    let branches: [(&str, &str, &str); 4] = [
        (
            "Method hidden or refused at begin.",
            "update policy targeting (include the user, remove the exclusion), enable the method or self-service set up.",
            "Continue.",
        ),
        (
            "Refused at begin: the user must verify again.",
            "ensure the user has at least one usable MFA method OR issue a Temporary Access Pass.",
            "Continue.",
        ),
        (
            "The browser ends the ceremony (Windows: \"Your device does not support this option\"; iOS and Android exit \
             silently), or the response shows a key that cannot hold a passkey.",
            "switch platform path (security key, phone, paired device), or prepare the platform (PIN, Bluetooth, update).",
            "Continue.",
        ),
        (
            "The ceremony completes locally; keywarden refuses to store the credential, with the code below (never a \
             generic \"we weren't able to add this method\").",
            "update the passkey profile's AAGUID allow list, or relax the attestation requirement, or steer the user to \
             an allowed authenticator.",
            "Registration succeeds.",
        ),
    ];
    for (question, (no, fix, yes)) in Question::ALL.into_iter().zip(branches) {
        let codes: Vec<&str> = Code::ALL
            .iter()
            .filter(|c| c.question() == Some(question))
            .map(|c| c.as_str())
            .collect();
        let _ = writeln!(out, "\n[{}] {}", question.number(), question.title());
        let _ = writeln!(out, "       NO  -> {no}");
        let _ = writeln!(out, "              codes: {}", codes.join(", "));
        let _ = writeln!(out, "              Fix: {fix}");
        if question == Question::PlatformCanHost {
            for platform in [
                Platform::WindowsHello,
                Platform::Ios,
                Platform::Android,
                Platform::SecurityKey,
                Platform::AnyPlatform,
            ] {
                let modes: Vec<&str> = knowledge::failure_modes()
                    .iter()
                    .filter(|m| m.platform == platform)
                    .map(|m| m.title.as_str())
                    .collect();
                if !modes.is_empty() {
                    let _ = writeln!(out, "              {}: {}.", platform.label(), modes.join("; "));
                }
            }
        }
        let _ = writeln!(out, "       YES -> {yes}");
    }
    out
}

fn eligibility_lines(out: &mut String, view: &EligibilityView) {
    let path = match view.path {
        RegistrationPath::SelfService => "self-service",
        RegistrationPath::OnBehalf => "on behalf of the user",
    };
    let _ = writeln!(
        out,
        "      passkey method: {}; self-service set up: {}; path: {path}",
        if view.method_state == State::Enabled {
            "enabled"
        } else {
            "disabled"
        },
        if view.self_service_registration_allowed {
            "on"
        } else {
            "off"
        },
    );
    let _ = writeln!(
        out,
        "      account: {}, {}",
        if view.account_enabled { "enabled" } else { "disabled" },
        view.user_type.as_str()
    );
    if let Some(groups) = &view.member_of {
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        let _ = writeln!(
            out,
            "      member of: {}",
            if names.is_empty() {
                "no group".to_string()
            } else {
                names.join(", ")
            }
        );
    }
    let _ = writeln!(out, "      included by: {}", targets(&view.included_by));
    let _ = writeln!(out, "      excluded by: {}", targets(&view.excluded_by));
    if !view.other_include_targets.is_empty() {
        let _ = writeln!(
            out,
            "      other include targets: {}",
            targets(&view.other_include_targets)
        );
    }
}

fn verification_lines(out: &mut String, view: &VerificationView) {
    let _ = writeln!(out, "      registration window: {} minutes", view.window_minutes);
    if let Some(party) = &view.verified_party {
        let _ = writeln!(out, "      verified party: {party}");
    }
    match (view.last_strong_authentication, view.last_strong_method) {
        (Some(at), method) => {
            let until = view
                .verified_until
                .map(|u| format!(" (recent until {})", rfc3339(u)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "      last strong authentication: {} at {}{until}",
                method.map_or("a strong method", |m| m.as_str()),
                rfc3339(at)
            );
        }
        (None, _) => {
            let _ = writeln!(out, "      last strong authentication: none recorded");
        }
    }
    if view.via_one_time_access_pass {
        let _ = writeln!(out, "      via a one-time Temporary Access Pass: yes");
    }
    let _ = writeln!(
        out,
        "      usable methods: {}",
        if view.usable_methods.is_empty() {
            "none".to_string()
        } else {
            keywarden_domain::diagnosis::method_list(&view.usable_methods, ", ")
        }
    );
    if let Some(app) = view.authenticator_app {
        let _ = writeln!(out, "      authenticator app (TOTP): {}", yes_no(app));
    }
    if let Some((registered, usable)) = view.passkeys {
        let _ = writeln!(
            out,
            "      passkeys: {registered} registered, {usable} usable under today's policy"
        );
    }
    match &view.access_pass {
        Some(pass) => {
            let _ = writeln!(
                out,
                "      temporary access pass: {}, {} to {}; usable: {} ({})",
                if pass.is_usable_once { "one-time" } else { "multi-use" },
                rfc3339(pass.start_date_time),
                rfc3339(pass.expires_date_time),
                yes_no(pass.is_usable),
                pass.method_usability_reason.as_str()
            );
        }
        None if view.authenticator_app.is_some() => {
            let _ = writeln!(out, "      temporary access pass: none");
        }
        None => {}
    }
}

fn platform_lines(out: &mut String, view: &PlatformView) {
    if let (Some(id), Some(at)) = (view.attempt_id, view.at) {
        let _ = writeln!(out, "      from attempt {id} at {}", rfc3339(at));
    }
    if let Some(ua) = &view.user_agent {
        let _ = writeln!(
            out,
            "      client: {} ({ua})",
            view.client_platform.unwrap_or("unknown platform")
        );
    }
    if let Some(path) = view.path {
        let path = match path {
            keywarden_domain::platform::CeremonyPath::ThisDevice => "this device",
            keywarden_domain::platform::CeremonyPath::Phone => "a phone (cross-device)",
            keywarden_domain::platform::CeremonyPath::SecurityKey => "a security key",
        };
        let _ = writeln!(out, "      chosen path: {path}");
    }
    if let Some(error) = &view.error {
        let _ = writeln!(out, "      browser error: {error}");
    }
    if !view.client_capabilities.is_empty() {
        let caps: Vec<String> = view
            .client_capabilities
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(out, "      client capabilities: {}", caps.join(", "));
    }
    if let Some(available) = view.platform_authenticator_available {
        let _ = writeln!(
            out,
            "      user-verifying platform authenticator available: {}",
            yes_no(available)
        );
    }
    if let Some(format) = view.attestation_format {
        let _ = writeln!(
            out,
            "      response: {}; user verified: {}; hardware-backed key: {}",
            attestation_phrase(Some(format)),
            view.user_verified.map_or("unknown", yes_no),
            view.hardware_backed.map_or("not stated", yes_no)
        );
    }
    for note in &view.notes {
        let _ = writeln!(out, "      note: {note}");
    }
}

fn acceptance_lines(out: &mut String, view: &AcceptanceView) {
    if let Some(a) = &view.authenticator {
        let _ = writeln!(
            out,
            "      authenticator: {} ({}); {}; {}, {}; transports: {}",
            a.name.as_deref().unwrap_or("unknown model"),
            a.aaguid,
            a.passkey_type.label(),
            attestation_phrase(Some(a.attestation_format)),
            a.attestation_level.as_str(),
            if a.transports.is_empty() {
                "none stated".to_string()
            } else {
                a.transports.join(", ")
            }
        );
    }
    for verdict in &view.verdicts {
        if verdict.accepted {
            let _ = writeln!(out, "      profile {}: accepts it", verdict.profile_name);
        } else {
            for denial in &verdict.denials {
                let _ = writeln!(
                    out,
                    "      profile {}: refuses it, {}: {}",
                    verdict.profile_name, denial.code, denial.detail
                );
            }
        }
    }
    for note in &view.notes {
        let _ = writeln!(out, "      note: {note}");
    }
}

fn step_lines(out: &mut String, step: &Step) {
    let _ = writeln!(out, "\n[{}] {}", step.question.number(), step.title);
    match (step.status, step.code) {
        (Status::Failed, Some(code)) => {
            let _ = writeln!(out, "    NO ({code}): {}", step.finding);
        }
        (Status::Passed, _) => {
            let _ = writeln!(out, "    YES: {}", step.finding);
        }
        (Status::NotReached, _) => {
            let _ = writeln!(out, "    not reached");
            return;
        }
        (Status::Unknown | Status::Failed, _) => {
            let _ = writeln!(out, "    unknown: {}", step.finding);
        }
    }
    let mut evidence = String::new();
    match &step.evidence {
        StepEvidence::None => {}
        StepEvidence::Eligibility(view) => eligibility_lines(&mut evidence, view),
        StepEvidence::Verification(view) => verification_lines(&mut evidence, view),
        StepEvidence::Platform(view) => platform_lines(&mut evidence, view),
        StepEvidence::Acceptance(view) => acceptance_lines(&mut evidence, view),
    }
    if !evidence.is_empty() {
        out.push_str("    evidence:\n");
        out.push_str(&evidence);
    }
    if !step.failure_modes.is_empty() {
        out.push_str("    failure modes (knowledge base):\n");
        for mode in &step.failure_modes {
            let _ = writeln!(out, "      {} [{}]: {}", mode.id, mode.platform.label(), mode.title);
            let _ = writeln!(out, "        why: {}", mode.explanation);
            let _ = writeln!(out, "        fix ({}): {}", mode.fix.action.as_str(), mode.fix.text);
            let _ = writeln!(out, "        source: {}", mode.source);
        }
    }
    if !step.fixes.is_empty() {
        out.push_str("    fix:\n");
        for fix in &step.fixes {
            let _ = writeln!(out, "      {}: {}", fix.action.as_str(), fix.text);
        }
    }
}

/// A diagnosis as text.
pub fn diagnosis(d: &Diagnosis) -> String {
    let mut out = format!(
        "Passkey diagnosis for {} ({})\n",
        d.user.user_principal_name, d.user.display_name
    );
    match &d.subject {
        Subject::Now { .. } => {
            let _ = writeln!(out, "Subject: now, under policy version {}", d.policy_version);
        }
        Subject::Attempt {
            id,
            started_at,
            status,
            outcome,
            on_behalf,
            ..
        } => {
            let _ = writeln!(
                out,
                "Subject: attempt {id}, begun {}{}, {}{}, under policy version {} (in force at the time)",
                rfc3339(*started_at),
                if *on_behalf {
                    " by an administrator on the user's behalf"
                } else {
                    ""
                },
                status.as_str(),
                outcome.map(|c| format!(" ({c})")).unwrap_or_default(),
                d.policy_version
            );
        }
    }
    let _ = writeln!(out, "{}", d.summary);
    for step in &d.questions {
        step_lines(&mut out, step);
    }
    out.push_str("\nProfiles that apply");
    if matches!(d.subject, Subject::Attempt { .. }) {
        out.push_str(" (at the time)");
    }
    if d.profiles.is_empty() {
        out.push_str(": none\n");
    } else {
        out.push_str(":\n");
        for profile in &d.profiles {
            let _ = writeln!(
                out,
                "  {} ({}): {}",
                profile.name,
                profile.id,
                profile.accepts.join("; ")
            );
        }
    }
    if let Some(today) = &d.today {
        let _ = writeln!(out, "\nToday: {}", today.summary);
        if today.changed {
            // Only the answers that differ from the recorded ones.
            let differs = |step: &Step| {
                let recorded = d.step(step.question);
                (recorded.status, recorded.code) != (step.status, step.code)
            };
            let mut steps = String::new();
            for step in std::iter::once(&today.eligible).chain(today.accepted.as_ref()) {
                if differs(step) {
                    step_lines(&mut steps, step);
                }
            }
            for line in steps.lines().filter(|l| !l.is_empty()) {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    for note in &d.notes {
        let _ = writeln!(out, "Note: {note}");
    }
    out
}

/// A user's effective policy as text.
pub fn explanation(e: &Explanation) -> String {
    let mut out = format!(
        "Effective passkey policy for {} ({}), policy version {}\n",
        e.user.user_principal_name, e.user.display_name, e.policy_version
    );
    let _ = writeln!(
        out,
        "Eligible to register: {}",
        match e.eligibility {
            None => "yes".to_string(),
            Some(code) => format!("no ({code})"),
        }
    );
    out.push('\n');
    for statement in &e.statements {
        let _ = writeln!(out, "- {statement}");
    }
    out
}
