// The subcommands of amq2apictl as one table (in the manner of knotc): the words typed, the
// daemon command they send, their options and how each option lands in "args", the help
// example and the renderer of the reply. main.cpp turns the table into CLI11 subcommands.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/account_import.hpp"
#include "common/result.hpp"
#include "ctl/client.hpp"

namespace amq::ctl {

// How amq2apictl ends; documented in --help and the manual page.
enum Exit { kSuccess = 0, kDaemonError = 1, kUsage = 2, kUnreachable = 3 };

// Commands that wait on the network (token refreshes, quota calls): the daemon gives each
// upstream call 30 s, and an import refreshes every account it adds, so the reply may take
// several of those.
inline constexpr int kNetworkTimeoutSeconds = 120;

// backup: the daemon copies the whole store, with one read transaction, into the file; a
// store of several GiB on a slow disk takes minutes.
inline constexpr int kBackupTimeoutSeconds = 600;

enum class ArgKind {
    text,        // --flag VALUE → "field": "VALUE"
    secret,      // as text; the value "-" reads the next line of stdin instead
    integer,     // --flag N → "field": N
    set_true,    // --flag → "field": true
    set_false,   // --flag → "field": false
    target,      // positional ID|NAME → "id": N when all digits, else "name": "..."
    files,       // positional PATH... → "field": [{"source": FILE, "content": TEXT}, ...], or
                 // {"source": FILE, "error": WHY} for a file that cannot be read (FilesReader)
    list,        // --flag A,B --flag C → "field": ["A", "B", "C"]; --flag "" → "field": []
    local,       // --flag VALUE or a positional, not sent: the command's runner reads it
    local_flag,  // --flag, not sent: the command's runner reads it (backup --force)
};

struct ArgSpec {
    std::string_view name;  // "--rpm", or the positional's name for target
    std::string_view field;
    ArgKind kind;
    bool required;
    std::string_view help;
    std::string_view excludes = {};    // the name of an option this one may not be combined with
    std::string_view choices = {};     // "idc|social": the only values a text or local option
                                       // accepts
    std::string_view value_name = {};  // what help calls a text or local value (DATE, FILE)
};

struct CommandDef;

// One entry per ArgSpec of the command: empty when not given; one value for a given option
// (any text for a flag), one per word for files, one per occurrence for a list.
using ArgValues = std::vector<std::vector<std::string>>;

// What a command with its own runner gets: the table entry, the socket, the "args" object
// build_args made (local options left out), every value, for its local options, and whether
// --json was given.
struct Invocation {
    const CommandDef& def;
    const std::string& socket;
    const std::string& args_json;
    const ArgValues& values;
    bool json = false;
};

// Options that stay in amq2apictl: build_args leaves them out of "args".
constexpr bool is_local(ArgKind kind) {
    return kind == ArgKind::local || kind == ArgKind::local_flag;
}

// `width`: the terminal's columns, which tables fit themselves to.
using RenderFn = std::string (*)(const rapidjson::Value& data, std::size_t width);
// True when a successful reply reports that part of the work was refused: exit status 1.
using PartialFn = bool (*)(const rapidjson::Value& data);

struct CommandDef {
    std::string_view group;  // "account", "key", or empty for a top-level command
    std::string_view word;   // the subcommand typed after the group
    std::string_view cmd;    // the daemon's command name
    std::string_view summary;
    std::string_view example;
    std::span<const ArgSpec> args;
    RenderFn render;
    int timeout_seconds = kTimeoutSeconds;  // how long to wait for the reply
    PartialFn partial = nullptr;
    // key.update takes {"key": {"id"|"name"}, "set": {...}}: the object the target is written
    // in and the object every other option is written in ("" = at the top of "args").
    std::string_view target_object = {};
    std::string_view fields_object = {};
    // A command that is more than one request and one rendered reply (usage export pages
    // through the records); returns the exit status. render is then unused.
    int (*run)(const Invocation& invocation) = nullptr;
};

// The words that only group subcommands ("account", "key").
struct GroupDef {
    std::string_view word;
    std::string_view summary;
    std::string_view example;
};

std::span<const CommandDef> all_commands();
std::span<const GroupDef> all_groups();

// The next line of stdin without its line ending, or nullopt at end of input; `option` names
// what is read (a prompt at a terminal).
using LineReader = std::function<std::optional<std::string>(std::string_view option)>;
// The documents the paths of a files option name, as read_import_files reads them.
using FilesReader =
    std::function<Result<std::vector<ImportDocument>>(const std::vector<std::string>& paths)>;

// Where build_args gets what the command line only points at; injected so that it stays
// testable without a terminal or files.
struct Inputs {
    LineReader read_line;
    FilesReader read_files;
};

// The request's "args" object as JSON text. Fails (a usage error) when a secret given as "-"
// finds no line to read, an integer option does not parse, no file can be read, a command
// with a fields_object is given nothing to change, or the request would not fit in one
// control frame.
Result<std::string> build_args(const CommandDef& def, const ArgValues& values,
                               const Inputs& inputs);

// The daemon names the JSON field it rejects ("field 'requests_per_minute' must be ..."); the
// person typed an option, so the message names that option instead ("--rpm must be ...").
std::string name_options(const CommandDef& def, std::string message);

// The exit status for a refused command's "error" (checked by call()): kUsage when the daemon
// refused a value (a value it refuses, "--rpm -5", is as much a usage error as one CLI11
// refuses, "--rpm abc"), else kDaemonError.
// Prints "amq2apictl: message" to stderr and returns `code`, for `return fail(...)`.
int fail(std::string_view message, int code);
// Writes `text` to stdout and flushes it: kSuccess, or kDaemonError (said on stderr) when the
// output cannot be written.
int print(const std::string& text);

int refused_exit_code(const rapidjson::Value& error);

// Sends the command with `args_json` and prints the reply (the command's table, or JSON with
// --json); the exit status as documented.
int call_and_render(const Invocation& invocation, std::string_view args_json);

// The value of a given option of the command by its name ("--output"), else nullopt; a given
// flag is "".
std::optional<std::string> option_value(const Invocation& invocation, std::string_view name);

}  // namespace amq::ctl
