//! Identifiers: validated newtypes so that a value is checked once, where it enters.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A user's object id, as in Graph (`user.id`).
    UserId
);
uuid_id!(
    /// A group's object id.
    GroupId
);
uuid_id!(
    /// The id of a registered authentication method (a passkey, a TOTP, a Temporary Access Pass).
    MethodId
);
uuid_id!(
    /// The id of one registration attempt (a begin, and what followed it).
    AttemptId
);

/// An authenticator's make-and-model identifier (WebAuthn AAGUID), always shown lower-case and hyphenated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(try_from = "String", into = "String")]
pub struct Aaguid(pub Uuid);

impl Aaguid {
    /// The all-zero AAGUID that browsers substitute when attestation is `none` (and U2F keys report).
    pub const ZERO: Aaguid = Aaguid(Uuid::nil());

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_nil()
    }

    /// `YubiKey 5 Series (ee882879-...)` given the model's name, else the bare AAGUID.
    pub fn labelled(self, name: Option<&str>) -> String {
        match name {
            Some(name) => format!("{name} ({self})"),
            None => self.to_string(),
        }
    }
}

impl fmt::Display for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aaguid({})", self.0.hyphenated())
    }
}

impl FromStr for Aaguid {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim())
            .map(Aaguid)
            .map_err(|_| format!("{s:?} is not an AAGUID (expected 32 hex digits, as 8-4-4-4-12)"))
    }
}

impl TryFrom<String> for Aaguid {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Aaguid> for String {
    fn from(a: Aaguid) -> String {
        a.to_string()
    }
}
