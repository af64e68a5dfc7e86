//! keywarden-server's integration tests: the real server on a random port, over HTTP, on SQLite and on a
//! throw-away PostgreSQL cluster. `both!` makes one test per backend from an `async fn(Backend)`.

mod support;

mod access_pass;
mod admin;
mod ceremony;
mod diagnosis;
mod operations;
mod pages;
mod policy;
mod registration;
mod reports;
mod rollout;
mod security;
mod sign_in;

pub(crate) use support::{Backend, TestApp};

/// Runs each named `async fn(TestApp)` from `$module` on both backends.
macro_rules! both {
    ($module:ident as $tests:ident: $($case:ident),* $(,)?) => {
        mod $tests {
            mod on_sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        let app = crate::TestApp::spawn(crate::Backend::Sqlite).await.expect("sqlite app");
                        crate::$module::$case(app).await;
                    }
                )*
            }
            mod on_postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        let Some(app) = crate::TestApp::spawn(crate::Backend::Postgres).await else { return };
                        crate::$module::$case(app).await;
                    }
                )*
            }
        }
    };
}

both!(registration as registration_tests:
    tap_bootstrap_then_registration_then_username_less_sign_in,
    each_eligibility_rule_refuses_at_begin_with_its_code,
    stale_strong_authentication_is_refused_then_accepted_after_verifying_again,
    password_only_user_without_methods_is_told_to_get_a_pass,
    each_profile_rule_refuses_at_finish_with_its_code,
    attestation_verified_against_metadata_is_accepted,
    revoked_model_is_refused,
    admin_registers_on_behalf_of_a_user,
    browser_failure_is_recorded_as_question_three,
    own_registration_admits_only_a_complete_live_session,
    an_app_without_a_password_is_no_method_for_registration_or_diagnosis,
);
both!(ceremony as ceremony_tests:
    malformed_and_forged_responses_are_refused_and_change_nothing,
    replayed_response_is_refused,
    expired_challenge_is_refused,
    concurrent_finishes_commit_exactly_once,
    one_time_pass_signs_in_exactly_once,
    a_one_time_pass_session_retries_within_its_window,
);
both!(access_pass as access_pass_tests:
    pass_is_shown_once_and_stored_hashed,
    wrong_codes_are_rate_limited_per_user,
    pass_outside_policy_is_refused,
    expired_and_revoked_passes_do_not_sign_in,
);
both!(sign_in as sign_in_tests:
    password_then_totp,
    totp_code_cannot_be_replayed,
    passkey_sign_in_stores_counter_and_backup_state_change,
    counter_regression_is_refused_and_recorded,
    sign_in_challenge_is_used_once,
    synced_passkey_stops_working_when_the_profile_drops_synced,
    self_service_rename_and_delete,
    own_methods_are_listed_without_secrets,
);
both!(policy as policy_tests:
    policy_is_read_and_patched_through_the_api_with_a_diff_in_the_audit,
    invalid_policy_lists_every_problem_and_changes_nothing,
    policy_saved_by_another_process_applies_to_the_next_request,
);
both!(admin as admin_tests:
    roles_gate_admin_endpoints,
    api_tokens_carry_a_role,
    audit_log_filters_and_pages,
    a_member_taken_out_of_a_group_is_governed_without_it,
);
both!(reports as reports_tests:
    inventory_lists_passkeys_in_the_playbooks_columns,
    users_without_a_passkey_are_listed_with_their_methods,
    findings_cover_the_patterns_to_watch,
    audit_export_is_entra_auditlogs_and_the_playbook_query_reads_it,
);
both!(rollout as rollout_tests:
    rollout_status_counts_each_ring_with_attempts_and_a_chart,
    tighten_proposes_the_observed_models_and_applies_only_when_asked,
    readiness_lists_who_would_be_locked_out_and_why,
    what_if_judges_a_proposal_against_todays_passkeys_and_changes_nothing,
);
both!(diagnosis as diagnosis_tests:
    a_refused_user_is_diagnosed_now_with_the_fix,
    a_failed_attempt_is_read_from_its_evidence_and_under_todays_policy,
    a_browser_failure_is_matched_against_the_knowledge_base,
    the_effective_policy_names_targets_and_profiles,
    diagnosis_needs_a_reading_role_and_a_known_attempt,
);
both!(pages as pages_tests:
    pages_and_assets_carry_security_headers_and_no_inline_code,
    visitors_are_sent_to_sign_in_and_members_kept_out_of_the_admin_console,
    assets_revalidate_with_their_etag,
    session_cookie_is_http_only_same_site_and_secure_over_https,
    state_changing_requests_need_the_session_csrf_token,
);
both!(security as security_tests:
    user_administrator_cannot_create_a_privileged_user,
    user_administrator_cannot_give_itself_roles,
    user_administrator_cannot_reset_an_admins_password,
    user_administrator_cannot_change_an_admin,
    user_administrator_manages_members_field_by_field,
    import_cannot_climb_roles,
    an_import_row_leaves_absent_fields_alone,
    only_role_administrators_assign_roles,
    authentication_administrator_cannot_take_over_an_admin,
    privileged_authentication_administrator_cannot_touch_a_global_admin,
    readers_and_policy_admins_change_nothing_else,
    a_password_alone_never_administers,
    a_pending_second_factor_administers_nothing,
    sensitive_admin_actions_need_recent_strong_authentication,
    api_tokens_are_made_by_global_administrators_only,
    a_one_time_pass_signs_in_once,
    a_pass_session_lives_no_longer_than_the_pass,
    revoking_or_replacing_a_pass_ends_its_sessions,
    resetting_a_password_ends_password_sessions,
    deleting_a_passkey_ends_its_sessions,
    revoke_sign_in_sessions_ends_them_all,
    disabling_or_deleting_an_account_ends_its_sessions,
    a_session_token_is_renewed_when_a_second_factor_completes_it,
    a_session_token_is_renewed_when_a_pass_raises_it,
    sign_out_needs_the_csrf_token,
    a_token_acts_within_its_role,
    only_group_managers_change_memberships,
    admin_writes_need_the_csrf_token,
    a_forged_session_cookie_is_unauthenticated,
    role_and_policy_changes_need_recent_strong_authentication,
    creating_an_existing_user_is_refused,
    an_admin_pass_session_ends_with_the_pass,
    unknown_and_known_names_fail_alike,
    a_burst_of_guesses_is_not_checked_whole,
    passkey_begin_lists_no_ones_credentials,
    sign_in_endpoints_are_limited_per_address,
    csv_exports_neutralise_formulas,
    concurrent_sign_ins_keep_the_highest_counter,
    metrics_are_served_off_the_public_listener,
    sign_in_seals_come_from_the_configured_secret,
    a_test_clock_cannot_be_enabled_on_a_public_origin,
    a_stale_session_cannot_add_an_authenticator_app,
    every_admin_route_checks_every_role,
);
both!(operations as operations_tests:
    health_readiness_metrics_and_openapi,
    errors_have_one_shape,
    a_nul_character_is_refused_as_bad_input,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight() {
    operations::shutdown_finishes_requests_in_flight().await;
}

#[test]
fn the_committed_openapi_document_is_the_generated_one() {
    operations::the_committed_openapi_document_is_the_generated_one();
}
