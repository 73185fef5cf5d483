#include "tests/fake_upstream/server.hpp"

#include <chrono>
#include <cstdio>
#include <iterator>
#include <type_traits>

#include <event2/buffer.h>
#include <rapidjson/document.h>

#include "common/json.hpp"
#include "common/strings.hpp"
#include "tests/fake_upstream/http_util.hpp"
#include "tests/fake_upstream/stream.hpp"

namespace fake {

namespace {

using amq::JsonWriter;
using amq::write_key;
using amq::write_string;

constexpr const char* kJson = "application/json";

void send_json(evhttp_request* req, int status, const std::string& body) {
    send_body(req, status, kJson, body);
}

void send_control_error(evhttp_request* req, int status, std::string_view message) {
    send_json(req, status, amq::json_object([&](JsonWriter& w) {
                  write_key(w, "error");
                  write_string(w, message);
              }));
}

// Headers as one object; a repeated header's values are joined as HTTP allows.
void write_headers(JsonWriter& w, const HeaderList& headers) {
    StringMap<std::string> joined;
    for (const auto& [name, value] : headers) {
        auto [it, fresh] = joined.try_emplace(name, value);
        if (!fresh) it->second.append(", ").append(value);
    }
    w.StartObject();
    for (const auto& [name, value] : headers) {
        auto it = joined.find(name);
        if (it == joined.end()) continue;  // already written
        write_key(w, name);
        write_string(w, it->second);
        joined.erase(it);
    }
    w.EndObject();
}

void write_record(JsonWriter& w, const Record& r) {
    w.StartObject();
    write_key(w, "path");
    write_string(w, r.path);
    write_key(w, "headers");
    write_headers(w, r.headers);
    write_key(w, "body");
    auto body = amq::parse_json(r.body);
    if (body) {
        body->Accept(w);
    } else if (r.body.empty()) {
        w.Null();
    } else {
        w.Null();
        write_key(w, "raw_body");  // what arrived when it was not JSON
        write_string(w, r.body);
    }
    write_key(w, "token");
    write_string(w, r.token);
    write_key(w, "status");
    w.Int(r.status);
    w.EndObject();
}

}  // namespace

struct Server::Delayed {
    Server* server;
    std::function<void()> action;
    event* timer = nullptr;
    std::list<Delayed>::iterator self;
};

Server::Server(event_base* base, evhttp* http, Options options)
    : base_(base), http_(http), scratch_(evbuffer_new()), options_(options) {
    auto frames = std::make_shared<Frames>(default_frames());
    for (const Frame& frame : *frames) default_wire_ += frame.bytes;
    default_frames_ = std::move(frames);
    evhttp_set_gencb(http_, &Server::on_request, this);
}

Server::~Server() {
    for (auto& [stream, owned] : streams_) stream->detach();
    streams_.clear();
    for (Delayed& d : delayed_) event_free(d.timer);
    delayed_.clear();
    // Frees the listener, every connection and every request still attached to one.
    evhttp_free(http_);
    evbuffer_free(scratch_);
}

void Server::stream_ended(Stream* stream) {
    --counters_.open_streams;
    streams_.erase(stream);
}

void Server::on_request(evhttp_request* req, void* self) {
    static_cast<Server*>(self)->handle(req);
}

void Server::handle(evhttp_request* req) {
    const std::string_view path = request_path(req);
    const evhttp_cmd_type method = evhttp_request_get_command(req);
    if (path.starts_with("/_")) {
        if (!handle_control(req, path)) send_control_error(req, 404, "no such control call");
        return;
    }
    if (method == EVHTTP_REQ_POST && path == "/") return on_target(req);
    if (method == EVHTTP_REQ_POST && path == "/generateAssistantResponse") return on_generate(req);
    if (method == EVHTTP_REQ_POST && path == "/mcp") return on_mcp(req);
    if (method == EVHTTP_REQ_POST && path == "/token") return on_token(req, Kind::token);
    if (method == EVHTTP_REQ_POST && path == "/refreshToken") return on_token(req, Kind::kiro);
    if (method == EVHTTP_REQ_POST && path == "/client/register") return on_register(req);
    if (method == EVHTTP_REQ_POST && path == "/device_authorization")
        return on_device_authorization(req);
    if (method == EVHTTP_REQ_GET && path == "/signin") return on_signin(req);
    if (method == EVHTTP_REQ_POST && path == "/oauth/token") return on_code_exchange(req);
    if (method == EVHTTP_REQ_POST && path == "/idp/token") return on_idp_token(req);
    if (method == EVHTTP_REQ_GET && path == "/getUsageLimits") return on_usage(req);
    if (method == EVHTTP_REQ_GET && path == "/ListAvailableModels") return on_models(req);
    if (method == EVHTTP_REQ_POST && path == "/ListAvailableProfiles") return on_profiles(req);
    log(req, 404);
    send_json(req, 404, R"({"message":"Not Found"})");
}

bool Server::handle_control(evhttp_request* req, std::string_view path) {
    const bool post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
    if (post && path == "/_script")
        control_script(req);
    else if (post && path == "/_reset")
        control_reset(req);
    else if (post && path == "/_tokens")
        control_tokens(req);
    else if (post && path == "/_models")
        control_models(req);
    else if (post && path == "/_device")  // an action on one login, or settings for the next
        control_object(req, [this](const rapidjson::Value& v) { return device_auth_.control(v); });
    else if (!post && path == "/_device")
        send_json(req, 200, device_auth_.listing(clock_now()));
    else if (post && path == "/_kiro")
        control_object(req, [this](const rapidjson::Value& v) { return kiro_auth_.control(v); });
    else if (!post && path == "/_kiro")
        send_json(req, 200, kiro_auth_.listing());
    else if (!post && path == "/_requests")
        control_requests(req);
    else if (!post && path == "/_stats")
        control_stats(req);
    else
        return false;
    return true;
}

void Server::after(int delay_ms, std::function<void()> action) {
    if (delay_ms <= 0) return action();
    delayed_.push_front(Delayed{this, std::move(action)});
    Delayed& node = delayed_.front();
    node.self = delayed_.begin();
    node.timer = evtimer_new(base_, &Server::on_delay, &node);
    timeval tv{delay_ms / 1000, (delay_ms % 1000) * 1000};
    evtimer_add(node.timer, &tv);
}

void Server::on_delay(evutil_socket_t, short, void* node) {
    auto* d = static_cast<Delayed*>(node);
    std::function<void()> action = std::move(d->action);
    event_free(d->timer);
    d->server->delayed_.erase(d->self);
    action();
}

void Server::control_script(evhttp_request* req) {
    auto script = parse_script(request_body(req));
    if (!script) return send_control_error(req, 400, script.error().message);
    generate_steps_.append(std::move(script->generate));
    token_steps_.append(std::move(script->token));
    kiro_steps_.append(std::move(script->kiro));
    control_stats(req);
}

// Issued tokens survive a reset by default: the daemon under test still holds them.
void Server::control_reset(evhttp_request* req) {
    std::string_view body = request_body(req);
    if (!amq::trim(body).empty()) {
        auto doc = amq::parse_json(body);
        if (!doc || !doc->IsObject()) return send_control_error(req, 400, "expected an object");
        amq::FieldReader r(*doc);
        if (r.boolean("tokens").value_or(false)) {
            issued_tokens_.clear();
            token_serial_ = 0;
        }
        if (!r.ok()) return send_control_error(req, 400, r.status().error().message);
    }
    generate_steps_.clear();
    token_steps_.clear();
    kiro_steps_.clear();
    for (auto& list : records_) list.clear();
    generate_by_token_.clear();
    models_by_token_.clear();
    device_auth_.reset();
    kiro_auth_.reset();
    const std::int64_t open = counters_.open_streams;
    counters_ = Counters{};
    counters_.open_streams = open;  // a gauge of live connections, not a tally
    control_stats(req);
}

void Server::control_tokens(evhttp_request* req) {
    auto doc = amq::parse_json(request_body(req));
    if (!doc || !doc->IsObject()) return send_control_error(req, 400, "expected an object");
    amq::FieldReader r(*doc);
    const rapidjson::Value* list = r.array("tokens", true);
    if (!r.ok()) return send_control_error(req, 400, r.status().error().message);
    for (const auto& t : list->GetArray()) {
        if (!t.IsString()) return send_control_error(req, 400, "tokens must be strings");
        issued_tokens_.emplace(t.GetString(), t.GetStringLength());
    }
    control_stats(req);
}

// {"token": "at-a", "models": ["claude-sonnet-4.5"]}: what ListAvailableModels answers for
// that access token (by default, every model the fake knows).
void Server::control_models(evhttp_request* req) {
    auto doc = amq::parse_json(request_body(req));
    if (!doc || !doc->IsObject()) return send_control_error(req, 400, "expected an object");
    amq::FieldReader r(*doc);
    std::string token = r.string("token", true).value_or("");
    const rapidjson::Value* list = r.array("models", true);
    if (!r.ok()) return send_control_error(req, 400, r.status().error().message);
    std::vector<std::string> models;
    for (const auto& m : list->GetArray()) {
        if (!m.IsString()) return send_control_error(req, 400, "models must be strings");
        models.emplace_back(m.GetString(), m.GetStringLength());
    }
    models_by_token_[token] = std::move(models);
    control_stats(req);
}

// A control call whose object body `act` takes, answered {} or with act's error.
void Server::control_object(evhttp_request* req, const ControlFn& act) {
    auto doc = amq::parse_json(request_body(req));
    if (!doc || !doc->IsObject()) return send_control_error(req, 400, "expected an object");
    auto [status, error] = act(*doc);
    if (status != 200) return send_control_error(req, status, error);
    send_json(req, 200, "{}");
}

void Server::control_requests(evhttp_request* req) const {
    static constexpr const char* kNames[] = {"generate", "token", "kiro", "usage", "oidc", "mcp"};
    static_assert(std::size(kNames) == std::extent_v<decltype(records_)>);
    send_json(req, 200, amq::json_object([&](JsonWriter& w) {
                  for (std::size_t k = 0; k < std::size(kNames); ++k) {
                      write_key(w, kNames[k]);
                      w.StartArray();
                      for (const Record& r : records_[k]) write_record(w, r);
                      w.EndArray();
                  }
              }));
}

void Server::control_stats(evhttp_request* req) const {
    send_json(req, 200, amq::json_object([&](JsonWriter& w) {
                  write_key(w, "generate");
                  w.Uint64(counters_.generate);
                  write_key(w, "token");
                  w.Uint64(counters_.token);
                  write_key(w, "kiro");
                  w.Uint64(counters_.kiro);
                  write_key(w, "usage");
                  w.Uint64(counters_.usage);
                  write_key(w, "register");
                  w.Uint64(counters_.register_client);
                  write_key(w, "device_authorization");
                  w.Uint64(counters_.device_authorization);
                  write_key(w, "open_streams");
                  w.Int64(counters_.open_streams);
                  write_key(w, "pending_steps");
                  w.StartObject();
                  write_key(w, "generate");
                  w.Uint64(generate_steps_.size());
                  write_key(w, "token");
                  w.Uint64(token_steps_.size());
                  write_key(w, "kiro");
                  w.Uint64(kiro_steps_.size());
                  w.EndObject();
              }));
}

void Server::record(Kind kind, evhttp_request* req, std::string_view token, int status) {
    if (options_.record_limit == 0) return;
    auto& list = records_[static_cast<int>(kind)];
    list.push_back(Record{evhttp_request_get_uri(req), lower_case_headers(req),
                          std::string(request_body(req)), std::string(token), status});
    if (list.size() > options_.record_limit) list.pop_front();
}

double Server::clock_now() {
    using Seconds = std::chrono::duration<double>;
    return std::chrono::duration_cast<Seconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void Server::log(evhttp_request* req, int status) const {
    if (!options_.verbose) return;
    std::fprintf(stderr, "fake_upstream: %s %s -> %d\n",
                 evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST",
                 evhttp_request_get_uri(req), status);
}

}  // namespace fake
