//! Findings: the playbook's patterns to watch, and more, as values with a severity, the users and credentials
//! concerned, the evidence and the suggested action.
//!
//! A [`Review`] is fed what the store streams (users without a passkey, passkeys selected for each check, passes,
//! "Admin registered security info" events) one item at a time and keeps only counts and the first
//! [`FindingsOptions::max_listed`] users and credentials of each finding, so its memory does not grow with the
//! directory. Each feeding method checks its own condition, so a caller may feed more than needed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::methods::UserMethods;
use super::{UserRef, rfc3339};
use crate::Code;
use crate::access_pass::AccessPass;
use crate::audit::{Activity, DetailKey, Event, Outcome};
use crate::directory::{User, UserType};
use crate::ids::{Aaguid, GroupId, MethodId, UserId};
use crate::metadata::{Catalog, Status, StatusReport};
use crate::policy::evaluate::{Member, SignInRefusal, sign_in_check};
use crate::policy::{Fido2Configuration, PasskeyType, State, TargetType};

/// The thresholds of the findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingsOptions {
    /// This many "Admin registered security info" events by one initiator...
    pub bulk_threshold: u32,
    /// ...within this long make a bulk registration.
    pub bulk_window: Duration,
    /// How far back the audit log is read for bulk registrations (the playbook's KQL reads 90 days).
    pub audit_lookback: Duration,
    /// A multi-use Temporary Access Pass valid for longer than this is reported.
    pub long_access_pass_lifetime: Duration,
    /// At most this many users and credentials are listed in each finding; the counts are always complete.
    pub max_listed: usize,
}

impl Default for FindingsOptions {
    /// Ten registrations in ten minutes; 90 days of audit; multi-use passes beyond four hours (the playbook's
    /// longest recommended lifetime); 100 listed.
    fn default() -> FindingsOptions {
        FindingsOptions {
            bulk_threshold: 10,
            bulk_window: Duration::minutes(10),
            audit_lookback: Duration::days(90),
            long_access_pass_lifetime: Duration::hours(4),
            max_listed: 100,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// What a finding is about. The order is the order findings of the same severity are listed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// The FIDO metadata now reports the model revoked, compromised, or with a user-verification bypass.
    MetadataAlert,
    /// A sign-in presented a signature counter lower than the stored one (a cloned authenticator?).
    CounterRegression,
    /// A passkey's backup state went from not backed up to backed up (synced) after registration.
    BackupStateFlipped,
    /// Passkeys of an AAGUID that no passkey profile applying to their users accepts today.
    AaguidNotAllowed,
    /// Many "Admin registered security info" by one initiator in a short window.
    BulkAdminRegistration,
    /// A multi-use Temporary Access Pass with a long lifetime, still valid.
    LongMultiUseAccessPass,
    /// Users holding no phishing-resistant method (no passkey).
    NoPhishingResistantMethod,
    /// A one-time Temporary Access Pass that expired without being used to register a passkey.
    UnusedOneTimeAccessPass,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MetadataAlert => "metadataAlert",
            Kind::CounterRegression => "counterRegression",
            Kind::BackupStateFlipped => "backupStateFlipped",
            Kind::AaguidNotAllowed => "aaguidNotAllowed",
            Kind::BulkAdminRegistration => "bulkAdminRegistration",
            Kind::LongMultiUseAccessPass => "longMultiUseAccessPass",
            Kind::NoPhishingResistantMethod => "noPhishingResistantMethod",
            Kind::UnusedOneTimeAccessPass => "unusedOneTimeAccessPass",
        }
    }
}

/// A method named by a finding: a passkey (`fido2`) or a pass (`temporaryAccessPass`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialRef {
    pub id: MethodId,
    pub method: &'static str,
    pub user_id: UserId,
    pub user_principal_name: String,
    pub display_name: Option<String>,
    pub aaguid: Option<Aaguid>,
    pub model: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub summary: String,
    /// The users concerned (the first [`FindingsOptions::max_listed`]).
    pub users: Vec<UserRef>,
    /// The credentials concerned (the first [`FindingsOptions::max_listed`]).
    pub credentials: Vec<CredentialRef>,
    #[serde(rename = "userCount")]
    pub n_users: u64,
    #[serde(rename = "credentialCount")]
    pub n_credentials: u64,
    pub action: String,
    pub evidence: Value,
}

/// What the sign-in re-check of a passkey depends on besides the passkey itself: the user's account state, their
/// memberships among the groups the policy names, and whether the policy excludes them by id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CredentialClass {
    pub aaguid: Aaguid,
    pub passkey_type: PasskeyType,
    pub account_enabled: bool,
    /// The user's groups among [`PolicyScope::groups`].
    pub groups: BTreeSet<GroupId>,
    /// The user's id when it is among [`PolicyScope::users`].
    pub excluded_user: Option<UserId>,
}

/// The groups and users the passkey method's targets name: the only memberships a re-check looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyScope {
    pub groups: Vec<GroupId>,
    pub users: Vec<UserId>,
}

/// The groups and users that `fido2`'s include and exclude targets name.
pub fn policy_scope(fido2: &Fido2Configuration) -> PolicyScope {
    let mut groups = BTreeSet::new();
    let mut users = BTreeSet::new();
    for target in &fido2.include_targets {
        groups.extend(target.id.parse::<GroupId>().ok());
    }
    for target in &fido2.exclude_targets {
        match target.target_type {
            TargetType::Group => groups.extend(target.id.parse::<GroupId>().ok()),
            TargetType::User => users.extend(target.id.parse::<UserId>().ok()),
        }
    }
    PolicyScope {
        groups: groups.into_iter().collect(),
        users: users.into_iter().collect(),
    }
}

/// Today's sign-in re-check for the passkeys of a class: the profile that accepts them, or the refusal.
pub fn recheck(
    fido2: &Fido2Configuration,
    class: &CredentialClass,
    catalog: &Catalog,
) -> Result<String, SignInRefusal> {
    let user = User {
        id: class.excluded_user.unwrap_or(UserId(uuid::Uuid::nil())),
        user_principal_name: String::new(),
        display_name: String::new(),
        user_type: UserType::Member,
        account_enabled: class.account_enabled,
        roles: vec![],
    };
    let member = Member {
        user: &user,
        groups: &class.groups,
    };
    sign_in_check(
        fido2,
        member,
        class.aaguid,
        class.passkey_type,
        catalog.entry(&class.aaguid),
    )
}

/// What the findings need to know about one passkey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub id: MethodId,
    pub user: UserRef,
    pub display_name: String,
    pub aaguid: Aaguid,
    pub model: Option<String>,
    pub passkey_type: PasskeyType,
    pub backup_state: bool,
    /// The backup state at registration, when the store read it (it does when the state changed since).
    pub registered_backup_state: Option<bool>,
    pub backup_state_changed_date_time: Option<OffsetDateTime>,
    pub counter_regressions: u32,
    pub class: CredentialClass,
}

impl Credential {
    fn reference(&self) -> CredentialRef {
        CredentialRef {
            id: self.id,
            method: "fido2",
            user_id: self.user.id,
            user_principal_name: self.user.user_principal_name.clone(),
            display_name: Some(self.display_name.clone()),
            aaguid: Some(self.aaguid),
            model: self.model.clone(),
        }
    }
}

/// The users and credentials of one finding in the making: complete counts, capped lists.
#[derive(Debug, Default)]
struct Concerned {
    users: Vec<UserRef>,
    credentials: Vec<CredentialRef>,
    n_users: u64,
    n_credentials: u64,
    last_user: Option<UserId>,
}

impl Concerned {
    /// Adds a user; users must arrive grouped (the same user's items one after the other) to be counted once.
    fn user(&mut self, user: &UserRef, max: usize) {
        if self.last_user == Some(user.id) {
            return;
        }
        self.last_user = Some(user.id);
        self.n_users += 1;
        if self.users.len() < max {
            self.users.push(user.clone());
        }
    }

    fn credential(&mut self, user: &UserRef, credential: CredentialRef, max: usize) {
        self.user(user, max);
        self.n_credentials += 1;
        if self.credentials.len() < max {
            self.credentials.push(credential);
        }
    }

    fn is_empty(&self) -> bool {
        self.n_users == 0 && self.n_credentials == 0
    }

    /// The finding about these users and credentials, unless there are none.
    fn finding_if_any(
        self,
        kind: Kind,
        severity: Severity,
        summary: String,
        action: &str,
        evidence: Value,
    ) -> Option<Finding> {
        (!self.is_empty()).then(|| self.finding(kind, severity, summary, action.to_string(), evidence))
    }

    fn finding(self, kind: Kind, severity: Severity, summary: String, action: String, evidence: Value) -> Finding {
        Finding {
            kind,
            severity,
            summary,
            users: self.users,
            credentials: self.credentials,
            n_users: self.n_users,
            n_credentials: self.n_credentials,
            action,
            evidence,
        }
    }
}

/// Passkeys grouped by AAGUID, with what the check found about the model.
#[derive(Debug, Default)]
struct ByModel {
    concerned: Concerned,
    model: Option<String>,
    passkey_types: BTreeSet<&'static str>,
    detail: Option<Value>,
}

/// One "Admin registered security info" event, reduced to what bulk detection needs.
#[derive(Clone, Debug)]
struct AdminRegistration {
    at: OffsetDateTime,
    target: Option<UserRef>,
    method: String,
    method_id: Option<MethodId>,
}

/// The current initiator's events, in time order.
#[derive(Debug, Default)]
struct Initiated {
    initiator_id: String,
    initiator_name: String,
    events: Vec<AdminRegistration>,
}

/// Collects findings from streamed inputs; see the module documentation.
pub struct Review<'a> {
    options: &'a FindingsOptions,
    fido2: &'a Fido2Configuration,
    catalog: &'a Catalog,
    now: OffsetDateTime,
    no_strong_method: Concerned,
    mfa_only: Concerned,
    skipped_guests: u64,
    skipped_disabled: u64,
    /// Today's verdict per class: the refusal when it is a finding.
    rechecked: HashMap<CredentialClass, Option<SignInRefusal>>,
    not_allowed: BTreeMap<Aaguid, ByModel>,
    alerts: BTreeMap<Aaguid, ByModel>,
    flipped_device_bound: Concerned,
    flipped_synced: Concerned,
    regressions: Concerned,
    n_regressions: u64,
    unused_passes: Concerned,
    long_passes: Concerned,
    initiated: Initiated,
    bulk: Vec<Finding>,
}

impl<'a> Review<'a> {
    pub fn new(
        options: &'a FindingsOptions,
        fido2: &'a Fido2Configuration,
        catalog: &'a Catalog,
        now: OffsetDateTime,
    ) -> Review<'a> {
        Review {
            options,
            fido2,
            catalog,
            now,
            no_strong_method: Concerned::default(),
            mfa_only: Concerned::default(),
            skipped_guests: 0,
            skipped_disabled: 0,
            rechecked: HashMap::new(),
            not_allowed: BTreeMap::new(),
            alerts: BTreeMap::new(),
            flipped_device_bound: Concerned::default(),
            flipped_synced: Concerned::default(),
            regressions: Concerned::default(),
            n_regressions: 0,
            unused_passes: Concerned::default(),
            long_passes: Concerned::default(),
            initiated: Initiated::default(),
            bulk: vec![],
        }
    }

    fn max(&self) -> usize {
        self.options.max_listed
    }

    /// A passkey as findings name it, with the catalog's model name when none was recorded.
    fn reference(&self, credential: &Credential) -> CredentialRef {
        let mut reference = credential.reference();
        if reference.model.is_none() {
            reference.model = self.catalog.name(&credential.aaguid).map(str::to_string);
        }
        reference
    }

    /// A user and their methods. Users holding a passkey are ignored; guests (who cannot register passkeys) and
    /// disabled accounts are counted in the evidence only.
    pub fn user(&mut self, methods: &UserMethods) {
        if methods.is_phishing_resistant() {
            return;
        }
        if methods.user_type == UserType::Guest {
            self.skipped_guests += 1;
            return;
        }
        if !methods.account_enabled {
            self.skipped_disabled += 1;
            return;
        }
        let max = self.max();
        if methods.is_mfa_registered(self.now) {
            self.mfa_only.user(&methods.user, max);
        } else {
            self.no_strong_method.user(&methods.user, max);
        }
    }

    /// A passkey to re-check against today's policy, as at sign-in; counted when no profile that applies to its
    /// user accepts it. Refusals for reasons that are not about the passkey (method disabled, account disabled, user
    /// excluded or out of scope) are not findings of this kind. Each class is decided once.
    pub fn passkey_to_recheck(&mut self, credential: &Credential) {
        if self.fido2.state == State::Disabled {
            return;
        }
        if !self.rechecked.contains_key(&credential.class) {
            let refusal = match recheck(self.fido2, &credential.class, self.catalog) {
                Err(refusal) if refusal.code == Code::CredentialNotAllowedAtSignIn => Some(refusal),
                _ => None,
            };
            self.rechecked.insert(credential.class.clone(), refusal);
        }
        let Some(Some(refusal)) = self.rechecked.get(&credential.class) else {
            return;
        };
        let detail = json!(refusal.verdicts);
        let (max, reference) = (self.max(), self.reference(credential));
        let entry = self.not_allowed.entry(credential.aaguid).or_default();
        entry.concerned.credential(&credential.user, reference, max);
        entry.passkey_types.insert(credential.passkey_type.as_str());
        if entry.model.is_none() {
            entry.model = credential.model.clone();
        }
        entry.detail.get_or_insert(detail);
    }

    /// The AAGUIDs the catalog raises an alert for (revoked, compromised, user-verification bypass): the passkeys
    /// to feed to [`Review::passkey_of_alerted_model`].
    pub fn alerted_aaguids(&self) -> Vec<Aaguid> {
        let mut aaguids: Vec<Aaguid> = self
            .catalog
            .entries
            .values()
            .filter(|e| e.alert().is_some())
            .map(|e| e.aaguid)
            .collect();
        aaguids.sort();
        aaguids
    }

    /// A passkey whose model the current metadata may report; counted when it does.
    pub fn passkey_of_alerted_model(&mut self, credential: &Credential) {
        let Some(report) = self.catalog.entry(&credential.aaguid).and_then(|e| e.alert()) else {
            return;
        };
        let detail = alert_detail(report);
        let (max, reference) = (self.max(), self.reference(credential));
        let entry = self.alerts.entry(credential.aaguid).or_default();
        entry.passkey_types.insert(credential.passkey_type.as_str());
        if entry.model.is_none() {
            entry.model = reference.model.clone();
        }
        entry.concerned.credential(&credential.user, reference, max);
        entry.detail.get_or_insert(detail);
    }

    /// A passkey whose backup state changed at a sign-in; counted when it is backed up now and was not at
    /// registration (or, when the registration state is unknown, when a change was recorded and it is backed up).
    pub fn passkey_with_backup_change(&mut self, credential: &Credential) {
        let flipped = credential.backup_state
            && credential.backup_state_changed_date_time.is_some()
            && credential.registered_backup_state != Some(true);
        if !flipped {
            return;
        }
        let (max, reference) = (self.max(), self.reference(credential));
        let concerned = match credential.passkey_type {
            PasskeyType::DeviceBound => &mut self.flipped_device_bound,
            PasskeyType::Synced => &mut self.flipped_synced,
        };
        concerned.credential(&credential.user, reference, max);
    }

    /// A passkey whose sign counter went backwards at least once; counted when it did.
    pub fn passkey_with_counter_regression(&mut self, credential: &Credential) {
        if credential.counter_regressions == 0 {
            return;
        }
        let (max, reference) = (self.max(), self.reference(credential));
        self.n_regressions += u64::from(credential.counter_regressions);
        self.regressions.credential(&credential.user, reference, max);
    }

    /// A user's Temporary Access Pass.
    pub fn access_pass(&mut self, pass: &AccessPass, user: &UserRef) {
        let max = self.options.max_listed;
        let reference = CredentialRef {
            id: pass.id,
            method: "temporaryAccessPass",
            user_id: user.id,
            user_principal_name: user.user_principal_name.clone(),
            display_name: Some(format!(
                "{} pass, {} minutes from {}",
                if pass.is_usable_once { "one-time" } else { "multi-use" },
                pass.lifetime_in_minutes,
                rfc3339(pass.start_date_time)
            )),
            aaguid: None,
            model: None,
        };
        let lifetime = Duration::minutes(i64::from(pass.lifetime_in_minutes));
        if pass.is_usable_once && pass.used_date_time.is_none() && self.now >= pass.expires_at() {
            self.unused_passes.credential(user, reference, max);
        } else if !pass.is_usable_once
            && lifetime > self.options.long_access_pass_lifetime
            && self.now < pass.expires_at()
        {
            self.long_passes.credential(user, reference, max);
        }
    }

    /// An audit event. Successful "Admin registered security info" events are considered; they must arrive grouped
    /// by initiator, oldest first within an initiator.
    pub fn admin_registration(&mut self, event: &Event) {
        if event.activity != Activity::AdminRegisteredSecurityInfo || event.result != Outcome::Success {
            return;
        }
        let initiator_id = event.initiated_by.id();
        if initiator_id != self.initiated.initiator_id {
            self.close_initiator();
            self.initiated.initiator_id = initiator_id;
            self.initiated.initiator_name = event.initiated_by.name();
        }
        let detail = |key: DetailKey| event.detail(&key).map(str::to_string);
        let target = event.target_resources.first().and_then(|t| {
            Some(UserRef {
                id: t.id.parse().ok()?,
                user_principal_name: t.user_principal_name.clone()?,
                display_name: t.display_name.clone().unwrap_or_default(),
            })
        });
        self.initiated.events.push(AdminRegistration {
            at: event.activity_date_time,
            target,
            method: detail(DetailKey::Method).unwrap_or_else(|| "unknown".into()),
            method_id: detail(DetailKey::MethodId).and_then(|id| id.parse().ok()),
        });
    }

    /// Turns the current initiator's events into bulk findings: every maximal run of events in which some window
    /// of [`FindingsOptions::bulk_window`] holds at least [`FindingsOptions::bulk_threshold`] of them.
    fn close_initiator(&mut self) {
        let initiated = std::mem::take(&mut self.initiated);
        let events = &initiated.events;
        let threshold = self.options.bulk_threshold.max(1) as usize;
        let window = self.options.bulk_window;
        let mut marked = vec![false; events.len()];
        let mut end = 0;
        for start in 0..events.len() {
            end = end.max(start);
            while end < events.len() && events[end].at - events[start].at <= window {
                end += 1;
            }
            if end - start >= threshold {
                marked[start..end].iter_mut().for_each(|m| *m = true);
            }
        }
        let mut i = 0;
        while i < events.len() {
            if !marked[i] {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < events.len() && marked[j] && events[j].at - events[j - 1].at <= window {
                j += 1;
            }
            let finding = self.bulk_finding(&initiated, &events[i..j]);
            self.bulk.push(finding);
            i = j;
        }
    }

    fn bulk_finding(&self, initiated: &Initiated, burst: &[AdminRegistration]) -> Finding {
        let max = self.options.max_listed;
        let mut concerned = Concerned::default();
        let mut methods: BTreeMap<&str, u64> = BTreeMap::new();
        let mut seen_users = BTreeSet::new();
        for event in burst {
            *methods.entry(event.method.as_str()).or_default() += 1;
            let Some(target) = &event.target else { continue };
            if seen_users.insert(target.id) {
                concerned.last_user = None;
                concerned.user(target, max);
            }
            if let Some(id) = event.method_id {
                concerned.n_credentials += 1;
                if concerned.credentials.len() < max {
                    let passkey = event.method.starts_with("Passkey");
                    concerned.credentials.push(CredentialRef {
                        id,
                        method: if passkey {
                            "fido2"
                        } else if event.method == "TemporaryAccessPass" {
                            "temporaryAccessPass"
                        } else {
                            "other"
                        },
                        user_id: target.id,
                        user_principal_name: target.user_principal_name.clone(),
                        display_name: Some(event.method.clone()),
                        aaguid: None,
                        model: None,
                    });
                }
            }
        }
        let (first, last) = (burst[0].at, burst[burst.len() - 1].at);
        let minutes = ((last - first).whole_seconds() + 59) / 60;
        let name = &initiated.initiator_name;
        let summary = format!(
            "{name} registered security info {} times for {} users within {minutes} minutes (from {})",
            burst.len(),
            concerned.n_users,
            rfc3339(first)
        );
        concerned.finding(
            Kind::BulkAdminRegistration,
            Severity::Medium,
            summary,
            format!(
                "Confirm with {name} that these registrations were a planned bootstrap. If not, delete the passkeys \
                 and passes registered for these users, sign the users out, and review {name}'s role."
            ),
            json!({
                "initiatorId": initiated.initiator_id,
                "initiator": name,
                "firstDateTime": rfc3339(first),
                "lastDateTime": rfc3339(last),
                "registrations": burst.len(),
                "methods": methods,
                "threshold": self.options.bulk_threshold,
                "windowMinutes": self.options.bulk_window.whole_minutes(),
            }),
        )
    }

    /// The findings, most severe first.
    pub fn finish(mut self) -> Vec<Finding> {
        self.close_initiator();
        let Review {
            options,
            no_strong_method,
            mfa_only,
            skipped_guests,
            skipped_disabled,
            not_allowed,
            alerts,
            flipped_device_bound,
            flipped_synced,
            regressions,
            n_regressions,
            unused_passes,
            long_passes,
            bulk,
            ..
        } = self;
        let skipped = json!({ "guests": skipped_guests, "disabledAccounts": skipped_disabled });
        let mut findings = bulk;
        findings.extend(no_strong_method_finding(no_strong_method, &skipped));
        findings.extend(mfa_only_finding(mfa_only, &skipped));
        findings.extend(not_allowed.into_iter().map(not_allowed_finding));
        findings.extend(alerts.into_iter().map(alert_finding));
        findings.extend(device_bound_backed_up_finding(flipped_device_bound));
        findings.extend(backed_up_since_registration_finding(flipped_synced));
        findings.extend(counter_regression_finding(regressions, n_regressions));
        findings.extend(unused_pass_finding(unused_passes));
        findings.extend(long_pass_finding(long_passes, options.long_access_pass_lifetime));
        // Stable: findings of one severity and kind keep the order above.
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)));
        findings
    }
}

/// Users who hold no strong method at all.
fn no_strong_method_finding(concerned: Concerned, skipped: &Value) -> Option<Finding> {
    let n = concerned.n_users;
    concerned.finding_if_any(
        Kind::NoPhishingResistantMethod,
        Severity::Medium,
        format!("{n} users hold no strong method at all: a password at most, no passkey"),
        "Issue each a one-time Temporary Access Pass with a short lifetime (1 to 4 hours) through a channel you trust, \
         and have them register a passkey in Security info.",
        json!({ "phishingResistant": ["fido2"], "excluded": skipped }),
    )
}

/// Users whose strongest method is phishable MFA.
fn mfa_only_finding(concerned: Concerned, skipped: &Value) -> Option<Finding> {
    let n = concerned.n_users;
    concerned.finding_if_any(
        Kind::NoPhishingResistantMethod,
        Severity::Low,
        format!("{n} users sign in with phishable MFA only (an authenticator app or a pass), no passkey"),
        "Drive them to register a passkey before requiring phishing-resistant authentication for sign-in; \
         `keywarden inventory --without-phishing-resistant` lists them with their methods.",
        json!({ "phishingResistant": ["fido2"], "excluded": skipped }),
    )
}

/// Device-bound passkeys that now report being backed up.
fn device_bound_backed_up_finding(concerned: Concerned) -> Option<Finding> {
    let n = concerned.n_credentials;
    concerned.finding_if_any(
        Kind::BackupStateFlipped,
        Severity::High,
        format!("{n} passkeys registered as device-bound now report being backed up (synced)"),
        "A device-bound passkey cannot be backed up: the authenticator misreports its flags or the key left the \
         device. Ask the users, and delete the passkeys if they cannot explain it.",
        json!({ "registeredAs": "deviceBound", "backupState": true }),
    )
}

/// Synced passkeys that were not backed up at registration and are now.
fn backed_up_since_registration_finding(concerned: Concerned) -> Option<Finding> {
    let n = concerned.n_credentials;
    concerned.finding_if_any(
        Kind::BackupStateFlipped,
        Severity::Medium,
        format!(
            "{n} passkeys that were not backed up at registration are now backed up (synced to a provider account)"
        ),
        "The private key now also lives in the passkey provider's cloud account. If the users' profiles should hold \
         device-bound passkeys only, ask them to register a device-bound passkey and delete these.",
        json!({ "registeredBackupState": false, "backupState": true }),
    )
}

/// Passkeys whose sign counter went backwards; `n_regressions` counts every time it did.
fn counter_regression_finding(concerned: Concerned, n_regressions: u64) -> Option<Finding> {
    let n = concerned.n_credentials;
    concerned.finding_if_any(
        Kind::CounterRegression,
        Severity::High,
        format!("{n} passkeys presented a sign counter lower than the stored one"),
        "A counter that goes backwards can mean a cloned authenticator. Ask the users whether they restored or reset \
         the authenticator; if not, delete the passkey and review its recent sign-ins.",
        json!({ "regressions": n_regressions }),
    )
}

/// One-time passes that expired unused.
fn unused_pass_finding(concerned: Concerned) -> Option<Finding> {
    let n = concerned.n_credentials;
    concerned.finding_if_any(
        Kind::UnusedOneTimeAccessPass,
        Severity::Low,
        format!("{n} one-time Temporary Access Passes expired without registering a passkey"),
        "The bootstrap did not happen: check with the users whether the pass reached them, and issue a new one with \
         a start time that suits them.",
        json!({}),
    )
}

/// Multi-use passes valid for longer than `longer_than`.
fn long_pass_finding(concerned: Concerned, longer_than: Duration) -> Option<Finding> {
    let n = concerned.n_credentials;
    let hours = longer_than.whole_minutes() as f64 / 60.0;
    concerned.finding_if_any(
        Kind::LongMultiUseAccessPass,
        Severity::Medium,
        format!("{n} multi-use Temporary Access Passes are valid for more than {hours} hours"),
        "A long multi-use pass works like a password that bypasses MFA. Revoke it once the passkey is registered, \
         prefer one-time passes, and lower the policy's maximumLifetimeInMinutes.",
        json!({ "lifetimeLongerThanMinutes": longer_than.whole_minutes() }),
    )
}

fn alert_detail(report: &StatusReport) -> Value {
    json!({
        "status": report.status.as_str(),
        "effectiveDate": report.effective_date.map(|d| d.to_string()),
        "fixedInAuthenticatorVersion": report.authenticator_version,
        "certificateNumber": report.certificate_number,
    })
}

fn model_name(aaguid: Aaguid, model: Option<&str>) -> String {
    match model {
        Some(model) => format!("{model} ({aaguid})"),
        None => aaguid.to_string(),
    }
}

/// Passkeys of one model that no profile applying to their users accepts at sign-in today.
fn not_allowed_finding((aaguid, by_model): (Aaguid, ByModel)) -> Finding {
    let name = model_name(aaguid, by_model.model.as_deref());
    let n = by_model.concerned.n_credentials;
    let types: Vec<&str> = by_model.passkey_types.iter().copied().collect();
    by_model.concerned.finding(
        Kind::AaguidNotAllowed,
        Severity::Medium,
        format!("{n} passkeys of {name} are accepted by no passkey profile that applies to their users today"),
        format!(
            "These passkeys were admitted once but today's policy refuses them at sign-in \
             ({}): either the policy was more permissive than intended, or users found a workaround. If the model \
             should be allowed, add {aaguid} to the allow list of a profile these users get; otherwise ask them to \
             register an allowed authenticator and delete these passkeys.",
            Code::CredentialNotAllowedAtSignIn.as_str()
        ),
        json!({ "aaguid": aaguid, "passkeyTypes": types, "verdicts": by_model.detail }),
    )
}

/// Passkeys of a model the FIDO metadata now reports (revoked, compromised, user verification bypassed).
fn alert_finding((aaguid, by_model): (Aaguid, ByModel)) -> Finding {
    let name = model_name(aaguid, by_model.model.as_deref());
    let n = by_model.concerned.n_credentials;
    let detail = by_model.detail.unwrap_or(Value::Null);
    let status = detail["status"].as_str().unwrap_or_default().to_string();
    let bypass = status == Status::UserVerificationBypass.as_str();
    let (severity, action) = if bypass {
        let fixed = match detail["fixedInAuthenticatorVersion"].as_u64() {
            Some(version) => format!(" Firmware from version {version} is fixed;"),
            None => String::new(),
        };
        (
            Severity::Medium,
            format!(
                "The model's user verification (PIN or biometric) can be bypassed.{fixed} keywarden cannot see a \
                 passkey's firmware version, so ask these users to update or replace the authenticator, and consider \
                 blocking {aaguid} in the passkey profiles' key restrictions."
            ),
        )
    } else {
        (
            Severity::High,
            format!(
                "Passkeys of this model can no longer be trusted. Ask these users to register a passkey from another \
                 model, then delete these; block {aaguid} in the passkey profiles' key restrictions (new registrations \
                 of it are already refused)."
            ),
        )
    };
    by_model.concerned.finding(
        Kind::MetadataAlert,
        severity,
        format!("the FIDO metadata now reports {name} as {status}; {n} registered passkeys are of this model"),
        action,
        json!({ "aaguid": aaguid, "metadata": detail }),
    )
}
