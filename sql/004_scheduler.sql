-- Scheduler: when a tenant's scheduled run is due.
--
-- A schedule names one local date per period (each day, or the month's day
-- clamped to its last day) and one local time; the pair is turned into an
-- instant with the tenant's IANA time zone, once. So each local period has
-- exactly one due instant by construction, whatever DST does:
--   * a local time in a skipped hour (spring forward) is read with the
--     offset in force before the change: 02:30 on 2026-03-08 in
--     America/New_York is 07:30 UTC (03:30 EDT), and runs once;
--   * a local time that occurs twice (fall back) is read once, with the
--     offset in force after the change: 01:30 on 2026-11-01 in
--     America/New_York is 06:30 UTC (01:30 EST), and runs once.

-- The latest instant ≤ `now` at which a schedule was due; NULL for a manual
-- schedule. Candidates are the periods around the local date of `now` (two
-- before it, in case a DST shift pushes the last one past `now`; one after,
-- in case a shift pulls the next one before it), and the latest of those
-- not after `now` wins.
CREATE FUNCTION tally_latest_due(
    schedule_kind text, schedule_day integer, schedule_time time, time_zone text, now timestamptz
) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT max(due.at)
    FROM generate_series(-2, 1) AS step,
         LATERAL (SELECT (now AT TIME ZONE time_zone)::date AS today) AS local,
         LATERAL (SELECT CASE schedule_kind
             WHEN 'daily' THEN local.today + step
             WHEN 'monthly' THEN (
                 SELECT month + (least(schedule_day, extract(day FROM month + interval '1 month' - interval '1 day')::int) - 1)
                 FROM (SELECT (date_trunc('month', local.today) + step * interval '1 month')::date AS month) AS m)
             END AS day) AS period,
         LATERAL (SELECT (period.day + schedule_time) AT TIME ZONE time_zone AS at) AS due
    WHERE due.at <= now
$$;

