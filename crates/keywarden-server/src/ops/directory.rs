//! Directory management: importing users and groups from CSV or JSON (all rows or none, every bad row named),
//! creating a user, taking a user out of a group, setting a password.

use std::collections::HashMap;

use keywarden_domain::Code;
use keywarden_domain::audit::{Activity, Event, ModifiedProperty, TargetResource};
use keywarden_domain::directory::{Group, Permission, Role, User, UserType, validate_upn};
use keywarden_domain::ids::{GroupId, UserId};
use keywarden_store::{ImportedGroup, NewUser};
use serde::Deserialize;
use serde_json::Value;

use super::{event, user_target};
use crate::api_error::ApiError;
use crate::auth::Actor;
use crate::context::RequestContext;
use crate::secrets::hash_secret_off_runtime;
use crate::state::AppState;

/// The file formats imports accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// Guesses from the file name; JSON when it ends in `.json`, CSV otherwise.
    pub fn of_path(path: &std::path::Path) -> Format {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            Format::Json
        } else {
            Format::Csv
        }
    }
}

/// One user row as written in a file. Roles are separated by `;` in CSV.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserRow {
    pub id: Option<String>,
    pub user_principal_name: String,
    pub display_name: Option<String>,
    pub user_type: Option<String>,
    pub account_enabled: Option<Value>,
    #[serde(default)]
    pub roles: Option<Value>,
    pub password: Option<String>,
}

/// One group row: members are userPrincipalNames, separated by `;` in CSV.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupRow {
    pub id: Option<String>,
    pub display_name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub members: Option<Value>,
}

/// Rows with the place each came from ("line 3", "item 2").
fn read_rows<T: serde::de::DeserializeOwned>(text: &str, format: Format) -> Result<Vec<(String, T)>, Vec<String>> {
    match format {
        Format::Json => {
            let items: Vec<Value> = match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(items)) => items,
                Ok(Value::Object(mut map)) => match map.remove("value") {
                    Some(Value::Array(items)) => items,
                    _ => {
                        return Err(vec![
                            "the JSON must be an array of objects (or {\"value\": [...]})".into(),
                        ]);
                    }
                },
                Ok(_) => return Err(vec!["the JSON must be an array of objects".into()]),
                Err(e) => return Err(vec![format!("not valid JSON: {e}")]),
            };
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                match serde_json::from_value::<T>(item) {
                    Ok(row) => rows.push((format!("item {}", i + 1), row)),
                    Err(e) => errors.push(format!("item {}: {e}", i + 1)),
                }
            }
            if errors.is_empty() { Ok(rows) } else { Err(errors) }
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(text.as_bytes());
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            for record in reader.deserialize::<HashMap<String, String>>() {
                match record {
                    Ok(fields) => {
                        let line = rows.len() + errors.len() + 2;
                        let object: serde_json::Map<String, Value> = fields
                            .into_iter()
                            .filter(|(_, v)| !v.is_empty())
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect();
                        match serde_json::from_value::<T>(Value::Object(object)) {
                            Ok(row) => rows.push((format!("line {line}"), row)),
                            Err(e) => errors.push(format!("line {line}: {e}")),
                        }
                    }
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        errors.push(format!("line {line}: {e}"));
                    }
                }
            }
            if errors.is_empty() { Ok(rows) } else { Err(errors) }
        }
    }
}

fn parse_bool(value: Option<&Value>, default: bool) -> Result<bool, String> {
    match value {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            other => Err(format!("accountEnabled {other:?} is not true or false")),
        },
        Some(other) => Err(format!("accountEnabled {other} is not true or false")),
    }
}

fn list(value: Option<&Value>) -> Result<Vec<String>, String> {
    match value {
        None => Ok(vec![]),
        Some(Value::String(s)) => Ok(s
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or_else(|| format!("{v} is not a string"))
            })
            .collect(),
        Some(other) => Err(format!("{other} is not a list")),
    }
}

fn to_user(row: &UserRow) -> Result<NewUser, String> {
    let upn = validate_upn(&row.user_principal_name)?;
    let id = match &row.id {
        Some(id) => id.parse::<UserId>().map_err(|_| format!("id {id:?} is not a GUID"))?,
        None => UserId(uuid::Uuid::now_v7()),
    };
    let user_type = row.user_type.as_deref().unwrap_or("member").parse::<UserType>()?;
    let roles = list(row.roles.as_ref())?
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<Vec<Role>, String>>()?;
    let display_name = row
        .display_name
        .clone()
        .unwrap_or_else(|| upn.split('@').next().unwrap_or(&upn).to_string());
    if display_name.chars().count() > 256 || display_name.chars().any(char::is_control) {
        return Err("displayName must have at most 256 characters and no control characters".into());
    }
    if let Some(password) = &row.password
        && password.chars().count() < 8
    {
        return Err("password must have at least 8 characters".into());
    }
    Ok(NewUser {
        user: User {
            id,
            user_principal_name: upn,
            display_name,
            user_type,
            account_enabled: parse_bool(row.account_enabled.as_ref(), true)?,
            roles,
        },
        // Hashed by `import_users` once every row is valid.
        password_hash: None,
    })
}

/// Imports users from `text`. Every bad row is reported, by line, and then nothing is written.
pub async fn import_users(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    text: &str,
    format: Format,
) -> Result<(usize, usize), ApiError> {
    actor.require(Permission::ManageDirectory)?;
    let rows = read_rows::<UserRow>(text, format).map_err(|e| import_error("users", &e))?;
    let mut users = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut seen_ids: HashMap<UserId, String> = HashMap::new();
    for (place, row) in &rows {
        match to_user(row) {
            Ok(user) => {
                let key = user.user.user_principal_name.to_lowercase();
                if let Some(first) = seen.insert(key.clone(), place.clone()) {
                    errors.push(format!("{place}: {key} is also on {first}"));
                }
                if row.id.is_some() {
                    if let Some(first) = seen_ids.insert(user.user.id, place.clone()) {
                        errors.push(format!("{place}: id {} is also on {first}", user.user.id));
                    }
                    // A given id names one user: the one with this userPrincipalName, or nobody yet.
                    if let Some(holder) = state.store.user(user.user.id).await?
                        && holder.user_principal_name.to_lowercase() != key
                    {
                        errors.push(format!(
                            "{place}: id {} belongs to {}",
                            user.user.id, holder.user_principal_name
                        ));
                    }
                    if let Some(existing) = state.store.user_by_upn(&key).await?
                        && existing.id != user.user.id
                    {
                        errors.push(format!(
                            "{place}: {key} has the id {}, not {}",
                            existing.id, user.user.id
                        ));
                    }
                }
                users.push(user);
            }
            Err(e) => errors.push(format!("{place}: {e}")),
        }
    }
    if !errors.is_empty() {
        return Err(import_error("users", &errors));
    }
    for (user, (_, row)) in users.iter_mut().zip(&rows) {
        if let Some(password) = &row.password {
            user.password_hash = Some(hash_secret_off_runtime(password).await?);
        }
    }
    let make_event = |user: &User, created: bool| {
        event(
            ctx,
            actor,
            if created {
                Activity::AddUser
            } else {
                Activity::UpdateUser
            },
            Ok(if created { "User added" } else { "User updated" }),
            vec![user_target(user)],
            vec![
                ("userType", user.user_type.as_str().into()),
                ("accountEnabled", user.account_enabled.to_string()),
            ],
        )
    };
    Ok(state.store.import_users(&users, ctx.now, &make_event).await?)
}

/// Imports groups and memberships from `text`. Members must exist (import users first).
pub async fn import_groups(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    text: &str,
    format: Format,
) -> Result<(usize, usize), ApiError> {
    actor.require(Permission::ManageDirectory)?;
    let rows = read_rows::<GroupRow>(text, format).map_err(|e| import_error("groups", &e))?;
    let mut groups = Vec::new();
    let mut errors = Vec::new();
    // The members found, so that each membership's audit event names its user.
    let mut found: HashMap<UserId, User> = HashMap::new();
    let mut seen_ids: HashMap<GroupId, (String, String)> = HashMap::new();
    for (place, row) in &rows {
        let name = row.display_name.trim();
        if name.is_empty() || name.chars().count() > 256 || name.chars().any(char::is_control) {
            errors.push(format!(
                "{place}: displayName must have 1 to 256 characters and no control characters"
            ));
            continue;
        }
        if row
            .description
            .as_deref()
            .is_some_and(|d| d.chars().count() > 1024 || d.contains('\0'))
        {
            errors.push(format!(
                "{place}: description must have at most 1024 characters and no NUL"
            ));
            continue;
        }
        let id = match row.id.as_deref().map(str::parse::<GroupId>) {
            Some(Ok(id)) => id,
            Some(Err(_)) => {
                errors.push(format!("{place}: id is not a GUID"));
                continue;
            }
            None => GroupId(uuid::Uuid::now_v7()),
        };
        if row.id.is_some() {
            // A given id names one group: the one with this name, or none yet. (A group is found by its name.)
            let key = name.to_lowercase();
            match seen_ids.get(&id) {
                Some((first, first_name)) if *first_name != key => {
                    errors.push(format!("{place}: id {id} is also on {first}, for another group"));
                }
                Some(_) => {}
                None => {
                    seen_ids.insert(id, (place.clone(), key.clone()));
                }
            }
            if let Some(holder) = state.store.group(id).await?
                && holder.display_name.to_lowercase() != key
            {
                errors.push(format!("{place}: id {id} belongs to group {:?}", holder.display_name));
            }
            if let Some(existing) = state.store.find_group(name).await?
                && existing.id != id
            {
                errors.push(format!(
                    "{place}: group {:?} has the id {}, not {id}",
                    existing.display_name, existing.id
                ));
            }
        }
        let mut members = Vec::new();
        match list(row.members.as_ref()) {
            Ok(upns) => {
                for upn in upns {
                    match state.store.find_user(&upn).await? {
                        Some(user) => {
                            members.push(user.id);
                            found.insert(user.id, user);
                        }
                        None => errors.push(format!("{place}: member {upn} does not exist (import users first)")),
                    }
                }
            }
            Err(e) => errors.push(format!("{place}: members: {e}")),
        }
        groups.push(ImportedGroup {
            group: Group {
                id,
                display_name: name.to_string(),
                description: row.description.clone(),
            },
            members,
        });
    }
    if !errors.is_empty() {
        return Err(import_error("groups", &errors));
    }
    let group_event = |group: &Group| {
        event(
            ctx,
            actor,
            Activity::AddGroup,
            Ok("Group added"),
            vec![TargetResource::other("Group", &group.id, &group.display_name)],
            vec![],
        )
    };
    let member_event = |group: &Group, user: UserId| {
        let member = match found.get(&user) {
            Some(member) => user_target(member),
            None => TargetResource::other("User", &user, ""),
        };
        membership_event(ctx, actor, member, user, group, true)
    };
    Ok(state
        .store
        .import_groups(&groups, ctx.now, &group_event, &member_event)
        .await?)
}

/// Takes a user out of a group (`group` and `user` by id or name), as the API's
/// `DELETE /v1/groups/{group}/members/{user}` and `keywarden groups remove-member` do. Leaving an exclusion group or
/// a ring changes which passkey rules apply to the user from their next ceremony on.
pub async fn remove_member(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    group: &str,
    user: &str,
) -> Result<(), ApiError> {
    actor.require(Permission::ManageDirectory)?;
    let group = super::find_group(state, group).await?;
    let user = super::find_user(state, user).await?;
    let audit = membership_event(ctx, actor, user_target(&user), user.id, &group, false);
    if state.store.remove_group_member(group.id, user.id, &audit).await? {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::NotFound,
            format!(
                "{} is not a member of group {:?}",
                user.user_principal_name, group.display_name
            ),
        ))
    }
}

/// A membership's audit event, as Entra shapes it: the user first, with the group as modified properties (new
/// values when `joined`, old ones when leaving), then the group. The audit log's `target` filter looks at the first
/// target, so a user's history shows their memberships.
fn membership_event(
    ctx: &RequestContext,
    actor: &Actor,
    member: TargetResource,
    user: UserId,
    group: &Group,
    joined: bool,
) -> Event {
    let (activity, reason) = if joined {
        (Activity::AddMemberToGroup, "Member added to group")
    } else {
        (Activity::RemoveMemberFromGroup, "Member removed from group")
    };
    let change = |name: &str, value: String| ModifiedProperty {
        display_name: name.to_string(),
        old_value: (!joined).then(|| value.clone()),
        new_value: joined.then_some(value),
    };
    event(
        ctx,
        actor,
        activity,
        Ok(reason),
        vec![
            member.with_changes(vec![
                change("Group.ObjectID", group.id.to_string()),
                change("Group.DisplayName", group.display_name.clone()),
            ]),
            TargetResource::other("Group", &group.id, &group.display_name),
        ],
        vec![("userId", user.to_string()), ("groupId", group.id.to_string())],
    )
}

fn import_error(what: &str, errors: &[String]) -> ApiError {
    ApiError::invalid(format!(
        "nothing was imported; {} bad {what} row(s): {}",
        errors.len(),
        errors.join("; ")
    ))
    .with_details(serde_json::json!({ "errors": errors }))
}

/// Creates or updates one user (the API's `POST /v1/users`).
pub async fn create_user(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    row: &UserRow,
) -> Result<User, ApiError> {
    let text = serde_json::to_string(&[serde_json::json!({
        "id": row.id, "userPrincipalName": row.user_principal_name, "displayName": row.display_name,
        "userType": row.user_type, "accountEnabled": row.account_enabled, "roles": row.roles, "password": row.password,
    })])
    .map_err(ApiError::internal)?;
    import_users(state, ctx, actor, &text, Format::Json).await?;
    super::find_user(state, &row.user_principal_name).await
}

/// Sets a user's password.
pub async fn set_password(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    user: &User,
    password: &str,
) -> Result<(), ApiError> {
    actor.require(Permission::ManageDirectory)?;
    if password.chars().count() < 8 {
        return Err(ApiError::invalid("password must have at least 8 characters"));
    }
    let audit = event(
        ctx,
        actor,
        Activity::ResetUserPassword,
        Ok("Password set"),
        vec![user_target(user)],
        vec![],
    );
    let hash = hash_secret_off_runtime(password).await?;
    state.store.set_password(user.id, &hash, &audit).await?;
    Ok(())
}
