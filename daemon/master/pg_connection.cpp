#include "daemon/master/pg_connection.hpp"

#include <libpq-fe.h>

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

// The result of a statement that has none (COPY's end, a command): an error, or nothing.
Status drain_results(PGconn* conn, std::string_view doing) {
    Status status;
    while (PGresult* result = PQgetResult(conn)) {
        ExecStatusType st = PQresultStatus(result);
        if (status && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            status = result_error(result, doing);
        PQclear(result);
    }
    return status;
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
std::string_view PgRows::value(int row, int column) const {
    return {PQgetvalue(result_, row, column),
            static_cast<std::size_t>(PQgetlength(result_, row, column))};
}
bool PgRows::is_null(int row, int column) const { return PQgetisnull(result_, row, column); }

Result<PgConnection> PgConnection::connect(const PgTarget& target) {
    // dbname is expanded: the address may be a URL or key=value pairs, whose own settings win
    // over the defaults given before it.
    std::vector<const char*> keys{"connect_timeout", "application_name", "dbname"};
    std::vector<const char*> values{"10", "amq2apid", target.address.c_str()};
    if (!target.password.empty()) {
        keys.push_back("password");
        values.push_back(target.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
    if (!conn) return make_error(Errc::internal, "libpq: out of memory");
    PgConnection connection(conn);
    if (PQstatus(conn) != CONNECTION_OK)
        return make_error(Errc::unavailable,
                          str_cat("cannot connect to PostgreSQL: ", trimmed(PQerrorMessage(conn))));
    return connection;
}

PgConnection::~PgConnection() {
    if (conn_) PQfinish(conn_);
}

PgConnection::PgConnection(PgConnection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

Error PgConnection::last_error(std::string_view doing) const {
    return make_error(PQstatus(conn_) == CONNECTION_OK ? Errc::internal : Errc::unavailable,
                      str_cat("PostgreSQL failed ", doing, ": ", trimmed(PQerrorMessage(conn_))));
}

Status PgConnection::exec(const std::string& sql) {
    if (!PQsendQuery(conn_, sql.c_str())) return last_error("to send a statement");
    return drain_results(conn_, "a statement");
}

Result<PgRows> PgConnection::query(const std::string& sql,
                                   const std::vector<std::optional<std::string>>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    PGresult* result = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                    values.data(), nullptr, nullptr, 0);
    if (!result) return last_error("a statement");
    PgRows rows(result);
    ExecStatusType st = PQresultStatus(result);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return result_error(result, "a statement");
    return rows;
}

Status PgConnection::copy_begin(const std::string& sql) {
    PGresult* started = PQexec(conn_, sql.c_str());
    if (!started) return last_error("to start a copy");
    PgRows start(started);
    if (PQresultStatus(started) != PGRES_COPY_IN) return result_error(started, "a copy");
    copy_pending_.clear();
    return {};
}

Status PgConnection::copy_flush() {
    if (!copy_pending_.empty() &&
        PQputCopyData(conn_, copy_pending_.data(), static_cast<int>(copy_pending_.size())) != 1)
        return last_error("to send a copy");
    copy_pending_.clear();
    return {};
}

Status PgConnection::copy_put(std::string_view rows) {
    copy_pending_.append(rows);
    return copy_pending_.size() >= (256u << 10) ? copy_flush() : Status{};
}

Status PgConnection::copy_end() {
    Status flushed = copy_flush();
    // A failed send aborts the copy: the server drops the rows it took.
    if (PQputCopyEnd(conn_, flushed ? nullptr : "amq2apid could not send every row") != 1)
        return last_error("to end a copy");
    Status ended = drain_results(conn_, "a copy");
    return flushed ? ended : flushed;
}

Status PgConnection::copy_out(const std::string& sql,
                              const std::function<Status(std::string_view line)>& line) {
    PGresult* started = PQexec(conn_, sql.c_str());
    if (!started) return last_error("to start a copy");
    PgRows start(started);
    if (PQresultStatus(started) != PGRES_COPY_OUT) return result_error(started, "a copy");
    Status status;
    for (;;) {
        char* data = nullptr;
        int n = PQgetCopyData(conn_, &data, 0);
        if (n < 0) break;  // -1: done, -2: failed (the result says why)
        std::string_view row(data, static_cast<std::size_t>(n));
        if (row.ends_with('\n')) row.remove_suffix(1);
        // After a failure the rest is read and dropped: the connection must reach its end.
        if (status) status = line(row);
        PQfreemem(data);
    }
    Status ended = drain_results(conn_, "a copy");
    return status ? ended : status;
}

}  // namespace amq
