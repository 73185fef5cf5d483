#include "tests/fake_upstream/script.hpp"

#include <algorithm>
#include <initializer_list>

#include "common/eventstream.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"

namespace fake {

namespace {

namespace es = amq::eventstream;
using amq::Errc;
using amq::FieldReader;
using amq::make_error;
using amq::str_cat;
using rapidjson::Value;

constexpr int kMaxDelayMs = 600'000;
constexpr const char* kConversationId = "6f8c1f9e-0b7a-4c52-9d3e-fa4e0c0ffee0";

amq::Error bad(std::string message) {
    return make_error(Errc::invalid_argument, std::move(message));
}

std::string json_text(const Value& v) { return amq::to_json(v); }

std::string field_path(std::string_view prefix, std::string_view name) {
    return prefix.empty() ? std::string(name) : str_cat(prefix, ".", name);
}

// Typos in a script must not silently fall back to a default answer.
amq::Status check_keys(const Value& object, std::initializer_list<std::string_view> known,
                       std::string_view prefix) {
    for (const auto& member : object.GetObject()) {
        std::string_view key(member.name.GetString(), member.name.GetStringLength());
        if (std::find(known.begin(), known.end(), key) == known.end())
            return bad(str_cat("unknown field '", field_path(prefix, key), "'"));
    }
    return {};
}

std::optional<std::string> decode_hex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (hex.size() % 2 != 0) return std::nullopt;
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = nibble(hex[i]);
        int lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
}

std::string encode_message(std::vector<es::Header> headers, std::string payload) {
    es::Message message;
    message.headers = std::move(headers);
    message.payload = std::move(payload);
    return es::encode(message);
}

// A payload given as a JSON string is sent as those raw bytes (lets tests send non-JSON).
std::string payload_bytes(const Value& payload) {
    if (payload.IsString()) return std::string(payload.GetString(), payload.GetStringLength());
    return json_text(payload);
}

amq::Result<std::string> encode_frame(const Value& spec, std::string_view prefix);

amq::Result<std::string> encode_corrupt(const Value& inner, std::string_view prefix) {
    if (!inner.IsObject()) return bad(str_cat("field '", prefix, "' must be an object"));
    auto bytes = encode_frame(inner, prefix);
    if (!bytes) return bytes;
    std::string out = std::move(*bytes);
    // Flipping the message CRC keeps the lengths plausible: only the checksum gives it away.
    std::size_t n = std::min<std::size_t>(4, out.size());
    for (std::size_t i = out.size() - n; i < out.size(); ++i) out[i] = static_cast<char>(~out[i]);
    return out;
}

amq::Result<std::string> encode_error_frame(FieldReader& r) {
    auto code = r.string("error", true);
    auto text = r.string("message");
    if (!r.ok()) return r.status().error();
    return encode_message({{":message-type", std::string("error")},
                           {":error-code", *code},
                           {":error-message", text.value_or(*code)}},
                          {});
}

amq::Result<std::string> encode_exception_frame(FieldReader& r, const Value* payload) {
    auto type = r.string("exception", true);
    if (!r.ok()) return r.status().error();
    if (payload) return encode_exception(*type, payload_bytes(*payload));
    return encode_exception(*type, amq::json_object([&](amq::JsonWriter& w) {
        amq::write_key(w, "message");
        amq::write_string(w, *type);
    }));
}

amq::Result<std::string> encode_frame(const Value& spec, std::string_view prefix) {
    if (auto keys = check_keys(spec,
                               {"event", "exception", "error", "message", "payload", "raw_hex",
                                "corrupt_crc", "delay_ms"},
                               prefix);
        !keys)
        return keys.error();
    FieldReader r(spec, std::string(prefix));
    if (r.has("raw_hex")) {
        auto hex = r.string("raw_hex");
        if (!r.ok()) return r.status().error();
        auto bytes = decode_hex(*hex);
        if (!bytes) return bad(str_cat("field '", field_path(prefix, "raw_hex"), "' is not hex"));
        return *bytes;
    }
    if (r.has("corrupt_crc"))
        return encode_corrupt(spec["corrupt_crc"], field_path(prefix, "corrupt_crc"));
    if (r.has("error")) return encode_error_frame(r);
    const Value* payload = r.has("payload") ? &spec["payload"] : nullptr;
    if (r.has("exception")) return encode_exception_frame(r, payload);
    auto type = r.string("event");
    if (!r.ok()) return r.status().error();
    if (!type)
        return bad(
            str_cat("'", prefix, "' needs one of event, exception, error, raw_hex, corrupt_crc"));
    return encode_event(*type, payload ? payload_bytes(*payload) : std::string("{}"));
}

amq::Result<std::shared_ptr<const Frames>> parse_frames(const Value& list,
                                                        std::string_view prefix) {
    auto frames = std::make_shared<Frames>();
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
        std::string at = str_cat(prefix, "[", i, "]");
        if (!list[i].IsObject()) return bad(str_cat("field '", at, "' must be an object"));
        FieldReader r(list[i], at);
        auto delay = r.integer("delay_ms", false, 0, kMaxDelayMs);
        if (!r.ok()) return r.status().error();
        auto bytes = encode_frame(list[i], at);
        if (!bytes) return bytes.error();
        frames->push_back(Frame{std::move(*bytes), static_cast<int>(delay.value_or(0))});
    }
    return std::shared_ptr<const Frames>(std::move(frames));
}

amq::Result<HeaderList> parse_headers(const Value& object, std::string_view prefix) {
    HeaderList headers;
    for (const auto& member : object.GetObject()) {
        std::string name(member.name.GetString(), member.name.GetStringLength());
        const Value& v = member.value;
        if (v.IsString())
            headers.emplace_back(name, std::string(v.GetString(), v.GetStringLength()));
        else if (v.IsNumber())
            headers.emplace_back(name, json_text(v));
        else
            return bad(str_cat("field '", prefix, ".", name, "' must be a string or a number"));
    }
    return headers;
}

// "body" is answered verbatim: a JSON string is the raw text, anything else is serialized.
std::optional<std::string> read_body(const Value& step) {
    auto it = step.FindMember("body");
    if (it == step.MemberEnd() || it->value.IsNull()) return std::nullopt;
    return payload_bytes(it->value);
}

amq::Status read_stream_options(FieldReader& r, GenerateStep& step, std::string_view at) {
    auto split = r.boolean("split_frames");
    auto close_after = r.integer("close_after", false, 0, INT32_MAX);
    auto hang_after = r.integer("hang_after", false, 0, INT32_MAX);
    if (!r.ok()) return r.status();
    step.split_frames = split.value_or(false);
    if (close_after) step.close_after = static_cast<std::size_t>(*close_after);
    if (hang_after) step.hang_after = static_cast<std::size_t>(*hang_after);
    if (step.close_after && step.hang_after)
        return bad(str_cat("'", at, "': close_after and hang_after exclude each other"));
    return {};
}

amq::Result<GenerateStep> parse_generate_step(const Value& spec, const std::string& at) {
    if (!spec.IsObject()) return bad(str_cat("field '", at, "' must be an object"));
    if (auto keys = check_keys(spec,
                               {"match_token", "repeat", "status", "headers", "body", "events",
                                "delay_ms", "split_frames", "close_after", "hang_after"},
                               at);
        !keys)
        return keys.error();
    GenerateStep step;
    FieldReader r(spec, at);
    step.match_token = r.string("match_token").value_or("");
    step.repeat = r.boolean("repeat").value_or(false);
    step.status = static_cast<int>(r.integer("status", false, 100, 599).value_or(200));
    step.delay_ms = static_cast<int>(r.integer("delay_ms", false, 0, kMaxDelayMs).value_or(0));
    const Value* headers = r.object("headers");
    const Value* events = r.array("events");
    if (auto options = read_stream_options(r, step, at); !options) return options.error();
    step.body = read_body(spec);
    if (headers) {
        auto list = parse_headers(*headers, field_path(at, "headers"));
        if (!list) return list.error();
        step.headers = std::move(*list);
    }
    if (events) {
        if (step.status != 200 || step.body)
            return bad(str_cat("'", at, "': events need status 200 and no body"));
        auto frames = parse_frames(*events, field_path(at, "events"));
        if (!frames) return frames.error();
        step.frames = std::move(*frames);
    }
    return step;
}

amq::Result<TokenStep> parse_token_step(const Value& spec, const std::string& at) {
    if (!spec.IsObject()) return bad(str_cat("field '", at, "' must be an object"));
    if (auto keys = check_keys(spec,
                               {"match_refresh_token", "repeat", "status", "body", "access_token",
                                "refresh_token", "profile_arn", "expires_in", "delay_ms"},
                               at);
        !keys)
        return keys.error();
    TokenStep step;
    FieldReader r(spec, at);
    step.match_refresh_token = r.string("match_refresh_token").value_or("");
    step.repeat = r.boolean("repeat").value_or(false);
    step.status = static_cast<int>(r.integer("status", false, 100, 599).value_or(200));
    step.access_token = r.string("access_token");
    step.refresh_token = r.string("refresh_token");
    step.profile_arn = r.string("profile_arn");
    step.expires_in = r.integer("expires_in");
    step.delay_ms = static_cast<int>(r.integer("delay_ms", false, 0, kMaxDelayMs).value_or(0));
    if (!r.ok()) return r.status().error();
    step.body = read_body(spec);
    return step;
}

template <class Step, class Parse>
amq::Result<std::vector<Step>> parse_list(const Value& root, const char* name, Parse parse) {
    std::vector<Step> steps;
    auto it = root.FindMember(name);
    if (it == root.MemberEnd() || it->value.IsNull()) return steps;
    if (!it->value.IsArray()) return bad(str_cat("field '", name, "' must be an array"));
    for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
        auto step = parse(it->value[i], str_cat(name, "[", i, "]"));
        if (!step) return step.error();
        steps.push_back(std::move(*step));
    }
    return steps;
}

}  // namespace

std::string encode_event(std::string_view event_type, std::string_view payload) {
    // Header order as Amazon Q sends it.
    return encode_message({{":event-type", std::string(event_type)},
                           {":content-type", std::string("application/json")},
                           {":message-type", std::string("event")}},
                          std::string(payload));
}

std::string encode_exception(std::string_view exception_type, std::string_view payload) {
    return encode_message({{":exception-type", std::string(exception_type)},
                           {":content-type", std::string("application/json")},
                           {":message-type", std::string("exception")}},
                          std::string(payload));
}

Frames default_frames() {
    Frames frames;
    frames.push_back({encode_event("initial-response",
                                   str_cat("{\"conversationId\":\"", kConversationId, "\"}")),
                      0});
    for (const char* piece : {"Hello from ", "the fake ", "upstream."}) {
        frames.push_back(
            {encode_event("assistantResponseEvent", str_cat("{\"content\":\"", piece, "\"}")), 0});
    }
    frames.push_back({encode_event("metadataEvent",
                                   "{\"tokenUsage\":{\"uncachedInputTokens\":12,"
                                   "\"outputTokens\":7,\"totalTokens\":19,"
                                   "\"cacheReadInputTokens\":0,\"cacheWriteInputTokens\":0,"
                                   "\"contextUsagePercentage\":0.006},"
                                   "\"stopReason\":\"END_TURN\"}"),
                      0});
    return frames;
}

amq::Result<Script> parse_script(std::string_view json) {
    auto doc = amq::parse_json(json);
    if (!doc) return doc.error();
    if (!doc->IsObject()) return bad("expected a JSON object");
    if (auto keys = check_keys(*doc, {"generate", "token", "kiro"}, ""); !keys) return keys.error();
    Script script;
    auto generate = parse_list<GenerateStep>(*doc, "generate", parse_generate_step);
    if (!generate) return generate.error();
    auto token = parse_list<TokenStep>(*doc, "token", parse_token_step);
    if (!token) return token.error();
    auto kiro = parse_list<TokenStep>(*doc, "kiro", parse_token_step);
    if (!kiro) return kiro.error();
    script.generate = std::move(*generate);
    script.token = std::move(*token);
    script.kiro = std::move(*kiro);
    return script;
}

}  // namespace fake
