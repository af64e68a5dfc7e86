//! Users, groups and memberships.

use std::collections::{BTreeSet, HashSet};

use keywarden_domain::audit::Event;
use keywarden_domain::directory::{Group, Role, User, UserType};
use keywarden_domain::ids::{GroupId, UserId};
use keywarden_domain::session::Ending;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use crate::{Error, Result, Store, audit, conflict_on_unique, flag, found, from_json, get, json, micros, parse_id};

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub user: User,
    /// An argon2id PHC string; `None` for a user without a password.
    pub password_hash: Option<String>,
}

/// A change to an existing user: every field left `None` stays as it is.
#[derive(Clone, Debug)]
pub struct UserChange {
    pub id: UserId,
    /// The roles the user held when the change was authorised: the change is refused (`Conflict`) if they changed
    /// meanwhile, since who may change a user depends on the roles the user holds.
    pub expected_roles: Vec<Role>,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
    pub user_type: Option<UserType>,
    pub account_enabled: Option<bool>,
    pub roles: Option<Vec<Role>>,
    /// A new password, as an argon2id PHC string.
    pub password_hash: Option<String>,
    /// The user's sessions the change ends (disabling an account ends them all, a new password the password
    /// sessions).
    pub ending: Option<Ending>,
}

impl UserChange {
    /// A change to `user` that changes nothing yet.
    pub fn of(user: &User) -> UserChange {
        UserChange {
            id: user.id,
            expected_roles: user.roles.clone(),
            user_principal_name: None,
            display_name: None,
            user_type: None,
            account_enabled: None,
            roles: None,
            password_hash: None,
            ending: None,
        }
    }
}

/// One user to write, with the audit events that describe the write.
#[derive(Clone, Debug)]
pub enum UserWrite {
    Create(NewUser),
    Update(UserChange),
}

/// A group to create (or find by name), with the users to add to it.
#[derive(Clone, Debug)]
pub struct ImportedGroup {
    pub group: Group,
    pub members: Vec<UserId>,
}

/// A page of users ordered by userPrincipalName, and the cursor for the next page.
#[derive(Clone, Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    pub next: Option<String>,
}

const USER_COLUMNS: &str = "id, upn, display_name, user_type, account_enabled, roles";

fn user_from_row(row: &AnyRow) -> Result<User> {
    user_from_row_with_id(row, "id")
}

/// A user from a row holding the user columns, its id in `id_column` (a join names it otherwise).
pub(crate) fn user_from_row_with_id(row: &AnyRow, id_column: &str) -> Result<User> {
    user_from_row_named(row, id_column, "display_name")
}

/// A user from a row that names the id and display name columns otherwise (a join with another table's).
pub(crate) fn user_from_row_named(row: &AnyRow, id_column: &str, display_name_column: &str) -> Result<User> {
    let user_type: String = get(row, "user_type")?;
    Ok(User {
        id: parse_id("users.id", &get::<String>(row, id_column)?)?,
        user_principal_name: get(row, "upn")?,
        display_name: get(row, display_name_column)?,
        user_type: user_type.parse::<UserType>().map_err(Error::Corrupt)?,
        account_enabled: flag(row, "account_enabled")?,
        roles: from_json::<Vec<Role>>("users.roles", &get::<String>(row, "roles")?)?,
    })
}

/// Whether a user has a password (`$1`: the user id): `has_password` 0 or 1.
pub(crate) const HAS_PASSWORD: &str =
    "SELECT CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS has_password FROM users WHERE id = $1";

/// A user's group memberships and the policy version in force, a row per group (`$1`: the user id).
pub(crate) const GROUPS_AND_POLICY_VERSION: &str = "SELECT v.version, g.group_id \
     FROM (SELECT MAX(version) AS version FROM policy_versions) v LEFT JOIN group_members g ON g.user_id = $1";

pub(crate) fn groups_and_policy_version_from_rows(rows: &[AnyRow]) -> Result<(BTreeSet<GroupId>, i64)> {
    let version = match rows.first() {
        Some(row) => get::<Option<i64>>(row, "version")?.unwrap_or(0),
        None => 0,
    };
    let mut groups = BTreeSet::new();
    for row in rows {
        if let Some(id) = get::<Option<String>>(row, "group_id")? {
            groups.insert(parse_id("group_members.group_id", &id)?);
        }
    }
    Ok((groups, version))
}

fn group_from_row(row: &AnyRow) -> Result<Group> {
    Ok(Group {
        id: parse_id("directory_groups.id", &get::<String>(row, "id")?)?,
        display_name: get(row, "display_name")?,
        description: get(row, "description")?,
    })
}

impl Store {
    /// Creates and changes users in one transaction: either all are written or none, each with its audit events.
    /// A new user whose id or userPrincipalName is taken meanwhile, or a change to a user who is gone or whose
    /// roles changed since the change was authorised, refuses the whole write (`Conflict` or `NotFound`).
    pub async fn write_users(&self, writes: &[(UserWrite, Vec<Event>)], now: OffsetDateTime) -> Result<()> {
        let mut tx = self.begin().await?;
        for (write, events) in writes {
            match write {
                UserWrite::Create(new) => {
                    let user = &new.user;
                    sqlx::query(
                        "INSERT INTO users (id, upn, upn_lower, display_name, user_type, account_enabled, roles, \
                         password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(user.id.to_string())
                    .bind(&user.user_principal_name)
                    .bind(user.user_principal_name.to_lowercase())
                    .bind(&user.display_name)
                    .bind(user.user_type.as_str())
                    .bind(i64::from(user.account_enabled))
                    .bind(json(&user.roles))
                    .bind(new.password_hash.clone())
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "a user with this id or userPrincipalName already exists"))?;
                }
                UserWrite::Update(change) => {
                    let n = sqlx::query(
                        "UPDATE users SET upn = COALESCE($1, upn), upn_lower = COALESCE($2, upn_lower), \
                         display_name = COALESCE($3, display_name), user_type = COALESCE($4, user_type), \
                         account_enabled = COALESCE($5, account_enabled), roles = COALESCE($6, roles), \
                         password_hash = COALESCE($7, password_hash) WHERE id = $8 AND roles = $9",
                    )
                    .bind(change.user_principal_name.clone())
                    .bind(change.user_principal_name.as_ref().map(|u| u.to_lowercase()))
                    .bind(change.display_name.clone())
                    .bind(change.user_type.map(|t| t.as_str().to_string()))
                    .bind(change.account_enabled.map(i64::from))
                    .bind(change.roles.as_ref().map(json))
                    .bind(change.password_hash.clone())
                    .bind(change.id.to_string())
                    .bind(json(&change.expected_roles))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "another user has this userPrincipalName"))?
                    .rows_affected();
                    if n == 0 {
                        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                            .bind(change.id.to_string())
                            .fetch_optional(&mut *tx)
                            .await?;
                        return Err(match exists {
                            Some(_) => Error::Conflict("the user's roles changed meanwhile"),
                            None => Error::NotFound,
                        });
                    }
                    if let Some(ending) = change.ending {
                        crate::sessions::end_sessions_in(&mut tx, change.id, ending).await?;
                    }
                }
            }
            for event in events {
                audit::insert(&mut tx, event).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates groups that do not exist yet (by name, case-insensitive) and adds members that are not members
    /// yet, in one transaction. `group_event` is called for each group created and `member_event` for each
    /// membership added; both events are written in the same transaction.
    pub async fn import_groups(
        &self,
        groups: &[ImportedGroup],
        now: OffsetDateTime,
        group_event: &(dyn Fn(&Group) -> Event + Sync),
        member_event: &(dyn Fn(&Group, UserId) -> Event + Sync),
    ) -> Result<(usize, usize)> {
        let mut tx = self.begin().await?;
        let (mut n_groups, mut n_members) = (0, 0);
        for imported in groups {
            let existing: Option<String> = sqlx::query_scalar("SELECT id FROM directory_groups WHERE name_lower = $1")
                .bind(imported.group.display_name.to_lowercase())
                .fetch_optional(&mut *tx)
                .await?;
            let group = match existing {
                Some(id) => Group {
                    id: parse_id("directory_groups.id", &id)?,
                    ..imported.group.clone()
                },
                None => {
                    sqlx::query(
                        "INSERT INTO directory_groups (id, display_name, name_lower, description, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(imported.group.id.to_string())
                    .bind(&imported.group.display_name)
                    .bind(imported.group.display_name.to_lowercase())
                    .bind(imported.group.description.clone())
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| conflict_on_unique(e, "a group with this id or name was just created"))?;
                    audit::insert(&mut tx, &group_event(&imported.group)).await?;
                    n_groups += 1;
                    imported.group.clone()
                }
            };
            for member in &imported.members {
                let added =
                    sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(group.id.to_string())
                        .bind(member.to_string())
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                if added == 1 {
                    audit::insert(&mut tx, &member_event(&group, *member)).await?;
                    n_members += 1;
                }
            }
        }
        tx.commit().await?;
        Ok((n_groups, n_members))
    }

    /// Takes `user` out of `group`, with its audit event. Returns false, and changes nothing, when the user was not
    /// a member.
    pub async fn remove_group_member(&self, group: GroupId, user: UserId, event: &Event) -> Result<bool> {
        let change = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group.to_string())
            .bind(user.to_string());
        self.audited_change(change, None, event).await
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_upn(&self, upn: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE upn_lower = $1"))
            .bind(upn.trim().to_lowercase())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Finds a user by object id or by userPrincipalName, as Graph's `/users/{id | userPrincipalName}`.
    pub async fn find_user(&self, key: &str) -> Result<Option<User>> {
        match key.parse::<UserId>() {
            Ok(id) => self.user(id).await,
            Err(_) => self.user_by_upn(key).await,
        }
    }

    /// Users ordered by userPrincipalName; `search` matches the start of the UPN or of the display name,
    /// case-insensitively; `after` is the cursor from the previous page.
    pub async fn list_users(&self, search: Option<&str>, after: Option<&str>, limit: u32) -> Result<UserPage> {
        let pattern = search.map(|s| format!("{}%", s.trim().to_lowercase().replace(['%', '_'], "")));
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, upn_lower FROM users \
             WHERE ($1 IS NULL OR upn_lower LIKE $1 OR LOWER(display_name) LIKE $1) \
             AND ($2 IS NULL OR upn_lower > $2) ORDER BY upn_lower LIMIT $3"
        ))
        .bind(pattern)
        .bind(after.map(str::to_string))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.reader)
        .await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in rows.iter().take(limit as usize) {
            users.push(user_from_row(row)?);
        }
        let next = if rows.len() > limit as usize {
            users.last().map(|u| u.user_principal_name.to_lowercase())
        } else {
            None
        };
        Ok(UserPage { users, next })
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.reader)
            .await?)
    }

    /// The ids of the groups a user belongs to.
    pub async fn groups_of(&self, user: UserId) -> Result<BTreeSet<GroupId>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT group_id FROM group_members WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_all(&self.reader)
            .await?;
        ids.iter().map(|id| parse_id("group_members.group_id", id)).collect()
    }

    /// A user's group memberships and the number of the policy version in force (0 before the first), in one
    /// query: every policy decision about a user needs both, and the version lets a caller keep the parsed
    /// policy while it has not changed (versions are never rewritten).
    pub async fn groups_and_policy_version(&self, user: UserId) -> Result<(BTreeSet<GroupId>, i64)> {
        let rows = sqlx::query(GROUPS_AND_POLICY_VERSION)
            .bind(user.to_string())
            .fetch_all(&self.reader)
            .await?;
        groups_and_policy_version_from_rows(&rows)
    }

    pub async fn group(&self, id: GroupId) -> Result<Option<Group>> {
        let row = sqlx::query("SELECT id, display_name, description FROM directory_groups WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(group_from_row).transpose()
    }

    /// Finds a group by object id or by display name (case-insensitive).
    pub async fn find_group(&self, key: &str) -> Result<Option<Group>> {
        if let Ok(id) = key.parse::<GroupId>() {
            return self.group(id).await;
        }
        let row = sqlx::query("SELECT id, display_name, description FROM directory_groups WHERE name_lower = $1")
            .bind(key.trim().to_lowercase())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(group_from_row).transpose()
    }

    /// Every group with its member count, by name.
    pub async fn list_groups(&self) -> Result<Vec<(Group, i64)>> {
        let rows = sqlx::query(
            "SELECT g.id, g.display_name, g.description, \
             (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS members \
             FROM directory_groups g ORDER BY g.name_lower",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| Ok((group_from_row(row)?, get::<i64>(row, "members")?)))
            .collect()
    }

    pub async fn group_members(&self, group: GroupId) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN (SELECT user_id FROM group_members WHERE group_id = $1) \
             ORDER BY upn_lower"
        ))
        .bind(group.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Which of `ids` name existing groups.
    pub async fn existing_groups(&self, ids: &[GroupId]) -> Result<HashSet<GroupId>> {
        let mut found = HashSet::new();
        for id in ids {
            if self.group(*id).await?.is_some() {
                found.insert(*id);
            }
        }
        Ok(found)
    }

    /// Which of `ids` name existing users.
    pub async fn existing_users(&self, ids: &[UserId]) -> Result<HashSet<UserId>> {
        let mut found = HashSet::new();
        for id in ids {
            if self.user(*id).await?.is_some() {
                found.insert(*id);
            }
        }
        Ok(found)
    }

    /// Whether the user has a password (without reading its hash).
    pub async fn has_password(&self, user: UserId) -> Result<bool> {
        let row = sqlx::query(HAS_PASSWORD)
            .bind(user.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(row
            .as_ref()
            .map(|row| flag(row, "has_password"))
            .transpose()?
            .unwrap_or(false))
    }

    pub async fn password_hash(&self, user: UserId) -> Result<Option<String>> {
        let hash: Option<Option<String>> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(hash.flatten())
    }

    /// Sets a user's password and ends the sessions the old one signed in.
    pub async fn set_password(&self, user: UserId, hash: &str, event: &Event) -> Result<()> {
        let change = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user.to_string());
        found(
            self.audited_change(change, Some((user, Ending::PasswordSessions)), event)
                .await?,
        )
    }
}
