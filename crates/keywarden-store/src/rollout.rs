//! Reads for the rollout reports: every user with their groups, passkeys and other methods (streamed, one user at
//! a time), and registration attempts counted per ring, status and failure code.
//!
//! The users are one [`Scan`] over a `UNION ALL` of three parts (the user with their methods, each membership, each
//! passkey), ordered so that a user's rows are contiguous and the user's own row comes first; [`Store::subjects`]
//! folds them into `rollout::Subject`s. One query keeps the parts of a user together without comparing keys in
//! Rust (PostgreSQL's text collation need not agree with byte order). Decisions stay in
//! `keywarden_domain::rollout`.

use std::collections::BTreeSet;

use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use keywarden_domain::access_pass::AccessPass;
use keywarden_domain::codes::Code;
use keywarden_domain::directory::{Role, User, UserType};
use keywarden_domain::ids::{GroupId, UserId};
use keywarden_domain::registration::Status;
use keywarden_domain::rollout::status::AttemptCount;
use keywarden_domain::rollout::{HeldPasskey, Subject};
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::scan::{Bind, Scan, Sql};
use crate::{Error, Result, Store, flag, from_json, from_micros, get, micros, opt_from_micros, parse_id};

/// The columns of every part of the subjects scan, with their SQL types: a part selects the ones it has and NULL
/// (typed, so that PostgreSQL can resolve the union) for the rest. A passkey's display name goes in
/// `display_name`; `ref_id` holds the pass's, the group's or the passkey's id.
const PART_COLUMNS: [(&str, &str); 19] = [
    ("part", "BIGINT"),
    ("user_id", "TEXT"),
    ("upn_lower", "TEXT"),
    ("upn", "TEXT"),
    ("display_name", "TEXT"),
    ("user_type", "TEXT"),
    ("account_enabled", "BIGINT"),
    ("roles", "TEXT"),
    ("has_password", "BIGINT"),
    ("has_totp", "BIGINT"),
    ("ref_id", "TEXT"),
    ("created_at", "BIGINT"),
    ("start_at", "BIGINT"),
    ("lifetime_minutes", "BIGINT"),
    ("is_usable_once", "BIGINT"),
    ("used_at", "BIGINT"),
    ("aaguid", "TEXT"),
    ("passkey_type", "TEXT"),
    ("model", "TEXT"),
];

const USER_PART: i64 = 0;
const GROUP_PART: i64 = 1;
const PASSKEY_PART: i64 = 2;

/// One part of one branch of the union: `SELECT <every column> FROM <from>`.
fn branch(values: &[(&str, &str)], from: &str) -> String {
    let columns: Vec<String> = PART_COLUMNS
        .iter()
        .map(|(name, sql_type)| match values.iter().find(|(n, _)| n == name) {
            Some((_, expression)) => format!("{expression} AS {name}"),
            None => format!("CAST(NULL AS {sql_type}) AS {name}"),
        })
        .collect();
    format!("SELECT {} FROM {from}", columns.join(", "))
}

/// One row of the subjects scan; [`Store::subjects`] folds them into users.
pub struct SubjectPart(Part);

enum Part {
    User(Box<Subject>),
    Group(UserId, GroupId),
    Passkey(UserId, HeldPasskey),
}

fn passkey_type(text: &str) -> Result<keywarden_domain::policy::PasskeyType> {
    use keywarden_domain::policy::PasskeyType;
    match text {
        "deviceBound" => Ok(PasskeyType::DeviceBound),
        "synced" => Ok(PasskeyType::Synced),
        other => Err(Error::Corrupt(format!("credentials.passkey_type {other:?}"))),
    }
}

fn part_from_row(row: &AnyRow) -> Result<SubjectPart> {
    let user_id: UserId = parse_id("users.id", &get::<String>(row, "user_id")?)?;
    let part = match get::<i64>(row, "part")? {
        USER_PART => {
            let user_type: String = get(row, "user_type")?;
            let pass_id: Option<String> = get(row, "ref_id")?;
            let access_pass = match pass_id {
                None => None,
                Some(id) => Some(AccessPass {
                    id: parse_id("access_passes.id", &id)?,
                    user_id,
                    created_date_time: from_micros(get(row, "created_at")?)?,
                    start_date_time: from_micros(get(row, "start_at")?)?,
                    lifetime_in_minutes: u32::try_from(get::<i64>(row, "lifetime_minutes")?).unwrap_or(u32::MAX),
                    is_usable_once: flag(row, "is_usable_once")?,
                    used_date_time: opt_from_micros(get(row, "used_at")?)?,
                }),
            };
            Part::User(Box::new(Subject {
                user: User {
                    id: user_id,
                    user_principal_name: get(row, "upn")?,
                    display_name: get(row, "display_name")?,
                    user_type: user_type.parse::<UserType>().map_err(Error::Corrupt)?,
                    account_enabled: flag(row, "account_enabled")?,
                    roles: from_json::<Vec<Role>>("users.roles", &get::<String>(row, "roles")?)?,
                },
                groups: BTreeSet::new(),
                passkeys: vec![],
                password: flag(row, "has_password")?,
                software_oath: flag(row, "has_totp")?,
                access_pass,
            }))
        }
        GROUP_PART => Part::Group(
            user_id,
            parse_id("group_members.group_id", &get::<String>(row, "ref_id")?)?,
        ),
        PASSKEY_PART => Part::Passkey(
            user_id,
            HeldPasskey {
                id: parse_id("credentials.id", &get::<String>(row, "ref_id")?)?,
                display_name: get(row, "display_name")?,
                aaguid: parse_id("credentials.aaguid", &get::<String>(row, "aaguid")?)?,
                model: get(row, "model")?,
                passkey_type: passkey_type(&get::<String>(row, "passkey_type")?)?,
            },
        ),
        other => return Err(Error::Corrupt(format!("subjects scan part {other}"))),
    };
    Ok(SubjectPart(part))
}

/// Adds `part` to the user being assembled; a part for another user means the scan's order is broken.
fn attach(subject: &mut Subject, part: Part) -> Result<()> {
    let owner = match &part {
        Part::Group(user, _) | Part::Passkey(user, _) => *user,
        Part::User(_) => return Err(Error::Corrupt("a user row in the middle of another user".into())),
    };
    if owner != subject.user.id {
        return Err(Error::Corrupt(format!(
            "subjects scan: a row of {owner} among the rows of {}",
            subject.user.id
        )));
    }
    match part {
        Part::Group(_, group) => {
            subject.groups.insert(group);
        }
        Part::Passkey(_, passkey) => subject.passkeys.push(passkey),
        Part::User(_) => {}
    }
    Ok(())
}

impl Store {
    /// Every user (or, with `group`, the group's members) with their groups, passkeys, password, authenticator
    /// app and pass, in userPrincipalName order: read it with [`Store::subjects`].
    pub fn subjects_scan(&self, group: Option<GroupId>) -> Scan<SubjectPart> {
        let mut sql = Sql::new("");
        let mut filter = String::new();
        if let Some(group) = group {
            sql.binds.push(Bind::Text(group.to_string()));
            filter = " WHERE u.id IN (SELECT user_id FROM group_members WHERE group_id = $1)".into();
        }
        let user = branch(
            &[
                ("part", "CAST(0 AS BIGINT)"),
                ("user_id", "u.id"),
                ("upn_lower", "u.upn_lower"),
                ("upn", "u.upn"),
                ("display_name", "u.display_name"),
                ("user_type", "u.user_type"),
                ("account_enabled", "u.account_enabled"),
                ("roles", "u.roles"),
                (
                    "has_password",
                    "CAST(CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT)",
                ),
                (
                    "has_totp",
                    "CAST(CASE WHEN EXISTS (SELECT 1 FROM totp_methods t WHERE t.user_id = u.id) THEN 1 ELSE 0 END \
                     AS BIGINT)",
                ),
                ("ref_id", "a.id"),
                ("created_at", "a.created_at"),
                ("start_at", "a.start_at"),
                ("lifetime_minutes", "a.lifetime_minutes"),
                ("is_usable_once", "a.is_usable_once"),
                ("used_at", "a.used_at"),
            ],
            "users u LEFT JOIN access_passes a ON a.user_id = u.id",
        );
        let groups = branch(
            &[
                ("part", "CAST(1 AS BIGINT)"),
                ("user_id", "u.id"),
                ("upn_lower", "u.upn_lower"),
                ("ref_id", "m.group_id"),
            ],
            "group_members m JOIN users u ON u.id = m.user_id",
        );
        let passkeys = branch(
            &[
                ("part", "CAST(2 AS BIGINT)"),
                ("user_id", "u.id"),
                ("upn_lower", "u.upn_lower"),
                ("display_name", "c.display_name"),
                ("ref_id", "c.id"),
                ("created_at", "c.created_at"),
                ("aaguid", "c.aaguid"),
                ("passkey_type", "c.passkey_type"),
                ("model", "c.model"),
            ],
            "credentials c JOIN users u ON u.id = c.user_id",
        );
        // By user (userPrincipalName, then id), the user's own row first, then memberships, then passkeys oldest
        // first. Ordinals: 3 upn_lower, 2 user_id, 1 part, 12 created_at, 11 ref_id.
        sql.push(&format!(
            "{user}{filter} UNION ALL {groups}{filter} UNION ALL {passkeys}{filter} ORDER BY 3, 2, 1, 12, 11"
        ));
        Scan::new(sql, part_from_row)
    }

    /// Streams the users of a [`Store::subjects_scan`], each with all their parts, in the scan's order.
    pub fn subjects<'a>(&'a self, scan: &'a Scan<SubjectPart>) -> BoxStream<'a, Result<Subject>> {
        let rows = self.stream(scan);
        futures_util::stream::unfold(
            (rows, None::<Subject>, false),
            |(mut rows, mut pending, done)| async move {
                if done {
                    return None;
                }
                loop {
                    match rows.next().await {
                        Some(Ok(SubjectPart(Part::User(next)))) => {
                            if let Some(finished) = pending.replace(*next) {
                                return Some((Ok(finished), (rows, pending, false)));
                            }
                        }
                        Some(Ok(SubjectPart(part))) => {
                            let attached = match pending.as_mut() {
                                Some(subject) => attach(subject, part),
                                None => Err(Error::Corrupt("subjects scan: a row before its user".into())),
                            };
                            if let Err(e) = attached {
                                return Some((Err(e), (rows, None, true)));
                            }
                        }
                        Some(Err(e)) => return Some((Err(e), (rows, None, true))),
                        None => return pending.take().map(|last| (Ok(last), (rows, None, true))),
                    }
                }
            },
        )
        .boxed()
    }

    /// Registration attempts begun since `since` (all when `None`), counted per status and failure code: for each
    /// group over its members today, and for all users (`ring: None`).
    pub async fn attempt_counts(&self, since: Option<OffsetDateTime>) -> Result<Vec<AttemptCount>> {
        let since = since.map(micros).unwrap_or(i64::MIN);
        let decode = |row: &AnyRow, ring: Option<GroupId>| -> Result<AttemptCount> {
            let status: String = get(row, "status")?;
            let outcome: Option<String> = get(row, "outcome_code")?;
            Ok(AttemptCount {
                ring,
                status: Status::parse(&status).ok_or_else(|| Error::Corrupt(format!("attempt status {status:?}")))?,
                outcome: outcome
                    .map(|c| Code::parse(&c).ok_or_else(|| Error::Corrupt(format!("code {c:?}"))))
                    .transpose()?,
                attempts: u64::try_from(get::<i64>(row, "n")?).unwrap_or(0),
            })
        };
        let mut counts = Vec::new();
        let mut rows = sqlx::query(
            "SELECT m.group_id, a.status, a.outcome_code, COUNT(*) AS n FROM registration_attempts a \
             JOIN group_members m ON m.user_id = a.user_id WHERE a.started_at >= $1 \
             GROUP BY m.group_id, a.status, a.outcome_code ORDER BY m.group_id",
        )
        .bind(since)
        .fetch(&self.reader);
        while let Some(row) = rows.try_next().await? {
            let ring = parse_id("group_members.group_id", &get::<String>(&row, "group_id")?)?;
            counts.push(decode(&row, Some(ring))?);
        }
        let mut rows = sqlx::query(
            "SELECT a.status, a.outcome_code, COUNT(*) AS n FROM registration_attempts a WHERE a.started_at >= $1 \
             GROUP BY a.status, a.outcome_code",
        )
        .bind(since)
        .fetch(&self.reader);
        while let Some(row) = rows.try_next().await? {
            counts.push(decode(&row, None)?);
        }
        Ok(counts)
    }
}
