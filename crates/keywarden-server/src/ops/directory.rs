//! Directory management: importing users and groups from CSV or JSON (all rows or none, every bad row named),
//! creating, changing and deleting a user, taking a user out of a group, setting a password. Every change to a user
//! is checked against the caller's roles and the user's (the domain's `access` table), field by field: a field
//! that is not given is left as it is, never reset.

use std::collections::HashMap;

use keywarden_domain::Code;
use keywarden_domain::access::{Action, TargetKind};
use keywarden_domain::audit::{Activity, DetailKey, Event, ModifiedProperty, TargetResource};
use keywarden_domain::directory::{Group, Role, User, UserType, validate_upn};
use keywarden_domain::ids::{GroupId, UserId};
use keywarden_domain::session::Ending;
use keywarden_store::{ImportedGroup, NewUser, UserChange, UserWrite};
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

/// One user row as written in a file, or a user as the API creates it. Roles are separated by `;` in CSV. A field
/// left out (an empty cell in CSV) leaves an existing user's value as it is; a new user is a member, enabled, with
/// no role and no password unless the row says otherwise.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserRow {
    pub id: Option<String>,
    pub user_principal_name: String,
    pub display_name: Option<String>,
    /// `member` (the default) or `guest`.
    pub user_type: Option<String>,
    /// `true` (the default) or `false`.
    #[schema(value_type = Option<bool>)]
    pub account_enabled: Option<Value>,
    /// Role slugs or display names.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub roles: Option<Value>,
    /// At least 8 characters; stored as an Argon2id hash.
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

fn parse_bool(value: Option<&Value>) -> Result<Option<bool>, String> {
    match value {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Some(true)),
            "false" | "no" | "0" => Ok(Some(false)),
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

/// The fields of a user row, checked; `None` where the row says nothing.
#[derive(Clone, Debug, Default)]
pub struct UserFields {
    pub display_name: Option<String>,
    pub user_type: Option<UserType>,
    pub account_enabled: Option<bool>,
    pub roles: Option<Vec<Role>>,
    pub password: Option<String>,
}

impl UserFields {
    /// Checks each field given.
    pub fn parse(
        display_name: Option<&str>,
        user_type: Option<&str>,
        account_enabled: Option<&Value>,
        roles: Option<&Value>,
        password: Option<&str>,
    ) -> Result<UserFields, String> {
        let display_name = display_name.map(str::trim).map(str::to_string);
        if let Some(name) = &display_name
            && (name.is_empty() || name.chars().count() > 256 || name.chars().any(char::is_control))
        {
            return Err("displayName must have 1 to 256 characters and no control characters".into());
        }
        if let Some(password) = password
            && password.chars().count() < 8
        {
            return Err("password must have at least 8 characters".into());
        }
        let roles = match roles {
            None | Some(Value::Null) => None,
            Some(value) => {
                let mut roles = list(Some(value))?
                    .iter()
                    .map(|r| r.parse::<Role>())
                    .collect::<Result<Vec<Role>, String>>()?;
                roles.sort_unstable();
                roles.dedup();
                Some(roles)
            }
        };
        Ok(UserFields {
            display_name,
            user_type: user_type.map(str::parse::<UserType>).transpose()?,
            account_enabled: parse_bool(account_enabled)?,
            roles,
            password: password.map(str::to_string),
        })
    }

    fn of_row(row: &UserRow) -> Result<UserFields, String> {
        UserFields::parse(
            row.display_name.as_deref(),
            row.user_type.as_deref(),
            row.account_enabled.as_ref(),
            row.roles.as_ref(),
            row.password.as_deref(),
        )
    }
}

/// A user write the caller may make, with its audit events; the password still in clear, hashed once every row
/// is valid.
struct Planned {
    write: UserWrite,
    password: Option<String>,
    events: Vec<Event>,
}

/// The role events of a change from `before` to `after` ("Add member to role", "Remove member from role"), the user
/// first with the role as a modified property, then the role, as Entra shapes them.
fn role_events(ctx: &RequestContext, actor: &Actor, user: &User, before: &[Role], after: &[Role]) -> Vec<Event> {
    let added = after.iter().filter(|r| !before.contains(r)).map(|r| (*r, true));
    let removed = before.iter().filter(|r| !after.contains(r)).map(|r| (*r, false));
    added
        .chain(removed)
        .map(|(role, joined)| {
            let change = ModifiedProperty {
                display_name: "Role.DisplayName".into(),
                old_value: (!joined).then(|| role.display_name().to_string()),
                new_value: joined.then(|| role.display_name().to_string()),
            };
            let (activity, reason) = if joined {
                (Activity::AddMemberToRole, "Member added to role")
            } else {
                (Activity::RemoveMemberFromRole, "Member removed from role")
            };
            event(
                ctx,
                actor,
                activity,
                Ok(reason),
                vec![
                    user_target(user).with_changes(vec![change]),
                    TargetResource::other("Role", &role.slug(), role.display_name()),
                ],
                vec![(DetailKey::Role, role.display_name().into())],
            )
        })
        .collect()
}

/// Plans a new user: creating one needs `CreateUser`, and giving it roles `AssignRoles`.
fn plan_create(
    ctx: &RequestContext,
    actor: &Actor,
    upn: String,
    id: Option<UserId>,
    fields: UserFields,
) -> Result<Planned, ApiError> {
    actor.require(Action::CreateUser)?;
    let roles = fields.roles.unwrap_or_default();
    if !roles.is_empty() {
        actor.require_kind(Action::AssignRoles, TargetKind::of_roles(&roles))?;
    }
    let display_name = fields
        .display_name
        .unwrap_or_else(|| upn.split('@').next().unwrap_or(&upn).to_string());
    let user = User {
        id: id.unwrap_or_else(|| UserId(uuid::Uuid::now_v7())),
        user_principal_name: upn,
        display_name,
        user_type: fields.user_type.unwrap_or(UserType::Member),
        account_enabled: fields.account_enabled.unwrap_or(true),
        roles: roles.clone(),
    };
    let mut events = vec![event(
        ctx,
        actor,
        Activity::AddUser,
        Ok("User added"),
        vec![user_target(&user)],
        vec![
            (DetailKey::UserType, user.user_type.as_str().into()),
            (DetailKey::AccountEnabled, user.account_enabled.to_string()),
        ],
    )];
    events.extend(role_events(ctx, actor, &user, &[], &roles));
    Ok(Planned {
        write: UserWrite::Create(NewUser {
            user,
            password_hash: None,
        }),
        password: fields.password,
        events,
    })
}

/// Plans a change to `user`: each field given and different is checked against the caller's roles on this user
/// (attributes need `UpdateUser`, a password `ResetPassword`, roles `AssignRoles`). `None` when nothing changes.
fn plan_update(
    ctx: &RequestContext,
    actor: &Actor,
    user: &User,
    upn: Option<String>,
    fields: UserFields,
) -> Result<Option<Planned>, ApiError> {
    let mut change = UserChange::of(user);
    let mut properties = Vec::new();
    let mut differs = |name: &str, old: String, new: String| {
        let changed = old != new;
        if changed {
            properties.push(ModifiedProperty {
                display_name: name.to_string(),
                old_value: Some(old),
                new_value: Some(new),
            });
        }
        changed
    };
    change.user_principal_name =
        upn.filter(|u| differs("UserPrincipalName", user.user_principal_name.clone(), u.clone()));
    change.display_name = fields
        .display_name
        .filter(|n| differs("DisplayName", user.display_name.clone(), n.clone()));
    change.user_type = fields
        .user_type
        .filter(|t| differs("UserType", user.user_type.as_str().into(), t.as_str().into()));
    change.account_enabled = fields
        .account_enabled
        .filter(|e| differs("AccountEnabled", user.account_enabled.to_string(), e.to_string()));
    let mut before = user.roles.clone();
    before.sort_unstable();
    let roles = fields.roles.filter(|r| *r != before);
    let mut events = Vec::new();
    if !properties.is_empty() {
        actor.require_on(Action::UpdateUser, user)?;
        events.push(event(
            ctx,
            actor,
            Activity::UpdateUser,
            Ok("User updated"),
            vec![user_target(user).with_changes(properties)],
            vec![],
        ));
    }
    if fields.password.is_some() {
        actor.require_on(Action::ResetPassword, user)?;
        events.push(event(
            ctx,
            actor,
            Activity::ResetUserPassword,
            Ok("Password set"),
            vec![user_target(user)],
            vec![],
        ));
        change.ending = Some(Ending::PasswordSessions);
    }
    if let Some(roles) = &roles {
        actor.require_on(Action::AssignRoles, user)?;
        events.extend(role_events(ctx, actor, user, &before, roles));
        change.roles = Some(roles.clone());
    }
    if change.account_enabled == Some(false) {
        change.ending = Some(Ending::All);
    }
    if events.is_empty() {
        return Ok(None);
    }
    Ok(Some(Planned {
        write: UserWrite::Update(change),
        password: fields.password,
        events,
    }))
}

/// Hashes the planned passwords and writes the users with their events in one transaction.
async fn write_planned(state: &AppState, ctx: &RequestContext, planned: Vec<Planned>) -> Result<(), ApiError> {
    let mut writes = Vec::with_capacity(planned.len());
    for Planned {
        mut write,
        password,
        events,
    } in planned
    {
        if let Some(password) = password {
            let hash = hash_secret_off_runtime(&password).await?;
            match &mut write {
                UserWrite::Create(new) => new.password_hash = Some(hash),
                UserWrite::Update(change) => change.password_hash = Some(hash),
            }
        }
        writes.push((write, events));
    }
    match state.store.write_users(&writes, ctx.now).await {
        Ok(()) => Ok(()),
        Err(keywarden_store::Error::Conflict(what)) => Err(ApiError::new(
            Code::AlreadyExists,
            format!("nothing was written: {what}; read the user again and retry"),
        )),
        Err(keywarden_store::Error::NotFound) => Err(ApiError::not_found("a user being changed")),
        Err(e) => Err(e.into()),
    }
}

/// Imports users from `text`: new users are created, existing ones (by userPrincipalName) changed only in the
/// fields their row gives. Every bad row is reported, by line, and then nothing is written; a row the caller may
/// not write (a role given by someone who does not assign roles, an administrator changed by a User
/// Administrator) refuses the whole import with `forbidden`, naming the row. Returns how many users were created
/// and how many changed.
pub async fn import_users(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    text: &str,
    format: Format,
) -> Result<(usize, usize), ApiError> {
    if !(actor.may(Action::CreateUser) || actor.may(Action::UpdateUser) || actor.may(Action::AssignRoles)) {
        actor.require(Action::CreateUser)?;
    }
    let rows = read_rows::<UserRow>(text, format).map_err(|e| import_error("users", &e))?;
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut seen_ids: HashMap<UserId, String> = HashMap::new();
    for (place, row) in &rows {
        let (upn, fields) =
            match validate_upn(&row.user_principal_name).and_then(|upn| Ok((upn, UserFields::of_row(row)?))) {
                Ok(checked) => checked,
                Err(e) => {
                    errors.push(format!("{place}: {e}"));
                    continue;
                }
            };
        let id = match row.id.as_deref().map(str::parse::<UserId>) {
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                errors.push(format!(
                    "{place}: id {:?} is not a GUID",
                    row.id.as_deref().unwrap_or_default()
                ));
                continue;
            }
            None => None,
        };
        let key = upn.to_lowercase();
        if let Some(first) = seen.insert(key.clone(), place.clone()) {
            errors.push(format!("{place}: {key} is also on {first}"));
        }
        let existing = state.store.user_by_upn(&key).await?;
        if let Some(id) = id {
            if let Some(first) = seen_ids.insert(id, place.clone()) {
                errors.push(format!("{place}: id {id} is also on {first}"));
            }
            // A given id names one user: the one with this userPrincipalName, or nobody yet.
            if let Some(holder) = state.store.user(id).await?
                && holder.user_principal_name.to_lowercase() != key
            {
                errors.push(format!("{place}: id {id} belongs to {}", holder.user_principal_name));
            }
            if let Some(existing) = &existing
                && existing.id != id
            {
                errors.push(format!("{place}: {key} has the id {}, not {id}", existing.id));
            }
        }
        parsed.push((place.clone(), upn, id, fields, existing));
    }
    if !errors.is_empty() {
        return Err(import_error("users", &errors));
    }
    let (mut created, mut updated) = (0, 0);
    let mut planned = Vec::new();
    for (place, upn, id, fields, existing) in parsed {
        let plan = match existing {
            None => plan_create(ctx, actor, upn, id, fields).map(Some),
            Some(user) => plan_update(ctx, actor, &user, Some(upn), fields),
        };
        match plan {
            Ok(Some(plan)) => {
                match plan.write {
                    UserWrite::Create(_) => created += 1,
                    UserWrite::Update(_) => updated += 1,
                }
                planned.push(plan);
            }
            Ok(None) => {}
            Err(refusal) => {
                let message = format!("nothing was imported; {place}: {}", refusal.message);
                return Err(ApiError { message, ..refusal });
            }
        }
    }
    write_planned(state, ctx, planned).await?;
    Ok((created, updated))
}

/// Imports groups and memberships from `text`. Members must exist (import users first).
pub async fn import_groups(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    text: &str,
    format: Format,
) -> Result<(usize, usize), ApiError> {
    actor.require(Action::ManageGroups)?;
    let rows = read_rows::<GroupRow>(text, format).map_err(|e| import_error("groups", &e))?;
    put_groups(state, ctx, actor, &rows).await
}

/// Creates or updates groups and adds memberships, each row named by its place ("line 3", "request"): what an
/// import and the groups API write. Nothing is written when a row is wrong.
pub async fn put_groups(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    rows: &[(String, GroupRow)],
) -> Result<(usize, usize), ApiError> {
    actor.require(Action::ManageGroups)?;
    let mut groups = Vec::new();
    let mut errors = Vec::new();
    // The members found, so that each membership's audit event names its user.
    let mut found: HashMap<UserId, User> = HashMap::new();
    let mut seen_ids: HashMap<GroupId, (String, String)> = HashMap::new();
    for (place, row) in rows {
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
    actor.require(Action::ManageGroups)?;
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
        vec![
            (DetailKey::UserId, user.to_string()),
            (DetailKey::GroupId, group.id.to_string()),
        ],
    )
}

fn import_error(what: &str, errors: &[String]) -> ApiError {
    ApiError::invalid(format!(
        "nothing was imported; {} bad {what} row(s): {}",
        errors.len(),
        errors.join("; ")
    ))
    .with_details(crate::wire::ErrorDetails {
        errors: Some(errors.to_vec()),
        ..Default::default()
    })
}

/// Creates one user (the API's `POST /v1/users`); `already_exists` when the userPrincipalName is taken.
pub async fn create_user(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    row: &UserRow,
) -> Result<User, ApiError> {
    let upn = validate_upn(&row.user_principal_name).map_err(ApiError::invalid)?;
    let fields = UserFields::of_row(row).map_err(ApiError::invalid)?;
    let id = row
        .id
        .as_deref()
        .map(|id| {
            id.parse::<UserId>()
                .map_err(|_| ApiError::invalid(format!("id {id:?} is not a GUID")))
        })
        .transpose()?;
    let plan = plan_create(ctx, actor, upn.clone(), id, fields)?;
    if state.store.user_by_upn(&upn).await?.is_some() {
        return Err(ApiError::new(
            Code::AlreadyExists,
            format!("a user {upn} exists already; change it with PATCH /v1/users/{upn}"),
        ));
    }
    if let Some(id) = id
        && state.store.user(id).await?.is_some()
    {
        return Err(ApiError::new(
            Code::AlreadyExists,
            format!("a user with id {id} exists already"),
        ));
    }
    write_planned(state, ctx, vec![plan]).await?;
    super::find_user(state, &upn).await
}

/// Changes the fields of `user` that `fields` gives (the API's `PATCH /v1/users/{user}`), each checked against the
/// caller's roles on this user; returns the user as it is now.
pub async fn update_user(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    user: &User,
    fields: UserFields,
) -> Result<User, ApiError> {
    if let Some(plan) = plan_update(ctx, actor, user, None, fields)? {
        write_planned(state, ctx, vec![plan]).await?;
    }
    super::find_user(state, &user.id.to_string()).await
}

/// Deletes a user the way keywarden does (`DELETE /v1/users/{user}`): the account is disabled and every session
/// it has ends; its methods and history stay for the audit.
pub async fn delete_user(state: &AppState, ctx: &RequestContext, actor: &Actor, user: &User) -> Result<(), ApiError> {
    actor.require_on(Action::DeleteUser, user)?;
    let mut change = UserChange::of(user);
    change.account_enabled = Some(false);
    change.ending = Some(Ending::All);
    let audit = event(
        ctx,
        actor,
        Activity::DeleteUser,
        Ok("User deleted (account disabled, sessions ended)"),
        vec![user_target(user).with_changes(vec![ModifiedProperty {
            display_name: "AccountEnabled".into(),
            old_value: Some(user.account_enabled.to_string()),
            new_value: Some("false".into()),
        }])],
        vec![],
    );
    write_planned(
        state,
        ctx,
        vec![Planned {
            write: UserWrite::Update(change),
            password: None,
            events: vec![audit],
        }],
    )
    .await
}

/// Sets a user's password; the sessions the old password signed in end.
pub async fn set_password(
    state: &AppState,
    ctx: &RequestContext,
    actor: &Actor,
    user: &User,
    password: &str,
) -> Result<(), ApiError> {
    let fields = UserFields::parse(None, None, None, None, Some(password)).map_err(ApiError::invalid)?;
    match plan_update(ctx, actor, user, None, fields)? {
        Some(plan) => write_planned(state, ctx, vec![plan]).await,
        None => Ok(()),
    }
}

/// Property tests of the import parsers, which read files from outside: no input panics, and every refusal names
/// the row (line or item) it is about.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// A cell as a spreadsheet might hold it: text, quotes, separators, line breaks, role names, booleans.
    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            ".*",
            "[a-z]{1,8}@[a-z]{1,8}\\.com",
            Just("global-administrator;user-administrator".to_string()),
            Just("true".to_string()),
            Just("\"quoted, with a comma\"".to_string()),
            Just("=HYPERLINK(\"x\")".to_string()),
            Just(String::new()),
        ]
    }

    fn csv_text() -> impl Strategy<Value = String> {
        let header = prop::sample::subsequence(
            vec![
                "id",
                "userPrincipalName",
                "displayName",
                "userType",
                "accountEnabled",
                "roles",
                "password",
                "bogus",
            ],
            0..8,
        );
        (header, prop::collection::vec(prop::collection::vec(cell(), 0..9), 0..6)).prop_map(|(header, rows)| {
            let mut text = header.join(",");
            for row in rows {
                text.push('\n');
                text.push_str(&row.join(","));
            }
            text
        })
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            cell().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            Just("userPrincipalName".to_string()),
                            Just("roles".to_string()),
                            Just("accountEnabled".to_string()),
                            Just("displayName".to_string()),
                            Just("members".to_string()),
                            "[a-z]{1,6}",
                        ],
                        inner
                    ),
                    0..6
                )
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    /// Every error of a parse names where it is, or says the document as a whole is not what is expected.
    fn errors_are_placed(errors: &[String]) -> bool {
        !errors.is_empty()
            && errors.iter().all(|e| {
                e.starts_with("line ")
                    || e.starts_with("item ")
                    || e.starts_with("the JSON")
                    || e.starts_with("not valid JSON")
            })
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn csv_user_rows_never_panic_and_refusals_name_the_line(text in csv_text()) {
            match read_rows::<UserRow>(&text, Format::Csv) {
                Ok(rows) => {
                    for (place, row) in rows {
                        prop_assert!(place.starts_with("line "));
                        // Each row's own checks refuse with a message, never a panic.
                        let _ = validate_upn(&row.user_principal_name);
                        let _ = UserFields::of_row(&row);
                    }
                }
                Err(errors) => prop_assert!(errors_are_placed(&errors), "{errors:?}"),
            }
        }

        #[test]
        fn json_user_rows_never_panic_and_refusals_name_the_item(value in json_value()) {
            let text = value.to_string();
            match read_rows::<UserRow>(&text, Format::Json) {
                Ok(rows) => {
                    for (place, row) in rows {
                        prop_assert!(place.starts_with("item "));
                        let _ = UserFields::of_row(&row);
                    }
                }
                Err(errors) => prop_assert!(errors_are_placed(&errors), "{errors:?}"),
            }
        }

        #[test]
        fn group_rows_never_panic(text in csv_text(), value in json_value()) {
            for (text, format) in [(text, Format::Csv), (value.to_string(), Format::Json)] {
                if let Err(errors) = read_rows::<GroupRow>(&text, format) {
                    prop_assert!(errors_are_placed(&errors), "{errors:?}");
                }
            }
        }

        #[test]
        fn arbitrary_text_is_refused_or_read(text in ".*") {
            for format in [Format::Csv, Format::Json] {
                if let Err(errors) = read_rows::<UserRow>(&text, format) {
                    prop_assert!(errors_are_placed(&errors), "{errors:?}");
                }
            }
        }

        #[test]
        fn user_fields_accept_only_what_they_can_store(
            name in proptest::option::of(".*"),
            kind in proptest::option::of(".*"),
            password in proptest::option::of(".*"),
            roles in proptest::option::of(json_value()),
            enabled in proptest::option::of(json_value()),
        ) {
            if let Ok(fields) = UserFields::parse(
                name.as_deref(),
                kind.as_deref(),
                enabled.as_ref(),
                roles.as_ref(),
                password.as_deref(),
            ) {
                if let Some(name) = fields.display_name {
                    prop_assert!(!name.is_empty() && name.chars().count() <= 256);
                    prop_assert!(!name.chars().any(char::is_control));
                }
                if let Some(password) = fields.password {
                    prop_assert!(password.chars().count() >= 8);
                }
                if let Some(roles) = fields.roles {
                    let mut sorted = roles.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    prop_assert_eq!(sorted, roles, "roles are kept sorted and once each");
                }
            }
        }
    }
}
