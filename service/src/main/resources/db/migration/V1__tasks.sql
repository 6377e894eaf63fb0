-- Tasks: ComfyVN's task registry. Portable SQL (SQLite and PostgreSQL): instants are epoch
-- milliseconds in BIGINT, JSON is TEXT.
CREATE TABLE tasks (
    id               VARCHAR(64)  NOT NULL PRIMARY KEY,
    kind             VARCHAR(128) NOT NULL,
    status           VARCHAR(16)  NOT NULL,
    progress         DOUBLE PRECISION NOT NULL,
    message          TEXT         NOT NULL,
    meta             TEXT         NOT NULL,
    provider_slug    VARCHAR(64),
    provider_job_id  VARCHAR(256),
    idempotency_key  VARCHAR(256),
    created_at       BIGINT       NOT NULL,
    updated_at       BIGINT       NOT NULL
);

CREATE UNIQUE INDEX tasks_idempotency_key ON tasks (idempotency_key);
CREATE INDEX tasks_provider_job ON tasks (provider_slug, provider_job_id);
CREATE INDEX tasks_status ON tasks (status);
CREATE INDEX tasks_created ON tasks (created_at);
