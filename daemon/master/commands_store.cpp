// Commands about the store itself across backends: copying every record between this
// host's LMDB store, PostgreSQL databases and LMDB files, and migrating a database's schema.
#include <unistd.h>

#include "common/strings.hpp"
#include "daemon/master/commands.hpp"

namespace amq {
namespace {

// A place named by a client: a database address (which the daemon connects to), checked
// before anything starts.
Result<std::string> database_field(FieldReader& f, const char* name, bool required) {
    std::string address = f.string(name, required).value_or("");
    if (!f.ok()) return f.status().error();
    if (address.empty()) return address;
    auto is_database = is_database_address(address);
    if (!is_database) return is_database.error();
    if (!*is_database)
        return make_error(Errc::invalid_argument,
                          str_cat("field '", name,
                                  "' must be a PostgreSQL database (postgresql://… or "
                                  "key=value pairs); a file is passed as a descriptor"));
    return address;
}

void write_migrations(JsonWriter& w, const std::vector<Migration>& migrations) {
    w.StartArray();
    for (const Migration& m : migrations) {
        w.StartObject();
        w.Key("version");
        w.Int(m.version);
        w.Key("name");
        write_string(w, m.name);
        w.EndObject();
    }
    w.EndArray();
}

std::string copy_json(const StoreCopyJob& job, const StoreCopyOutcome& outcome) {
    return json_object([&](JsonWriter& w) {
        w.Key("from");
        write_string(w, job.from.empty() ? "this store" : job.from);
        w.Key("to");
        write_string(w, job.to.empty() ? "an LMDB file" : job.to);
        w.Key("counts");
        write_record_counts(w, outcome.counts);
        w.Key("migrated");
        write_migrations(w, outcome.migrated);
        if (job.to.empty()) {
            w.Key("bytes");
            w.Uint64(outcome.bytes);
        }
    });
}

// A copy or a migration changes another store, so there is nothing to undo here: the audit
// entry records that it happened, and a failure to write it is said beside the success.
CommandResult audited_outcome(CommandContext& ctx, AuditEntry entry, std::string answer) {
    entry.after_json = answer;
    if (Status st = ctx.store.append_audit(entry); !st)
        return make_error(st.error().code,
                          str_cat("done, but not logged in the audit log: ", st.error().message));
    return answer;
}

}  // namespace

// The target is a database (`to`) or an LMDB file the client opened and passed; the source
// is this store, or a database (`from`).
void cmd_store_copy(CommandContext ctx, const rapidjson::Value& args, CommandReply reply) {
    FieldReader f(args);
    auto from = database_field(f, "from", false);
    auto to = database_field(f, "to", false);
    for (const auto* field : {&from, &to})
        if (!*field) {
            if (ctx.passed_fd >= 0) close(ctx.passed_fd);
            return reply(field->error());
        }
    StoreCopyJob job{.from = *from, .to = *to, .to_fd = ctx.passed_fd};
    if (job.to.empty() == (job.to_fd < 0)) {
        if (job.to_fd >= 0) close(job.to_fd);
        return reply(make_error(Errc::invalid_argument,
                                "store.copy needs one target: a database in 'to', or a file "
                                "descriptor passed with the request (amq2apictl store copy "
                                "--to FILE)"));
    }
    AuditEntry draft = audit_draft(ctx, "store.copy", args);
    ctx.runtime.copy_store(job, [ctx, job, draft, reply](Result<StoreCopyOutcome> done) mutable {
        if (!done) return reply(done.error());
        reply(audited_outcome(ctx, draft, copy_json(job, *done)));
    });
}

void cmd_store_migrate(CommandContext ctx, const rapidjson::Value& args, CommandReply reply) {
    FieldReader f(args);
    auto database = database_field(f, "database", true);
    bool dry_run = f.boolean("dry_run").value_or(false);
    if (!f.ok()) return reply(f.status().error());
    if (!database) return reply(database.error());
    AuditEntry draft = audit_draft(ctx, "store.migrate", args);
    ctx.runtime.migrate_database(
        *database, dry_run,
        [ctx, draft, dry_run, reply](Result<std::vector<Migration>> done) mutable {
            if (!done) return reply(done.error());
            std::string answer = json_object([&](JsonWriter& w) {
                w.Key("dry_run");
                w.Bool(dry_run);
                w.Key(dry_run ? "pending" : "applied");
                write_migrations(w, *done);
            });
            if (dry_run || done->empty()) return reply(answer);
            reply(audited_outcome(ctx, draft, answer));
        });
}

}  // namespace amq
