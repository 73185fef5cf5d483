#include "common/upstream_error.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "common/api_error.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

using Class = UpstreamError::Class;

constexpr std::size_t kMaxQuoted = 400;  // bytes of upstream text passed on

// What the upstream said, whichever way it said it.
struct Facts {
    int status = 0;
    std::string type;  // short exception name
    std::string message;
    std::string reason;
    bool in_stream = false;  // an exception frame: the status is inferred, not received
};

bool icontains(std::string_view haystack, std::string_view needle) {
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                          [](char a, char b) {
                              return std::tolower(static_cast<unsigned char>(a)) ==
                                     std::tolower(static_cast<unsigned char>(b));
                          });
    return it != haystack.end();
}

bool mentions(const Facts& facts, std::string_view needle) {
    return icontains(facts.message, needle) || icontains(facts.reason, needle) ||
           icontains(facts.type, needle);
}

// Upstream text goes into logs and client messages: one line, bounded, whole UTF-8 characters.
std::string sanitise(std::string_view text) {
    text = trim(text);
    std::string out;
    for (char c : text) {
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
    }
    if (out.size() <= kMaxQuoted) return out;
    std::size_t cut = kMaxQuoted;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out.append("…");
    return out;
}

// "com.amazon.aws.codewhisperer#ValidationException" or "ValidationException:http://…"
std::string short_type(std::string_view type) {
    if (auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
    if (auto colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
    return std::string(trim(type));
}

std::string member(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsString()) return {};
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

Facts facts_from_body(int status, std::string_view body) {
    Facts facts;
    facts.status = status;
    auto doc = parse_json(body);
    if (!doc.ok() || !doc->IsObject()) {
        facts.message = sanitise(body);
        return facts;
    }
    facts.type = short_type(member(*doc, "__type"));
    facts.message = member(*doc, "message");
    if (facts.message.empty()) facts.message = member(*doc, "Message");
    facts.message = sanitise(facts.message);
    facts.reason = sanitise(member(*doc, "reason"));
    return facts;
}

bool is_too_long(const Facts& f) {
    return f.status == 413 || f.type == "ContentLengthExceededException" ||
           mentions(f, "CONTENT_LENGTH_EXCEEDS_THRESHOLD") || mentions(f, "Input is too long");
}

bool is_auth_status(const Facts& f) {
    return f.status == 401 || f.status == 403 || f.type == "AccessDeniedException";
}

// The order matters: account-specific markers beat the generic meaning of a status.
Class decide(const Facts& f) {
    if (mentions(f, "TEMPORARILY_SUSPENDED") || mentions(f, "locked your account") ||
        (is_auth_status(f) && mentions(f, "suspended")))
        return Class::banned;
    if (f.status == 402 || mentions(f, "MONTHLY_REQUEST_COUNT") ||
        mentions(f, "OVERAGE_REQUEST_LIMIT_EXCEEDED") || mentions(f, "monthly limit"))
        return Class::quota;
    // Retrying at once after these has led to suspensions: the account rests for long.
    if (mentions(f, "suspicious activity")) return Class::suspicious;
    if (mentions(f, "provided credential is invalid") || mentions(f, "profileArn is required"))
        return Class::config;
    if (mentions(f, "bearer token") || mentions(f, "token is expired") ||
        f.type == "ExpiredTokenException" || f.type == "UnrecognizedClientException")
        return Class::token;
    if (is_too_long(f)) return Class::too_long;
    if (mentions(f, "INVALID_MODEL_ID")) return Class::model;
    if (f.status == 429 || f.type == "ThrottlingException" ||
        f.type == "ServiceQuotaExceededException" || mentions(f, "Too many requests"))
        return Class::throttle;
    if (is_auth_status(f)) return Class::token;
    if (f.status == 0 || f.status == 408 || f.status >= 500) return Class::transient;
    if (f.type == "ValidationException" || (f.status >= 400 && f.status < 500))
        return Class::request;
    return Class::transient;
}

std::string quoted(const Facts& f) {
    return f.message.empty() ? std::string() : str_cat(" (Amazon Q: ", f.message, ")");
}

std::string request_message(const Facts& f) {
    std::string text = f.message.empty() ? std::string("Improperly formed request.") : f.message;
    if (!f.reason.empty()) text = str_cat(text, " (reason: ", f.reason, ")");
    return str_cat("Amazon Q rejected the request: ", text);
}

std::string transient_message(const Facts& f) {
    if (f.in_stream)
        return str_cat("Amazon Q reported ", f.type.empty() ? "an error" : f.type, quoted(f));
    if (f.status == 0) return str_cat("the connection to Amazon Q failed", quoted(f));
    return str_cat("Amazon Q failed with HTTP ", f.status, quoted(f));
}

// Messages about an account's standing stay generic: the client is not the account's owner.
void fill(Class c, const Facts& f, UpstreamError& e) {
    e.error_class = c;
    switch (c) {
        case Class::request:
            e.client_status = 400;
            e.message = request_message(f);
            break;
        case Class::too_long:
            e.client_status = 400;
            e.message = "prompt is too long";
            break;
        case Class::model:
            e.client_status = 400;
            e.message = str_cat("no Amazon Q account could use this model", quoted(f));
            break;
        case Class::config:
            e.client_status = 502;
            e.message = str_cat(
                "amq2api's upstream settings were refused; check the account's "
                "endpoint, API flavour and origin",
                quoted(f));
            break;
        case Class::token:
            e.client_status = 502;
            e.message = "the upstream account's access token was rejected";
            break;
        case Class::banned:
            e.client_status = 503;
            e.message = "the upstream account is suspended";
            break;
        case Class::quota:
            e.client_status = 429;
            e.message = "the upstream account's monthly request quota is exhausted";
            break;
        case Class::throttle:
        case Class::suspicious:
            e.client_status = 429;
            e.message = str_cat("Amazon Q is rate limiting requests; retry later", quoted(f));
            break;
        case Class::transient:
            e.client_status = f.status == 503 || f.status == 529 ? 503 : 502;
            e.message = transient_message(f);
            break;
    }
    e.client_error_type = std::string(anthropic_error_type(e.client_status));
    e.account_fault = c != Class::request && c != Class::too_long && c != Class::model;
    e.retry_elsewhere = c != Class::request && c != Class::too_long && c != Class::config;
    e.upstream_type = f.type;
    e.upstream_reason = f.reason;
    e.upstream_message = f.message;
}

// Stream exceptions have no HTTP status: give each known one the status it has as an answer.
int status_of_exception(std::string_view type) {
    if (type == "ThrottlingException" || type == "ServiceQuotaExceededException") return 429;
    if (type == "ValidationException" || type == "ContentLengthExceededException") return 400;
    if (type == "AccessDeniedException") return 403;
    return 500;
}

}  // namespace

std::string_view upstream_error_class_name(UpstreamError::Class error_class) {
    switch (error_class) {
        case Class::request: return "request";
        case Class::too_long: return "too_long";
        case Class::model: return "model";
        case Class::config: return "config";
        case Class::token: return "token";
        case Class::banned: return "banned";
        case Class::quota: return "quota";
        case Class::throttle: return "throttle";
        case Class::suspicious: return "suspicious";
        case Class::transient: return "transient";
    }
    return "transient";
}

UpstreamError classify_upstream_error(int http_status, std::string_view body,
                                      std::string_view retry_after_header) {
    Facts facts = facts_from_body(http_status, body);
    UpstreamError error;
    fill(decide(facts), facts, error);
    error.retry_after_seconds = parse_retry_after(retry_after_header);
    return error;
}

UpstreamError classify_exception(const QEvent& event) {
    Facts facts;
    facts.type = short_type(event.event_type);
    facts.message = sanitise(event.message);
    facts.reason = sanitise(event.reason);
    facts.in_stream = true;
    UpstreamError error;
    if (event.kind == QEvent::Kind::invalid_state) {
        // The upstream's conversation state broke: not the account, and not worth a retry.
        fill(Class::request, facts, error);
        error.client_status = 502;
        error.client_error_type = std::string(anthropic_error_type(502));
        error.message = str_cat("Amazon Q reported an invalid state",
                                facts.reason.empty() ? "" : ": ", facts.reason, quoted(facts));
        return error;
    }
    facts.status = status_of_exception(facts.type);
    fill(decide(facts), facts, error);
    return error;
}

std::optional<double> parse_retry_after(std::string_view header) {
    header = trim(header);
    if (header.empty()) return std::nullopt;
    double seconds = 0;
    auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
    if (ec != std::errc{} || end != header.data() + header.size()) return std::nullopt;
    if (!std::isfinite(seconds) || seconds < 0) return std::nullopt;
    return seconds;
}

}  // namespace amq
