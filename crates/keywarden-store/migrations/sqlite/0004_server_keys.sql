-- Keys the server keeps for itself, shared by every server on the database: the key that seals pending passkey
-- sign-in ceremonies, so that a sign-in begun on one server can finish on another. Created by the first server that
-- needs it. Since a begin stores nothing, signin_challenges now holds only the challenges that were used (until they
-- expire). Keep in step with ../postgres/0004_server_keys.sql.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
