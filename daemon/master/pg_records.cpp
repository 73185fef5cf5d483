#include "daemon/master/pg_records.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <string>
#include <vector>

#include "common/strings.hpp"
#include "daemon/master/health_codec.hpp"
#include "daemon/master/pg_connection.hpp"
#include "daemon/master/pg_copy_text.hpp"
#include "daemon/master/record_codec.hpp"

namespace amq {
namespace {

enum class Table { none, counters, accounts, credentials, health, keys, usage, rollups, audit };

struct Columns {
    std::string_view table;
    std::string_view list;  // in the order rows are written and read
};

Columns columns_of(Table table) {
    switch (table) {
        case Table::counters: return {"amq_counters", "name, value"};
        case Table::accounts: return {"amq_accounts", "id, name, doc"};
        case Table::credentials: return {"amq_credentials", "account_id, sealed"};
        case Table::health: return {"amq_health", "account_id, doc"};
        case Table::keys: return {"amq_keys", "id, name, secret_hash, doc"};
        case Table::usage: return {"amq_usage", "time_ms, key_id, account_id, doc"};
        case Table::rollups:
            return {"amq_rollups",
                    "day, key_id, account_id, model, requests, errors, input_tokens, "
                    "output_tokens, credits_micros, ttfb_ms_sum, duration_ms_sum"};
        case Table::audit: return {"amq_audit", "at_ms, doc"};
        case Table::none: break;
    }
    std::abort();  // every table is listed
}

std::string num(std::int64_t n) { return std::to_string(n); }
std::string num(std::uint64_t n) { return std::to_string(n); }

class PgRecordWriter : public RecordSink {
public:
    explicit PgRecordWriter(PgConnection& db) : db_(db) {}
    ~PgRecordWriter() override {
        if (committed_) return;
        if (current_ != Table::none) (void)db_.copy_end();
        (void)db_.exec("ROLLBACK");
    }

    Status counter(std::string_view name, std::uint64_t value) override {
        return row(Table::counters, {copy_text(name), num(value)});
    }
    Status account(const Account& a) override {
        return row(Table::accounts, {num(a.id), copy_bytes(a.name), copy_bytes(encode_account(a))});
    }
    Status credentials(std::uint64_t account_id, std::string_view sealed) override {
        return row(Table::credentials, {num(account_id), copy_bytes(sealed)});
    }
    Status health(std::uint64_t account_id, const AccountHealth& h) override {
        return row(Table::health, {num(account_id), copy_bytes(encode_health(h))});
    }
    Status key(const ApiKey& k) override {
        return row(Table::keys, {num(k.id), copy_bytes(k.name), copy_text(k.secret_hash),
                                 copy_bytes(encode_api_key(k))});
    }
    Status usage(const UsageRecord& u) override {
        return row(Table::usage,
                   {num(u.time_ms), num(u.key_id), num(u.account_id), copy_bytes(encode_usage(u))});
    }
    Status rollup(const Rollup& r) override {
        return row(Table::rollups,
                   {num(std::int64_t{r.day}), num(r.key_id), num(r.account_id), copy_bytes(r.model),
                    num(r.requests), num(r.errors), num(r.input_tokens), num(r.output_tokens),
                    num(r.credits_micros), num(r.ttfb_ms_sum), num(r.duration_ms_sum)});
    }
    Status audit(const AuditEntry& e) override {
        return row(Table::audit, {num(e.at_ms), copy_bytes(encode_audit(e))});
    }
    Result<RecordCounts> finish() override {
        if (Status st = into(Table::none); !st) return st.error();
        return pg_record_counts(db_);
    }
    Status commit() override {
        if (Status st = db_.exec("COMMIT"); !st) return st;
        committed_ = true;
        return {};
    }

private:
    // Ends the copy under way, if any, and begins the one of `table`.
    Status into(Table table) {
        if (table == current_) return {};
        if (current_ != Table::none)
            if (Status st = db_.copy_end(); !st) return st;
        current_ = table;
        if (table == Table::none) return {};
        Columns c = columns_of(table);
        return db_.copy_begin(str_cat("COPY ", c.table, " (", c.list, ") FROM STDIN"));
    }

    Status row(Table table, std::initializer_list<std::string_view> fields) {
        if (Status st = into(table); !st) return st;
        line_.clear();
        append_copy_row(line_, fields);
        return db_.copy_put(line_);
    }

    PgConnection& db_;
    Table current_ = Table::none;
    std::string line_;
    bool committed_ = false;
};

Error malformed_row(std::string_view table) {
    return make_error(Errc::protocol, str_cat("PostgreSQL sent a malformed row of ", table));
}

template <class T>
Result<T> number(std::string_view text, std::string_view table) {
    T n{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) return malformed_row(table);
    return n;
}

using Fields = std::vector<std::string>;

// Each row of `table` (its columns as columns_of lists them), in `order`.
Status read_rows(PgConnection& db, Table table, std::string_view order,
                 const std::function<Status(const Fields&)>& give) {
    Columns c = columns_of(table);
    std::size_t width = static_cast<std::size_t>(std::count(c.list.begin(), c.list.end(), ',')) + 1;
    std::string sql =
        str_cat("COPY (SELECT ", c.list, " FROM ", c.table, " ORDER BY ", order, ") TO STDOUT");
    return db.copy_out(sql, [&](std::string_view line) -> Status {
        auto fields = parse_copy_row(line);
        if (!fields) return fields.error();
        if (fields->size() != width) return malformed_row(c.table);
        return give(*fields);
    });
}

// A record kept as its document in the table's last column.
template <class T>
Result<T> from_doc(const Fields& f, Result<T> (*decode)(std::string_view), std::string_view table) {
    auto bytes = bytes_of(f.back());
    if (!bytes) return bytes.error();
    auto record = decode(*bytes);
    if (!record)
        return make_error(record.error().code, str_cat(table, ": ", record.error().message));
    return record;
}

Result<Rollup> rollup_of(const Fields& f) {
    Rollup r;
    auto day = number<std::int32_t>(f[0], "amq_rollups");
    auto key_id = number<std::uint64_t>(f[1], "amq_rollups");
    auto account_id = number<std::uint64_t>(f[2], "amq_rollups");
    auto model = bytes_of(f[3]);
    if (!day || !key_id || !account_id || !model) return malformed_row("amq_rollups");
    r.day = *day;
    r.key_id = *key_id;
    r.account_id = *account_id;
    r.model = std::move(*model);
    std::int64_t* counts[] = {&r.requests,       &r.errors,         &r.input_tokens,
                              &r.output_tokens,  &r.credits_micros, &r.ttfb_ms_sum,
                              &r.duration_ms_sum};
    for (std::size_t i = 0; i < std::size(counts); ++i) {
        auto n = number<std::int64_t>(f[4 + i], "amq_rollups");
        if (!n) return n.error();
        *counts[i] = *n;
    }
    return r;
}

Status export_tables(PgConnection& db, RecordSink& sink) {
    Status st = read_rows(db, Table::counters, "name", [&](const Fields& f) -> Status {
        auto value = number<std::uint64_t>(f[1], "amq_counters");
        if (!value) return value.error();
        return sink.counter(f[0], *value);
    });
    if (!st) return st;
    st = read_rows(db, Table::accounts, "id", [&](const Fields& f) -> Status {
        auto a = from_doc<Account>(f, decode_account, "amq_accounts");
        return a ? sink.account(*a) : Status(a.error());
    });
    if (!st) return st;
    st = read_rows(db, Table::credentials, "account_id", [&](const Fields& f) -> Status {
        auto id = number<std::uint64_t>(f[0], "amq_credentials");
        auto sealed = bytes_of(f[1]);
        if (!id || !sealed) return malformed_row("amq_credentials");
        return sink.credentials(*id, *sealed);
    });
    if (!st) return st;
    st = read_rows(db, Table::health, "account_id", [&](const Fields& f) -> Status {
        auto id = number<std::uint64_t>(f[0], "amq_health");
        if (!id) return id.error();
        auto h = from_doc<AccountHealth>(f, decode_health, "amq_health");
        return h ? sink.health(*id, *h) : Status(h.error());
    });
    if (!st) return st;
    st = read_rows(db, Table::keys, "id", [&](const Fields& f) -> Status {
        auto k = from_doc<ApiKey>(f, decode_api_key, "amq_keys");
        return k ? sink.key(*k) : Status(k.error());
    });
    if (!st) return st;
    st = read_rows(db, Table::usage, "time_ms, id", [&](const Fields& f) -> Status {
        auto u = from_doc<UsageRecord>(f, decode_usage, "amq_usage");
        return u ? sink.usage(*u) : Status(u.error());
    });
    if (!st) return st;
    st = read_rows(db, Table::rollups, "day, key_id, account_id, model", [&](const Fields& f) {
        auto r = rollup_of(f);
        return r ? sink.rollup(*r) : Status(r.error());
    });
    if (!st) return st;
    return read_rows(db, Table::audit, "at_ms, id", [&](const Fields& f) -> Status {
        auto e = from_doc<AuditEntry>(f, decode_audit, "amq_audit");
        return e ? sink.audit(*e) : Status(e.error());
    });
}

}  // namespace

Result<RecordCounts> pg_record_counts(PgConnection& db) {
    std::string sql = "SELECT ";
    for (const RecordKind& kind : kRecordKinds)
        sql += str_cat(kind.count == kRecordKinds[0].count ? "" : ", ",
                       "(SELECT count(*) FROM amq_", kind.name, ")");
    auto rows = db.query(sql);
    if (!rows) return rows.error();
    RecordCounts counts;
    int column = 0;
    for (const RecordKind& kind : kRecordKinds) {
        auto n = number<std::uint64_t>(rows->value(0, column++), "the counts");
        if (!n) return n.error();
        counts.*kind.count = *n;
    }
    return counts;
}

Status export_pg_records(PgConnection& db, RecordSink& sink) {
    if (Status st = db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !st) return st;
    Status exported = export_tables(db, sink);
    Status ended = db.exec(exported ? "COMMIT" : "ROLLBACK");
    return exported ? ended : exported;
}

Result<std::unique_ptr<RecordSink>> pg_record_writer(PgConnection& db) {
    if (Status st = db.exec("BEGIN"); !st) return st.error();
    auto writer = std::make_unique<PgRecordWriter>(db);  // rolls back unless committed
    auto held = pg_record_counts(db);
    if (!held) return held.error();
    if (*held != RecordCounts{})
        return make_error(Errc::conflict,
                          "the database already holds records: store copy writes only into an "
                          "empty one, and never merges");
    return std::unique_ptr<RecordSink>(std::move(writer));
}

}  // namespace amq
