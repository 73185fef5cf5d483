#include "daemon/http_client.hpp"

#include <cctype>
#include <cstdlib>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace amq {

struct HttpClient::Call {
    CallId id = 0;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpRequestSpec spec;
    HttpCallbacks callbacks;
    HttpHeaders response_headers;
    bool response_delivered = false;
    bool cancelled = false;  // by the owner: no more callbacks
    bool paused = false;
    double idle_timeout = 0;
    Event deadline;
    HttpClient* client = nullptr;

    ~Call() {
        if (headers) curl_slist_free_all(headers);
    }
};

namespace {

// One global init per process, before any thread could exist.
struct CurlGlobal {
    CurlGlobal() {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) std::abort();
    }
};

struct SocketWatch {
    Event event;
};

}  // namespace

HttpClient::HttpClient(event_base* base) : base_(base) {
    static CurlGlobal global;
    multi_ = curl_multi_init();
    if (!multi_) std::abort();
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    timer_ = Event::timer(base_, [this](short) { socket_action(CURL_SOCKET_TIMEOUT, 0); });
}

HttpClient::~HttpClient() {
    for (auto& [id, call] : calls_) {
        curl_multi_remove_handle(multi_, call->easy);
        curl_easy_cleanup(call->easy);
    }
    calls_.clear();
    curl_multi_cleanup(multi_);
}

HttpClient::CallId HttpClient::start(HttpRequestSpec spec, HttpCallbacks callbacks) {
    auto call = std::make_unique<Call>();
    call->id = next_id_++;
    call->spec = std::move(spec);
    call->callbacks = std::move(callbacks);
    call->client = this;
    call->idle_timeout = call->spec.idle_timeout;
    CURL* e = curl_easy_init();
    if (!e) std::abort();
    call->easy = e;
    const HttpRequestSpec& s = call->spec;
    for (const auto& h : s.headers) call->headers = curl_slist_append(call->headers, h.c_str());
    // curl adds "Expect: 100-continue" to large POSTs; the upstream does not need the round trip.
    call->headers = curl_slist_append(call->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_URL, s.url.c_str());
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, s.method.c_str());
    if (s.method != "GET") {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, s.body.data());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(s.body.size()));
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers);
    curl_easy_setopt(e, CURLOPT_PROXY, s.proxy.c_str());  // "" overrides *_proxy variables
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout * 1000));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, call.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, call.get());
    arm_deadline(*call, s.first_byte_timeout);
    CallId id = call->id;
    calls_[id] = std::move(call);
    curl_multi_add_handle(multi_, e);
    return id;
}

void HttpClient::arm_deadline(Call& call, double seconds) {
    CallId id = call.id;
    call.deadline = Event::timer(base_, [this, id](short) {
        auto it = calls_.find(id);
        if (it == calls_.end() || it->second->paused) return;
        finish(*it->second, make_error(Errc::unavailable, it->second->response_delivered
                                                              ? "upstream went silent"
                                                              : "upstream did not answer in time"));
    });
    call.deadline.arm_after(seconds);
}

// Reached from curl's callbacks and from our own cancel(): the removal itself waits for a
// loop turn where no curl call is on the stack.
void HttpClient::remove(CallId id) {
    defer(base_, [this, id] {
        auto it = calls_.find(id);
        if (it == calls_.end()) return;
        curl_multi_remove_handle(multi_, it->second->easy);
        curl_easy_cleanup(it->second->easy);
        calls_.erase(it);
    });
}

void HttpClient::cancel(CallId id) {
    auto it = calls_.find(id);
    if (it == calls_.end() || it->second->cancelled) return;
    it->second->cancelled = true;
    it->second->deadline.disarm();
    remove(id);
}

void HttpClient::pause(CallId id) {
    auto it = calls_.find(id);
    if (it == calls_.end() || it->second->cancelled) return;
    it->second->paused = true;  // on_body returns CURL_WRITEFUNC_PAUSE at its next call
}

void HttpClient::resume(CallId id) {
    auto it = calls_.find(id);
    if (it == calls_.end() || !it->second->paused) return;
    it->second->paused = false;
    arm_deadline(*it->second, it->second->idle_timeout);
    defer(base_, [this, id] {
        auto found = calls_.find(id);
        if (found == calls_.end() || found->second->cancelled || found->second->paused) return;
        curl_easy_pause(found->second->easy, CURLPAUSE_CONT);
    });
}

void HttpClient::finish(Call& call, Status outcome) {
    if (call.cancelled) return;
    call.cancelled = true;
    call.deadline.disarm();
    if (outcome.ok()) deliver_response(call);
    auto done = std::move(call.callbacks.on_done);
    remove(call.id);
    if (done) done(outcome);
}

void HttpClient::deliver_response(Call& call) {
    if (call.response_delivered) return;
    call.response_delivered = true;
    long status = 0;
    curl_easy_getinfo(call.easy, CURLINFO_RESPONSE_CODE, &status);
    if (call.callbacks.on_response)
        call.callbacks.on_response(static_cast<int>(status), call.response_headers);
}

std::size_t HttpClient::on_header(char* data, std::size_t size, std::size_t n, void* arg) {
    auto* call = static_cast<Call*>(arg);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) call->response_headers.clear();  // 1xx, proxy CONNECT, final
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name(trim(line.substr(0, colon)));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        call->response_headers[name] = std::string(trim(line.substr(colon + 1)));
    }
    return size * n;
}

std::size_t HttpClient::on_body(char* data, std::size_t size, std::size_t n, void* arg) {
    auto* call = static_cast<Call*>(arg);
    if (call->cancelled) return 0;  // aborts the transfer; the deferred removal cleans up
    if (call->paused) return CURL_WRITEFUNC_PAUSE;
    call->client->deliver_response(*call);
    if (call->cancelled) return 0;
    call->deadline.disarm();
    call->deadline.arm_after(call->idle_timeout);
    if (call->callbacks.on_data) call->callbacks.on_data(std::string_view(data, size * n));
    return call->cancelled ? 0 : size * n;
}

int HttpClient::on_socket(CURL*, curl_socket_t fd, int what, void* client, void* socket_data) {
    auto* self = static_cast<HttpClient*>(client);
    auto* watch = static_cast<SocketWatch*>(socket_data);
    if (what == CURL_POLL_REMOVE) {
        delete watch;
        curl_multi_assign(self->multi_, fd, nullptr);
        return 0;
    }
    if (!watch) {
        watch = new SocketWatch;
        curl_multi_assign(self->multi_, fd, watch);
    }
    short events = EV_PERSIST;
    if (what & CURL_POLL_IN) events |= EV_READ;
    if (what & CURL_POLL_OUT) events |= EV_WRITE;
    watch->event = Event::watch_fd(self->base_, fd, events, [self, fd](short got) {
        int action =
            (got & EV_READ ? CURL_CSELECT_IN : 0) | (got & EV_WRITE ? CURL_CSELECT_OUT : 0);
        self->socket_action(fd, action);
    });
    watch->event.arm();
    return 0;
}

int HttpClient::on_timer(CURLM*, long timeout_ms, void* client) {
    auto* self = static_cast<HttpClient*>(client);
    if (timeout_ms < 0)
        self->timer_.disarm();
    else
        self->timer_.arm_after(static_cast<double>(timeout_ms) / 1000.0);
    return 0;
}

void HttpClient::socket_action(curl_socket_t fd, int action) {
    int running = 0;
    curl_multi_socket_action(multi_, fd, action, &running);
    collect_finished();
}

void HttpClient::collect_finished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Call* call = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &call);
        if (!call) continue;
        CURLcode rc = msg->data.result;
        if (rc == CURLE_OK)
            finish(*call, {});
        else if (!call->cancelled)
            finish(*call,
                   make_error(Errc::io, str_cat(call->spec.url, ": ", curl_easy_strerror(rc))));
    }
}

HttpCaller::CallId fetch_whole(HttpCaller& http, HttpRequestSpec spec, std::size_t max_body,
                               std::function<void(Result<HttpAnswer>)> done) {
    auto answer = std::make_shared<HttpAnswer>();
    return http.start(
        std::move(spec),
        HttpCallbacks{[answer](int status, const HttpHeaders&) { answer->status = status; },
                      [answer, max_body](std::string_view bytes) {
                          if (answer->body.size() < max_body)
                              answer->body.append(bytes.substr(0, max_body - answer->body.size()));
                      },
                      [answer, done = std::move(done)](const Status& outcome) {
                          if (!outcome) return done(outcome.error());
                          done(std::move(*answer));
                      }});
}

}  // namespace amq
