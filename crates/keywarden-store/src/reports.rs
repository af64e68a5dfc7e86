//! Reads for reports: the inventory, users with their methods, the audit export, and what the findings need.
//!
//! Unbounded reads are [`Scan`]s, streamed row by row; grouped counts (per model, per credential class, per
//! initiator) are computed by SQL so that only their small results cross to Rust. Decisions stay in
//! `keywarden_domain::reports`: SQL here only selects and counts.

use futures_util::TryStreamExt;
use keywarden_domain::access_pass::AccessPass;
use keywarden_domain::audit::{Activity, Event, Outcome};
use keywarden_domain::directory::UserType;
use keywarden_domain::ids::{Aaguid, UserId};
use keywarden_domain::policy::PasskeyType;
use keywarden_domain::registration::{AttestationLevel, Flags};
use keywarden_domain::reports::UserRef;
use keywarden_domain::reports::findings::{Credential, CredentialClass, PolicyScope};
use keywarden_domain::reports::inventory::{ModelCount, Record};
use keywarden_domain::reports::methods::UserMethods;
use serde::Deserialize;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::audit::{AuditFilter, EVENT_COLUMNS, conditions, event_from_row};
use crate::scan::{Bind, Scan, Sql};
use crate::{Error, Result, Store, flag, from_json, from_micros, get, micros, opt_from_micros, parse_id};

/// Which passkeys a findings scan selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Passkeys of these models.
    Aaguids(Vec<Aaguid>),
    /// Passkeys backed up now whose backup state changed at a sign-in.
    BackupStateChanged,
    /// Passkeys that presented a lower sign counter at least once.
    CounterRegressed,
}

fn attestation_level(text: &str) -> AttestationLevel {
    if text == "attested" {
        AttestationLevel::Attested
    } else {
        AttestationLevel::NotAttested
    }
}

fn passkey_type(text: &str) -> Result<PasskeyType> {
    match text {
        "deviceBound" => Ok(PasskeyType::DeviceBound),
        "synced" => Ok(PasskeyType::Synced),
        other => Err(Error::Corrupt(format!("credentials.passkey_type {other:?}"))),
    }
}

/// The backup state recorded at registration, from a `credentials.details` document.
fn registered_backup_state(details: &str) -> Result<bool> {
    #[derive(Deserialize)]
    struct Details {
        facts: Facts,
    }
    #[derive(Deserialize)]
    struct Facts {
        flags: Flags,
    }
    let parsed: Details = from_json("credentials.details", details)?;
    Ok(parsed.facts.flags.backup_state)
}

/// Separators of the inventory's packed rows: ASCII unit separator between a passkey's fields, record separator
/// between passkeys. Stored text never holds them (display names refuse control characters); a row that does not
/// split as expected is reported as corrupt rather than misread.
const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// Appends one text of `columns` separated by [`FIELD`], a NULL or an integer written as text (`''` for NULL).
///
/// One `format()` call (SQLite and PostgreSQL both have it, and both write NULL as `''` for `%s`) rather than a
/// chain of `||` with casts and `COALESCE`s, which made SQLite build every intermediate string: on three million
/// passkeys that chain cost more than the rest of the inventory's query.
fn pack(sql: &mut Sql, columns: &[&str]) {
    let format = vec!["%s"; columns.len()].join(&FIELD.to_string());
    sql.push("format(").bind(Bind::Text(format));
    for column in columns {
        sql.push(", ").push(column);
    }
    sql.push(")");
}

/// One user's passkeys from a packed inventory row.
fn inventory_records(row: &AnyRow) -> Result<Vec<Record>> {
    let packed: &str = get(row, "packed")?;
    let mut passkeys = packed.split(RECORD);
    let (upn, display_name) = passkeys
        .next()
        .and_then(|user| user.split_once(FIELD))
        .ok_or_else(|| Error::Corrupt("an inventory row does not start with a user's names".into()))?;
    let (upn, display_name) = (upn.to_string(), display_name.to_string());
    let mut records = passkeys
        .map(|passkey| {
            let fields: Vec<&str> = passkey.split(FIELD).collect();
            let [name, aaguid, model, created, level, kind, used, profile, thumbprint] = fields[..] else {
                return Err(Error::Corrupt(format!(
                    "a passkey of {upn} does not read as nine fields (a control character in its text?)"
                )));
            };
            let micros = |column: &str, text: &str| {
                text.parse::<i64>()
                    .map_err(|_| Error::Corrupt(format!("credentials.{column}: {text:?}")))
            };
            Ok(Record {
                user_principal_name: upn.clone(),
                display_name: display_name.clone(),
                method_display_name: name.to_string(),
                aaguid: parse_id("credentials.aaguid", aaguid)?,
                model: (!model.is_empty()).then(|| model.to_string()),
                created_date_time: from_micros(micros("created_at", created)?)?,
                attestation_level: attestation_level(level),
                attestation_certificate_thumbprint: (!thumbprint.is_empty()).then(|| thumbprint.to_string()),
                passkey_type: passkey_type(kind)?,
                last_used_date_time: if used.is_empty() {
                    None
                } else {
                    Some(from_micros(micros("last_used_at", used)?)?)
                },
                admitting_profile: profile.to_string(),
            })
        })
        .collect::<Result<Vec<Record>>>()?;
    records.sort_by_key(|r| r.created_date_time);
    Ok(records)
}

/// One user's passkeys from a packed re-check row.
fn recheck_records(row: &AnyRow, scope: &PolicyScope) -> Result<Vec<Credential>> {
    let packed: &str = get(row, "packed")?;
    let mut passkeys = packed.split(RECORD);
    let header: Vec<&str> = passkeys.next().unwrap_or_default().split(FIELD).collect();
    let [id, upn, display_name, account_enabled, memberships @ ..] = &header[..] else {
        return Err(Error::Corrupt("a re-check row does not start with its user".into()));
    };
    if memberships.len() != scope.groups.len() {
        return Err(Error::Corrupt(format!(
            "a re-check row of {upn} has {} memberships for {} groups",
            memberships.len(),
            scope.groups.len()
        )));
    }
    let user = UserRef {
        id: parse_id::<UserId>("users.id", id)?,
        user_principal_name: (*upn).to_string(),
        display_name: (*display_name).to_string(),
    };
    let groups: std::collections::BTreeSet<_> = scope
        .groups
        .iter()
        .zip(memberships)
        .filter(|(_, member)| **member != "0")
        .map(|(group, _)| *group)
        .collect();
    let account_enabled = *account_enabled != "0";
    let excluded_user = scope.users.contains(&user.id).then_some(user.id);
    passkeys
        .map(|passkey| {
            let fields: Vec<&str> = passkey.split(FIELD).collect();
            let [id, name, aaguid, model, kind] = fields[..] else {
                return Err(Error::Corrupt(format!(
                    "a passkey of {} does not read as five fields (a control character in its text?)",
                    user.user_principal_name
                )));
            };
            let aaguid: Aaguid = parse_id("credentials.aaguid", aaguid)?;
            let passkey_type = passkey_type(kind)?;
            Ok(Credential {
                id: parse_id("credentials.id", id)?,
                user: user.clone(),
                display_name: name.to_string(),
                aaguid,
                model: (!model.is_empty()).then(|| model.to_string()),
                passkey_type,
                backup_state: false,
                registered_backup_state: None,
                backup_state_changed_date_time: None,
                counter_regressions: 0,
                class: CredentialClass {
                    aaguid,
                    passkey_type,
                    account_enabled,
                    groups: groups.clone(),
                    excluded_user,
                },
            })
        })
        .collect()
}

/// Adds the class columns for `scope`: `g0`, `g1`... (membership of each scope group, 0 or 1) and `excluded_user`.
fn class_columns(sql: &mut Sql, scope: &PolicyScope) {
    for (i, group) in scope.groups.iter().enumerate() {
        sql.push(
            ", CAST(CASE WHEN EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = c.user_id AND m.group_id = ",
        )
        .bind(Bind::Text(group.to_string()))
        .push(&format!(") THEN 1 ELSE 0 END AS BIGINT) AS g{i}"));
    }
    if !scope.users.is_empty() {
        sql.push(", CASE WHEN c.user_id IN ")
            .list(scope.users.iter().map(|u| Bind::Text(u.to_string())))
            .push(" THEN c.user_id ELSE NULL END AS excluded_user");
    }
}

fn class_from_row(row: &AnyRow, scope: &PolicyScope) -> Result<CredentialClass> {
    let mut groups = std::collections::BTreeSet::new();
    for (i, group) in scope.groups.iter().enumerate() {
        if flag(row, &format!("g{i}"))? {
            groups.insert(*group);
        }
    }
    let excluded_user = if scope.users.is_empty() {
        None
    } else {
        get::<Option<String>>(row, "excluded_user")?
            .map(|id| parse_id("credentials.user_id", &id))
            .transpose()?
    };
    Ok(CredentialClass {
        aaguid: parse_id("credentials.aaguid", &get::<String>(row, "aaguid")?)?,
        passkey_type: passkey_type(&get::<String>(row, "passkey_type")?)?,
        account_enabled: flag(row, "account_enabled")?,
        groups,
        excluded_user,
    })
}

fn user_methods(row: &AnyRow) -> Result<UserMethods> {
    let user_type: String = get(row, "user_type")?;
    let pass_id: Option<String> = get(row, "pass_id")?;
    let access_pass = match pass_id {
        None => None,
        Some(id) => Some(AccessPass {
            id: parse_id("access_passes.id", &id)?,
            user_id: parse_id("users.id", &get::<String>(row, "id")?)?,
            created_date_time: from_micros(get(row, "pass_created_at")?)?,
            start_date_time: from_micros(get(row, "pass_start_at")?)?,
            lifetime_in_minutes: u32::try_from(get::<i64>(row, "pass_lifetime_minutes")?).unwrap_or(u32::MAX),
            is_usable_once: flag(row, "pass_is_usable_once")?,
            used_date_time: opt_from_micros(get(row, "pass_used_at")?)?,
        }),
    };
    Ok(UserMethods {
        user: UserRef {
            id: parse_id("users.id", &get::<String>(row, "id")?)?,
            user_principal_name: get(row, "upn")?,
            display_name: get(row, "display_name")?,
        },
        user_type: user_type.parse::<UserType>().map_err(Error::Corrupt)?,
        account_enabled: flag(row, "account_enabled")?,
        passkeys: u64::try_from(get::<i64>(row, "passkeys")?).unwrap_or(0),
        password: flag(row, "has_password")?,
        software_oath: flag(row, "has_totp")?,
        access_pass,
    })
}

fn access_pass_with_user(row: &AnyRow) -> Result<(AccessPass, UserRef)> {
    let user = UserRef {
        id: parse_id("users.id", &get::<String>(row, "user_id")?)?,
        user_principal_name: get(row, "upn")?,
        display_name: get(row, "display_name")?,
    };
    let pass = AccessPass {
        id: parse_id("access_passes.id", &get::<String>(row, "id")?)?,
        user_id: user.id,
        created_date_time: from_micros(get(row, "created_at")?)?,
        start_date_time: from_micros(get(row, "start_at")?)?,
        lifetime_in_minutes: u32::try_from(get::<i64>(row, "lifetime_minutes")?).unwrap_or(u32::MAX),
        is_usable_once: flag(row, "is_usable_once")?,
        used_date_time: opt_from_micros(get(row, "used_at")?)?,
    };
    Ok((pass, user))
}

const USER_METHOD_COLUMNS: &str = "u.id, u.upn, u.display_name, u.user_type, u.account_enabled, \
     CAST(CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM totp_methods t WHERE t.user_id = u.id) THEN 1 ELSE 0 END AS BIGINT) AS has_totp, \
     a.id AS pass_id, a.created_at AS pass_created_at, a.start_at AS pass_start_at, \
     a.lifetime_minutes AS pass_lifetime_minutes, a.is_usable_once AS pass_is_usable_once, a.used_at AS pass_used_at";

impl Store {
    /// Every passkey with its user's names, one item per user who has passkeys, ordered by userPrincipalName, each
    /// user's passkeys by registration time.
    pub fn inventory_scan(&self) -> Scan<Vec<Record>> {
        // Millions of rows cost more to hand from the database driver to Rust than to read, so each user's passkeys
        // come packed in one text (`string_agg`, in SQLite since 3.44 and in PostgreSQL), put in registration order
        // by the decoder (an ORDER BY inside the aggregate would cost a sorter per user). `users CROSS JOIN
        // credentials` makes SQLite walk the users in userPrincipalName order (its unique index, which the GROUP BY
        // follows without sorting) and each user's passkeys in `credentials_inventory`, which covers every column
        // read here, so nothing is sorted at once and the wide credential rows are not read. PostgreSQL reads it
        // as an ordinary join.
        //
        // The user's names lead the same text (one value a row: each value crosses from SQLite's thread to Rust's
        // as its own allocation).
        let mut sql = Sql::new("SELECT ");
        pack(&mut sql, &["MAX(u.upn)", "MAX(u.display_name)"]);
        sql.push(" || ")
            .bind(Bind::Text(RECORD.to_string()))
            .push(" || string_agg(");
        pack(
            &mut sql,
            &[
                "c.display_name",
                "c.aaguid",
                "c.model",
                "c.created_at",
                "c.attestation_level",
                "c.passkey_type",
                "c.last_used_at",
                "c.admitting_profile",
                "c.attestation_thumbprint",
            ],
        );
        sql.push(", ").bind(Bind::Text(RECORD.to_string())).push(
            ") AS packed FROM users u CROSS JOIN credentials c WHERE c.user_id = u.id GROUP BY u.upn_lower \
             ORDER BY u.upn_lower",
        );
        Scan::new(sql, inventory_records)
    }

    pub async fn count_passkeys(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM credentials")
            .fetch_one(&self.reader)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Passkeys counted per AAGUID, passkey type and attestation level, with a recorded model name (read from the
    /// `credentials_models` index, in its order, without reading the credential rows).
    pub async fn model_counts(&self) -> Result<Vec<ModelCount>> {
        let mut rows = sqlx::query(
            "SELECT aaguid, passkey_type, attestation_level, MAX(model) AS model, COUNT(*) AS n FROM credentials \
             GROUP BY aaguid, passkey_type, attestation_level ORDER BY aaguid, passkey_type, attestation_level",
        )
        .fetch(&self.reader);
        let mut counts = Vec::new();
        while let Some(row) = rows.try_next().await? {
            counts.push(ModelCount {
                aaguid: parse_id("credentials.aaguid", &get::<String>(&row, "aaguid")?)?,
                model: get(&row, "model")?,
                passkey_type: passkey_type(&get::<String>(&row, "passkey_type")?)?,
                attestation_level: attestation_level(&get::<String>(&row, "attestation_level")?),
                credentials: u64::try_from(get::<i64>(&row, "n")?).unwrap_or(0),
            });
        }
        Ok(counts)
    }

    /// Users with their methods, ordered by userPrincipalName; with `without_passkey`, only users who have
    /// registered no passkey (the filter is done by SQL; `UserMethods::is_phishing_resistant` agrees with it).
    pub fn user_methods_scan(&self, without_passkey: bool) -> Scan<UserMethods> {
        let sql = if without_passkey {
            format!(
                "SELECT {USER_METHOD_COLUMNS}, CAST(0 AS BIGINT) AS passkeys FROM users u \
                 LEFT JOIN access_passes a ON a.user_id = u.id \
                 WHERE NOT EXISTS (SELECT 1 FROM credentials c WHERE c.user_id = u.id) ORDER BY u.upn_lower"
            )
        } else {
            format!(
                "SELECT {USER_METHOD_COLUMNS}, (SELECT COUNT(*) FROM credentials c WHERE c.user_id = u.id) AS passkeys \
                 FROM users u LEFT JOIN access_passes a ON a.user_id = u.id ORDER BY u.upn_lower"
            )
        };
        Scan::new(Sql::new(&sql), user_methods)
    }

    /// Events matching `filter` (its cursor included), oldest first: the audit export.
    pub fn audit_export_scan(&self, filter: &AuditFilter) -> Scan<Event> {
        let mut sql = Sql::new(&format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE 1 = 1"));
        conditions(&mut sql, filter);
        sql.push(" ORDER BY seq");
        Scan::new(sql, event_from_row)
    }

    /// Every passkey with what its sign-in re-check depends on (its user's account state, memberships among
    /// `scope`'s groups, whether `scope` names the user), one item per user who has passkeys, in userPrincipalName
    /// order. Packed per user as the inventory is, and for the same reason; each group membership is looked up
    /// once per user. Only the re-check's fields are read: backup state and counters are left false and zero.
    pub fn recheck_scan(&self, scope: &PolicyScope) -> Scan<Vec<Credential>> {
        // The user (id, names, account state, a 0 or a count per scope group) leads the text, then its passkeys.
        let n_fields = 4 + scope.groups.len();
        let mut sql = Sql::new("SELECT format(");
        sql.bind(Bind::Text(vec!["%s"; n_fields].join(&FIELD.to_string())))
            .push(", u.id, MAX(u.upn), MAX(u.display_name), MAX(u.account_enabled)");
        for group in &scope.groups {
            sql.push(", (SELECT COUNT(*) FROM group_members m WHERE m.user_id = u.id AND m.group_id = ")
                .bind(Bind::Text(group.to_string()))
                .push(")");
        }
        sql.push(") || ")
            .bind(Bind::Text(RECORD.to_string()))
            .push(" || string_agg(");
        pack(
            &mut sql,
            &["c.id", "c.display_name", "c.aaguid", "c.model", "c.passkey_type"],
        );
        // The GROUP BY and ORDER BY name the same columns so that SQLite streams the groups in index order.
        sql.push(", ").bind(Bind::Text(RECORD.to_string())).push(
            ") AS packed FROM users u CROSS JOIN credentials c WHERE c.user_id = u.id \
             GROUP BY u.upn_lower, u.id ORDER BY u.upn_lower, u.id",
        );
        let scope = scope.clone();
        Scan::new(sql, move |row| recheck_records(row, &scope))
    }

    /// The passkeys `selection` names, with their users and classes (for `scope`), ordered by userPrincipalName.
    pub fn finding_credentials_scan(&self, selection: &Selection, scope: &PolicyScope) -> Scan<Credential> {
        let mut sql = Sql::new(
            "SELECT c.id, c.user_id, u.upn, u.display_name AS user_display_name, u.account_enabled, c.display_name, \
             c.aaguid, c.model, c.passkey_type, c.backup_state, c.backup_state_changed_at, c.counter_regressions, \
             CASE WHEN c.backup_state_changed_at IS NULL THEN NULL ELSE c.details END AS details",
        );
        class_columns(&mut sql, scope);
        sql.push(" FROM credentials c JOIN users u ON u.id = c.user_id WHERE ");
        match selection {
            Selection::Aaguids(aaguids) if aaguids.is_empty() => return Scan::empty(),
            Selection::Aaguids(aaguids) => {
                sql.push("c.aaguid IN ")
                    .list(aaguids.iter().map(|a| Bind::Text(a.to_string())));
            }
            Selection::BackupStateChanged => {
                sql.push("c.backup_state_changed_at IS NOT NULL AND c.backup_state = 1");
            }
            Selection::CounterRegressed => {
                sql.push("c.counter_regressions > 0");
            }
        }
        sql.push(" ORDER BY u.upn_lower, c.created_at, c.id");
        let scope = scope.clone();
        Scan::new(sql, move |row| {
            let details: Option<String> = get(row, "details")?;
            Ok(Credential {
                id: parse_id("credentials.id", &get::<String>(row, "id")?)?,
                user: UserRef {
                    id: parse_id::<UserId>("credentials.user_id", &get::<String>(row, "user_id")?)?,
                    user_principal_name: get(row, "upn")?,
                    display_name: get(row, "user_display_name")?,
                },
                display_name: get(row, "display_name")?,
                aaguid: parse_id("credentials.aaguid", &get::<String>(row, "aaguid")?)?,
                model: get(row, "model")?,
                passkey_type: passkey_type(&get::<String>(row, "passkey_type")?)?,
                backup_state: flag(row, "backup_state")?,
                registered_backup_state: details.as_deref().map(registered_backup_state).transpose()?,
                backup_state_changed_date_time: opt_from_micros(get(row, "backup_state_changed_at")?)?,
                counter_regressions: u32::try_from(get::<i64>(row, "counter_regressions")?).unwrap_or(u32::MAX),
                class: class_from_row(row, &scope)?,
            })
        })
    }

    /// Passes that may be findings at `now`: one-time passes expired unused, and multi-use passes longer than
    /// `long_minutes` still valid; ordered by userPrincipalName.
    pub fn access_pass_findings_scan(&self, now: OffsetDateTime, long_minutes: i64) -> Scan<(AccessPass, UserRef)> {
        let mut sql = Sql::new(
            "SELECT a.id, a.user_id, a.created_at, a.start_at, a.lifetime_minutes, a.is_usable_once, a.used_at, u.upn, \
             u.display_name FROM access_passes a JOIN users u ON u.id = a.user_id \
             WHERE (a.is_usable_once = 1 AND a.used_at IS NULL AND a.start_at + a.lifetime_minutes * 60000000 <= ",
        );
        sql.bind(Bind::Int(micros(now)))
            .push(") OR (a.is_usable_once = 0 AND a.lifetime_minutes > ")
            .bind(Bind::Int(long_minutes))
            .push(" AND a.start_at + a.lifetime_minutes * 60000000 > ")
            .bind(Bind::Int(micros(now)))
            .push(") ORDER BY u.upn_lower");
        Scan::new(sql, access_pass_with_user)
    }

    /// The initiators of at least `threshold` successful "Admin registered security info" events since `since`,
    /// counted by SQL: only their events need to be read for bulk registrations.
    pub async fn admin_registration_initiators(&self, since: OffsetDateTime, threshold: u32) -> Result<Vec<String>> {
        let mut rows = sqlx::query(
            "SELECT initiator_id FROM audit_events WHERE activity = $1 AND result = $2 AND activity_at >= $3 \
             GROUP BY initiator_id HAVING COUNT(*) >= $4 ORDER BY initiator_id",
        )
        .bind(Activity::AdminRegisteredSecurityInfo.name())
        .bind(Outcome::Success.as_str())
        .bind(micros(since))
        .bind(i64::from(threshold))
        .fetch(&self.reader);
        let mut initiators = Vec::new();
        while let Some(row) = rows.try_next().await? {
            initiators.push(get::<String>(&row, "initiator_id")?);
        }
        Ok(initiators)
    }

    /// One initiator's successful "Admin registered security info" events since `since`, oldest first.
    pub fn admin_registrations_scan(&self, initiator_id: &str, since: OffsetDateTime) -> Scan<Event> {
        let mut sql = Sql::new(&format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE activity = "));
        sql.bind(Bind::Text(Activity::AdminRegisteredSecurityInfo.name().into()))
            .push(" AND result = ")
            .bind(Bind::Text(Outcome::Success.as_str().into()))
            .push(" AND initiator_id = ")
            .bind(Bind::Text(initiator_id.into()))
            .push(" AND activity_at >= ")
            .bind(Bind::Int(micros(since)))
            .push(" ORDER BY activity_at, seq");
        Scan::new(sql, event_from_row)
    }
}
