// A blocking libpq connection, for work that runs on a thread of its own (store copy, schema
// migrations), never on the master's loop. libpq's failures become Errc values here, at the
// boundary, with PostgreSQL's own message.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

struct pg_conn;
struct pg_result;

namespace amq {

// How the daemon signs in to any database it is given, and how long it waits on one.
struct PgSettings {
    // From the configured password file; "" = libpq finds it itself (PGPASSWORD,
    // PGPASSFILE, ~/.pgpass).
    std::string password;
    // A server silent this long while an answer is awaited (stopped, or stuck on a lock) is
    // given up on: the thread waiting on it must end.
    int idle_timeout_ms = 120000;
    // Raised when the daemon stops: a wait ends within a quarter of a second.
    const std::atomic<bool>* cancel = nullptr;
};

// Where a database is: a postgresql:// URL or a libpq key=value string, never holding the
// password.
struct PgTarget {
    std::string address;
    PgSettings settings;
};

// Whether `address` names a PostgreSQL database (a URL of that scheme, or key=value pairs)
// rather than a file. Refuses a malformed one, and one that carries a password: commands are
// audited and their arguments show in process lists.
Result<bool> is_database_address(std::string_view address);

class PgRows {
public:
    explicit PgRows(pg_result* result);
    ~PgRows();
    PgRows(PgRows&& other) noexcept;
    PgRows& operator=(PgRows&&) = delete;
    PgRows(const PgRows&) = delete;

    int rows() const;
    std::string_view value(int row, int column) const;  // "" for NULL
    bool is_null(int row, int column) const;

private:
    pg_result* result_;
};

class PgConnection {
public:
    static Result<PgConnection> connect(const PgTarget& target);
    ~PgConnection();
    PgConnection(PgConnection&& other) noexcept;
    PgConnection& operator=(PgConnection&&) = delete;
    PgConnection(const PgConnection&) = delete;

    // One statement; $1… are bound to `params`, as text.
    Result<PgRows> query(const std::string& sql, const std::vector<std::string>& params = {});
    // Statements without parameters, several allowed (a migration's script).
    Status exec(const std::string& sql);
    // COPY … FROM STDIN: begin, then rows in COPY's text format (pg_copy_text.hpp), then
    // end, which says whether the server took them. One copy at a time.
    Status copy_begin(const std::string& sql);
    Status copy_put(std::string_view rows);
    Status copy_end();
    // COPY … TO STDOUT: `line` gets each row, without its newline.
    Status copy_out(const std::string& sql,
                    const std::function<Status(std::string_view line)>& line);

    // Waits up to timeout_ms for a notification on a channel this session LISTENs to (a
    // cancel ends it sooner): true when one or more came, all taken.
    Result<bool> await_notification(int timeout_ms);

private:
    bool take_notifications();
    PgConnection(pg_conn* conn, const PgTarget& target)
        : conn_(conn),
          idle_timeout_ms_(target.settings.idle_timeout_ms),
          cancel_(target.settings.cancel) {}
    Error last_error(std::string_view doing) const;
    // Waits until the socket is ready for `events` (reading what came in), at most the idle
    // timeout.
    Status wait(short events, std::string_view doing);
    Status flush(std::string_view doing);                    // everything queued reaches the socket
    Result<pg_result*> next_result(std::string_view doing);  // nullptr: no more
    Status drain(std::string_view doing);                    // the rest, the first error kept
    Result<PgRows> first_result(int expected_status, std::string_view doing);
    Status copy_flush();
    pg_conn* conn_;
    int idle_timeout_ms_;
    const std::atomic<bool>* cancel_;
    std::string copy_pending_;  // sent in large pieces: a call per row costs a system call
};

}  // namespace amq
