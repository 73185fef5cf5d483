#include "daemon/master/shared_records.hpp"

#include <type_traits>

#include "common/strings.hpp"
#include "daemon/master/pg_connection.hpp"
#include "daemon/master/pg_copy_text.hpp"
#include "daemon/master/record_codec.hpp"
#include "daemon/master/store_keys.hpp"

namespace amq {
namespace {

// Any constant other than the migrations' lock.
constexpr std::string_view kWriteLock = "SELECT pg_advisory_xact_lock(7415931048292)";

struct KindTable {
    SharedKind kind;
    std::string_view name;
    std::string_view table;
    std::string_view id_column;
    std::string_view value_column;
};

constexpr KindTable kKinds[] = {
    {SharedKind::account, "account", "amq_accounts", "id", "doc"},
    {SharedKind::credentials, "credentials", "amq_credentials", "account_id", "sealed"},
    {SharedKind::health, "health", "amq_health", "account_id", "doc"},
    {SharedKind::key, "key", "amq_keys", "id", "doc"},
};

const KindTable& table_of(SharedKind kind) {
    for (const KindTable& k : kKinds)
        if (k.kind == kind) return k;
    std::abort();  // every kind is listed
}

std::optional<SharedKind> kind_named(std::string_view name) {
    for (const KindTable& k : kKinds)
        if (k.name == name) return k.kind;
    return std::nullopt;
}

Result<std::uint64_t> number(const PgRows& rows, int row, int column) {
    auto n = parse_int(rows.value(row, column));
    if (!n || *n < 0) return make_error(Errc::protocol, "the database sent a malformed number");
    return static_cast<std::uint64_t>(*n);
}

// Rows of (kind, id, value) into records; a NULL value is a removed record.
Status add_records(const PgRows& rows, SharedChanges& out) {
    for (int i = 0; i < rows.rows(); ++i) {
        std::optional<SharedKind> kind = kind_named(rows.value(i, 0));
        auto id = number(rows, i, 1);
        if (!kind || !id) return make_error(Errc::protocol, "amq_changes holds a malformed row");
        SharedRecord record{{*kind, *id}, std::nullopt};
        if (!rows.is_null(i, 2)) {
            auto bytes = bytes_of(rows.value(i, 2));
            if (!bytes) return bytes.error();
            record.value = std::move(*bytes);
        }
        out.records.push_back(std::move(record));
    }
    return {};
}

std::string every_record_sql() {
    std::string sql;
    for (const KindTable& k : kKinds)
        sql += str_cat(sql.empty() ? "" : " UNION ALL ", "SELECT '", k.name, "', ", k.id_column,
                       ", ", k.value_column, " FROM ", k.table);
    return sql;
}

std::string changes_sql() {
    std::string cases;
    for (const KindTable& k : kKinds)
        cases += str_cat(" WHEN '", k.name, "' THEN (SELECT ", k.value_column, " FROM ", k.table,
                         " WHERE ", k.id_column, " = c.id)");
    return str_cat("SELECT c.kind, c.id, CASE c.kind", cases,
                   " END FROM amq_changes c WHERE c.rev > $1 ORDER BY c.rev");
}

Status read_counters(PgConnection& db, SharedChanges& out) {
    auto rows = db.query("SELECT name, value FROM amq_counters WHERE name = ANY($1)",
                         {"{next_account_id,next_key_id}"});
    if (!rows) return rows.error();
    for (int i = 0; i < rows->rows(); ++i) {
        auto value = number(*rows, i, 1);
        if (!value) return value.error();
        out.counters[std::string(rows->value(i, 0))] = *value;
    }
    return {};
}

Result<SharedChanges> read_in_snapshot(PgConnection& db, std::optional<std::uint64_t> since) {
    SharedChanges out;
    auto rev = db.query("SELECT coalesce(max(rev), 0) FROM amq_changes");
    if (!rev) return rev.error();
    auto newest = number(*rev, 0, 0);
    if (!newest) return newest.error();
    out.rev = *newest;
    out.complete = !since;
    if (since && *since >= out.rev) return out;
    auto rows =
        since ? db.query(changes_sql(), {std::to_string(*since)}) : db.query(every_record_sql());
    if (!rows) return rows.error();
    if (Status st = add_records(*rows, out); !st) return st.error();
    if (Status st = read_counters(db, out); !st) return st.error();
    return out;
}

// The statement that stores one record, and its parameters.
Status write_record(PgConnection& db, const SharedRecord& r) {
    const KindTable& k = table_of(r.ref.kind);
    std::string id = std::to_string(r.ref.id);
    if (!r.value) {
        auto deleted =
            db.query(str_cat("DELETE FROM ", k.table, " WHERE ", k.id_column, " = $1"), {id});
        return deleted ? Status{} : Status(deleted.error());
    }
    std::vector<std::string> params{id, bytea_text(*r.value)};
    std::string columns = str_cat(k.id_column, ", ", k.value_column);
    std::string values = "$1, $2";
    std::string updates = str_cat(k.value_column, " = excluded.", k.value_column);
    if (r.ref.kind == SharedKind::account) {
        auto account = decode_account(*r.value);
        if (!account) return account.error();
        params.push_back(bytea_text(account->name));
        columns += ", name";
        values += ", $3";
        updates += ", name = excluded.name";
    } else if (r.ref.kind == SharedKind::key) {
        auto key = decode_api_key(*r.value);
        if (!key) return key.error();
        params.push_back(bytea_text(key->name));
        params.push_back(key->secret_hash);
        columns += ", name, secret_hash";
        values += ", $3, $4";
        updates += ", name = excluded.name, secret_hash = excluded.secret_hash";
    }
    auto written = db.query(str_cat("INSERT INTO ", k.table, " (", columns, ") VALUES (", values,
                                    ") ON CONFLICT (", k.id_column, ") DO UPDATE SET ", updates),
                            params);
    return written ? Status{} : Status(written.error());
}

// The records as parallel arrays, with what each adds to its rollup; a record the database
// has (origin, seq) is skipped, and adds to no rollup.
constexpr std::string_view kAddUsage = R"sql(
WITH incoming AS (
    SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bytea[], $6::bigint[],
                         $7::integer[], $8::bytea[], $9::bigint[], $10::bigint[], $11::bigint[],
                         $12::bigint[], $13::bigint[], $14::bigint[])
        AS r(seq, time_ms, key_id, doc, account_id, day, model, errors, input_tokens,
             output_tokens, credits_micros, ttfb_ms, duration_ms)),
added AS (
    INSERT INTO amq_usage (time_ms, key_id, account_id, doc, origin, seq)
    SELECT time_ms, key_id, account_id, doc, $1::text, seq FROM incoming
    ON CONFLICT (origin, seq) DO NOTHING RETURNING seq)
INSERT INTO amq_rollups AS t (day, key_id, account_id, model, requests, errors, input_tokens,
                              output_tokens, credits_micros, ttfb_ms_sum, duration_ms_sum)
SELECT i.day, i.key_id, i.account_id, i.model, count(*), sum(i.errors), sum(i.input_tokens),
       sum(i.output_tokens), sum(i.credits_micros), sum(i.ttfb_ms), sum(i.duration_ms)
  FROM incoming i JOIN added USING (seq)
 GROUP BY i.day, i.key_id, i.account_id, i.model
ON CONFLICT (day, key_id, account_id, model) DO UPDATE SET
    requests = t.requests + excluded.requests,
    errors = t.errors + excluded.errors,
    input_tokens = t.input_tokens + excluded.input_tokens,
    output_tokens = t.output_tokens + excluded.output_tokens,
    credits_micros = t.credits_micros + excluded.credits_micros,
    ttfb_ms_sum = t.ttfb_ms_sum + excluded.ttfb_ms_sum,
    duration_ms_sum = t.duration_ms_sum + excluded.duration_ms_sum
)sql";

// A PostgreSQL array literal of numbers, or of byte strings (each quoted, its \x escaped).
template <class T>
void add_element(std::string& array, const T& value) {
    array += array.size() > 1 ? "," : "";
    if constexpr (std::is_arithmetic_v<T>)
        array += std::to_string(value);
    else
        array += str_cat("\"\\", bytea_text(value), "\"");
}

Status add_usage(PgConnection& db, std::string_view host, const std::vector<UsageOut>& usage) {
    constexpr std::size_t kColumns = 13;
    std::vector<std::string> arrays(kColumns, "{");
    for (const UsageOut& out : usage) {
        const UsageRecord& u = out.record;
        Rollup r = rollup_of(u);
        std::size_t c = 0;
        add_element(arrays[c++], out.seq);
        add_element(arrays[c++], u.time_ms);
        add_element(arrays[c++], u.key_id);
        add_element(arrays[c++], encode_usage(u));
        add_element(arrays[c++], u.account_id);
        add_element(arrays[c++], r.day);
        add_element(arrays[c++], r.model);
        add_element(arrays[c++], r.errors);
        add_element(arrays[c++], r.input_tokens);
        add_element(arrays[c++], r.output_tokens);
        add_element(arrays[c++], r.credits_micros);
        add_element(arrays[c++], r.ttfb_ms_sum);
        add_element(arrays[c++], r.duration_ms_sum);
    }
    std::vector<std::string> params{std::string(host)};
    for (std::string& a : arrays) params.push_back(std::move(a) + "}");
    auto added = db.query(std::string(kAddUsage), params);
    return added ? Status{} : Status(added.error());
}

Status add_audit(PgConnection& db, std::string_view host, const AuditOut& out) {
    auto added = db.query(
        "INSERT INTO amq_audit (at_ms, doc, origin, seq) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (origin, at_ms, seq) DO NOTHING",
        {std::to_string(out.entry.at_ms), bytea_text(encode_audit(out.entry)), std::string(host),
         std::to_string(out.seq)});
    return added ? Status{} : Status(added.error());
}

Status write_in_locked(PgConnection& db, const SharedChanges& changes, std::uint64_t rev) {
    for (const SharedRecord& r : changes.records) {
        if (Status st = write_record(db, r); !st) return st;
        auto noted = db.query(
            "INSERT INTO amq_changes (kind, id, rev) VALUES ($1, $2, $3) "
            "ON CONFLICT (kind, id) DO UPDATE SET rev = excluded.rev",
            {std::string(shared_kind_name(r.ref.kind)), std::to_string(r.ref.id),
             std::to_string(rev)});
        if (!noted) return noted.error();
    }
    for (const auto& [name, value] : changes.counters) {
        auto raised = db.query(
            "INSERT INTO amq_counters (name, value) VALUES ($1, $2) "
            "ON CONFLICT (name) DO UPDATE SET value = greatest(amq_counters.value, excluded.value)",
            {name, std::to_string(value)});
        if (!raised) return raised.error();
    }
    auto notified =
        db.query("SELECT pg_notify($1, $2)", {std::string(kSharedChannel), std::to_string(rev)});
    return notified ? Status{} : Status(notified.error());
}

}  // namespace

std::string_view shared_kind_name(SharedKind kind) { return table_of(kind).name; }

Result<std::string> shared_cluster_id(PgConnection& db) {
    auto rows = db.query("SELECT value FROM amq_cluster WHERE name = 'id'");
    if (!rows) return rows.error();
    if (rows->rows() != 1) return make_error(Errc::protocol, "amq_cluster has no id");
    return std::string(rows->value(0, 0));
}

Result<SharedChanges> read_shared(PgConnection& db, std::optional<std::uint64_t> since,
                                  bool own_transaction) {
    if (!own_transaction) return read_in_snapshot(db, since);
    if (Status st = db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !st)
        return st.error();
    auto read = read_in_snapshot(db, since);
    Status ended = db.exec(read ? "COMMIT" : "ROLLBACK");
    if (read && !ended) return ended.error();
    return read;
}

namespace {

// The rows of `table` after `after` that hosts other than `host` wrote, decoded.
template <class T>
Result<FromOthers<T>> read_from_others(PgConnection& db, std::string_view table,
                                       Result<T> (*decode)(std::string_view), std::uint64_t after,
                                       std::string_view host, std::size_t limit) {
    if (Status st = db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !st)
        return st.error();
    auto read = [&]() -> Result<FromOthers<T>> {
        FromOthers<T> in;
        auto newest = db.query(str_cat("SELECT coalesce(max(id), 0) FROM ", table));
        if (!newest) return newest.error();
        auto last = number(*newest, 0, 0);
        if (!last) return last.error();
        in.cursor = std::max(after, *last);
        auto rows = db.query(str_cat("SELECT id, doc FROM ", table,
                                     " WHERE id > $1 AND origin <> $2 ORDER BY id LIMIT $3"),
                             {std::to_string(after), std::string(host), std::to_string(limit)});
        if (!rows) return rows.error();
        for (int i = 0; i < rows->rows(); ++i) {
            auto bytes = bytes_of(rows->value(i, 1));
            if (!bytes) return bytes.error();
            auto record = decode(*bytes);
            if (!record) return record.error();
            in.records.push_back(std::move(*record));
        }
        in.more = static_cast<std::size_t>(rows->rows()) == limit;
        if (in.more) {
            auto id = number(*rows, rows->rows() - 1, 0);
            if (!id) return id.error();
            in.cursor = *id;
        }
        return in;
    };
    auto in = read();
    Status ended = db.exec(in ? "COMMIT" : "ROLLBACK");
    if (in && !ended) return ended.error();
    return in;
}

}  // namespace

Result<UsageIn> read_usage(PgConnection& db, std::uint64_t after, std::string_view host,
                           std::size_t limit) {
    return read_from_others<UsageRecord>(db, "amq_usage", decode_usage, after, host, limit);
}

Result<AuditIn> read_audit(PgConnection& db, std::uint64_t after, std::string_view host,
                           std::size_t limit) {
    return read_from_others<AuditEntry>(db, "amq_audit", decode_audit, after, host, limit);
}

Status lock_shared(PgConnection& db) {
    if (Status st = db.exec("BEGIN"); !st) return st;
    if (Status st = db.exec(std::string(kWriteLock)); !st) {
        (void)db.exec("ROLLBACK");
        return st;
    }
    return {};
}

// The two-key form's space is apart from the one-key locks above; ids past 2^31 - 1 share a
// lock with a smaller one, which only makes their refreshes wait on each other.
Status lock_account(PgConnection& db, std::uint64_t account_id) {
    if (Status st = db.exec("BEGIN"); !st) return st;
    auto held = db.query("SELECT pg_advisory_xact_lock(7415, ($1::bigint % 2147483647)::int)",
                         {std::to_string(account_id)});
    if (!held) {
        (void)db.exec("ROLLBACK");
        return held.error();
    }
    return {};
}

namespace {

Result<std::uint64_t> drop_usage_before(PgConnection& db, std::int64_t time_ms) {
    auto gone = db.query(
        "WITH gone AS (DELETE FROM amq_usage WHERE id IN (SELECT id FROM amq_usage "
        "WHERE time_ms < $1 LIMIT $2) RETURNING 1) SELECT count(*) FROM gone",
        {std::to_string(time_ms), std::to_string(kRetentionBatch)});
    if (!gone) return gone.error();
    return number(*gone, 0, 0);
}

}  // namespace

Result<SharedWritten> write_shared(PgConnection& db, const SharedChanges& changes,
                                   const HostWrites& host) {
    auto drawn = db.query("SELECT nextval('amq_revisions')");
    if (!drawn) {
        (void)db.exec("ROLLBACK");
        return drawn.error();
    }
    auto rev = number(*drawn, 0, 0);
    SharedWritten out;
    Status written = rev ? write_in_locked(db, changes, *rev) : Status(rev.error());
    if (written && !host.usage.empty()) written = add_usage(db, host.host, host.usage);
    for (const AuditOut& audit : host.audit) {
        if (!written) break;
        written = add_audit(db, host.host, audit);
    }
    if (written && host.drop_usage_before_ms) {
        auto dropped = drop_usage_before(db, *host.drop_usage_before_ms);
        if (dropped)
            out.usage_dropped = *dropped;
        else
            written = dropped.error();
    }
    if (!written) {
        (void)db.exec("ROLLBACK");
        return written.error();
    }
    if (Status st = db.exec("COMMIT"); !st) return st.error();
    out.rev = *rev;
    return out;
}

}  // namespace amq
