//! The store conformance suite: every test runs on SQLite and on a throw-away PostgreSQL cluster.
//!
//! Each case is an `async fn(&Store)`; `conformance!` makes one `#[tokio::test]` per backend for it.

mod fixtures;

mod cases;
mod reports;
mod rollout;

use keywarden_store::Store;

/// A store on a fresh database, and what keeps it alive.
pub(crate) struct TestDb {
    pub(crate) store: Store,
    _dir: Option<tempfile::TempDir>,
}

pub(crate) async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("keywarden.db").display());
    let store = Store::connect(&url).await.expect("sqlite store");
    TestDb { store, _dir: Some(dir) }
}

pub(crate) async fn postgres() -> Option<TestDb> {
    let cluster = keywarden_testkit::postgres::cluster()?;
    let store = Store::connect(&cluster.fresh_database()).await.expect("postgres store");
    Some(TestDb { store, _dir: None })
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::sqlite().await;
                    crate::cases::$case(&db.store).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = crate::postgres().await else { return };
                    crate::cases::$case(&db.store).await;
                }
            )*
        }
    };
}

conformance!(
    store_is_ready_after_migrations,
    users_are_found_by_id_or_upn_case_insensitively,
    a_user_change_writes_only_the_fields_given,
    sessions_end_with_what_they_depend_on,
    user_listing_searches_and_pages,
    group_import_is_all_or_nothing,
    memberships_are_read_back,
    one_access_pass_per_user,
    access_passes_issued_at_once_replace_each_other,
    policy_versions_refuse_concurrent_writers,
    registration_commit_writes_passkey_attempt_and_event_together,
    sign_in_subject_is_the_passkey_its_user_groups_and_policy_version,
    registration_subject_is_what_the_single_reads_return,
    challenge_is_consumed_exactly_once_under_concurrent_finishes,
    one_time_pass_signs_in_exactly_once_under_concurrent_sign_ins,
    duplicate_credential_changes_nothing,
    refusal_closes_the_attempt_once,
    sign_in_challenge_is_used_once_and_purged_when_expired,
    attempts_are_admitted_up_to_the_limit_then_locked,
    a_burst_is_admitted_no_more_than_the_limit,
    totp_step_cannot_be_replayed,
    totp_enrolled_at_once_replace_each_other,
    assertion_updates_counter_and_backup_state,
    audit_filters_and_pages,
    inventory_streams_passkeys_with_their_users_in_upn_order,
    model_counts_group_by_aaguid_type_and_attestation,
    users_without_passkeys_come_with_their_methods,
    audit_export_streams_filtered_events_oldest_first,
    recheck_scan_reads_memberships_the_policy_names,
    finding_selections_read_backup_changes_and_counter_regressions,
    access_pass_findings_select_unused_and_long_passes,
    admin_registration_initiators_are_counted_by_sql,
);

/// The rollout reads, in a module of their own so that this list and the one above grow independently.
mod rollout_conformance {
    conformance!(
        subjects_stream_each_user_with_groups_passkeys_and_methods,
        attempt_counts_group_by_ring_status_and_code,
    );
}
