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

#include "common/result.hpp"

namespace amq::ctl {

enum class ArgKind {
    text,       // --flag VALUE → "field": "VALUE"
    secret,     // as text; the value "-" reads the next line of stdin instead
    integer,    // --flag N → "field": N
    set_true,   // --flag → "field": true
    set_false,  // --flag → "field": false
    target,     // positional ID|NAME → "id": N when all digits, else "name": "..."
};

struct ArgSpec {
    std::string_view name;  // "--rpm", or the positional's name for target
    std::string_view field;
    ArgKind kind;
    bool required;
    std::string_view help;
    std::string_view excludes = {};  // the name of an option this one may not be combined with
};

using RenderFn = std::string (*)(const rapidjson::Value& data);

struct CommandDef {
    std::string_view group;  // "account", "key", or empty for a top-level command
    std::string_view word;   // the subcommand typed after the group
    std::string_view cmd;    // the daemon's command name
    std::string_view summary;
    std::string_view example;
    std::span<const ArgSpec> args;
    RenderFn render;
};

// The words that only group subcommands ("account", "key").
struct GroupDef {
    std::string_view word;
    std::string_view summary;
    std::string_view example;
};

std::span<const CommandDef> all_commands();
std::span<const GroupDef> all_groups();

// One entry per ArgSpec of the command: nullopt when not given, any text for a given flag.
using ArgValues = std::vector<std::optional<std::string>>;
// The next line of stdin without its line ending, or nullopt at end of input; `option` names
// what is read (a prompt at a terminal).
using LineReader = std::function<std::optional<std::string>(std::string_view option)>;

// The request's "args" object as JSON text. Fails (a usage error) when a secret given as "-"
// finds no line to read, or an integer option does not parse.
Result<std::string> build_args(const CommandDef& def, const ArgValues& values,
                               const LineReader& read_line);

// The daemon names the JSON field it rejects ("field 'requests_per_minute' must be ..."); the
// person typed an option, so the message names that option instead ("--rpm must be ...").
std::string name_options(const CommandDef& def, std::string message);

}  // namespace amq::ctl
