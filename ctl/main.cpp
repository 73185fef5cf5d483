// amq2apictl: sends one command to the master over its control socket and prints the answer.
// This file only wires the command table (commands.cpp) into CLI11 and maps outcomes to exit
// codes; talking (client.cpp) and printing (render.cpp) live elsewhere.
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "common/version.hpp"
#include "ctl/client.hpp"
#include "ctl/commands.hpp"
#include "ctl/import_files.hpp"

namespace amq::ctl {
namespace {

// A CLI11 subcommand made from one table entry, with a value slot per option.
struct Bound {
    const CommandDef* def;
    CLI::App* app;
    std::vector<std::string> slots;
    std::vector<std::vector<std::string>> lists;  // the words of files, the uses of a list
    std::vector<CLI::Option*> options;
};

struct Cli {
    CLI::App app{str_cat("amq2apictl ", kVersion, " - control the amq2api daemon (amq2apid)"),
                 "amq2apictl"};
    std::string socket;
    bool json = false;
    std::deque<Bound> commands;  // a deque: the options point into the slots of each entry
};

std::string example_footer(std::string_view example) { return str_cat("Example:\n  ", example); }

const CLI::Validator& integer_validator() {
    static const CLI::Validator validator(
        [](std::string& text) { return parse_int(text) ? std::string() : "must be an integer"; },
        "", "INTEGER");
    return validator;
}

CLI::Option* add_arg(Bound& b, std::size_t i) {
    const ArgSpec& spec = b.def->args[i];
    std::string name(spec.name);
    const std::string help(spec.help);
    switch (spec.kind) {
        case ArgKind::set_true:
        case ArgKind::set_false:
        case ArgKind::local_flag:
            // help must stay const: add_flag binds a non-const std::string as the flag's result.
            return b.app->add_flag(name, help);
        case ArgKind::target:
            return b.app->add_option(name, b.slots[i], help)->type_name("ID|NAME");
        case ArgKind::integer:
            return b.app->add_option(name, b.slots[i], help)
                ->type_name("N")
                ->check(integer_validator());
        case ArgKind::secret: return b.app->add_option(name, b.slots[i], help)->type_name("TEXT|-");
        case ArgKind::files: return b.app->add_option(name, b.lists[i], help)->type_name("PATH|-");
        case ArgKind::list:
            // One value per use: "--models a ci" must leave "ci" to the positional. Commas are
            // split by build_args, so that "" can mean an empty list.
            return b.app->add_option(name, b.lists[i], help)
                ->type_name("NAME,...")
                ->allow_extra_args(false);
        case ArgKind::text:
        case ArgKind::local: break;
    }
    if (spec.choices.empty())
        return b.app->add_option(name, b.slots[i], help)
            ->type_name(spec.value_name.empty() ? "TEXT" : std::string(spec.value_name));
    std::vector<std::string> choices;
    for (auto choice : split(spec.choices, '|')) choices.emplace_back(choice);
    // An empty description: the type name already lists the choices.
    return b.app->add_option(name, b.slots[i], help)
        ->type_name(std::string(spec.choices))
        ->check(CLI::IsMember(choices).description(""));
}

void bind_command(Cli& cli, CLI::App& parent, const CommandDef& def) {
    Bound& b = cli.commands.emplace_back();
    b.def = &def;
    b.app = parent.add_subcommand(std::string(def.word), std::string(def.summary));
    b.app->footer(example_footer(def.example));
    b.slots.resize(def.args.size());
    b.lists.resize(def.args.size());
    for (std::size_t i = 0; i < def.args.size(); ++i) {
        b.options.push_back(add_arg(b, i));
        if (def.args[i].required) b.options.back()->required();
    }
    for (std::size_t i = 0; i < def.args.size(); ++i)
        if (!def.args[i].excludes.empty())
            b.options[i]->excludes(b.app->get_option(std::string(def.args[i].excludes)));
}

// Groups are created where their first command appears, so help lists them in table order.
CLI::App* add_group(CLI::App& app, std::string_view word) {
    for (const auto& g : all_groups()) {
        if (g.word != word) continue;
        CLI::App* sub = app.add_subcommand(std::string(g.word), std::string(g.summary));
        sub->require_subcommand(1);
        sub->footer(example_footer(g.example));
        return sub;
    }
    throw std::logic_error(str_cat("command group '", word, "' is missing from all_groups()"));
}

void build_cli(Cli& cli) {
    CLI::App& app = cli.app;
    app.require_subcommand(1);
    app.fallthrough();  // --json and --socket work after the subcommand too
    app.add_option("--socket", cli.socket,
                   "Control socket (default: $AMQ2API_SOCKET, else /run/amq2api/control.sock "
                   "if it exists, else ./run/control.sock)")
        ->type_name("PATH");
    app.add_flag("--json", cli.json, "Print the reply's data as one line of JSON");
    app.set_version_flag("--version", str_cat("amq2apictl ", kVersion));
    std::map<std::string_view, CLI::App*> groups{{"", &app}};
    for (const auto& def : all_commands()) {
        CLI::App*& group = groups[def.group];
        if (!group) group = add_group(app, def.group);
        bind_command(cli, *group, def);
    }
    app.footer(
        str_cat("Exit status: 0 success, 1 the daemon refused the command or part of "
                "it (or the output could not be written), 2 usage error (an unknown command or "
                "option, or a value amq2apictl or the daemon refuses) or a file that cannot be "
                "read or created, 3 the daemon could not be reached.\n\n",
                example_footer("amq2apictl --socket /run/amq2api/control.sock status")));
}

const CLI::App& deepest_subcommand(const CLI::App& app) {
    const CLI::App* deepest = &app;
    while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
    return *deepest;
}

// CLI11 checks for a missing subcommand before it complains about extra words, so a bare
// "amq2apictl key" and a mistyped "amq2apictl key lst" both arrive as a RequiredError. The
// first is a question and gets the help; the second gets a pointed message.
int usage_error(const CLI::App& app, const CLI::ParseError& error) {
    const CLI::App& deepest = deepest_subcommand(app);
    bool missing =
        dynamic_cast<const CLI::RequiredError*>(&error) && deepest.get_require_subcommand_min() > 0;
    if (!missing) return app.exit(error) == 0 ? kSuccess : kUsage;
    // Fallthrough hands words a subcommand does not know to its parents: look at all.
    auto extra = app.remaining(true);
    if (extra.empty()) {
        std::cerr << app.help();
        return kUsage;
    }
    std::string words =
        &deepest == &app ? extra.front() : str_cat(deepest.get_name(), " ", extra.front());
    std::cerr << "amq2apictl: unknown command '" << words
              << "'\nRun with --help for more information.\n";
    return kUsage;
}

// At a terminal a "-" prompts and turns echo off: the secret shows neither in ps nor on the
// screen. From a pipe it is just the next line.
std::optional<std::string> read_stdin_line(std::string_view option) {
    termios saved{};
    bool tty = isatty(STDIN_FILENO) == 1;
    bool quiet = tty && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) std::cerr << option << ": " << std::flush;
    if (quiet) {
        termios silent = saved;
        silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
    }
    std::string line;
    bool got = static_cast<bool>(std::getline(std::cin, line));
    if (quiet) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << '\n';
    }
    if (!got) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

ArgValues given_values(const Bound& b) {
    ArgValues values(b.slots.size());
    for (std::size_t i = 0; i < b.slots.size(); ++i) {
        if (b.options[i]->count() == 0) continue;
        ArgKind kind = b.def->args[i].kind;
        if (kind == ArgKind::files || kind == ArgKind::list)
            values[i] = b.lists[i];
        else
            values[i] = {b.slots[i]};
    }
    return values;
}

int run(const Cli& cli, const Bound& b) {
    ArgValues values = given_values(b);
    auto args = build_args(*b.def, values, Inputs{read_stdin_line, read_import_files});
    if (!args) return fail(args.error().message, kUsage);
    std::string socket = cli.socket.empty() ? default_socket_path() : cli.socket;
    Invocation invocation{*b.def, socket, *args, values, cli.json};
    if (b.def->run) return b.def->run(invocation);
    return call_and_render(invocation, *args);
}

int run_main(int argc, char** argv) {
    Cli cli;
    build_cli(cli);
    try {
        cli.app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return usage_error(cli.app, e);
    }
    for (const Bound& b : cli.commands)
        if (b.app->parsed()) return run(cli, b);
    return fail("no command given", kUsage);  // unreachable: require_subcommand saw one
}

}  // namespace
}  // namespace amq::ctl

int main(int argc, char** argv) {
    try {
        return amq::ctl::run_main(argc, argv);
    } catch (const std::exception& e) {
        return amq::ctl::fail(amq::str_cat("internal error: ", e.what()), amq::ctl::kUnreachable);
    }
}
