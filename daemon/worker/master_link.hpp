// The worker's end of the channel to the master: calls with replies (admit, refresh),
// one-way frames (reports, outcomes), and the master's own frames (welcome, state, drain) handed to the worker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "common/result.hpp"
#include "daemon/channel.hpp"

namespace amq {

// The key's request budget for the x-ratelimit-*-requests headers.
struct RateHeaders {
    std::int64_t limit = 0;
    std::int64_t remaining = 0;
    std::int64_t reset_ms = 0;
};
std::optional<RateHeaders> read_rate(const rapidjson::Value* object);

// A refusal the client sees as this HTTP status.
struct CallError {
    int status = 500;
    std::string message;
    std::optional<std::int64_t> retry_after;  // seconds, with a 429
    std::optional<RateHeaders> rate;
    std::uint64_t key_id = 0;  // the key a refusal was about, when the master knows it
    std::string error_class;   // auth, limit, model, no_account (for the usage record)
};

// What a request in flight needs of the master: calls answered later and one-way frames. The
// seam where unit tests stand in for the master process.
class MasterPort {
public:
    // ok: the reply's data object; else why the master refused.
    using ReplyFn = std::function<void(const rapidjson::Value* data, const CallError& error)>;

    virtual ~MasterPort() = default;
    // Returns the call's id, for cancel().
    virtual std::uint64_t call(std::string_view cmd, const std::string& args_json,
                               ReplyFn reply) = 0;
    // The caller is gone: its reply, when it comes, is dropped.
    virtual void cancel(std::uint64_t call_id) = 0;
    // A one-way frame (report, outcome, answered: worker_protocol.hpp). `urgent`: written at
    // once instead of with the next loop turn's writes — for a request holding a concurrency
    // slot, whose client may send its next request immediately. Frames keep their order either
    // way.
    virtual void tell(std::string_view type, const std::string& args_json, bool urgent) = 0;
};

class MasterLink final : public MasterPort {
public:
    using FrameFn = std::function<void(const rapidjson::Document& frame)>;
    using GoneFn = std::function<void(const std::string& why)>;

    MasterLink(event_base* base, int fd, std::size_t max_frame, FrameFn on_frame, GoneFn on_gone);

    void send(std::string_view payload) { channel_.send(payload); }
    std::uint64_t call(std::string_view cmd, const std::string& args_json, ReplyFn reply) override;
    void cancel(std::uint64_t call_id) override { pending_.erase(call_id); }
    void tell(std::string_view type, const std::string& args_json, bool urgent) override;

private:
    void on_frame(const std::string& payload);
    void on_gone(const std::string& why);

    event_base* base_;
    std::size_t max_frame_;
    FramedChannel channel_;
    FrameFn frame_fn_;
    GoneFn gone_fn_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, ReplyFn> pending_;
};

}  // namespace amq
