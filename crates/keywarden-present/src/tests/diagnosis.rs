//! The diagnosis as text, snapshot-tested on the domain's diagnosis fixtures (`UPDATE_EXPECT=1` refreshes the
//! snapshots): the decision tree, a user now, failed and cancelled attempts, and an effective policy.

use std::collections::BTreeSet;

use expect_test::{Expect, expect};
use keywarden_domain::codes::Code;
use keywarden_domain::diagnosis::fixtures::*;
use keywarden_domain::diagnosis::{Directory, PolicyInForce, explain};
use keywarden_domain::ids::GroupId;
use keywarden_domain::platform::CeremonyPath;
use keywarden_domain::registration::Facts;
use time::Duration;

use crate::diagnosis as render;

fn check_text(actual: &str, expected: &Expect) {
    expected.assert_eq(actual);
}

#[test]
fn the_decision_tree_prints_for_the_help_desk_wall() {
    check_text(
        &render::tree(),
        &expect![[r#"
            The four-question decision tree. Start at question 1 and walk forward; stop at the first NO.
            `keywarden diagnose UPN` walks it for a user, `--attempt ID` for one registration attempt.

            [1] Is the user enabled for passkeys in the authentication methods policy?
                   NO  -> Method hidden or refused at begin.
                          codes: passkey_method_disabled, account_disabled, guest_user_not_supported, user_excluded, user_not_in_policy_scope, self_service_registration_disabled
                          Fix: update policy targeting (include the user, remove the exclusion), enable the method or self-service set up.
                   YES -> Continue.

            [2] Has the user satisfied strong authentication within the registration window?
                   NO  -> Refused at begin: the user must verify again.
                          codes: reauthentication_required, no_usable_mfa_method
                          Fix: ensure the user has at least one usable MFA method OR issue a Temporary Access Pass.
                   YES -> Continue.

            [3] Can the local platform host the credential type the user is creating?
                   NO  -> The browser ends the ceremony (Windows: "Your device does not support this option"; iOS and Android exit silently), or the response shows a key that cannot hold a passkey.
                          codes: ceremony_not_allowed, ceremony_aborted, platform_not_supported, browser_security_error, authenticator_error, u2f_only_authenticator, user_verification_not_performed, key_not_hardware_backed, unsupported_algorithm
                          Fix: switch platform path (security key, phone, paired device), or prepare the platform (PIN, Bluetooth, update).
                          Windows Hello: TPM unavailable or not ready; No Windows Hello PIN; Windows Hello AAGUID not on the allow list; Attestation required, and Windows Hello gives none.
                          iOS: iCloud Keychain used instead of the work passkey; Microsoft Authenticator (or iOS) too old; Bluetooth off in the cross-device flow.
                          Android: Android keystore not hardware-backed; Several Google accounts confuse the provider chooser; Android below the minimum version.
                          security key: U2F-only security key; Browser has no USB or NFC access to the key; Security key AAGUID not on the allow list.
                          any platform: No platform authenticator on this device.
                   YES -> Continue.

            [4] Does a passkey profile that applies to the user accept this authenticator?
                   NO  -> The ceremony completes locally; keywarden refuses to store the credential, with the code below (never a generic "we weren't able to add this method").
                          codes: passkey_type_not_allowed, attestation_required, attestation_untrusted, aaguid_not_allowed, aaguid_blocked, authenticator_status_revoked, credential_already_registered
                          Fix: update the passkey profile's AAGUID allow list, or relax the attestation requirement, or steer the user to an allowed authenticator.
                   YES -> Registration succeeds.
        "#]],
    );
}

#[test]
fn a_refused_user_now_renders_as_text() {
    let mut now = Now::new();
    now.groups = [group(SALES)].into();
    check_text(
        &render::diagnosis(&now.diagnose()),
        &expect![[r#"
        Passkey diagnosis for bob@contoso.com (Bob)
        Subject: now, under policy version 3
        bob@contoso.com cannot register a passkey now: question 1 fails (user_not_in_policy_scope).

        [1] Is the user enabled for passkeys in the authentication methods policy?
            NO (user_not_in_policy_scope): No include target of the passkey policy covers the user.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              member of: Sales
              included by: none
              excluded by: none
              other include targets: Pilot (group), profiles: YubiKeys; Admins (group), profiles: Attested device-bound
            fix:
              update_targeting: Update policy targeting: add bob@contoso.com to an included group (Pilot, Admins), or include one of their groups or all_users.

        [2] Has the user satisfied strong authentication within the registration window?
            not reached

        [3] Can the local platform host the credential type the user is creating?
            not reached

        [4] Does a passkey profile that applies to the user accept this authenticator?
            not reached

        Profiles that apply: none
    "#]],
    );
}

#[test]
fn a_user_who_can_register_now_renders_as_text() {
    let mut now = Now::new();
    now.totp = true;
    now.access_pass = Some(pass(NOW - Duration::hours(3), 60));
    check_text(
        &render::diagnosis(&now.diagnose()),
        &expect![[r#"
        Passkey diagnosis for bob@contoso.com (Bob)
        Subject: now, under policy version 3
        bob@contoso.com can register a passkey now, with an authenticator that YubiKeys accepts.

        [1] Is the user enabled for passkeys in the authentication methods policy?
            YES: bob@contoso.com is covered by Pilot, is not excluded, and self-service set up is on.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              member of: Pilot
              included by: Pilot (group), profiles: YubiKeys
              excluded by: none
              other include targets: Admins (group), profiles: Attested device-bound

        [2] Has the user satisfied strong authentication within the registration window?
            YES: bob@contoso.com can verify with softwareOath, then has 10 minutes to register.
            evidence:
              registration window: 10 minutes
              last strong authentication: none recorded
              usable methods: softwareOath
              authenticator app (TOTP): yes
              passkeys: 0 registered, 0 usable under today's policy
              temporary access pass: one-time, 2026-11-25T09:00:00Z to 2026-11-25T10:00:00Z; usable: no (Expired)

        [3] Can the local platform host the credential type the user is creating?
            unknown: No ceremony has been recorded yet: the platform's answer comes with the user's first attempt.

        [4] Does a passkey profile that applies to the user accept this authenticator?
            unknown: Depends on the authenticator the user chooses: see what the profiles that apply accept.

        Profiles that apply:
          YubiKeys (yubikeys): device-bound passkeys only; attestation not required: the AAGUID and passkey type are the authenticator's own claims; only these authenticators: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a)
    "#]],
    );
}

#[test]
fn a_failed_windows_hello_attempt_renders_as_text() {
    let mut scenario = Scenario::new();
    scenario.facts = Some(Facts {
        transports: vec!["internal".into(), "hybrid".into()],
        ..facts(HELLO)
    });
    let mut today = policy();
    today.fido2.passkey_profiles[0]
        .key_restrictions
        .aa_guids
        .push(aaguid(HELLO));
    let diagnosis = diagnose_with_today(&scenario, &today, &scenario.groups);
    check_text(
        &render::diagnosis(&diagnosis),
        &expect![[r#"
        Passkey diagnosis for bob@contoso.com (Bob)
        Subject: attempt 00000000-0000-0000-0000-00000000a77e, begun 2026-11-25T11:58:00Z, failed (aaguid_not_allowed), under policy version 1 (in force at the time)
        Attempt 00000000-0000-0000-0000-00000000a77e at 2026-11-25T11:58:00Z failed at question 4 (aaguid_not_allowed).

        [1] Is the user enabled for passkeys in the authentication methods policy?
            YES: bob@contoso.com is covered by Pilot, is not excluded, and self-service set up is on.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              included by: Pilot (group), profiles: YubiKeys
              excluded by: none
              other include targets: Admins (group), profiles: Attested device-bound

        [2] Has the user satisfied strong authentication within the registration window?
            YES: bob@contoso.com verified with temporaryAccessPass at 2026-11-25T11:59:00Z, within the 10-minute window.
            evidence:
              registration window: 10 minutes
              verified party: bob@contoso.com
              last strong authentication: temporaryAccessPass at 2026-11-25T11:59:00Z (recent until 2026-11-25T12:09:00Z)
              usable methods: temporaryAccessPass

        [3] Can the local platform host the credential type the user is creating?
            YES: The ceremony completed: no attestation, user verified: yes.
            evidence:
              from attempt 00000000-0000-0000-0000-00000000a77e at 2026-11-25T11:59:00Z
              client: Windows (Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36)
              response: no attestation; user verified: yes; hardware-backed key: not stated

        [4] Does a passkey profile that applies to the user accept this authenticator?
            NO (aaguid_not_allowed): Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96) is refused: 08987058-cadc-4b81-b6e1-30de50dcbe96 is not on YubiKeys's allow list (1 AAGUIDs).
            evidence:
              authenticator: Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96); device-bound; no attestation, notAttested; transports: internal, hybrid
              profile YubiKeys: refuses it, aaguid_not_allowed: 08987058-cadc-4b81-b6e1-30de50dcbe96 is not on YubiKeys's allow list (1 AAGUIDs)
              note: attestation was not verified, so the AAGUID 08987058-cadc-4b81-b6e1-30de50dcbe96 and the passkey type are the authenticator's own claims
            failure modes (knowledge base):
              windows_hello_aaguid_not_allowed [Windows Hello]: Windows Hello AAGUID not on the allow list
                why: The Windows passkey provider identifies itself with its own AAGUIDs (hardware TPM, VBS, software), not the TPM model. A profile with key restrictions refuses them unless they are listed explicitly.
                fix (add_aaguid): Add the Windows Hello AAGUIDs (08987058-cadc-4b81-b6e1-30de50dcbe96, 9ddd1817-af5a-4672-a2b9-3e3dd95000a9, 6028b017-b1d4-4c02-b4b3-afcdafc96bb2) to the profile's allow list, or steer the user to an allowed authenticator.
                source: playbook: Windows 11 + Windows Hello, "AAGUID for Windows Hello passkey provider not allowlisted"; entra-model.md section 7
            fix:
              add_aaguid: Add Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96) to the allow list of YubiKeys.
              steer_to_allowed_authenticator: Or steer the user to an allowed authenticator: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a).

        Profiles that apply (at the time):
          YubiKeys (yubikeys): device-bound passkeys only; attestation not required: the AAGUID and passkey type are the authenticator's own claims; only these authenticators: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a)

        Today: Under today's policy (version 2) questions 1 and 4 would pass.
          [4] Does a passkey profile that applies to the user accept this authenticator?
              YES: Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96) is accepted by YubiKeys.
              evidence:
                authenticator: Windows Hello Hardware Authenticator (08987058-cadc-4b81-b6e1-30de50dcbe96); device-bound; no attestation, notAttested; transports: internal, hybrid
                profile YubiKeys: accepts it
                note: attestation was not verified, so the AAGUID 08987058-cadc-4b81-b6e1-30de50dcbe96 and the passkey type are the authenticator's own claims
    "#]],
    );
}

#[test]
fn a_cancelled_cross_device_attempt_renders_as_text() {
    let mut scenario = Scenario::new();
    let mut report = client("NotAllowedError", TIMED_OUT, WINDOWS, Some(CeremonyPath::Phone));
    report.client_capabilities.insert("hybridTransport".into(), true);
    report
        .client_capabilities
        .insert("userVerifyingPlatformAuthenticator".into(), true);
    scenario.client = Some(report);
    check_text(
        &render::diagnosis(&scenario.diagnose()),
        &expect![[r#"
        Passkey diagnosis for bob@contoso.com (Bob)
        Subject: attempt 00000000-0000-0000-0000-00000000a77e, begun 2026-11-25T11:58:00Z, failed (ceremony_not_allowed), under policy version 1 (in force at the time)
        Attempt 00000000-0000-0000-0000-00000000a77e at 2026-11-25T11:58:00Z failed at question 3 (ceremony_not_allowed).

        [1] Is the user enabled for passkeys in the authentication methods policy?
            YES: bob@contoso.com is covered by Pilot, is not excluded, and self-service set up is on.
            evidence:
              passkey method: enabled; self-service set up: on; path: self-service
              account: enabled, member
              included by: Pilot (group), profiles: YubiKeys
              excluded by: none
              other include targets: Admins (group), profiles: Attested device-bound

        [2] Has the user satisfied strong authentication within the registration window?
            YES: bob@contoso.com verified with temporaryAccessPass at 2026-11-25T11:59:00Z, within the 10-minute window.
            evidence:
              registration window: 10 minutes
              verified party: bob@contoso.com
              last strong authentication: temporaryAccessPass at 2026-11-25T11:59:00Z (recent until 2026-11-25T12:09:00Z)
              usable methods: temporaryAccessPass

        [3] Can the local platform host the credential type the user is creating?
            NO (ceremony_not_allowed): The browser ended the ceremony with NotAllowedError: the user cancelled, it timed out, or no authenticator answered.
            evidence:
              from attempt 00000000-0000-0000-0000-00000000a77e at 2026-11-25T11:59:00Z
              client: Windows (Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36)
              chosen path: a phone (cross-device)
              browser error: NotAllowedError: The operation either timed out or was not allowed.
              client capabilities: hybridTransport=true, userVerifyingPlatformAuthenticator=true
            failure modes (knowledge base):
              cross_device_bluetooth_off [iOS]: Bluetooth off in the cross-device flow
                why: Registering from a computer with the phone as the authenticator uses CTAP over caBLE (hybrid), which needs Bluetooth on both devices and the phone nearby. With Bluetooth off the ceremony hangs at the QR-code screen until it times out.
                fix (prepare_platform): Turn Bluetooth on, on the phone and the computer, keep the phone next to the computer and scan the QR code again; or register a passkey on this device instead.
                source: playbook: iOS + Microsoft Authenticator, "Bluetooth disabled during cross-device registration"
            fix:
              retry: Retry and complete the prompt (PIN, fingerprint or face, or touch the key).
              switch_platform_path: If no prompt appears, switch platform path: a security key, a phone, or this device.

        [4] Does a passkey profile that applies to the user accept this authenticator?
            not reached

        Profiles that apply (at the time):
          YubiKeys (yubikeys): device-bound passkeys only; attestation not required: the AAGUID and passkey type are the authenticator's own claims; only these authenticators: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a)

        Today: Under today's policy (version 1) question 1 gives the same answer.
    "#]],
    );
}

#[test]
fn the_effective_policy_is_explained_in_plain_words() {
    let names = group_names();
    let user = bob();
    let groups: BTreeSet<GroupId> = [group(PILOT), group(SALES)].into();
    let directory = Directory {
        user: &user,
        memberships: &groups,
        group_names: &names,
    };
    let policy = policy();
    let in_force = PolicyInForce {
        version: 3,
        policy: &policy,
        window: Duration::minutes(10),
    };
    let explanation = explain(&directory, &in_force, &catalog());
    assert_eq!(explanation.eligibility, None);
    assert_eq!(explanation.profiles.len(), 1);
    check_text(
        &render::explanation(&explanation),
        &expect![[r#"
        Effective passkey policy for bob@contoso.com (Bob), policy version 3
        Eligible to register: yes

        - Passkeys (FIDO2) are enabled in the authentication methods policy; self-service set up is on.
        - bob@contoso.com belongs to Pilot, Sales.
        - Include target Pilot covers bob@contoso.com and allows YubiKeys.
        - No exclude target covers them.
        - A passkey is accepted when it satisfies this profile in full:
        - YubiKeys: device-bound passkeys only; attestation not required: the AAGUID and passkey type are the authenticator's own claims; only these authenticators: YubiKey 5 Series (ee882879-721c-4913-9775-3dfcce97072a).
        - Registration needs strong authentication in the last 10 minutes (10 after a one-time Temporary Access Pass).
        - bob@contoso.com may sign in with a Temporary Access Pass (one-time or multi-use, 60 to 480 minutes).
    "#]],
    );

    let excluded: BTreeSet<GroupId> = [group(PILOT), group(CONTRACTORS)].into();
    let directory = Directory {
        memberships: &excluded,
        ..directory
    };
    let explanation = explain(&directory, &in_force, &catalog());
    assert_eq!(explanation.eligibility, Some(Code::UserExcluded));
    assert!(explanation.profiles.is_empty());
    check_text(
        &render::explanation(&explanation),
        &expect![[r#"
        Effective passkey policy for bob@contoso.com (Bob), policy version 3
        Eligible to register: no (user_excluded)

        - Passkeys (FIDO2) are enabled in the authentication methods policy; self-service set up is on.
        - bob@contoso.com belongs to Pilot, Contractors.
        - Include target Pilot covers bob@contoso.com and allows YubiKeys.
        - Exclude target Contractors covers bob@contoso.com: exclusion wins over every include target, so bob@contoso.com can neither register nor sign in with a passkey.
        - No passkey profile applies, so no passkey is accepted.
        - Registration needs strong authentication in the last 10 minutes (10 after a one-time Temporary Access Pass).
        - bob@contoso.com may sign in with a Temporary Access Pass (one-time or multi-use, 60 to 480 minutes).
        - So bob@contoso.com cannot register a passkey: user_excluded (The user is in a group excluded from the passkey policy; exclusion wins over every include target.)
    "#]],
    );
}
