#include "ctl/import_v2.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "ctl/client.hpp"
#include "ctl/v2_database.hpp"

namespace amq::ctl {
namespace {

// Usage records per request: a few MiB of JSON, well inside the control frame.
constexpr std::size_t kUsagePerPart = 20000;

// Parts repeat the accounts and keys: the first part decides them and the later ones find
// them present, so only their usage counts add up; a warning or skipped row is said once.
void add_part(V2ImportReport& total, V2ImportReport part, bool first) {
    if (first) {
        total.accounts = part.accounts;
        total.keys = part.keys;
    }
    total.usage.added += part.usage.added;
    total.usage.present += part.usage.present;
    for (std::string& w : part.warnings)
        if (std::find(total.warnings.begin(), total.warnings.end(), w) == total.warnings.end())
            total.warnings.push_back(std::move(w));
    for (V2Skipped& s : part.skipped)
        if (std::none_of(total.skipped.begin(), total.skipped.end(), [&](const V2Skipped& t) {
                return t.what == s.what && t.reason == s.reason;
            }))
            total.skipped.push_back(std::move(s));
}

std::string zone_name() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char name[64] = "";
    std::strftime(name, sizeof name, "%Z", &local);
    return name;
}

std::string render(const V2ImportReport& r) {
    std::string verb = r.dry_run ? "would add" : "added";
    std::string out = str_cat(r.dry_run ? "plan for " : "imported ", r.source,
                              " (v2.0 times read as local time, ", zone_name(), "):\n");
    auto line = [&](const char* what, const V2Counts& counts) {
        out += str_cat("  ", what, ": ", verb, " ", counts.added, ", already here ", counts.present,
                       "\n");
    };
    line("accounts", r.accounts);
    line("keys    ", r.keys);
    line("usage   ", r.usage);
    for (const std::string& w : r.warnings) out += str_cat("warning: ", w, "\n");
    for (const V2Skipped& s : r.skipped) out += str_cat("skipped: ", s.what, ": ", s.reason, "\n");
    return out;
}

}  // namespace

int run_import_v2(const Invocation& invocation) {
    auto path = option_value(invocation, "database");
    if (!path || path->empty()) return fail("import-v2 needs the v2.0 database FILE", kUsage);
    bool dry_run = option_value(invocation, "--dry-run").has_value();
    auto db = read_v2_database(*path);
    if (!db) return fail(db.error().message, kUsage);
    V2Import& all = db->request;
    all.dry_run = dry_run;
    V2ImportReport total;
    total.source = *path;
    total.dry_run = dry_run;
    std::size_t usage_total = all.usage.size();
    std::vector<UsageRecord> usage = std::move(all.usage);
    for (std::size_t from = 0, part = 0; part == 0 || from < usage_total;
         from += kUsagePerPart, ++part) {
        std::size_t to = std::min(usage_total, from + kUsagePerPart);
        all.usage.assign(usage.begin() + static_cast<std::ptrdiff_t>(from),
                         usage.begin() + static_cast<std::ptrdiff_t>(to));
        auto reply = call(invocation.socket, invocation.def.cmd, encode_v2_import(all),
                          invocation.def.timeout_seconds);
        if (!reply) return fail(reply.error().message, kUnreachable);
        const rapidjson::Document& doc = *reply;
        if (!doc["ok"].GetBool())
            return fail(
                str_cat("import-v2 failed", part ? str_cat(" after ", from, " usage records") : "",
                        ": ", doc["error"]["message"].GetString()),
                refused_exit_code(doc["error"]));
        auto said = decode_v2_report(doc["data"]);
        if (!said) return fail(str_cat("unreadable answer: ", said.error().message), kDaemonError);
        add_part(total, std::move(*said), part == 0);
    }
    total.skipped.insert(total.skipped.begin(), db->skipped.begin(), db->skipped.end());
    std::string text = invocation.json ? encode_v2_report(total) + "\n" : render(total);
    if (print(text) != kSuccess) return kDaemonError;
    return total.skipped.empty() ? kSuccess : kDaemonError;
}

}  // namespace amq::ctl
