//! Authentication strengths (entra-model.md section 5): Entra's three built-ins, with their ids and allowed
//! combinations, and whether a set of methods satisfies one.

use serde::Serialize;

use crate::session::Method;

/// An authentication strength: a name and the method combinations that satisfy it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Strength {
    pub id: &'static str,
    pub display_name: &'static str,
    /// Graph's `allowedCombinations`, restricted to the modes keywarden has (`fido2`, `password, softwareOath`,
    /// `temporaryAccessPassOneTime`, `temporaryAccessPassMultiUse`).
    pub allowed_combinations: &'static [&'static str],
}

pub const MULTIFACTOR: Strength = Strength {
    id: "00000000-0000-0000-0000-000000000002",
    display_name: "Multi-factor authentication",
    allowed_combinations: &[
        "fido2",
        "temporaryAccessPassOneTime",
        "temporaryAccessPassMultiUse",
        "password, softwareOath",
    ],
};

pub const PASSWORDLESS: Strength = Strength {
    id: "00000000-0000-0000-0000-000000000003",
    display_name: "Passwordless MFA",
    allowed_combinations: &["fido2"],
};

pub const PHISHING_RESISTANT: Strength = Strength {
    id: "00000000-0000-0000-0000-000000000004",
    display_name: "Phishing resistant MFA",
    allowed_combinations: &["fido2"],
};

pub const BUILT_IN: [Strength; 3] = [MULTIFACTOR, PASSWORDLESS, PHISHING_RESISTANT];

impl Strength {
    /// Finds a built-in strength by id, display name, or a short name (`mfa`, `passwordless`,
    /// `phishing-resistant`).
    pub fn parse(s: &str) -> Option<Strength> {
        let wanted = s.trim().to_ascii_lowercase();
        let short = match wanted.as_str() {
            "mfa" | "multifactor" | "multi-factor" => Some(MULTIFACTOR),
            "passwordless" => Some(PASSWORDLESS),
            "phishing-resistant" | "phishingresistant" | "phishing_resistant" => Some(PHISHING_RESISTANT),
            _ => None,
        };
        short.or_else(|| {
            BUILT_IN
                .into_iter()
                .find(|b| b.id == wanted || b.display_name.to_ascii_lowercase() == wanted)
        })
    }

    /// Whether a sign-in that used `methods` (with `one_time_pass` telling which kind of TAP) satisfies the strength.
    pub fn satisfied_by(&self, methods: &[Method], one_time_pass: bool) -> bool {
        self.allowed_combinations.iter().any(|combination| {
            combination.split(',').map(str::trim).all(|mode| match mode {
                "fido2" => methods.contains(&Method::Passkey),
                "password" => methods.contains(&Method::Password),
                "softwareOath" => methods.contains(&Method::Totp),
                "temporaryAccessPassOneTime" => one_time_pass && methods.contains(&Method::TemporaryAccessPass),
                "temporaryAccessPassMultiUse" => !one_time_pass && methods.contains(&Method::TemporaryAccessPass),
                _ => false,
            })
        })
    }

    /// Whether a user who can sign in with `registered` methods could satisfy the strength at all (readiness).
    pub fn reachable_with(&self, registered: &[Method]) -> bool {
        self.satisfied_by(registered, true) || self.satisfied_by(registered, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_follow_entra() {
        use Method::*;
        assert!(MULTIFACTOR.satisfied_by(&[Password, Totp], false));
        assert!(!MULTIFACTOR.satisfied_by(&[Password], false));
        assert!(MULTIFACTOR.satisfied_by(&[TemporaryAccessPass], true));
        assert!(
            !PASSWORDLESS.satisfied_by(&[TemporaryAccessPass], true),
            "a TAP satisfies only the MFA strength"
        );
        assert!(!PHISHING_RESISTANT.satisfied_by(&[Password, Totp], false));
        assert!(PHISHING_RESISTANT.satisfied_by(&[Passkey], false));
        assert_eq!(Strength::parse("phishing-resistant"), Some(PHISHING_RESISTANT));
        assert_eq!(
            Strength::parse("00000000-0000-0000-0000-000000000002"),
            Some(MULTIFACTOR)
        );
        assert_eq!(Strength::parse("Passwordless MFA"), Some(PASSWORDLESS));
        assert_eq!(Strength::parse("strong"), None);
    }
}
