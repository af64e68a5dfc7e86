//! Reading and writing the policy as Graph JSON: whole documents, single configurations, PATCH semantics
//! (properties left out keep their values), and the property-level diff that goes into the audit log.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::schema::{self, FIDO2_ODATA_TYPE, POLICY_ODATA_TYPE, TAP_ODATA_TYPE};
use super::validate::{self, Problem, TargetCheck};
use super::{Fido2Configuration, Policy, TapConfiguration};
use crate::audit::ModifiedProperty;

/// One of the two method configurations keywarden governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigId {
    Fido2,
    TemporaryAccessPass,
}

impl ConfigId {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigId::Fido2 => "Fido2",
            ConfigId::TemporaryAccessPass => "TemporaryAccessPass",
        }
    }

    /// Accepts Graph's ids case-insensitively (`fido2`, `Fido2`, `temporaryAccessPass`...).
    pub fn parse(s: &str) -> Option<ConfigId> {
        if s.eq_ignore_ascii_case("fido2") {
            Some(ConfigId::Fido2)
        } else if s.eq_ignore_ascii_case("temporaryaccesspass") {
            Some(ConfigId::TemporaryAccessPass)
        } else {
            None
        }
    }

    fn odata_type(self) -> &'static str {
        match self {
            ConfigId::Fido2 => FIDO2_ODATA_TYPE,
            ConfigId::TemporaryAccessPass => TAP_ODATA_TYPE,
        }
    }

    fn from_document(object: &Map<String, Value>) -> Option<ConfigId> {
        match object.get("@odata.type").and_then(Value::as_str) {
            Some(FIDO2_ODATA_TYPE) => return Some(ConfigId::Fido2),
            Some(TAP_ODATA_TYPE) => return Some(ConfigId::TemporaryAccessPass),
            _ => {}
        }
        object.get("id").and_then(Value::as_str).and_then(ConfigId::parse)
    }
}

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One configuration as Graph JSON, with its `@odata.type` and `id`.
pub fn config_to_json(policy: &Policy, id: ConfigId) -> Value {
    let fields = match id {
        ConfigId::Fido2 => serde_json::to_value(&policy.fido2),
        ConfigId::TemporaryAccessPass => serde_json::to_value(&policy.temporary_access_pass),
    }
    .expect("policy types serialise to JSON");
    let mut out = Map::new();
    out.insert("@odata.type".into(), json!(id.odata_type()));
    out.insert("id".into(), json!(id.as_str()));
    out.extend(body(fields));
    Value::Object(out)
}

/// The whole policy as Graph's `authenticationMethodsPolicy`, with keywarden's version number.
pub fn to_graph_document(policy: &Policy, version: i64, last_modified: OffsetDateTime) -> Value {
    json!({
        "@odata.type": POLICY_ODATA_TYPE,
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "policyVersion": version,
        "lastModifiedDateTime": crate::instant::rfc3339(last_modified),
        "authenticationMethodConfigurations": [
            config_to_json(policy, ConfigId::Fido2),
            config_to_json(policy, ConfigId::TemporaryAccessPass),
        ],
    })
}

/// Reads a policy document written by a person: either a whole `authenticationMethodsPolicy` (as `policy show`
/// prints it) or a single configuration. Properties left out keep their current values, as in Graph's PATCH.
/// Returns every problem found, or the new policy.
pub fn parse(input: &str, current: &Policy, targets: &dyn TargetCheck) -> Result<Policy, Vec<Problem>> {
    let value: Value = serde_json::from_str(input).map_err(|e| {
        vec![Problem {
            path: String::new(),
            message: format!("not valid JSON: {e}"),
        }]
    })?;
    let Value::Object(object) = value else {
        return Err(vec![Problem {
            path: String::new(),
            message: "must be a JSON object".into(),
        }]);
    };
    let mut problems = Vec::new();
    let mut patches: Vec<(ConfigId, Value)> = Vec::new();
    if let Some(configs) = object.get("authenticationMethodConfigurations") {
        for (key, v) in &object {
            let known = [
                "@odata.type",
                "id",
                "displayName",
                "description",
                "policyVersion",
                "lastModifiedDateTime",
                "authenticationMethodConfigurations",
            ];
            if !known.contains(&key.as_str()) {
                problems.push(Problem {
                    path: key.clone(),
                    message: "is not a known property".into(),
                });
            }
            if key == "@odata.type" && v.as_str() != Some(POLICY_ODATA_TYPE) {
                problems.push(Problem {
                    path: key.clone(),
                    message: format!("must be {POLICY_ODATA_TYPE:?}"),
                });
            }
        }
        match configs.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    match item.as_object().and_then(ConfigId::from_document) {
                        Some(id) if patches.iter().any(|(seen, _)| *seen == id) => problems.push(Problem {
                            path: format!("authenticationMethodConfigurations[{i}]"),
                            message: format!("{} appears twice", id.as_str()),
                        }),
                        Some(id) => patches.push((id, item.clone())),
                        None => problems.push(Problem {
                            path: format!("authenticationMethodConfigurations[{i}]"),
                            message: "keywarden governs only the Fido2 and TemporaryAccessPass configurations; \
                                      set @odata.type or id to one of them"
                                .into(),
                        }),
                    }
                }
            }
            None => problems.push(Problem {
                path: "authenticationMethodConfigurations".into(),
                message: "must be an array".into(),
            }),
        }
    } else {
        match ConfigId::from_document(&object) {
            Some(id) => patches.push((id, Value::Object(object))),
            None => problems.push(Problem {
                path: String::new(),
                message:
                    "cannot tell which configuration this is: set @odata.type or id (Fido2 or TemporaryAccessPass), \
                          or give a whole authenticationMethodsPolicy"
                        .into(),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut policy = current.clone();
    for (id, patch) in patches {
        match merge(&policy, id, &patch) {
            Ok(next) => policy = next,
            Err(mut found) => problems.append(&mut found),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    validate::validate(&policy, targets, &mut problems);
    if problems.is_empty() { Ok(policy) } else { Err(problems) }
}

/// Graph's PATCH of one configuration: the properties present replace the current ones.
pub fn apply_patch(
    current: &Policy,
    id: ConfigId,
    patch: &Value,
    targets: &dyn TargetCheck,
) -> Result<Policy, Vec<Problem>> {
    let policy = merge(current, id, patch)?;
    let mut problems = Vec::new();
    validate::validate(&policy, targets, &mut problems);
    if problems.is_empty() { Ok(policy) } else { Err(problems) }
}

fn merge(current: &Policy, id: ConfigId, patch: &Value) -> Result<Policy, Vec<Problem>> {
    let Some(patch) = patch.as_object() else {
        return Err(vec![Problem {
            path: id.as_str().into(),
            message: "must be a JSON object".into(),
        }]);
    };
    let mut merged = body(config_to_json(current, id));
    for (key, value) in patch {
        merged.insert(key.clone(), value.clone());
    }
    let merged = Value::Object(merged);
    let mut problems = Vec::new();
    let kind = match id {
        ConfigId::Fido2 => &schema::FIDO2,
        ConfigId::TemporaryAccessPass => &schema::TAP,
    };
    schema::check(&merged, kind, id.as_str(), &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut fields = body(merged);
    fields.remove("@odata.type");
    fields.remove("id");
    let to_problem = |e: serde_json::Error| {
        vec![Problem {
            path: id.as_str().into(),
            message: e.to_string(),
        }]
    };
    let mut policy = current.clone();
    match id {
        ConfigId::Fido2 => {
            policy.fido2 = serde_json::from_value::<Fido2Configuration>(Value::Object(fields)).map_err(to_problem)?;
        }
        ConfigId::TemporaryAccessPass => {
            policy.temporary_access_pass =
                serde_json::from_value::<TapConfiguration>(Value::Object(fields)).map_err(to_problem)?;
        }
    }
    Ok(policy)
}

/// Reads a policy as keywarden stores it (written by [`Policy`]'s own serialisation).
pub fn parse_stored(s: &str) -> Result<Policy, serde_json::Error> {
    serde_json::from_str(s)
}

/// The properties that differ between two policies, as Graph `modifiedProperties` (`Fido2.passkeyProfiles`...).
pub fn diff(old: &Policy, new: &Policy) -> Vec<ModifiedProperty> {
    let mut changes = Vec::new();
    for id in [ConfigId::Fido2, ConfigId::TemporaryAccessPass] {
        let before = body(config_to_json(old, id));
        let after = body(config_to_json(new, id));
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let (a, b) = (before.get(key), after.get(key));
            if a != b {
                changes.push(ModifiedProperty {
                    display_name: format!("{}.{key}", id.as_str()),
                    old_value: a.map(Value::to_string),
                    new_value: b.map(Value::to_string),
                });
            }
        }
    }
    changes
}
