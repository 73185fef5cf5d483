#include "ctl/account_login.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "ctl/client.hpp"
#include "ctl/qr_text.hpp"

namespace amq::ctl {
namespace {

constexpr int kCancelled = 130;  // as a shell reports a command ended by SIGINT
constexpr double kPollSeconds = 1;

volatile sig_atomic_t interrupted = 0;

void on_interrupt(int) { interrupted = 1; }

// Without SA_RESTART, so that the wait between two status calls ends at once.
void catch_interrupts() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void pause_for(double seconds) {
    timespec t{
        static_cast<time_t>(seconds),
        static_cast<long>((seconds - static_cast<double>(static_cast<time_t>(seconds))) * 1e9)};
    nanosleep(&t, nullptr);
}

std::string text_of(const rapidjson::Value& data, const char* name) {
    return std::string(find_string(data, name).value_or(""));
}

Result<rapidjson::Document> ask(const Invocation& inv, std::string_view cmd, std::uint64_t login) {
    return call(inv.socket, cmd, str_cat("{\"id\":", login, "}"), kTimeoutSeconds);
}

int cancel(const Invocation& inv, std::uint64_t login) {
    auto cancelled = ask(inv, "account.login-cancel", login);
    if (!cancelled) return fail(cancelled.error().message, kUnreachable);
    fail("login cancelled", kCancelled);
    return kCancelled;
}

// The URL as a QR code, for a phone to scan, where the terminal can show one: `fd` is a
// terminal wide enough that takes colours.
std::string qr_for_terminal(int fd, std::string_view url) {
    const char* term = std::getenv("TERM");
    if (!isatty(fd) || std::getenv("NO_COLOR") || !term || std::string_view(term) == "dumb")
        return {};
    winsize ws{};
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return {};
    auto qr = qr_text(url);
    if (!qr || qr->columns > ws.ws_col) return {};
    return str_cat("or scan\n\n", qr->lines, "\n");
}

// What the admin must do, on standard output — on standard error with --json, where standard
// output holds the one object that says how the login ended.
int tell(const Invocation& inv, const std::string& text) {
    if (!inv.json) return print(text);
    return std::fputs(text.c_str(), stderr) < 0 ? kDaemonError : kSuccess;
}

// How the login ended, said as the command's outcome.
int report(const Invocation& inv, const rapidjson::Value& data) {
    std::string state = text_of(data, "state");
    if (inv.json && print(to_json(data) + "\n") != kSuccess) return kDaemonError;
    if (state != "succeeded")
        return fail(str_cat("login ", state, ": ", text_of(data, "message")), kDaemonError);
    if (inv.json) return kSuccess;
    return print(str_cat("logged in: account ", data["account_id"].GetUint64(), "\n"));
}

// One line of stdin without its line end; nullopt at its end or when Ctrl-C interrupts the
// read (no SA_RESTART).
std::optional<std::string> read_pasted_line() {
    std::string line;
    for (int c; (c = std::fgetc(stdin)) != EOF;) {
        if (c == '\n') return line;
        if (line.size() > 64 * 1024) return std::nullopt;  // no URL is that long
        line.push_back(static_cast<char>(c));
    }
    return line.empty() || std::ferror(stdin) ? std::nullopt : std::optional<std::string>(line);
}

// A Kiro sign-in: the admin opens the URL, signs in, and pastes the address the browser ends
// on; a pasted URL the daemon refuses (another sign-in's, no code) is asked for again.
int complete_signin(const Invocation& inv, std::uint64_t id, const rapidjson::Value& login) {
    if (tell(inv, str_cat("To sign in to Kiro, open\n\n    ", text_of(login, "signin_url"),
                          "\n\nsign in, and paste here the address your browser ends on (it starts "
                          "with http://localhost and fails to load; valid until ",
                          text_of(login, "expires_at"), "). Ctrl-C cancels.\n")) != kSuccess)
        return kDaemonError;
    for (;;) {
        if (tell(inv, "Callback URL: ") != kSuccess) return kDaemonError;
        auto line = read_pasted_line();
        if (interrupted || !line) return cancel(inv, id);
        if (trim(*line).empty()) continue;
        auto answer = call(inv.socket, "account.login-complete", json_object([&](JsonWriter& w) {
                               w.Key("id");
                               w.Uint64(id);
                               write_field(w, "callback_url", trim(*line));
                           }),
                           inv.def.timeout_seconds);
        if (!answer) return fail(answer.error().message, kUnreachable);
        if ((*answer)["ok"].GetBool()) return report(inv, (*answer)["data"]);
        std::string message = (*answer)["error"]["message"].GetString();
        auto status = ask(inv, "account.login-status", id);
        if (status && (*status)["ok"].GetBool() && text_of((*status)["data"], "state") != "pending")
            return report(inv, (*status)["data"]);
        if (tell(inv, str_cat(message, "\n")) != kSuccess) return kDaemonError;
    }
}

}  // namespace

int run_account_login(const Invocation& inv) {
    catch_interrupts();  // before the login exists: Ctrl-C at any point cancels it
    auto started = call(inv.socket, inv.def.cmd, inv.args_json, inv.def.timeout_seconds);
    if (!started) return fail(started.error().message, kUnreachable);
    if (!(*started)["ok"].GetBool())
        return fail((*started)["error"]["message"].GetString(),
                    refused_exit_code((*started)["error"]));
    const rapidjson::Value& login = (*started)["data"];
    std::uint64_t id = login["login"].GetUint64();
    if (!text_of(login, "signin_url").empty()) return complete_signin(inv, id, login);
    if (tell(inv, str_cat("To sign in, open\n\n    ", text_of(login, "verification_uri_complete"),
                          "\n\n",
                          qr_for_terminal(inv.json ? STDERR_FILENO : STDOUT_FILENO,
                                          text_of(login, "verification_uri_complete")),
                          "and confirm the code  ", text_of(login, "user_code"), "  (valid until ",
                          text_of(login, "expires_at"),
                          ").\nWaiting for the approval; Ctrl-C cancels.\n")) != kSuccess)
        return kDaemonError;
    for (;;) {
        if (!interrupted) pause_for(kPollSeconds);
        if (interrupted) return cancel(inv, id);
        auto status = ask(inv, "account.login-status", id);
        if (!status) return fail(status.error().message, kUnreachable);
        if (!(*status)["ok"].GetBool())
            return fail((*status)["error"]["message"].GetString(), kDaemonError);
        const rapidjson::Value& data = (*status)["data"];
        if (text_of(data, "state") != "pending") return report(inv, data);
    }
}

}  // namespace amq::ctl
