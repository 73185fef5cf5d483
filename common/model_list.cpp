#include "common/model_list.hpp"

#include <cctype>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"

namespace amq {
namespace {

void write_openai_model(JsonWriter& w, std::string_view id, std::int64_t created) {
    w.StartObject();
    w.Key("id");
    write_string(w, id);
    w.Key("object");
    w.String("model");
    w.Key("created");
    w.Int64(created);
    w.Key("owned_by");
    w.String("anthropic");
    w.EndObject();
}

void write_anthropic_model(JsonWriter& w, std::string_view id, std::int64_t created) {
    w.StartObject();
    w.Key("type");
    w.String("model");
    w.Key("id");
    write_string(w, id);
    w.Key("display_name");
    write_string(w, model_display_name(id));
    w.Key("created_at");
    write_string(w, iso8601(created));
    w.EndObject();
}

bool all_digits(std::string_view s) {
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return !s.empty();
}

}  // namespace

// Version numbers are the trailing runs of one-digit parts: "4-5" → "4.5"; dates stay out.
std::string model_display_name(std::string_view id) {
    if (!id.starts_with("claude-")) return std::string(id);
    std::string out = "Claude";
    bool in_version = false;
    for (std::string_view part : split(id.substr(7), '-')) {
        if (part.empty()) continue;
        if (all_digits(part) && part.size() <= 2) {
            out += in_version ? "." : " ";
            out += part;
            in_version = true;
        } else if (!all_digits(part)) {
            out += " ";
            out += static_cast<char>(std::toupper(static_cast<unsigned char>(part[0])));
            out += part.substr(1);
            in_version = false;
        }
    }
    return out;
}

std::string openai_model_list(const std::vector<std::string>& ids, std::int64_t created) {
    return json_object([&](JsonWriter& w) {
        w.Key("object");
        w.String("list");
        w.Key("data");
        w.StartArray();
        for (const auto& id : ids) write_openai_model(w, id, created);
        w.EndArray();
    });
}

std::string openai_model(std::string_view id, std::int64_t created) {
    return json_value([&](JsonWriter& w) { write_openai_model(w, id, created); });
}

std::string anthropic_model_list(const std::vector<std::string>& ids, std::int64_t created) {
    return json_object([&](JsonWriter& w) {
        w.Key("data");
        w.StartArray();
        for (const auto& id : ids) write_anthropic_model(w, id, created);
        w.EndArray();
        w.Key("has_more");
        w.Bool(false);
        w.Key("first_id");
        if (ids.empty())
            w.Null();
        else
            write_string(w, ids.front());
        w.Key("last_id");
        if (ids.empty())
            w.Null();
        else
            write_string(w, ids.back());
    });
}

std::string anthropic_model(std::string_view id, std::int64_t created) {
    return json_value([&](JsonWriter& w) { write_anthropic_model(w, id, created); });
}

}  // namespace amq
