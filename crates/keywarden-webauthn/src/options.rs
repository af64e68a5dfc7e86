//! Shapes webauthn-rs-core's options into WebAuthn Level 3 JSON (`PublicKeyCredentialCreationOptionsJSON` and
//! `PublicKeyCredentialRequestOptionsJSON`), which the browser's `parse*OptionsFromJSON` accept as they are.
//!
//! Core already writes binary fields as base64url; what is left is removing `null` members (the L3 parsers reject
//! them), dropping transports that are not WebAuthn values, and setting the per-request timeout.

use serde_json::Value;

/// The transports WebAuthn L3 defines; anything else core may carry (`unknown`, `test`) is dropped.
pub(crate) const KNOWN_TRANSPORTS: [&str; 6] = ["usb", "nfc", "ble", "smart-card", "hybrid", "internal"];

/// Removes every `null` member of every object, recursively.
pub(crate) fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Keeps only WebAuthn transports in each credential descriptor of `list_member` (`allowCredentials` or
/// `excludeCredentials`), and removes a `transports` list that ends up empty.
pub(crate) fn clean_descriptor_transports(options: &mut Value, list_member: &str) {
    let Some(descriptors) = options.get_mut(list_member).and_then(Value::as_array_mut) else {
        return;
    };
    for descriptor in descriptors.iter_mut().filter_map(Value::as_object_mut) {
        if let Some(Value::Array(transports)) = descriptor.get_mut("transports") {
            transports.retain(|t| t.as_str().is_some_and(|t| KNOWN_TRANSPORTS.contains(&t)));
            if transports.is_empty() {
                descriptor.remove("transports");
            }
        }
    }
}

/// Milliseconds for the options' `timeout`, saturating at `u32::MAX` as the IDL type demands.
pub(crate) fn timeout_millis(timeout: std::time::Duration) -> u32 {
    u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_are_removed_at_every_depth() {
        let mut value = json!({"a": null, "b": {"c": null, "d": 1}, "e": [{"f": null}]});
        strip_nulls(&mut value);
        assert_eq!(value, json!({"b": {"d": 1}, "e": [{}]}));
    }

    #[test]
    fn unknown_transports_are_dropped_from_descriptors() {
        let mut value = json!({"allowCredentials": [
            {"type": "public-key", "id": "AA", "transports": ["usb", "unknown"]},
            {"type": "public-key", "id": "AQ", "transports": ["test"]}
        ]});
        clean_descriptor_transports(&mut value, "allowCredentials");
        assert_eq!(
            value,
            json!({"allowCredentials": [
                {"type": "public-key", "id": "AA", "transports": ["usb"]},
                {"type": "public-key", "id": "AQ"}
            ]})
        );
    }
}
