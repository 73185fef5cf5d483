#include "daemon/worker/master_link.hpp"

#include "common/json.hpp"
#include "common/log.hpp"
#include "common/worker_messages.hpp"
#include "daemon/event.hpp"
#include "daemon/worker_protocol.hpp"

namespace amq {

// {"rate": {limit, remaining, reset_ms}} inside a grant or a refusal; absent when unlimited.
std::optional<RateHeaders> read_rate(const rapidjson::Value* object) {
    const rapidjson::Value* rate = object ? find_member(*object, "rate") : nullptr;
    if (!rate || !rate->IsObject()) return std::nullopt;
    FieldReader f(*rate);
    RateHeaders h{f.integer("limit").value_or(0), f.integer("remaining").value_or(0),
                  f.integer("reset_ms").value_or(0)};
    if (!f.ok() || h.limit <= 0) return std::nullopt;
    return h;
}

MasterLink::MasterLink(event_base* base, int fd, std::size_t max_frame, FrameFn on_frame,
                       GoneFn on_gone)
    : base_(base),
      max_frame_(max_frame),
      channel_(base, fd, max_frame,
               FramedChannel::Handlers{[this](std::string p) { this->on_frame(p); },
                                       [this](const std::string& why) { this->on_gone(why); }}),
      frame_fn_(std::move(on_frame)),
      gone_fn_(std::move(on_gone)) {}

std::uint64_t MasterLink::call(std::string_view cmd, const std::string& args_json, ReplyFn reply) {
    std::uint64_t id = next_id_++;
    pending_[id] = std::move(reply);
    std::string frame = json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, wire::kCall);
        w.Key("id");
        w.Uint64(id);
        w.Key("cmd");
        write_string(w, cmd);
        w.Key("args");
        w.RawValue(args_json.data(), args_json.size(), rapidjson::kObjectType);
    });
    // The master would take a frame over the cap for a broken peer and close the channel,
    // and with it every request of this worker: refuse this one call instead, as the master
    // would, on the next loop turn.
    if (frame.size() > max_frame_) {
        defer(base_, [this, id] {
            auto it = pending_.find(id);
            if (it == pending_.end()) return;
            ReplyFn refused = std::move(it->second);
            pending_.erase(it);
            refused(nullptr, CallError{413, str_cat("the request is too large: the master takes at "
                                                    "most ",
                                                    max_frame_ >> 20, " MiB per request")});
        });
        return id;
    }
    channel_.send(frame);
    return id;
}

void MasterLink::tell(std::string_view type, const std::string& args_json, bool urgent) {
    std::string frame = message_frame(type, args_json);
    if (urgent)
        channel_.send_now(frame);
    else
        channel_.send(frame);
}

void MasterLink::on_frame(const std::string& payload) {
    auto doc = parse_json(payload);
    if (!doc || !doc->IsObject()) {
        on_gone("malformed frame from the master");
        return;
    }
    FieldReader f(*doc);
    if (f.string("t").value_or("") != wire::kReply) {
        frame_fn_(*doc);
        return;
    }
    auto id = f.integer("id", true, 0);
    auto it = id ? pending_.find(static_cast<std::uint64_t>(*id)) : pending_.end();
    if (it == pending_.end()) return;
    ReplyFn reply = std::move(it->second);
    pending_.erase(it);
    if (f.boolean("ok").value_or(false)) {
        const rapidjson::Value* data = f.object("data", true);
        reply(data, CallError{});
        return;
    }
    CallError error{500, "the master refused the call"};
    if (const rapidjson::Value* e = f.object("error")) {
        FieldReader ef(*e);
        error.status = static_cast<int>(ef.integer("status").value_or(500));
        error.message = ef.string("message").value_or(error.message);
        error.retry_after = ef.integer("retry_after", false, 0);
        error.rate = read_rate(e);
        error.key_id = static_cast<std::uint64_t>(ef.integer("key_id", false, 0).value_or(0));
        error.error_class = ef.string("class").value_or("");
    }
    reply(nullptr, error);
}

// Calls still waiting get an answer, so no request hangs on a master that is gone.
void MasterLink::on_gone(const std::string& why) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, reply] : pending)
        reply(nullptr, CallError{503, "the daemon is restarting; retry"});
    gone_fn_(why);
}

}  // namespace amq
