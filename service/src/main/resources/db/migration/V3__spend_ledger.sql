-- The spend guard's ledger (limits/SpendLedger): the estimated USD that live submits reserved on
-- each UTC day, one row per provider and one for the total (scope '*'). Money is integer
-- micro-dollars so SQLite and PostgreSQL add exactly; a reservation is one conditional UPDATE of
-- these rows, so two submits (or two service instances on one database) cannot both take the last
-- dollar. A few rows a day: kept, they are the spend history.
CREATE TABLE spend_ledger (
    day         VARCHAR(10) NOT NULL,
    scope       VARCHAR(64) NOT NULL,
    usd_micros  BIGINT      NOT NULL,
    submits     BIGINT      NOT NULL,
    updated_at  BIGINT      NOT NULL,
    PRIMARY KEY (day, scope)
);
