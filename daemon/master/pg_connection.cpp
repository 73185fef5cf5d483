#include "daemon/master/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/database_address.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

// What a caller can act on; the rest of PostgreSQL's classes are the database's own trouble.
Errc errc_of_sqlstate(std::string_view state) {
    if (state == "23505" || state == "23503") return Errc::conflict;  // unique, foreign key
    if (state == "42501" || state.starts_with("28")) return Errc::permission_denied;
    if (state == "53100") return Errc::storage_full;
    if (state.starts_with("08") || state.starts_with("57P")) return Errc::unavailable;
    if (state.starts_with("22")) return Errc::invalid_argument;  // data the database refuses
    return Errc::internal;
}

std::string trimmed(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

Error result_error(PGresult* result, std::string_view doing) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    return make_error(
        errc_of_sqlstate(state ? state : ""),
        str_cat("PostgreSQL refused ", doing, ": ", trimmed(PQresultErrorMessage(result))));
}

}  // namespace

Result<bool> is_database_address(std::string_view address) {
    if (!looks_like_database_address(address)) return false;
    char* problem = nullptr;
    PQconninfoOption* options = PQconninfoParse(std::string(address).c_str(), &problem);
    if (!options) {
        std::string why = trimmed(problem);
        PQfreemem(problem);
        return make_error(Errc::invalid_argument, str_cat("not a PostgreSQL address: ",
                                                          why.empty() ? "out of memory" : why));
    }
    bool has_password = false;
    for (PQconninfoOption* o = options; o->keyword; ++o)
        if (std::string_view(o->keyword) == "password" && o->val && *o->val) has_password = true;
    PQconninfoFree(options);
    if (has_password)
        return make_error(Errc::invalid_argument,
                          "the database address holds a password; put it in the file "
                          "postgresql-password-file names (or PGPASSFILE) instead: commands are "
                          "audited and their arguments show in process lists");
    return true;
}

PgRows::PgRows(pg_result* result) : result_(result) {}
PgRows::~PgRows() { PQclear(result_); }
PgRows::PgRows(PgRows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
int PgRows::rows() const { return PQntuples(result_); }
bool PgRows::is_null(int row, int column) const {
    return PQgetisnull(result_, row, column) != 0;
}
std::string_view PgRows::value(int row, int column) const {
    return {PQgetvalue(result_, row, column),
            static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

// Defaults the address may override. Once connected, every wait is bounded by the idle
// timeout (wait()), whatever the peer does.
constexpr std::pair<const char*, const char*> kConnectDefaults[] = {
    {"connect_timeout", "10"},
    {"application_name", "amq2apid"},
};

Result<PgConnection> PgConnection::connect(const PgTarget& target) {
    // dbname is expanded: the address may be a URL or key=value pairs, whose own settings win
    // over the defaults given before it.
    std::vector<const char*> keys;
    std::vector<const char*> values;
    for (auto [key, value] : kConnectDefaults) {
        keys.push_back(key);
        values.push_back(value);
    }
    keys.push_back("dbname");
    values.push_back(target.address.c_str());
    if (!target.settings.password.empty()) {
        keys.push_back("password");
        values.push_back(target.settings.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
    if (!conn) return make_error(Errc::internal, "libpq: out of memory");
    PgConnection connection(conn, target);
    if (PQstatus(conn) != CONNECTION_OK)
        return make_error(Errc::unavailable,
                          str_cat("cannot connect to PostgreSQL: ", trimmed(PQerrorMessage(conn))));
    // The server's notices ("already exists, skipping") would go to stderr, which is the log.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    // Nonblocking, so that every wait below is a poll() with a limit.
    if (PQsetnonblocking(conn, 1) != 0) return connection.last_error("to go nonblocking");
    return connection;
}

PgConnection::~PgConnection() {
    if (conn_) PQfinish(conn_);
}

PgConnection::PgConnection(PgConnection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      idle_timeout_ms_(other.idle_timeout_ms_),
      cancel_(other.cancel_) {}

Error PgConnection::last_error(std::string_view doing) const {
    return make_error(PQstatus(conn_) == CONNECTION_OK ? Errc::internal : Errc::unavailable,
                      str_cat("PostgreSQL failed ", doing, ": ", trimmed(PQerrorMessage(conn_))));
}

// Polls in slices, so that a cancel is seen soon.
Status PgConnection::wait(short events, std::string_view doing) {
    constexpr int kSliceMs = 250;
    pollfd p{PQsocket(conn_), events, 0};
    int n = 0;
    for (int waited = 0; n == 0 && waited < idle_timeout_ms_; waited += kSliceMs) {
        if (cancel_ && *cancel_)
            return make_error(Errc::unavailable,
                              str_cat("stopped during ", doing, ": the daemon is stopping"));
        do n = ::poll(&p, 1, std::min(kSliceMs, idle_timeout_ms_ - waited));
        while (n < 0 && errno == EINTR);
    }
    if (n == 0)
        return make_error(Errc::unavailable,
                          str_cat("PostgreSQL sent nothing for ", idle_timeout_ms_ / 1000,
                                  " s during ", doing, " (postgresql-timeout); gave up"));
    if (n < 0) return make_error(Errc::io, str_cat("poll: ", std::strerror(errno)));
    if ((p.revents & POLLIN) && !PQconsumeInput(conn_)) return last_error(doing);
    return {};
}

bool PgConnection::take_notifications() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
        PQfreemem(n);
        any = true;
    }
    return any;
}

Result<bool> PgConnection::await_notification(int timeout_ms) {
    constexpr int kSliceMs = 250;
    if (take_notifications()) return true;
    pollfd p{PQsocket(conn_), POLLIN, 0};
    for (int waited = 0; waited < timeout_ms; waited += kSliceMs) {
        if (cancel_ && *cancel_) return false;
        int n;
        do n = ::poll(&p, 1, std::min(kSliceMs, timeout_ms - waited));
        while (n < 0 && errno == EINTR);
        if (n < 0) return make_error(Errc::io, str_cat("poll: ", std::strerror(errno)));
        if (n == 0) continue;
        if (!PQconsumeInput(conn_)) return last_error("awaiting a notification");
        if (take_notifications()) return true;
    }
    return false;
}

Status PgConnection::flush(std::string_view doing) {
    for (;;) {
        int left = PQflush(conn_);
        if (left == 0) return {};
        if (left < 0) return last_error(doing);
        // The server may be sending meanwhile (a notice, an error): read it too, or both sides
        // wait on full buffers.
        if (Status st = wait(POLLOUT | POLLIN, doing); !st) return st;
    }
}

Result<PGresult*> PgConnection::next_result(std::string_view doing) {
    while (PQisBusy(conn_))
        if (Status st = wait(POLLIN, doing); !st) return st.error();
    return PQgetResult(conn_);
}

Status PgConnection::drain(std::string_view doing) {
    Status status;
    for (;;) {
        auto result = next_result(doing);
        if (!result) return result.error();
        if (!*result) return status;
        PgRows owned(*result);
        ExecStatusType st = PQresultStatus(*result);
        if (status && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            status = result_error(*result, doing);
    }
}

// The first result of what was just sent, which must have `expected` status (rows, or a
// command's none, for PGRES_TUPLES_OK); the rest are drained when it is not a copy.
Result<PgRows> PgConnection::first_result(int expected, std::string_view doing) {
    if (Status st = flush(doing); !st) return st.error();
    auto result = next_result(doing);
    if (!result) return result.error();
    if (!*result)
        return make_error(Errc::protocol, str_cat("PostgreSQL sent no result for ", doing));
    PgRows rows(*result);
    bool copying = expected == PGRES_COPY_IN || expected == PGRES_COPY_OUT;
    ExecStatusType got = PQresultStatus(*result);
    bool as_expected = got == expected || (expected == PGRES_TUPLES_OK && got == PGRES_COMMAND_OK);
    if (!as_expected) {
        Error refused = got == PGRES_FATAL_ERROR
                            ? result_error(*result, doing)
                            : make_error(Errc::protocol,
                                         str_cat("PostgreSQL answered ", doing, " unexpectedly"));
        if (!copying) (void)drain(doing);
        return refused;
    }
    if (!copying)
        if (Status st = drain(doing); !st) return st.error();
    return rows;
}

Status PgConnection::exec(const std::string& sql) {
    if (!PQsendQuery(conn_, sql.c_str())) return last_error("to send a statement");
    if (Status st = flush("a statement"); !st) return st;
    return drain("a statement");
}

Result<PgRows> PgConnection::query(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, 0))
        return last_error("to send a statement");
    return first_result(PGRES_TUPLES_OK, "a statement");
}

Status PgConnection::copy_begin(const std::string& sql) {
    if (!PQsendQuery(conn_, sql.c_str())) return last_error("to start a copy");
    auto started = first_result(PGRES_COPY_IN, "a copy");
    if (!started) return started.error();
    copy_pending_.clear();
    return {};
}

Status PgConnection::copy_flush() {
    if (copy_pending_.empty()) return {};
    for (;;) {
        int queued =
            PQputCopyData(conn_, copy_pending_.data(), static_cast<int>(copy_pending_.size()));
        if (queued < 0) return last_error("to send a copy");
        if (queued == 1) break;
        if (Status st = wait(POLLOUT | POLLIN, "a copy"); !st) return st;
    }
    copy_pending_.clear();
    return flush("a copy");
}

Status PgConnection::copy_put(std::string_view rows) {
    copy_pending_.append(rows);
    return copy_pending_.size() >= (256u << 10) ? copy_flush() : Status{};
}

Status PgConnection::copy_end() {
    Status flushed = copy_flush();
    // A failed send aborts the copy: the server drops the rows it took.
    for (;;) {
        int ended = PQputCopyEnd(conn_, flushed ? nullptr : "amq2apid could not send every row");
        if (ended < 0) return last_error("to end a copy");
        if (ended == 1) break;
        if (Status st = wait(POLLOUT | POLLIN, "a copy"); !st) return st;
    }
    if (Status st = flush("a copy"); !st) return st;
    Status ended = drain("a copy");
    return flushed ? ended : flushed;
}

Status PgConnection::copy_out(const std::string& sql,
                              const std::function<Status(std::string_view line)>& line) {
    if (!PQsendQuery(conn_, sql.c_str())) return last_error("to start a copy");
    auto started = first_result(PGRES_COPY_OUT, "a copy");
    if (!started) return started.error();
    Status status;
    for (;;) {
        char* data = nullptr;
        int n = PQgetCopyData(conn_, &data, 1);
        if (n == 0) {
            if (Status st = wait(POLLIN, "a copy"); !st) return st;
            continue;
        }
        if (n < 0) break;  // -1: done, -2: failed (the result says why)
        std::string_view row(data, static_cast<std::size_t>(n));
        if (row.ends_with('\n')) row.remove_suffix(1);
        // After a failure the rest is read and dropped: the connection must reach its end.
        if (status) status = line(row);
        PQfreemem(data);
    }
    Status ended = drain("a copy");
    return status ? ended : status;
}

}  // namespace amq
