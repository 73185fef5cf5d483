#include "daemon/master/health_codec.hpp"

#include <climits>
#include <cstdint>
#include <optional>
#include <utility>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

void put_string(JsonWriter& w, std::string_view name, std::string_view value) {
    write_key(w, name);
    write_string(w, value);
}

void put_int(JsonWriter& w, std::string_view name, std::int64_t value) {
    write_key(w, name);
    w.Int64(value);
}

// Names from a corrupt document are quoted in errors: keep them short and on one line.
std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 40)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
    return text.size() > 40 ? out + "..." : out;
}

Error corrupt(std::string_view why) {
    return make_error(Errc::internal, str_cat("corrupt health record: ", why));
}

// FieldReader knows types, not our state names: an unknown name is kept in `problem`
// (the first one only), worded like the reader's own errors.
void get_state(FieldReader& f, std::string_view prefix, const char* name, HealthState& out,
               std::string& problem) {
    std::optional<std::string> text = f.string(name, true);
    if (!text) return;
    if (std::optional<HealthState> state = parse_health_state(*text)) {
        out = *state;
    } else if (problem.empty()) {
        problem = str_cat("field '", prefix, prefix.empty() ? "" : ".", name,
                          "' names an unknown state '", one_line(*text), "'");
    }
}

void get_count(FieldReader& f, const char* name, int& out) {
    if (auto v = f.integer(name, false, 0, INT_MAX)) out = static_cast<int>(*v);
}

Status decode_event(const rapidjson::Value& value, const std::string& prefix, HealthEvent& e) {
    FieldReader f(value, prefix);
    std::string problem;
    if (auto v = f.integer("at_ms")) e.at_ms = *v;
    get_state(f, prefix, "from", e.from, problem);
    get_state(f, prefix, "to", e.to, problem);
    if (auto v = f.string("reason")) e.reason = std::move(*v);
    if (!f.ok() || problem.empty()) return f.status();
    return make_error(Errc::invalid_argument, problem);
}

}  // namespace

std::string encode_health(const AccountHealth& h) {
    return json_object([&](JsonWriter& w) {
        write_key(w, "v");
        w.Int(kHealthVersion);
        put_string(w, "state", health_state_name(h.state));
        put_string(w, "reason", h.reason);
        put_int(w, "since_ms", h.since_ms);
        put_int(w, "until_ms", h.until_ms);
        put_int(w, "transient_failures", h.transient_failures);
        put_int(w, "cooldowns", h.cooldowns);
        put_int(w, "throttles", h.throttles);
        if (!h.held.empty()) put_string(w, "held", h.held);
        write_key(w, "events");
        w.StartArray();
        for (const HealthEvent& e : h.events) {
            w.StartObject();
            put_int(w, "at_ms", e.at_ms);
            put_string(w, "from", health_state_name(e.from));
            put_string(w, "to", health_state_name(e.to));
            put_string(w, "reason", e.reason);
            w.EndObject();
        }
        w.EndArray();
    });
}

Result<AccountHealth> decode_health(std::string_view text) {
    auto doc = parse_json(text);
    if (!doc) return corrupt(doc.error().message);
    FieldReader f(*doc);
    std::optional<std::int64_t> version = f.integer("v", true);
    if (version && *version != kHealthVersion)
        return corrupt(str_cat("unsupported format version ", *version));
    AccountHealth h;
    std::string problem;
    get_state(f, "", "state", h.state, problem);
    if (auto v = f.string("reason")) h.reason = std::move(*v);
    if (auto v = f.integer("since_ms")) h.since_ms = *v;
    if (auto v = f.integer("until_ms")) h.until_ms = *v;
    get_count(f, "transient_failures", h.transient_failures);
    get_count(f, "cooldowns", h.cooldowns);
    get_count(f, "throttles", h.throttles);
    if (auto v = f.string("held")) h.held = std::move(*v);
    const rapidjson::Value* events = f.array("events");
    if (Status status = f.status(); !status) return corrupt(status.error().message);
    if (!problem.empty()) return corrupt(problem);
    if (!events) return h;
    for (rapidjson::SizeType i = 0; i < events->Size(); ++i) {
        HealthEvent e;
        Status status = decode_event((*events)[i], path_index("events", i), e);
        if (!status) return corrupt(status.error().message);
        h.events.push_back(std::move(e));
    }
    return h;
}

}  // namespace amq
