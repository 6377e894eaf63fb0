-- Scale-out: the instances sharing this store (heartbeats) and which instance follows which live
-- task (leases). Portable SQL (SQLite and PostgreSQL); instants are epoch milliseconds.
CREATE TABLE instances (
    id            VARCHAR(64) NOT NULL PRIMARY KEY,
    started_at    BIGINT      NOT NULL,
    heartbeat_at  BIGINT      NOT NULL
);

CREATE TABLE task_leases (
    task_id     VARCHAR(64) NOT NULL PRIMARY KEY,
    owner       VARCHAR(64) NOT NULL,
    expires_at  BIGINT      NOT NULL
);

CREATE INDEX task_leases_owner ON task_leases (owner);
