// The calls the daemon makes upstream (docs/upstream.md §1): generate, OIDC, Kiro and IdP token
// refresh, usage limits, model lists, profile discovery (ListAvailableProfiles); OIDC device
// authorization (decided by device_auth.cpp) and the Kiro sign-in (kiro_auth.cpp).
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include <event2/buffer.h>
#include <rapidjson/document.h>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "tests/fake_upstream/generate_checks.hpp"
#include "tests/fake_upstream/http_util.hpp"
#include "tests/fake_upstream/server.hpp"
#include "tests/fake_upstream/stream.hpp"

namespace fake {

namespace {

using amq::JsonWriter;
using amq::str_cat;
using amq::write_key;
using amq::write_string;

constexpr std::string_view kGenerateTarget =
    "AmazonCodeWhispererStreamingService.GenerateAssistantResponse";
constexpr std::string_view kProfilesTarget = "AmazonCodeWhispererService.ListAvailableProfiles";
constexpr const char* kProfileArn =
    "arn:aws:codewhisperer:us-east-1:123456789012:profile/FAKEPROFILE";
constexpr std::string_view kBadToken =
    R"({"message":"The bearer token included in the request is invalid."})";
constexpr const char* kJson = "application/json";
constexpr int kExpiresIn = 3600;

// AWS JSON 1.0 errors carry the type in the body and in x-amzn-ErrorType.
struct ErrorShape {
    const char* type;
    const char* message;
};

ErrorShape error_for_status(int status) {
    if (status == 400) return {"ValidationException", "Improperly formed request."};
    if (status == 401 || status == 403)
        return {"AccessDeniedException", "The bearer token included in the request is invalid."};
    if (status == 402 || status == 429)
        return {"ThrottlingException", "Too many requests, please wait and try again."};
    if (status >= 500)
        return {"InternalServerException",
                "Encountered an unexpected error when processing the request, please try again."};
    return {"ServiceException", "The fake upstream was told to fail."};
}

std::string aws_error_body(const ErrorShape& e) {
    return amq::json_object([&](JsonWriter& w) {
        write_key(w, "__type");
        write_string(w, str_cat("com.amazon.aws.codewhisperer#", e.type));
        write_key(w, "message");
        write_string(w, e.message);
    });
}

// The RPC flavour answers errors as AWS JSON 1.0, the REST flavour as plain JSON.
const char* error_content_type(evhttp_request* req) {
    return request_path(req) == "/" ? "application/x-amz-json-1.0" : kJson;
}

std::string validation_body(const Refusal& refusal) {
    return amq::json_object([&](JsonWriter& w) {
        write_key(w, "__type");
        write_string(w, "com.amazon.aws.codewhisperer#ValidationException");
        write_key(w, "message");
        write_string(w, refusal.message);
        write_key(w, "reason");
        if (refusal.reason.empty())
            w.Null();
        else
            write_string(w, refusal.reason);
    });
}

void send_aws_error(evhttp_request* req, int status) {
    const ErrorShape e = error_for_status(status);
    add_header(req, "x-amzn-ErrorType", e.type);
    send_body(req, status, error_content_type(req), aws_error_body(e));
}

// Epoch seconds of the first day of next month, 00:00 UTC: when monthly quotas reset.
std::int64_t next_month_start() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (++tm.tm_mon == 12) {
        tm.tm_mon = 0;
        ++tm.tm_year;
    }
    return static_cast<std::int64_t>(timegm(&tm));
}

// What the OIDC service insists on before it looks at the refresh token; "" when fine.
std::string oidc_problem(const rapidjson::Value& body) {
    amq::FieldReader r(body);
    auto grant = r.string("grantType");
    auto client_id = r.string("clientId");
    auto client_secret = r.string("clientSecret");
    if (!r.ok()) return r.status().error().message;
    if (grant.value_or("") != "refresh_token") return "grantType must be refresh_token";
    if (client_id.value_or("").empty() || client_secret.value_or("").empty())
        return "clientId and clientSecret are required";
    return {};
}

// The device-code grant goes to the login state machine; every other body, however wrong,
// keeps the refresh path and its answers.
bool is_device_grant(std::string_view body) {
    auto doc = amq::parse_json(body);
    return doc && doc->IsObject() && amq::find_string(*doc, "grantType") == kDeviceCodeGrant;
}

}  // namespace

void Server::on_target(evhttp_request* req) {
    const std::string_view target = request_header(req, "X-Amz-Target");
    if (target == kGenerateTarget) return on_generate(req);
    if (target == kProfilesTarget) return on_profiles(req);
    log(req, 400);
    add_header(req, "x-amzn-ErrorType", "UnknownOperationException");
    send_body(req, 400, "application/x-amz-json-1.0",
              R"({"__type":"com.amazon.coral.service#UnknownOperationException"})");
}

// Order of checks: a scripted step wins over token validation (tests script answers for
// tokens the fake never issued), but a malformed body always earns its 400 and leaves the
// step queued.
void Server::on_generate(evhttp_request* req) {
    ++counters_.generate;
    const std::string_view token = bearer_token(req);
    const bool body_ok = is_json_object(request_body(req));
    const auto step_index = generate_steps_.find(token);
    if (!step_index && !token_valid(req, token)) {
        record(Kind::generate, req, token, 403);
        log(req, 403);
        add_request_id(req);
        add_header(req, "x-amzn-ErrorType", "AccessDeniedException");
        return send_body(req, 403, error_content_type(req), kBadToken);
    }
    if (!body_ok) {
        record(Kind::generate, req, token, 400);
        log(req, 400);
        add_request_id(req);
        return send_aws_error(req, 400);
    }
    if (auto refusal = check_generate_body(*amq::parse_json(request_body(req)))) {
        record(Kind::generate, req, token, 400);
        log(req, 400);
        add_request_id(req);
        add_header(req, "x-amzn-ErrorType", "ValidationException");
        return send_body(req, 400, error_content_type(req), validation_body(*refusal));
    }
    if (auto it = generate_by_token_.find(token); it != generate_by_token_.end())
        ++it->second;
    else
        generate_by_token_.emplace(token, 1);
    if (!step_index) {
        record(Kind::generate, req, token, 200);
        log(req, 200);
        return send_default_stream(req);
    }
    GenerateStep step = generate_steps_.take(*step_index);
    record(Kind::generate, req, token, step.status);
    log(req, step.status);
    answer_generate_step(req, std::move(step));
}

// The benchmark's hot path: one pre-encoded chunk, referenced rather than copied.
void Server::send_default_stream(evhttp_request* req) {
    add_request_id(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/vnd.amazon.eventstream");
    evhttp_send_reply_start(req, 200, "OK");
    ++counters_.open_streams;
    evbuffer_add_reference(scratch_, default_wire_.data(), default_wire_.size(), nullptr, nullptr);
    evhttp_send_reply_chunk(req, scratch_);
    evhttp_send_reply_end(req);
    --counters_.open_streams;
}

void Server::answer_generate_step(evhttp_request* req, GenerateStep step) {
    const int delay = step.delay_ms;
    after(delay, [this, req, plan = std::move(step)]() mutable {
        add_request_id(req);
        if (plan.body || plan.status != 200) {
            for (const auto& [name, value] : plan.headers) add_header(req, name, value);
            if (plan.body) return send_body(req, plan.status, kJson, *plan.body);
            return send_aws_error(req, plan.status);
        }
        auto frames = plan.frames ? plan.frames : default_frames_;
        auto owned = std::make_unique<Stream>(*this, req, std::move(plan), std::move(frames));
        Stream* stream = owned.get();
        streams_.emplace(stream, std::move(owned));
        stream->start();  // may already end (and destroy) the stream
    });
}

void Server::on_token(evhttp_request* req, Kind kind) {
    if (kind == Kind::token && is_device_grant(request_body(req))) return on_device_token(req);
    ++(kind == Kind::token ? counters_.token : counters_.kiro);
    auto doc = amq::parse_json(request_body(req));
    if (!doc || !doc->IsObject()) {
        record(kind, req, {}, 400);
        log(req, 400);
        return send_body(req, 400, kJson, oauth_error("invalid_request", "malformed JSON body"));
    }
    amq::FieldReader r(*doc);
    std::string refresh = r.string("refreshToken").value_or("");
    auto& steps = kind == Kind::token ? token_steps_ : kiro_steps_;
    std::optional<TokenStep> step = steps.take_match(refresh);
    if (!step) {
        std::string problem = r.ok() ? std::string() : r.status().error().message;
        if (problem.empty() && refresh.empty()) problem = "refreshToken is required";
        if (problem.empty() && kind == Kind::token) problem = oidc_problem(*doc);
        if (!problem.empty()) {
            record(kind, req, {}, 400);
            log(req, 400);
            return send_body(req, 400, kJson, oauth_error("invalid_request", problem));
        }
        step.emplace();  // the default answer
    }
    record(kind, req, {}, step->status);
    log(req, step->status);
    after(step->delay_ms, [this, req, kind, answer = std::move(*step), refresh] {
        send_token_answer(req, kind, answer, refresh);
    });
}

void Server::send_token_answer(evhttp_request* req, Kind kind, const TokenStep& step,
                               std::string_view refresh_token) {
    if (step.body) return send_body(req, step.status, kJson, *step.body);
    if (step.status != 200)
        return send_body(req, step.status, kJson,
                         oauth_error("invalid_grant", "Invalid refresh token provided"));
    const std::string access = step.access_token ? *step.access_token : issue_token();
    issued_tokens_.insert(access);  // a scripted token is good from now on too
    send_body(req, 200, kJson, amq::json_object([&](JsonWriter& w) {
                  write_key(w, "accessToken");
                  write_string(w, access);
                  write_key(w, "expiresIn");
                  w.Int64(step.expires_in.value_or(kExpiresIn));
                  if (kind == Kind::token) {
                      write_key(w, "tokenType");
                      write_string(w, "Bearer");
                      if (step.refresh_token) {
                          write_key(w, "refreshToken");
                          write_string(w, *step.refresh_token);
                      }
                      return;
                  }
                  // Kiro always answers a refresh token; the same one unless it rotates.
                  write_key(w, "refreshToken");
                  write_string(
                      w, step.refresh_token ? *step.refresh_token : std::string(refresh_token));
                  write_key(w, "profileArn");
                  write_string(w, step.profile_arn.value_or(kProfileArn));
              }));
}

void Server::on_register(evhttp_request* req) {
    ++counters_.register_client;
    on_oidc(req, [&](const rapidjson::Value& body) {
        return device_auth_.register_client(body, clock_now(), std::time(nullptr));
    });
}

void Server::on_device_authorization(evhttp_request* req) {
    ++counters_.device_authorization;
    on_oidc(req, [&](const rapidjson::Value& body) {
        return device_auth_.authorize(body, request_header(req, "Host"), clock_now());
    });
}

// Polls are counted per login (GET /_device), not in the refresh counter.
void Server::on_device_token(evhttp_request* req) {
    on_oidc(req, [&](const rapidjson::Value& body) {
        return device_auth_.poll(body, clock_now(), [this] { return issue_token(); });
    });
}

void Server::on_oidc(evhttp_request* req,
                     const std::function<Reply(const rapidjson::Value&)>& call) {
    auto doc = amq::parse_json(request_body(req));
    const Reply reply = doc && doc->IsObject()
                            ? call(*doc)
                            : Reply{400, oauth_error("invalid_request", "malformed JSON body")};
    record(Kind::oidc, req, {}, reply.status);
    log(req, reply.status);
    send_body(req, reply.status, kJson, reply.body);
}

// The portal answers a browser: a redirect, or a plain-text reason.
void Server::on_signin(evhttp_request* req) {
    auto [status, text] = kiro_auth_.signin(evhttp_request_get_uri(req));
    record(Kind::oidc, req, {}, status);
    log(req, status);
    if (status == 302) {
        add_header(req, "Location", text);
        return send_body(req, 302, "text/plain", "");
    }
    send_body(req, status, "text/plain", text);
}

void Server::on_code_exchange(evhttp_request* req) {
    on_oidc(req, [&](const rapidjson::Value& body) {
        return kiro_auth_.exchange(body, [this] { return issue_token(); });
    });
}

void Server::on_idp_token(evhttp_request* req) {
    const Reply reply = kiro_auth_.idp_refresh(request_header(req, "Content-Type"),
                                               request_body(req), [this] { return issue_token(); });
    record(Kind::token, req, {}, reply.status);
    log(req, reply.status);
    send_body(req, reply.status, kJson, reply.body);
}

// RPC (X-Amz-Target) or REST (POST /ListAvailableProfiles): one profile, for a valid token.
void Server::on_profiles(evhttp_request* req) {
    const std::string_view token = bearer_token(req);
    const int status = !token_valid(req, token)             ? 403
                       : !is_json_object(request_body(req)) ? 400
                                                            : 200;
    record(Kind::usage, req, token, status);
    log(req, status);
    if (status != 200) return send_aws_error(req, status);
    send_body(
        req, 200, error_content_type(req),
        str_cat(R"({"profiles":[{"arn":")", kProfileArn, R"(","profileName":"fake-profile"}]})"));
}

// MCP web search: JSON-RPC tools/call of web_search {query}. Two results made from the query,
// or, for a query that contains "unavailable", the tool's own error (isError).
void Server::on_mcp(evhttp_request* req) {
    const std::string_view token = bearer_token(req);
    auto doc = amq::parse_json(request_body(req));
    const rapidjson::Value* params =
        doc && doc->IsObject() ? amq::find_member(*doc, "params") : nullptr;
    const rapidjson::Value* arguments = params ? amq::find_member(*params, "arguments") : nullptr;
    auto query = arguments ? amq::find_string(*arguments, "query") : std::nullopt;
    bool well_formed = query && amq::find_string(*doc, "jsonrpc") == "2.0" &&
                       amq::find_string(*doc, "method") == "tools/call" &&
                       amq::find_string(*params, "name") == "web_search" &&
                       amq::find_string(*doc, "id");
    const int status = !token_valid(req, token) ? 403 : !well_formed ? 400 : 200;
    record(Kind::mcp, req, token, status);
    log(req, status);
    if (status == 403) return send_body(req, 403, kJson, kBadToken);
    if (status == 400)
        return send_body(
            req, 400, kJson,
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"}})");
    bool fails = query->find("unavailable") != std::string_view::npos;
    std::string results = amq::json_object([&](JsonWriter& w) {
        write_key(w, "results");
        w.StartArray();
        for (int i = 1; i <= 2 && !fails; ++i) {
            w.StartObject();
            write_key(w, "title");
            write_string(w, str_cat("Result ", i, " for ", *query));
            write_key(w, "url");
            write_string(w, str_cat("https://example.com/", i));
            write_key(w, "snippet");
            write_string(w, str_cat("What page ", i, " says about ", *query, "."));
            write_key(w, "publishedDate");
            w.Int64(1767225600000);
            w.EndObject();
        }
        w.EndArray();
        write_key(w, "query");
        write_string(w, *query);
    });
    send_body(req, 200, kJson, amq::json_object([&](JsonWriter& w) {
                  write_key(w, "id");
                  write_string(w, *amq::find_string(*doc, "id"));
                  write_key(w, "jsonrpc");
                  write_string(w, "2.0");
                  write_key(w, "result");
                  w.StartObject();
                  write_key(w, "content");
                  w.StartArray();
                  w.StartObject();
                  write_key(w, "type");
                  write_string(w, "text");
                  write_key(w, "text");
                  write_string(w, results);
                  w.EndObject();
                  w.EndArray();
                  write_key(w, "isError");
                  w.Bool(fails);
                  w.EndObject();
              }));
}

void Server::on_models(evhttp_request* req) {
    static const std::vector<std::string> kEveryModel = {"claude-sonnet-4.5", "claude-sonnet-4",
                                                         "claude-haiku-4.5", "claude-opus-4.5",
                                                         "claude-opus-4.6"};
    const std::string_view token = bearer_token(req);
    if (!token_valid(req, token)) {
        log(req, 403);
        add_header(req, "x-amzn-ErrorType", "AccessDeniedException");
        return send_body(req, 403, kJson, kBadToken);
    }
    log(req, 200);
    auto it = models_by_token_.find(token);
    const std::vector<std::string>& models =
        it == models_by_token_.end() ? kEveryModel : it->second;
    send_body(req, 200, kJson, amq::json_object([&](JsonWriter& w) {
                  write_key(w, "models");
                  w.StartArray();
                  for (const std::string& id : models) {
                      w.StartObject();
                      write_key(w, "modelId");
                      write_string(w, id);
                      w.EndObject();
                  }
                  w.EndArray();
              }));
}

void Server::on_usage(evhttp_request* req) {
    ++counters_.usage;
    const std::string_view token = bearer_token(req);
    if (!token_valid(req, token)) {
        record(Kind::usage, req, token, 403);
        log(req, 403);
        add_header(req, "x-amzn-ErrorType", "AccessDeniedException");
        return send_body(req, 403, kJson, kBadToken);
    }
    record(Kind::usage, req, token, 200);
    log(req, 200);
    auto it = generate_by_token_.find(token);
    const std::uint64_t used = it == generate_by_token_.end() ? 0 : it->second;
    send_body(req, 200, kJson, amq::json_object([&](JsonWriter& w) {
                  write_key(w, "usageBreakdownList");
                  w.StartArray();
                  w.StartObject();
                  write_key(w, "usageLimit");
                  w.Int(1000);
                  write_key(w, "currentUsage");
                  w.Uint64(used);
                  write_key(w, "nextDateReset");
                  w.Int64(next_month_start());
                  w.EndObject();
                  w.EndArray();
                  write_key(w, "subscriptionInfo");
                  w.StartObject();
                  write_key(w, "type");
                  write_string(w, "Q_DEVELOPER_STANDALONE_FREE");
                  w.EndObject();
                  write_key(w, "userInfo");
                  w.StartObject();
                  write_key(w, "email");
                  write_string(w, "fake@example.com");
                  w.EndObject();
              }));
}

std::string Server::issue_token() {
    std::string access = str_cat("at-", ++token_serial_);
    issued_tokens_.insert(access);
    return access;
}

// A Kiro API key (ksk_…) is good only with "TokenType: API_KEY", an external IdP's token only
// with "TokenType: EXTERNAL_IDP", and each header only with its kind: Kiro tells the kinds of
// bearer token apart by it.
bool Server::token_valid(evhttp_request* req, std::string_view token) const {
    if (token.empty()) return false;
    std::string_view type = request_header(req, "TokenType");
    if (token.starts_with("ksk_") != (type == "API_KEY")) return false;
    if (kiro_auth_.is_idp_token(token) != (type == "EXTERNAL_IDP")) return false;
    return options_.accept_any_token || issued_tokens_.contains(token);
}

void Server::add_request_id(evhttp_request* req) {
    char id[40];
    std::snprintf(id, sizeof id, "fa4e0000-0000-4000-8000-%012" PRIx64, ++request_serial_);
    evhttp_add_header(evhttp_request_get_output_headers(req), "x-amzn-RequestId", id);
}

}  // namespace fake
