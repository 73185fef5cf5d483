// Outbound HTTP(S) on the process's libevent loop: one libcurl multi handle per process,
// driven by socket and timer events (curl's hiperfifo pattern). Used by workers for the
// upstream stream and by the master for token refreshes.
//
// Callbacks run on the loop. on_response and on_data run inside curl's own callbacks: they
// may call cancel()/pause(), which this class defers to a later loop turn as curl requires.
#pragma once

#include <curl/curl.h>
#include <event2/event.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "daemon/event.hpp"

namespace amq {

using HttpHeaders = std::map<std::string, std::string>;  // lower-case names

struct HttpRequestSpec {
    std::string method = "POST";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
    std::string proxy;  // "" = no proxy, whatever the environment says
    double connect_timeout = 10;
    double first_byte_timeout = 60;  // from the start until the first response byte
    double idle_timeout = 60;        // between two body reads
};

struct HttpCallbacks {
    // The final status and headers, before any body byte.
    std::function<void(int status, const HttpHeaders& headers)> on_response;
    std::function<void(std::string_view bytes)> on_data;
    // Exactly once per call that was not cancelled: Errc::io for network failures,
    // Errc::unavailable for our own timeouts.
    std::function<void(const Status& outcome)> on_done;
};

// Calls over HTTP as a request in flight makes them: the seam where unit tests stand in for
// the upstream.
class HttpCaller {
public:
    using CallId = std::uint64_t;

    virtual ~HttpCaller() = default;
    virtual CallId start(HttpRequestSpec spec, HttpCallbacks callbacks) = 0;
    virtual void cancel(CallId id) = 0;  // no callback runs after this
    virtual void pause(CallId id) = 0;   // stop reading the body (back-pressure)
    virtual void resume(CallId id) = 0;
};

// A whole answer: its status and at most the first `max_body` bytes of its body.
struct HttpAnswer {
    int status = 0;
    std::string body;
};

// Calls through `http` and hands `done` the whole answer, or the network failure (the
// on_done error). For the small JSON exchanges of the master: token, quota, login calls.
HttpCaller::CallId fetch_whole(HttpCaller& http, HttpRequestSpec spec, std::size_t max_body,
                               std::function<void(Result<HttpAnswer>)> done);

class HttpClient final : public HttpCaller {
public:

    explicit HttpClient(event_base* base);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    CallId start(HttpRequestSpec spec, HttpCallbacks callbacks) override;
    void cancel(CallId id) override;
    void pause(CallId id) override;
    void resume(CallId id) override;
    std::size_t active() const { return calls_.size(); }

    struct Call;

private:
    static int on_socket(CURL* easy, curl_socket_t fd, int what, void* client, void* socket_data);
    static int on_timer(CURLM* multi, long timeout_ms, void* client);
    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* call);
    static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* call);
    void socket_action(curl_socket_t fd, int action);
    void collect_finished();
    void finish(Call& call, Status outcome);
    void remove(CallId id);
    void arm_deadline(Call& call, double seconds);
    void deliver_response(Call& call);

    event_base* base_;
    CURLM* multi_;
    Event timer_;
    CallId next_id_ = 1;
    std::map<CallId, std::unique_ptr<Call>> calls_;
};

}  // namespace amq
