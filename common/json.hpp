// RapidJSON glue: parsing into a value, writing, and reading typed fields with errors that name
// the field (the admin API answers "400 naming the field" from these messages).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/result.hpp"

namespace amq {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Objects and arrays nested deeper than this are malformed input.
constexpr std::size_t kMaxJsonDepth = 128;

// Nothing but whitespace may follow the document. Strings are taken as they are: stored
// records and frames between our own processes may carry bytes a client once sent.
Result<rapidjson::Document> parse_json(std::string_view text);
// A client's request body: as parse_json, and invalid UTF-8 in a string is malformed too,
// so that it is refused here rather than by the upstream.
Result<rapidjson::Document> parse_request_json(std::string_view text);
std::string to_json(const rapidjson::Value& value);

inline void write_string(JsonWriter& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void write_key(JsonWriter& w, std::string_view s) {
    w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
// A string member of the object being written.
inline void write_field(JsonWriter& w, std::string_view key, std::string_view value) {
    write_key(w, key);
    write_string(w, value);
}

// Writes one JSON value through `body(writer)` and returns the text.
template <class Body>
std::string json_value(Body&& body) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    body(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

// Writes one JSON object through `body(writer)` and returns the text.
template <class Body>
std::string json_object(Body&& body) {
    return json_value([&](JsonWriter& writer) {
        writer.StartObject();
        body(writer);
        writer.EndObject();
    });
}

// Reading client requests: errors carry the path of the field ("messages.3.content.1: …").
Error field_error(std::string_view path, std::string_view what);
std::string path_index(std::string_view path, std::size_t index);  // "messages" + 3 → "messages.3"
// The member, or null when the object lacks it, holds JSON null, or is not an object.
const rapidjson::Value* find_member(const rapidjson::Value& object, const char* name);
// The member's text when it is a string.
std::optional<std::string_view> find_string(const rapidjson::Value& object, const char* name);

// invalid_argument naming the first member of `object` that is not in `known` ("unknown field
// 'prefix.name'"), so that a misspelt field is an error rather than a silent no-op. A
// non-object passes: the object's own reader says what it expected.
Status check_fields(const rapidjson::Value& object, std::span<const std::string_view> known,
                    std::string_view prefix = {});

// Reads fields of one JSON object. The first problem is kept and reported by status();
// later reads after a failure return nullopt.
class FieldReader {
public:
    explicit FieldReader(const rapidjson::Value& object, std::string prefix = {});

    std::optional<std::string> string(const char* name, bool required = false);
    std::optional<std::int64_t> integer(const char* name, bool required = false,
                                        std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
    std::optional<bool> boolean(const char* name, bool required = false);
    const rapidjson::Value* object(const char* name, bool required = false);
    const rapidjson::Value* array(const char* name, bool required = false);
    bool has(const char* name) const;

    Status status() const;
    bool ok() const { return !failed_; }

private:
    const rapidjson::Value* find(const char* name, bool required);
    void fail(const char* name, std::string_view what);

    const rapidjson::Value* object_;
    std::string prefix_;
    std::string error_;
    bool failed_ = false;
};

}  // namespace amq
