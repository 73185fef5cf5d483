// The fake Amazon Q upstream: routes evhttp requests to the upstream calls (generate, token
// refresh, device authorization, usage limits) and to the control API that tests use to
// script and inspect it. Single-threaded: everything runs on one libevent loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <event2/event.h>
#include <event2/http.h>
#include <rapidjson/document.h>

#include "tests/fake_upstream/device_auth.hpp"
#include "tests/fake_upstream/kiro_auth.hpp"
#include "tests/fake_upstream/script.hpp"

namespace fake {

class Stream;

struct Options {
    bool verbose = false;
    bool accept_any_token = false;    // benchmarks seed the daemon with arbitrary tokens
    std::size_t record_limit = 1000;  // recordings kept per kind; 0 disables recording
};

// One recorded call, kept for GET /_requests.
struct Record {
    std::string path;  // with the query
    HeaderList headers;
    std::string body;
    std::string token;
    int status = 0;
};

struct Counters {
    std::uint64_t generate = 0;
    std::uint64_t token = 0;
    std::uint64_t kiro = 0;
    std::uint64_t usage = 0;
    std::uint64_t register_client = 0;
    std::uint64_t device_authorization = 0;
    std::int64_t open_streams = 0;
};

// Transparent hashing lets string_view lookups skip building a std::string.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

class Server {
public:
    Server(event_base* base, evhttp* http, Options options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    event_base* base() const { return base_; }
    // A reusable buffer for handing chunks to evhttp (which moves its content out).
    evbuffer* scratch() const { return scratch_; }
    void stream_opened() { ++counters_.open_streams; }
    // Destroys the stream: the last thing a stream may call.
    void stream_ended(Stream* stream);

private:
    // Recording kinds; oidc holds the device-authorization calls, token the refreshes.
    enum class Kind { generate, token, kiro, usage, oidc, mcp };
    struct Delayed;

    static void on_request(evhttp_request* req, void* self);
    static void on_delay(evutil_socket_t, short, void* node);
    void handle(evhttp_request* req);
    bool handle_control(evhttp_request* req, std::string_view path);
    void after(int delay_ms, std::function<void()> action);

    // Upstream calls (upstream_api.cpp).
    void on_generate(evhttp_request* req);
    void on_mcp(evhttp_request* req);
    void on_target(evhttp_request* req);
    void on_token(evhttp_request* req, Kind kind);
    void on_usage(evhttp_request* req);
    void on_models(evhttp_request* req);
    void on_profiles(evhttp_request* req);
    void on_register(evhttp_request* req);
    void on_device_authorization(evhttp_request* req);
    void on_device_token(evhttp_request* req);
    void on_signin(evhttp_request* req);
    void on_code_exchange(evhttp_request* req);
    void on_idp_token(evhttp_request* req);
    void on_oidc(evhttp_request* req, const std::function<Reply(const rapidjson::Value&)>& call);
    void answer_generate_step(evhttp_request* req, GenerateStep step);
    void send_default_stream(evhttp_request* req);
    void send_token_answer(evhttp_request* req, Kind kind, const TokenStep& step,
                           std::string_view refresh_token);
    std::string issue_token();  // an access token generate accepts from now on
    bool token_valid(evhttp_request* req, std::string_view token) const;
    void add_request_id(evhttp_request* req);

    // Control API (server.cpp).
    void control_script(evhttp_request* req);
    void control_reset(evhttp_request* req);
    void control_tokens(evhttp_request* req);
    void control_models(evhttp_request* req);
    using ControlFn = std::function<std::pair<int, std::string>(const rapidjson::Value&)>;
    void control_object(evhttp_request* req, const ControlFn& act);
    void control_requests(evhttp_request* req) const;
    void control_stats(evhttp_request* req) const;

    void record(Kind kind, evhttp_request* req, std::string_view token, int status);
    void log(evhttp_request* req, int status) const;
    // Monotonic seconds: device-authorization expiry and poll pacing ignore wall-clock jumps.
    static double clock_now();

    event_base* base_;
    evhttp* http_;
    evbuffer* scratch_;
    Options options_;

    std::shared_ptr<const Frames> default_frames_;  // for scripted steps without events
    std::string default_wire_;  // the default answer's frames, encoded once and concatenated
    StepQueue<GenerateStep> generate_steps_;
    StepQueue<TokenStep> token_steps_;
    StepQueue<TokenStep> kiro_steps_;

    Counters counters_;
    std::uint64_t token_serial_ = 0;
    std::uint64_t request_serial_ = 0;
    StringSet issued_tokens_;
    StringMap<std::uint64_t> generate_by_token_;
    StringMap<std::vector<std::string>> models_by_token_;
    std::deque<Record> records_[6];
    DeviceAuth device_auth_;
    KiroAuth kiro_auth_;

    std::unordered_map<Stream*, std::unique_ptr<Stream>> streams_;
    std::list<Delayed> delayed_;
};

}  // namespace fake
