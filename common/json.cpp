#include "common/json.hpp"

#include <algorithm>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "common/strings.hpp"

namespace amq {

namespace {

// Forwards SAX events to a Document, refusing documents nested deeper than kMaxJsonDepth:
// every later walk over a value (translation, writing, copying) recurses, and a client must
// not be able to choose how deep.
class DepthLimitedHandler {
public:
    explicit DepthLimitedHandler(rapidjson::Document& doc) : doc_(doc) {}
    bool too_deep() const { return too_deep_; }

    bool Null() { return doc_.Null(); }
    bool Bool(bool b) { return doc_.Bool(b); }
    bool Int(int i) { return doc_.Int(i); }
    bool Uint(unsigned i) { return doc_.Uint(i); }
    bool Int64(std::int64_t i) { return doc_.Int64(i); }
    bool Uint64(std::uint64_t i) { return doc_.Uint64(i); }
    bool Double(double d) { return doc_.Double(d); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
        return doc_.RawNumber(s, n, copy);
    }
    bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
    bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
    bool StartObject() { return enter() && doc_.StartObject(); }
    bool EndObject(rapidjson::SizeType members) { return leave() && doc_.EndObject(members); }
    bool StartArray() { return enter() && doc_.StartArray(); }
    bool EndArray(rapidjson::SizeType elements) { return leave() && doc_.EndArray(elements); }

private:
    bool enter() {
        if (++depth_ <= kMaxJsonDepth) return true;
        too_deep_ = true;
        return false;
    }
    bool leave() {
        --depth_;
        return true;
    }

    rapidjson::Document& doc_;
    std::size_t depth_ = 0;
    bool too_deep_ = false;
};

template <unsigned kExtraFlags>
Result<rapidjson::Document> parse_with(std::string_view text) {
    // RapidJSON treats a NUL byte as the end of input: parse up to where the document ends,
    // then require that only whitespace follows, up to the real end. Iterative parsing keeps
    // the stack flat whatever the nesting.
    constexpr unsigned kFlags =
        rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseIterativeFlag | kExtraFlags;
    rapidjson::MemoryStream stream(text.data(), text.size());
    rapidjson::Document doc;
    rapidjson::ParseResult result;
    bool too_deep = false;
    auto generator = [&](rapidjson::Document& target) {
        DepthLimitedHandler handler(target);
        rapidjson::Reader reader;
        result = reader.Parse<kFlags>(stream, handler);
        too_deep = handler.too_deep();
        return !result.IsError();
    };
    doc.Populate(generator);
    if (too_deep)
        return make_error(Errc::invalid_argument,
                          str_cat("malformed JSON at offset ", result.Offset(),
                                  ": nested deeper than ", kMaxJsonDepth, " levels"));
    if (result.IsError()) {
        return make_error(Errc::invalid_argument,
                          str_cat("malformed JSON at offset ", result.Offset(), ": ",
                                  rapidjson::GetParseError_En(result.Code())));
    }
    std::string_view rest = text.substr(stream.Tell());
    if (!trim(rest).empty() || rest.find('\0') != std::string_view::npos)
        return make_error(Errc::invalid_argument,
                          str_cat("malformed JSON at offset ", stream.Tell(),
                                  ": unexpected data after the document"));
    return doc;
}

}  // namespace

Result<rapidjson::Document> parse_json(std::string_view text) { return parse_with<0>(text); }

Result<rapidjson::Document> parse_request_json(std::string_view text) {
    return parse_with<rapidjson::kParseValidateEncodingFlag>(text);
}

std::string to_json(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

Error field_error(std::string_view path, std::string_view what) {
    return make_error(Errc::invalid_argument, str_cat(path, ": ", what));
}

std::string path_index(std::string_view path, std::size_t index) {
    return str_cat(path, ".", index);
}

const rapidjson::Value* find_member(const rapidjson::Value& object, const char* name) {
    if (!object.IsObject()) return nullptr;
    auto it = object.FindMember(name);
    return it == object.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::optional<std::string_view> find_string(const rapidjson::Value& object, const char* name) {
    const rapidjson::Value* v = find_member(object, name);
    if (!v || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

Status check_fields(const rapidjson::Value& object, std::span<const std::string_view> known,
                    std::string_view prefix) {
    if (!object.IsObject()) return {};
    for (const auto& member : object.GetObject()) {
        std::string_view name(member.name.GetString(), member.name.GetStringLength());
        if (std::find(known.begin(), known.end(), name) == known.end())
            return make_error(
                Errc::invalid_argument,
                str_cat("unknown field '", prefix, prefix.empty() ? "" : ".", name, "'"));
    }
    return {};
}

FieldReader::FieldReader(const rapidjson::Value& object, std::string prefix)
    : object_(&object), prefix_(std::move(prefix)) {
    if (!object.IsObject()) {
        failed_ = true;
        error_ = prefix_.empty() ? "expected a JSON object"
                                 : str_cat("'", prefix_, "' must be an object");
    }
}

void FieldReader::fail(const char* name, std::string_view what) {
    if (failed_) return;
    failed_ = true;
    error_ = str_cat("field '", prefix_, prefix_.empty() ? "" : ".", name, "' ", what);
}

const rapidjson::Value* FieldReader::find(const char* name, bool required) {
    if (failed_) return nullptr;
    auto it = object_->FindMember(name);
    if (it == object_->MemberEnd() || it->value.IsNull()) {
        if (required) fail(name, "is required");
        return nullptr;
    }
    return &it->value;
}

bool FieldReader::has(const char* name) const {
    if (!object_->IsObject()) return false;
    auto it = object_->FindMember(name);
    return it != object_->MemberEnd() && !it->value.IsNull();
}

std::optional<std::string> FieldReader::string(const char* name, bool required) {
    const rapidjson::Value* v = find(name, required);
    if (!v) return std::nullopt;
    if (!v->IsString()) {
        fail(name, "must be a string");
        return std::nullopt;
    }
    return std::string(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> FieldReader::integer(const char* name, bool required, std::int64_t min,
                                                 std::int64_t max) {
    const rapidjson::Value* v = find(name, required);
    if (!v) return std::nullopt;
    if (!v->IsInt64()) {
        fail(name, "must be an integer");
        return std::nullopt;
    }
    std::int64_t n = v->GetInt64();
    if (n < min || n > max) {
        fail(name, str_cat("must be between ", min, " and ", max));
        return std::nullopt;
    }
    return n;
}

std::optional<bool> FieldReader::boolean(const char* name, bool required) {
    const rapidjson::Value* v = find(name, required);
    if (!v) return std::nullopt;
    if (!v->IsBool()) {
        fail(name, "must be true or false");
        return std::nullopt;
    }
    return v->GetBool();
}

const rapidjson::Value* FieldReader::object(const char* name, bool required) {
    const rapidjson::Value* v = find(name, required);
    if (v && !v->IsObject()) {
        fail(name, "must be an object");
        return nullptr;
    }
    return v;
}

const rapidjson::Value* FieldReader::array(const char* name, bool required) {
    const rapidjson::Value* v = find(name, required);
    if (v && !v->IsArray()) {
        fail(name, "must be an array");
        return nullptr;
    }
    return v;
}

Status FieldReader::status() const {
    if (failed_) return make_error(Errc::invalid_argument, error_);
    return {};
}

}  // namespace amq
