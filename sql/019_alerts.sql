-- Run alerts to Slack, Microsoft Teams or a signed JSON webhook (issue 20).
--
-- A tenant has any number of destinations. Each destination's URL (and a
-- webhook's signing secret) is sealed in tenant_secrets under the kind
-- 'notify_destination:ID', so `tally secrets rekey` reseals it with the rest.
-- The scheduler's sweep (AlertSweep) finds runs that ended, did not start
-- when due, or wait on the budget for over an hour; records each such alert
-- once in run_alerts; and enqueues one `notify` job per (alert, destination)
-- whose events include it, in the same statement. The job delivers with an
-- idempotency key (the generic webhook receives it) and records its delivery
-- in alert_deliveries: sent before it posts, delivered after, so a crash in
-- between never sends twice to Slack or Teams, which cannot deduplicate.
ALTER TABLE tenant_secrets DROP CONSTRAINT tenant_secrets_kind_check;
ALTER TABLE tenant_secrets ADD CONSTRAINT tenant_secrets_kind_check
    CHECK (kind IN ('autotask_secret', 'huntress_api_key') OR kind ~ '^notify_destination:[1-9][0-9]*$');

CREATE TABLE notify_destinations (
    destination_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        bigint NOT NULL REFERENCES tenants ON DELETE CASCADE,
    name             text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    kind             text NOT NULL CHECK (kind IN ('slack', 'teams', 'webhook')),
    -- The URL's host, shown instead of the sealed URL.
    host             text NOT NULL CHECK (btrim(host) <> ''),
    events           text[] NOT NULL DEFAULT '{failures,held,credentials,missed,budget}'
                     CHECK (events <@ '{failures,held,credentials,missed,budget}' AND cardinality(events) > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_delivered_at timestamptz,
    -- Since when deliveries fail (NULL: the last one succeeded), how many in a row, and the last error.
    failing_since    timestamptz,
    failures         integer NOT NULL DEFAULT 0,
    last_error       text,
    UNIQUE (tenant_id, name)
);

-- A run's alerts, each recorded once: 'run' (it ended with failures, held
-- changes or failing credentials), 'missed' (not started when due),
-- 'budget' (waiting on the hourly budget for over an hour).
CREATE TABLE run_alerts (
    tenant_id   bigint NOT NULL,
    run_id      bigint NOT NULL,
    alert       text NOT NULL CHECK (alert IN ('run', 'missed', 'budget')),
    -- The destinations' events it matches: failures, held, credentials, missed, budget.
    events      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, run_id, alert),
    FOREIGN KEY (tenant_id, run_id) REFERENCES runs ON DELETE CASCADE
);

-- When the sweep looked at an ended run (alert or not); runs before this migration count as seen.
ALTER TABLE runs ADD COLUMN alerts_checked_at timestamptz;
UPDATE runs SET alerts_checked_at = now();
CREATE INDEX runs_alerts_unchecked ON runs (run_id) WHERE alerts_checked_at IS NULL;

CREATE TABLE alert_deliveries (
    destination_id  bigint NOT NULL REFERENCES notify_destinations ON DELETE CASCADE,
    -- 0 for `tally notify test`.
    run_id          bigint NOT NULL,
    alert           text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    sent_at         timestamptz,
    delivered_at    timestamptz,
    -- The destination's answer, or why none came.
    outcome         text,
    PRIMARY KEY (destination_id, run_id, alert)
);

-- The dashboard: each destination's health, never its URL.
CREATE VIEW dashboard.notify_destinations AS
SELECT d.tenant_id, t.slug AS tenant_slug, d.destination_id, d.name, d.kind, d.host, d.events,
       d.last_delivered_at, d.failing_since, d.failures, d.last_error,
       CASE WHEN d.failing_since IS NULL THEN 'ok' ELSE 'failing' END AS state
FROM notify_destinations d
JOIN tenants t ON t.tenant_id = d.tenant_id;

GRANT SELECT ON dashboard.notify_destinations TO tally_dashboard;
