#include "ctl/usage_export.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "ctl/client.hpp"
#include "ctl/render.hpp"

namespace amq::ctl {
namespace {

// The daemon's own default and a few MiB of JSON per page: few round trips, bounded memory.
constexpr std::int64_t kPageRecords = 5000;
// Records with very long user agents can make a page outgrow the control frame (16 MiB):
// such a page is asked for again with half as many records, down to this many.
constexpr std::int64_t kSmallestPage = 50;

// The request's own "args" with the page's size and start added.
std::string page_args(const rapidjson::Value& base, std::int64_t limit,
                      std::optional<std::int64_t> next) {
    return json_object([&](JsonWriter& w) {
        for (const auto& m : base.GetObject()) {
            write_key(w, std::string_view(m.name.GetString(), m.name.GetStringLength()));
            m.value.Accept(w);
        }
        w.Key("limit");
        w.Int64(limit);
        if (next) {
            w.Key("next");
            w.Int64(*next);
        }
    });
}

// stdout, or the --output file, closed (and its close checked) at the end.
class Output {
public:
    explicit Output(std::FILE* file, std::string name) : file_(file), name_(std::move(name)) {}
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    ~Output() {
        if (file_ && file_ != stdout) std::fclose(file_);
    }
    const std::string& name() const { return name_; }
    bool is_file() const { return file_ != stdout; }

    // Flushed per page: a reader of the pipe or file sees each page as it arrives.
    bool write(std::string_view text) {
        return std::fwrite(text.data(), 1, text.size(), file_) == text.size() &&
               std::fflush(file_) == 0;
    }
    bool close() {
        if (file_ == stdout) return std::fflush(stdout) == 0;
        bool ok = std::fclose(file_) == 0;
        file_ = nullptr;
        return ok;
    }

private:
    std::FILE* file_;
    std::string name_;
};

}  // namespace

int run_usage_export(const Invocation& invocation) {
    UsageFormat format = option_value(invocation, "--format").value_or("csv") == "ndjson"
                             ? UsageFormat::ndjson
                             : UsageFormat::csv;
    auto base = parse_json(invocation.args_json);
    if (!base || !base->IsObject()) return fail("internal error: bad request arguments", kUsage);
    auto path = option_value(invocation, "--output");
    std::FILE* file = stdout;
    if (path && *path != "-") {
        file = std::fopen(path->c_str(), "w");
        if (!file)
            return fail(str_cat("cannot create ", *path, ": ", std::strerror(errno)), kUsage);
    }
    Output out(file, path && *path != "-" ? *path : "standard output");
    std::uint64_t written = 0;
    bool wrote_any = false;
    // Says how far the export got: a partial file is still useful, if known to be partial.
    auto stopped = [&](std::string_view why, int code) {
        if (!wrote_any) return fail(why, code);
        std::string where = out.is_file() ? str_cat("; ", out.name(), " holds them") : "";
        return fail(str_cat(why, " (export stopped after ", written, " records", where, ")"), code);
    };
    std::optional<std::int64_t> next;
    std::int64_t limit = kPageRecords;
    bool header_due = format == UsageFormat::csv;
    for (;;) {
        auto reply = call(invocation.socket, invocation.def.cmd, page_args(*base, limit, next),
                          invocation.def.timeout_seconds);
        if (!reply && reply.error().code == Errc::too_large && limit > kSmallestPage) {
            limit /= 2;
            continue;
        }
        if (!reply) return stopped(reply.error().message, kUnreachable);
        const rapidjson::Document& doc = *reply;
        if (!doc["ok"].GetBool())
            return stopped(name_options(invocation.def, doc["error"]["message"].GetString()),
                           refused_exit_code(doc["error"]));
        const rapidjson::Value& data = doc["data"];
        auto records = data.FindMember("records");
        auto following = data.FindMember("next");
        if (records == data.MemberEnd() || !records->value.IsArray() ||
            following == data.MemberEnd() ||
            !(following->value.IsNull() || following->value.IsInt64()))
            return stopped("bad reply: no 'records' array and 'next'", kUnreachable);
        // Each page must start later than the last, or a broken daemon would loop forever.
        if (following->value.IsInt64() && next && following->value.GetInt64() <= *next)
            return stopped("bad reply: 'next' does not advance", kUnreachable);
        std::string text = header_due ? usage_csv_header() : std::string();
        header_due = false;
        text += render_usage_page(data, format);
        if (!out.write(text))
            return stopped(str_cat("cannot write to ", out.name(), ": ", std::strerror(errno)),
                           kDaemonError);
        written += records->value.Size();
        wrote_any = true;
        if (following->value.IsNull()) break;
        next = following->value.GetInt64();
    }
    if (!out.close())
        return stopped(str_cat("cannot write to ", out.name(), ": ", std::strerror(errno)),
                       kDaemonError);
    return kSuccess;
}

}  // namespace amq::ctl
