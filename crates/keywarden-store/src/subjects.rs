//! What one operation reads before it decides, fetched in one round trip (see `Store::read_batch` in `batch.rs`).

use std::collections::BTreeSet;

use keywarden_domain::ids::{AttemptId, GroupId, UserId};

use crate::access_passes::{ACCESS_PASS_OF, pass_from_row};
use crate::attempts::{ATTEMPT, attempt_from_row};
use crate::directory::{GROUPS_AND_POLICY_VERSION, HAS_PASSWORD, groups_and_policy_version_from_rows};
use crate::passkeys::{HELD_PASSKEYS, HeldPasskey, SIGN_IN_SUBJECT, held_from_row, sign_in_subject_from_row};
use crate::sessions::{SIGN_IN_CHALLENGE_USED, TOTP_OF, totp_from_row};
use crate::{Attempt, Result, SignInSubject, Store, StoredAccessPass, Totp, flag};

/// What beginning a registration reads about its target: what question 1 needs (groups and the policy version in
/// force) and what question 2 and the creation options need (the methods the user holds).
#[derive(Clone, Debug)]
pub struct RegistrationSubject {
    pub groups: BTreeSet<GroupId>,
    pub policy_version: i64,
    pub passkeys: Vec<HeldPasskey>,
    pub totp: Option<Totp>,
    pub access_pass: Option<StoredAccessPass>,
    pub has_password: bool,
}

impl Store {
    /// The user's groups, the policy version in force, and the user's passkeys, TOTP method, Temporary Access Pass
    /// and whether they have a password, in one round trip.
    pub async fn registration_subject(&self, user: UserId) -> Result<RegistrationSubject> {
        let [groups, passkeys, totp, pass, password] = self
            .read_batch(
                [
                    GROUPS_AND_POLICY_VERSION,
                    HELD_PASSKEYS,
                    TOTP_OF,
                    ACCESS_PASS_OF,
                    HAS_PASSWORD,
                ]
                .map(|query| sqlx::query(query).bind(user.to_string())),
            )
            .await?;
        let (groups, policy_version) = groups_and_policy_version_from_rows(&groups)?;
        Ok(RegistrationSubject {
            groups,
            policy_version,
            passkeys: passkeys.iter().map(held_from_row).collect::<Result<_>>()?,
            totp: totp.first().map(totp_from_row).transpose()?,
            access_pass: pass.first().map(pass_from_row).transpose()?,
            has_password: password
                .first()
                .map(|row| flag(row, "has_password"))
                .transpose()?
                .unwrap_or(false),
        })
    }

    /// What finishing a registration reads before it decides: the attempt, and its target's groups and the policy
    /// version in force, in one round trip.
    pub async fn registration_finish_subject(
        &self,
        attempt: AttemptId,
        user: UserId,
    ) -> Result<(Option<Attempt>, BTreeSet<GroupId>, i64)> {
        let [attempt, groups] = self
            .read_batch([
                sqlx::query(ATTEMPT.as_str()).bind(attempt.to_string()),
                sqlx::query(GROUPS_AND_POLICY_VERSION).bind(user.to_string()),
            ])
            .await?;
        let (groups, version) = groups_and_policy_version_from_rows(&groups)?;
        Ok((attempt.first().map(attempt_from_row).transpose()?, groups, version))
    }

    /// What finishing a passkey sign-in reads before it verifies: the subject of the credential presented
    /// ([`Store::sign_in_subject`]) and whether the challenge was used, in one round trip. The challenge is read
    /// second: a concurrent finish of the same ceremony that commits between the two reads then shows as a used
    /// challenge, never as a stored counter that the same assertion seems to have gone back on.
    pub async fn passkey_sign_in_reads(
        &self,
        challenge: uuid::Uuid,
        credential_id: &[u8],
    ) -> Result<(bool, Option<SignInSubject>)> {
        let [subject, used] = self
            .read_batch([
                sqlx::query(SIGN_IN_SUBJECT.as_str()).bind(credential_id.to_vec()),
                sqlx::query(SIGN_IN_CHALLENGE_USED).bind(challenge.to_string()),
            ])
            .await?;
        Ok((
            !used.is_empty(),
            subject.first().map(sign_in_subject_from_row).transpose()?,
        ))
    }
}
