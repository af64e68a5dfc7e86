-- keywarden schema, PostgreSQL flavour. Times are microseconds since the Unix epoch (UTC); ids are text UUIDs;
-- JSON documents are text. Keep in step with ../sqlite/0001_init.sql (same tables, same columns, same order).

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    upn TEXT NOT NULL,
    upn_lower TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    user_type TEXT NOT NULL,
    account_enabled BIGINT NOT NULL,
    roles TEXT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_display_name ON users (display_name);

CREATE TABLE directory_groups (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    name_lower TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE totp_methods (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    secret BYTEA NOT NULL,
    display_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_step BIGINT NOT NULL
);

CREATE TABLE access_passes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    lifetime_minutes BIGINT NOT NULL,
    is_usable_once BIGINT NOT NULL,
    used_at BIGINT,
    created_by TEXT NOT NULL
);

CREATE TABLE signin_throttle (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (user_id, method)
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    authentication TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id BYTEA NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    aaguid TEXT NOT NULL,
    model TEXT,
    attestation_level TEXT NOT NULL,
    passkey_type TEXT NOT NULL,
    sign_count BIGINT NOT NULL,
    backup_eligible BIGINT NOT NULL,
    backup_state BIGINT NOT NULL,
    admitting_profile TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    attempt_id TEXT NOT NULL,
    last_used_at BIGINT,
    backup_state_changed_at BIGINT,
    counter_regressions BIGINT NOT NULL,
    details TEXT NOT NULL,
    webauthn TEXT NOT NULL
);
CREATE INDEX credentials_user ON credentials (user_id);
CREATE INDEX credentials_aaguid ON credentials (aaguid);

CREATE TABLE registration_attempts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    initiator TEXT NOT NULL,
    on_behalf BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    correlation_id TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    session_id TEXT,
    ceremony TEXT,
    challenge_expires_at BIGINT,
    challenge_used_at BIGINT,
    status TEXT NOT NULL,
    outcome_code TEXT,
    failed_question BIGINT,
    evidence TEXT NOT NULL,
    facts TEXT,
    client_report TEXT,
    finished_at BIGINT,
    credential_method_id TEXT,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX attempts_user ON registration_attempts (user_id, started_at);

CREATE TABLE signin_challenges (
    id TEXT PRIMARY KEY,
    ceremony TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE policy_versions (
    version BIGINT PRIMARY KEY,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE audit_events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    activity_at BIGINT NOT NULL,
    activity TEXT NOT NULL,
    result TEXT NOT NULL,
    result_reason TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    initiator_id TEXT NOT NULL,
    initiator TEXT NOT NULL,
    target_id TEXT,
    targets TEXT NOT NULL,
    additional_details TEXT NOT NULL
);
CREATE INDEX audit_time ON audit_events (activity_at);
CREATE INDEX audit_target ON audit_events (target_id, seq);
CREATE INDEX audit_initiator ON audit_events (initiator_id, seq);
CREATE INDEX audit_correlation ON audit_events (correlation_id);
