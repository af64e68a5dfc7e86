//! The shape of the Graph policy documents, as a table, and a walker that reports every shape problem at once.
//!
//! serde stops at the first error; a person fixing a policy file wants the whole list, with JSON paths.

use serde_json::Value;

use super::validate::Problem;

pub(super) enum Kind {
    Bool,
    Str,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// An integer in this inclusive range.
    Int(u64, u64),
    /// An integer in this inclusive range, or null.
    NullableInt(u64, u64),
    /// Exactly this string (used for `@odata.type` and `id`).
    Const(&'static str),
    PasskeyTypes,
    Aaguid,
    Array(&'static Kind),
    Object(&'static [Field]),
}

pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    pub(super) required: bool,
    /// Why the field is refused, for fields keywarden knows but does not take.
    pub(super) refused: Option<&'static str>,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
        refused: None,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        refused: None,
    }
}

const fn refused(name: &'static str, why: &'static str) -> Field {
    Field {
        name,
        kind: Kind::Bool,
        required: false,
        refused: Some(why),
    }
}

const STATE: Kind = Kind::Enum(&["enabled", "disabled"]);

const KEY_RESTRICTIONS: Kind = Kind::Object(&[
    req("isEnforced", Kind::Bool),
    req("enforcementType", Kind::Enum(&["allow", "block"])),
    req("aaGuids", Kind::Array(&Kind::Aaguid)),
    opt(
        "authenticatorGroups",
        Kind::Array(&Kind::Enum(&[
            "fidoCertified",
            "fidoCertifiedL2OrHigher",
            "fidoCertifiedL3OrHigher",
            "hardwareProtected",
            "fipsValidated",
        ])),
    ),
]);

const PASSKEY_PROFILE: Kind = Kind::Object(&[
    req("id", Kind::Str),
    req("name", Kind::Str),
    req("passkeyTypes", Kind::PasskeyTypes),
    req("attestationEnforcement", Kind::Enum(&["disabled", "registrationOnly"])),
    req("keyRestrictions", KEY_RESTRICTIONS),
    opt("isSha1TpmAttestationAllowed", Kind::Bool),
]);

const PASSKEY_TARGET: Kind = Kind::Object(&[
    req("id", Kind::Str),
    req("targetType", Kind::Enum(&["group"])),
    opt("isRegistrationRequired", Kind::Bool),
    opt("allowedPasskeyProfiles", Kind::Array(&Kind::Str)),
]);

const TARGET: Kind = Kind::Object(&[
    req("id", Kind::Str),
    req("targetType", Kind::Enum(&["group"])),
    opt("isRegistrationRequired", Kind::Bool),
]);

const EXCLUDE_TARGET: Kind = Kind::Object(&[req("id", Kind::Str), req("targetType", Kind::Enum(&["group", "user"]))]);

pub(super) const FIDO2_ODATA_TYPE: &str = "#microsoft.graph.fido2AuthenticationMethodConfiguration";
pub(super) const TAP_ODATA_TYPE: &str = "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";
pub(super) const POLICY_ODATA_TYPE: &str = "#microsoft.graph.authenticationMethodsPolicy";

pub(super) const FIDO2: Kind = Kind::Object(&[
    opt("@odata.type", Kind::Const(FIDO2_ODATA_TYPE)),
    opt("id", Kind::Const("Fido2")),
    req("state", STATE),
    req("includeTargets", Kind::Array(&PASSKEY_TARGET)),
    req("excludeTargets", Kind::Array(&EXCLUDE_TARGET)),
    req("isSelfServiceRegistrationAllowed", Kind::Bool),
    req("defaultPasskeyProfile", Kind::Str),
    req("passkeyProfiles", Kind::Array(&PASSKEY_PROFILE)),
    opt("registrationWindowInMinutes", Kind::NullableInt(1, 60)),
    refused(
        "isAttestationEnforced",
        "isAttestationEnforced is deprecated in Entra and not used by keywarden; set attestationEnforcement on a passkey profile",
    ),
    refused(
        "keyRestrictions",
        "the configuration-wide keyRestrictions are deprecated in Entra and not used by keywarden; set keyRestrictions on a passkey profile",
    ),
]);

pub(super) const TAP: Kind = Kind::Object(&[
    opt("@odata.type", Kind::Const(TAP_ODATA_TYPE)),
    opt("id", Kind::Const("TemporaryAccessPass")),
    req("state", STATE),
    req("includeTargets", Kind::Array(&TARGET)),
    req("excludeTargets", Kind::Array(&EXCLUDE_TARGET)),
    req("defaultLength", Kind::Int(8, 48)),
    req("defaultLifetimeInMinutes", Kind::Int(10, 43200)),
    req("minimumLifetimeInMinutes", Kind::Int(10, 43200)),
    req("maximumLifetimeInMinutes", Kind::Int(10, 43200)),
    req("isUsableOnce", Kind::Bool),
]);

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Appends to `problems` everything about `value` that does not fit `kind`.
pub(super) fn check(value: &Value, kind: &Kind, path: &str, problems: &mut Vec<Problem>) {
    let mut problem = |message: String| {
        problems.push(Problem {
            path: path.to_string(),
            message,
        })
    };
    match kind {
        Kind::Bool => {
            if !value.is_boolean() {
                problem(format!("must be true or false, not {}", type_name(value)));
            }
        }
        Kind::Str => match value.as_str() {
            Some(s) if !s.trim().is_empty() => {}
            Some(_) => problem("must not be empty".into()),
            None => problem(format!("must be a string, not {}", type_name(value))),
        },
        Kind::Enum(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => {}
            Some(s) => problem(format!("{s:?} is not one of {}", allowed.join(", "))),
            None => problem(format!(
                "must be one of {}, not {}",
                allowed.join(", "),
                type_name(value)
            )),
        },
        Kind::Const(expected) => {
            if value.as_str() != Some(expected) {
                problem(format!("must be {expected:?}"));
            }
        }
        Kind::Int(min, max) => match value.as_u64() {
            Some(n) if (*min..=*max).contains(&n) => {}
            Some(n) => problem(format!("{n} is outside {min} to {max}")),
            None => problem(format!("must be a whole number from {min} to {max}")),
        },
        Kind::NullableInt(min, max) => {
            if !value.is_null() {
                check(value, &Kind::Int(*min, *max), path, problems);
            }
        }
        Kind::PasskeyTypes => match value.as_str().map(super::PasskeyTypes::parse) {
            Some(Ok(types)) if !types.is_empty() => {}
            Some(Ok(_)) => problem("must name at least one of deviceBound, synced".into()),
            Some(Err(e)) => problem(e),
            None => problem(format!(
                "must be a string such as \"deviceBound,synced\", not {}",
                type_name(value)
            )),
        },
        Kind::Aaguid => match value.as_str().map(str::parse::<crate::Aaguid>) {
            Some(Ok(_)) => {}
            Some(Err(e)) => problem(e),
            None => problem(format!("must be an AAGUID string, not {}", type_name(value))),
        },
        Kind::Array(item) => match value.as_array() {
            Some(items) => {
                for (i, v) in items.iter().enumerate() {
                    check(v, item, &format!("{path}[{i}]"), problems);
                }
            }
            None => problem(format!("must be an array, not {}", type_name(value))),
        },
        Kind::Object(fields) => {
            let Some(object) = value.as_object() else {
                problem(format!("must be an object, not {}", type_name(value)));
                return;
            };
            let join = |name: &str| {
                if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                }
            };
            for field in *fields {
                match (object.get(field.name), field.refused) {
                    (Some(_), Some(why)) => problems.push(Problem {
                        path: join(field.name),
                        message: why.into(),
                    }),
                    (Some(v), None) => check(v, &field.kind, &join(field.name), problems),
                    (None, _) if field.required => problems.push(Problem {
                        path: join(field.name),
                        message: "is required".into(),
                    }),
                    (None, _) => {}
                }
            }
            for key in object.keys() {
                if !fields.iter().any(|f| f.name == key) {
                    let known: Vec<&str> = fields.iter().filter(|f| f.refused.is_none()).map(|f| f.name).collect();
                    problems.push(Problem {
                        path: join(key),
                        message: format!("is not a known property (known: {})", known.join(", ")),
                    });
                }
            }
        }
    }
}
