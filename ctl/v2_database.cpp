#include "ctl/v2_database.hpp"

#include <sqlite3.h>

#include <cmath>
#include <ctime>
#include <memory>

#include "common/strings.hpp"

namespace amq::ctl {
namespace {

struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Statement = std::unique_ptr<sqlite3_stmt, Finalize>;

// One row of a query: columns by index, NULL as empty or absent.
class Row {
public:
    explicit Row(sqlite3_stmt* s) : s_(s) {}
    bool null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
    std::string text(int i) const {
        const unsigned char* t = sqlite3_column_text(s_, i);
        return t ? std::string(reinterpret_cast<const char*>(t),
                               static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
                 : std::string();
    }
    std::int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }
    std::optional<std::int64_t> maybe_integer(int i) const {
        return null(i) ? std::nullopt : std::optional<std::int64_t>(integer(i));
    }
    double real(int i) const { return sqlite3_column_double(s_, i); }
    // SQLAlchemy's Boolean with a default of true: NULL counts as the default.
    bool flag(int i, bool otherwise) const { return null(i) ? otherwise : integer(i) != 0; }

private:
    sqlite3_stmt* s_;
};

Status sqlite_error(sqlite3* db, std::string_view what) {
    return make_error(Errc::invalid_argument, str_cat(what, ": ", sqlite3_errmsg(db)));
}

template <class Take>
Status each_row(sqlite3* db, const char* table, const char* sql, Take take) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
        return sqlite_error(db, str_cat("not a v2.0 database (table ", table, ")"));
    Statement statement(raw);
    for (;;) {
        int rc = sqlite3_step(raw);
        if (rc == SQLITE_DONE) return {};
        if (rc != SQLITE_ROW) return sqlite_error(db, str_cat("reading table ", table));
        take(Row(raw));
    }
}

// v2.0's naive local time as Unix milliseconds, read in this host's zone.
std::optional<std::int64_t> local_time_ms(const std::string& text) {
    auto t = parse_naive_time(text);
    if (!t) return std::nullopt;
    std::tm tm{};
    tm.tm_year = t->year - 1900;
    tm.tm_mon = t->month - 1;
    tm.tm_mday = t->day;
    tm.tm_hour = t->hour;
    tm.tm_min = t->minute;
    tm.tm_sec = t->second;
    tm.tm_isdst = -1;
    std::time_t seconds = std::mktime(&tm);
    if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
    return static_cast<std::int64_t>(seconds) * 1000 + t->microsecond / 1000;
}

Status read_accounts(sqlite3* db, V2Database& database) {
    V2Import& out = database.request;
    return each_row(
        db, "accounts",
        "SELECT id, name, refresh_token, client_id, client_secret, profile_arn, "
        "is_active, requests_per_minute, notes FROM accounts ORDER BY id",
        [&](const Row& r) {
            out.accounts.push_back(V2Account{static_cast<std::uint64_t>(r.integer(0)), r.text(1),
                                             r.text(2), r.text(3), r.text(4), r.text(5),
                                             r.flag(6, true), r.maybe_integer(7), r.text(8)});
        });
}

Status read_keys(sqlite3* db, V2Database& out) {
    return each_row(
        db, "api_keys",
        "SELECT id, key, name, description, is_active, is_admin, "
        "requests_per_minute, requests_per_day, expires_at FROM api_keys ORDER BY id",
        [&](const Row& r) {
            V2KeyRow row{static_cast<std::uint64_t>(r.integer(0)),
                         r.text(1),
                         r.text(2),
                         r.text(3),
                         r.flag(4, true),
                         r.flag(5, false),
                         r.maybe_integer(6),
                         r.maybe_integer(7),
                         0};
            if (!r.null(8)) {
                auto at = local_time_ms(r.text(8));
                if (!at) {
                    out.skipped.push_back({str_cat("api_keys row ", row.id, " ('", row.name, "')"),
                                           str_cat("unreadable expires_at '", r.text(8), "'")});
                    return;
                }
                row.expires_at = *at / 1000;
            }
            out.request.keys.push_back(v2_key(row));
        });
}

Status read_usage(sqlite3* db, V2Database& out) {
    return each_row(
        db, "usage_logs",
        "SELECT id, api_key_id, account_id, model, endpoint, status_code, response_time, "
        "timestamp, ip_address, user_agent, input_tokens, output_tokens FROM usage_logs "
        "ORDER BY id",
        [&](const Row& r) {
            auto at = local_time_ms(r.text(7));
            if (!at) {
                out.skipped.push_back({str_cat("usage_logs row ", r.integer(0)),
                                       str_cat("unreadable timestamp '", r.text(7), "'")});
                return;
            }
            UsageRecord u;
            u.time_ms = *at;
            u.key_id = static_cast<std::uint64_t>(r.maybe_integer(1).value_or(0));
            u.account_id = static_cast<std::uint64_t>(r.maybe_integer(2).value_or(0));
            u.client_model = r.text(3);
            u.endpoint = r.text(4);
            u.status = static_cast<int>(r.integer(5));
            u.duration_ms = static_cast<std::int64_t>(std::llround(r.real(6) * 1000));
            u.client_address = r.text(8);
            u.user_agent = r.text(9);
            u.input_tokens = r.integer(10);
            u.output_tokens = r.integer(11);
            u.attempts = 1;
            out.request.usage.push_back(std::move(u));
        });
}

}  // namespace

Result<V2Database> read_v2_database(const std::string& path) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK)
        return make_error(Errc::invalid_argument,
                          str_cat(path, ": ", raw ? sqlite3_errmsg(raw) : "cannot open"));
    V2Database out;
    out.request.source = path;
    for (auto read : {read_accounts, read_keys, read_usage})
        if (Status st = read(raw, out); !st)
            return make_error(Errc::invalid_argument, str_cat(path, ": ", st.error().message));
    return out;
}

}  // namespace amq::ctl
