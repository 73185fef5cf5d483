// Commands about the daemon itself: its workers, reload, log level, backups.
#include <unistd.h>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "daemon/master/commands.hpp"

namespace amq {

// The runtime writes {pid, ..., "workers": [...]}: this answer keeps only the workers.
CommandResult cmd_workers(CommandContext& ctx, const rapidjson::Value&) {
    std::string runtime = json_object([&](JsonWriter& w) { ctx.runtime.write_runtime(w); });
    auto doc = parse_json(runtime);
    if (!doc || !doc->HasMember("workers")) return make_error(Errc::unavailable, "no workers here");
    return json_object([&](JsonWriter& w) {
        w.Key("generation");
        if (doc->HasMember("generation"))
            (*doc)["generation"].Accept(w);
        else
            w.Null();
        w.Key("workers");
        (*doc)["workers"].Accept(w);
    });
}

CommandResult cmd_reload(CommandContext& ctx, const rapidjson::Value&) {
    if (auto st = ctx.runtime.reload(); !st) return st.error();
    return json_object([](JsonWriter& w) {
        w.Key("reloading");
        w.Bool(true);
    });
}

CommandResult cmd_log_level(CommandContext& ctx, const rapidjson::Value& args) {
    FieldReader f(args);
    std::string level = f.string("level", true).value_or("");
    if (!f.ok()) return f.status().error();
    if (!parse_log_level(level))
        return make_error(Errc::invalid_argument,
                          "field 'level' must be debug, info, notice, warning or error");
    if (auto st = ctx.runtime.set_log_level(level); !st) return st.error();
    return json_object([&](JsonWriter& w) {
        w.Key("level");
        write_string(w, level);
    });
}

// The client opened the file (with its own permissions) and passed the descriptor: the
// daemon never opens a path a client names.
void cmd_backup(CommandContext ctx, const rapidjson::Value&, CommandReply reply) {
    if (ctx.passed_fd < 0)
        return reply(make_error(
            Errc::invalid_argument,
            "backup needs a file descriptor passed with the request (amq2apictl backup FILE)"));
    int fd = ctx.passed_fd;
    ctx.runtime.backup(fd, [reply](Result<std::uint64_t> size) {
        if (!size) return reply(size.error());
        reply(json_object([&](JsonWriter& w) {
            w.Key("bytes");
            w.Uint64(*size);
        }));
    });
}

}  // namespace amq
