-- Trust (issue 11). The key that sealed passkey sign-in ceremonies no longer lives beside the data it protects: it is
-- derived from a secret in the configuration, so server_keys goes. Wrong-code throttling is keyed by the sign-in
-- name (a SHA-256 of the lower-cased name) instead of the user, so that a name that does not exist is throttled
-- exactly like one that does, and a lock cannot tell who exists. Keep in step with ../sqlite/0005_trust.sql.
DROP TABLE server_keys;
DROP TABLE signin_throttle;
CREATE TABLE signin_throttle (
    subject TEXT NOT NULL,
    method TEXT NOT NULL,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (subject, method)
);
CREATE INDEX signin_throttle_window ON signin_throttle (window_start);
