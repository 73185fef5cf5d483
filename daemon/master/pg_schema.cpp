#include "daemon/master/pg_schema.hpp"

#include <string>

#include "common/strings.hpp"
#include "daemon/master/pg_connection.hpp"

namespace amq {
namespace {

// Strings are bytea: the store keeps whatever bytes a client sent (a model name, a user
// agent), which a text column would refuse when they are not UTF-8 or hold NUL. `doc` is
// the record as the LMDB store encodes it (JSON with a schema version); the columns beside
// it are what lookups and sums need.
constexpr std::string_view kSharedRecords = R"sql(
CREATE TABLE amq_counters (
    name text PRIMARY KEY,
    value bigint NOT NULL
);
CREATE TABLE amq_accounts (
    id bigint PRIMARY KEY,
    name bytea NOT NULL UNIQUE,
    doc bytea NOT NULL
);
CREATE TABLE amq_credentials (
    account_id bigint PRIMARY KEY REFERENCES amq_accounts (id) ON DELETE CASCADE,
    sealed bytea NOT NULL
);
CREATE TABLE amq_health (
    account_id bigint PRIMARY KEY REFERENCES amq_accounts (id) ON DELETE CASCADE,
    doc bytea NOT NULL
);
CREATE TABLE amq_keys (
    id bigint PRIMARY KEY,
    name bytea NOT NULL UNIQUE,
    secret_hash text NOT NULL UNIQUE,
    doc bytea NOT NULL
);
CREATE TABLE amq_usage (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time_ms bigint NOT NULL,
    key_id bigint NOT NULL,
    account_id bigint NOT NULL,
    doc bytea NOT NULL
);
CREATE INDEX amq_usage_time ON amq_usage (time_ms);
CREATE TABLE amq_rollups (
    day integer NOT NULL,
    key_id bigint NOT NULL,
    account_id bigint NOT NULL,
    model bytea NOT NULL,
    requests bigint NOT NULL,
    errors bigint NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    credits_micros bigint NOT NULL,
    ttfb_ms_sum bigint NOT NULL,
    duration_ms_sum bigint NOT NULL,
    PRIMARY KEY (day, key_id, account_id, model)
);
CREATE TABLE amq_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms bigint NOT NULL,
    doc bytea NOT NULL
);
CREATE INDEX amq_audit_time ON amq_audit (at_ms);
)sql";

// Hosts that serve from the database (store = postgresql) keep a copy of the accounts,
// credentials, health and keys in their own LMDB store. amq_changes says which of those
// changed at which revision, so that a host reads only what changed since its last read;
// a removed record keeps its row, whose record is then missing. Writers take the lock
// amq_shared_writes names before they draw a revision, so revisions are committed in
// order and a reader that saw one has seen every one before it. amq_cluster names the
// database, so that a host never takes one database's records for another's. A usage record
// a host writes carries the host and its sequence there: written twice (the answer to a
// commit lost), it is kept once; so is an audit entry, by its host, time and sequence there.
// amq_admit counts the admissions of keys with a per-minute, per-day or concurrency limit,
// and the picks of accounts with a requests per minute, under a lock of their subject's row in
// amq_windows (a subject is a key's id, or minus an account's id), which holds the windows'
// totals; amq_admission_grains holds the admissions by second (the minute window) and by
// minute (the day window), so that a window's total is kept up to date at the cost of the
// grains that left it, whatever the traffic. amq_key_in_flight holds each host's requests in
// flight by key, written whole by that host (so a lost answer or an outage never leaves it
// wrong for long); those of a host not heard from (amq_hosts) for 5 s are not counted: it
// died with them (shared_limits.hpp).
constexpr std::string_view kSharedChanges = R"sql(
CREATE SEQUENCE amq_revisions;
CREATE TABLE amq_changes (
    kind text NOT NULL,
    id bigint NOT NULL,
    rev bigint NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX amq_changes_rev ON amq_changes (rev);
CREATE TABLE amq_cluster (
    name text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO amq_cluster (name, value) VALUES ('id', gen_random_uuid()::text);
ALTER TABLE amq_usage ADD COLUMN origin text NOT NULL DEFAULT '', ADD COLUMN seq bigint;
CREATE UNIQUE INDEX amq_usage_origin_seq ON amq_usage (origin, seq);
ALTER TABLE amq_audit ADD COLUMN origin text NOT NULL DEFAULT '', ADD COLUMN seq bigint;
CREATE UNIQUE INDEX amq_audit_origin_seq ON amq_audit (origin, at_ms, seq);
CREATE TABLE amq_windows (
    subject bigint PRIMARY KEY,
    in_minute bigint NOT NULL DEFAULT 0,
    in_day bigint NOT NULL DEFAULT 0
);
CREATE TABLE amq_admission_grains (
    subject bigint NOT NULL,
    span smallint NOT NULL,
    grain bigint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (subject, span, grain)
);
CREATE TABLE amq_hosts (
    host text PRIMARY KEY,
    alive_at timestamptz NOT NULL
);
CREATE TABLE amq_key_in_flight (
    key_id bigint NOT NULL,
    host text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (key_id, host)
);
CREATE FUNCTION amq_admit(me text, fresh boolean, subjects bigint[], wanted bigint[],
                          per_minute bigint[], per_day bigint[], max_concurrent bigint[],
                          held bigint[], now_ms bigint)
RETURNS TABLE (idx integer, admitted bigint, in_minute bigint, in_day bigint,
               retry_ms bigint, refused_by text)
LANGUAGE plpgsql AS $$
DECLARE
    w amq_windows%ROWTYPE;
    gone bigint;
    taken bigint;
    busy bigint;
    acc bigint;
    g record;
    full_span smallint;
    cap bigint;
    grain_ms bigint;
    window_ms bigint;
    why text;
BEGIN
    INSERT INTO amq_hosts AS h VALUES (me, clock_timestamp())
        ON CONFLICT (host) DO UPDATE SET alive_at = excluded.alive_at;
    IF fresh THEN
        DELETE FROM amq_key_in_flight f WHERE f.host = me AND NOT f.key_id = ANY (subjects);
    END IF;
    FOR i IN 1 .. coalesce(array_length(subjects, 1), 0) LOOP
        INSERT INTO amq_windows (subject) VALUES (subjects[i]) ON CONFLICT (subject) DO NOTHING;
        SELECT * INTO w FROM amq_windows WHERE subject = subjects[i] FOR UPDATE;
        WITH expired AS (
            DELETE FROM amq_admission_grains a WHERE a.subject = subjects[i] AND a.span = 1
               AND a.grain < (now_ms - 60000) / 1000 RETURNING a.n)
        SELECT coalesce(sum(expired.n), 0) INTO gone FROM expired;
        w.in_minute := w.in_minute - gone;
        WITH expired AS (
            DELETE FROM amq_admission_grains a WHERE a.subject = subjects[i] AND a.span = 2
               AND a.grain < (now_ms - 86400000) / 60000 RETURNING a.n)
        SELECT coalesce(sum(expired.n), 0) INTO gone FROM expired;
        w.in_day := w.in_day - gone;
        taken := wanted[i];
        IF per_minute[i] > 0 THEN taken := least(taken, per_minute[i] - w.in_minute); END IF;
        IF per_day[i] > 0 THEN taken := least(taken, per_day[i] - w.in_day); END IF;
        IF held[i] >= 0 THEN
            INSERT INTO amq_key_in_flight AS f VALUES (subjects[i], me, held[i])
                ON CONFLICT (key_id, host) DO UPDATE SET n = excluded.n;
        END IF;
        IF max_concurrent[i] > 0 THEN
            SELECT coalesce(sum(f.n), 0) INTO busy FROM amq_key_in_flight f
              JOIN amq_hosts h ON h.host = f.host
             WHERE f.key_id = subjects[i]
               AND (f.host = me OR h.alive_at > clock_timestamp() - interval '5 seconds');
            taken := least(taken, max_concurrent[i] - busy);
        END IF;
        taken := greatest(taken, 0);
        IF taken > 0 AND max_concurrent[i] > 0 THEN
            UPDATE amq_key_in_flight f SET n = f.n + taken WHERE f.key_id = subjects[i] AND f.host = me;
        END IF;
        IF taken > 0 AND (per_minute[i] > 0 OR per_day[i] > 0) THEN
            INSERT INTO amq_admission_grains AS a VALUES (subjects[i], 1, now_ms / 1000, taken)
                ON CONFLICT (subject, span, grain) DO UPDATE SET n = a.n + taken;
            INSERT INTO amq_admission_grains AS a VALUES (subjects[i], 2, now_ms / 60000, taken)
                ON CONFLICT (subject, span, grain) DO UPDATE SET n = a.n + taken;
            w.in_minute := w.in_minute + taken;
            w.in_day := w.in_day + taken;
        END IF;
        UPDATE amq_windows k SET in_minute = w.in_minute, in_day = w.in_day
         WHERE k.subject = subjects[i];
        IF taken = wanted[i] THEN
            RETURN QUERY SELECT i, taken, w.in_minute, w.in_day, 0::bigint, ''::text;
        ELSIF (per_minute[i] <= 0 OR w.in_minute < per_minute[i])
              AND (per_day[i] <= 0 OR w.in_day < per_day[i]) THEN
            -- Only the requests in flight refused: a slot frees when one of them ends.
            RETURN QUERY SELECT i, taken, w.in_minute, w.in_day, 1000::bigint, 'concurrency'::text;
        ELSE
            -- Room again once the grains holding the oldest admissions have left the window:
            -- the day's (grains of a minute) or else the minute's (grains of a second).
            IF per_day[i] > 0 AND w.in_day >= per_day[i] THEN
                full_span := 2; cap := per_day[i]; acc := w.in_day;
                grain_ms := 60000; window_ms := 86400000; why := 'requests_per_day';
            ELSE
                full_span := 1; cap := per_minute[i]; acc := w.in_minute;
                grain_ms := 1000; window_ms := 60000; why := 'requests_per_minute';
            END IF;
            FOR g IN SELECT a.grain, a.n FROM amq_admission_grains a
                      WHERE a.subject = subjects[i] AND a.span = full_span ORDER BY a.grain LOOP
                acc := acc - g.n;
                EXIT WHEN acc < cap;
            END LOOP;
            RETURN QUERY SELECT i, taken, w.in_minute, w.in_day,
                                (g.grain + 1) * grain_ms + window_ms - now_ms, why;
        END IF;
    END LOOP;
END $$;
)sql";

constexpr Migration kMigrations[] = {
    {1, "shared records: accounts, credentials, health, keys, usage, rollups, audit",
     kSharedRecords},
    {2,
     "revisions of the records hosts keep a copy of, usage and audit by host, admissions and "
     "requests in flight across hosts",
     kSharedChanges},
};

// Any constant: the lock every migrating host waits on.
constexpr std::string_view kMigrationLock = "SELECT pg_advisory_xact_lock(7415931048291)";

Result<std::set<int>> applied_versions(PgConnection& db) {
    auto exists = db.query("SELECT to_regclass('amq_schema_migrations') IS NOT NULL");
    if (!exists) return exists.error();
    std::set<int> versions;
    if (exists->value(0, 0) != "t") return versions;
    auto rows = db.query("SELECT version FROM amq_schema_migrations");
    if (!rows) return rows.error();
    for (int i = 0; i < rows->rows(); ++i) {
        auto version = parse_int(rows->value(i, 0));
        if (!version)
            return make_error(Errc::protocol,
                              "amq_schema_migrations holds a version that is "
                              "not a number");
        versions.insert(static_cast<int>(*version));
    }
    return versions;
}

Status apply(PgConnection& db, const Migration& m) {
    if (Status st = db.exec(std::string(m.sql)); !st) return st;
    auto noted = db.query("INSERT INTO amq_schema_migrations (version, name) VALUES ($1, $2)",
                          {std::to_string(m.version), std::string(m.name)});
    if (!noted) return noted.error();
    return {};
}

}  // namespace

std::span<const Migration> schema_migrations() { return kMigrations; }

Result<std::vector<Migration>> pending_migrations(const std::set<int>& applied) {
    std::vector<Migration> pending;
    int known = schema_migrations().back().version;
    if (!applied.empty() && *applied.rbegin() > known)
        return make_error(Errc::conflict,
                          str_cat("the database's schema is at version ", *applied.rbegin(),
                                  ", newer than the version ", known,
                                  " this amq2api knows; run a newer amq2api"));
    for (const Migration& m : schema_migrations()) {
        if (applied.contains(m.version)) continue;
        if (!applied.empty() && *applied.rbegin() > m.version)
            return make_error(Errc::conflict,
                              str_cat("the database's schema lacks migration ", m.version,
                                      " but has later ones: it was not migrated by amq2api"));
        pending.push_back(m);
    }
    return pending;
}

Result<std::vector<Migration>> migrate_schema(PgConnection& db, bool dry_run) {
    if (Status st = db.exec("BEGIN"); !st) return st.error();
    auto done = [&](Result<std::vector<Migration>> result) -> Result<std::vector<Migration>> {
        Status ended = db.exec(result && !dry_run ? "COMMIT" : "ROLLBACK");
        if (result && !ended) return ended.error();
        return result;
    };
    if (Status st = db.exec(std::string(kMigrationLock)); !st) return done(st.error());
    auto applied = applied_versions(db);
    if (!applied) return done(applied.error());
    auto pending = pending_migrations(*applied);
    if (!pending || dry_run) return done(std::move(pending));
    if (Status st = db.exec("CREATE TABLE IF NOT EXISTS amq_schema_migrations (version integer "
                            "PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
                            "DEFAULT now())");
        !st)
        return done(st.error());
    for (const Migration& m : *pending)
        if (Status st = apply(db, m); !st) return done(st.error());
    return done(std::move(pending));
}

}  // namespace amq
