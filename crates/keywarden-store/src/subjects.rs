//! What one operation reads about a user, fetched in one round trip: on SQLite the queries go to a reader's thread
//! as one multi-statement text (each such hand-off costs two thread switches), on PostgreSQL one by one.

use std::collections::BTreeSet;

use futures_util::TryStreamExt;
use keywarden_domain::ids::{GroupId, UserId};
use keywarden_domain::passkey::Passkey;
use sqlx::any::AnyRow;
use sqlx::{Either, Executor};

use crate::access_passes::{ACCESS_PASS_OF, pass_from_row};
use crate::directory::{GROUPS_AND_POLICY_VERSION, groups_and_policy_version_from_rows};
use crate::passkeys::{PASSKEYS_OF, record_from_row};
use crate::sessions::{TOTP_OF, totp_from_row};
use crate::{Backend, Result, Store, StoredAccessPass, Totp};

/// What beginning a registration reads about its target: what question 1 needs (groups and the policy version in
/// force) and what question 2 and the creation options need (the methods the user holds).
#[derive(Clone, Debug)]
pub struct RegistrationSubject {
    pub groups: BTreeSet<GroupId>,
    pub policy_version: i64,
    pub passkeys: Vec<Passkey>,
    pub totp: Option<Totp>,
    pub access_pass: Option<StoredAccessPass>,
}

impl Store {
    /// The user's groups, the policy version in force, and the user's passkeys, TOTP method and Temporary Access
    /// Pass, in one round trip.
    pub async fn registration_subject(&self, user: UserId) -> Result<RegistrationSubject> {
        let queries = [GROUPS_AND_POLICY_VERSION, PASSKEYS_OF.as_str(), TOTP_OF, ACCESS_PASS_OF];
        let [groups, passkeys, totp, pass] = self.read_each(queries, user.to_string()).await?;
        let (groups, policy_version) = groups_and_policy_version_from_rows(&groups)?;
        Ok(RegistrationSubject {
            groups,
            policy_version,
            passkeys: passkeys
                .iter()
                .map(|row| record_from_row(row).map(|r| r.passkey))
                .collect::<Result<_>>()?,
            totp: totp.first().map(totp_from_row).transpose()?,
            access_pass: pass.first().map(pass_from_row).transpose()?,
        })
    }

    /// Runs read queries that each take the same one parameter, `$1`, and returns the rows of each.
    async fn read_each<const N: usize>(&self, queries: [&str; N], parameter: String) -> Result<[Vec<AnyRow>; N]> {
        let mut results: [Vec<AnyRow>; N] = std::array::from_fn(|_| Vec::new());
        match self.backend {
            Backend::Postgres => {
                for (query, rows) in queries.iter().zip(results.iter_mut()) {
                    *rows = sqlx::query(query)
                        .bind(parameter.clone())
                        .fetch_all(&self.reader)
                        .await?;
                }
            }
            Backend::Sqlite => {
                // sqlx binds `$1` in every statement of the text to the one argument; each statement's rows are
                // followed by its result. (Multi-statement texts with arguments: see `batch.rs` on why and on
                // sqlx's deprecation of them.)
                let text = queries.join(";\n");
                let mut stream = (&self.reader).fetch_many(sqlx::query(&text).bind(parameter));
                let mut at = 0;
                while let Some(item) = stream.try_next().await? {
                    match item {
                        Either::Right(row) => {
                            if let Some(rows) = results.get_mut(at) {
                                rows.push(row);
                            }
                        }
                        Either::Left(_) => at += 1,
                    }
                }
            }
        }
        Ok(results)
    }
}
