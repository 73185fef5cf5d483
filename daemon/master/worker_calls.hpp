// The master's side of the worker channel's calls: admit (key → account + access token),
// refresh (a token the upstream refused) and report (a finished request).
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>

#include <rapidjson/document.h>

#include "daemon/master/pool_state.hpp"
#include "daemon/master/store.hpp"
#include "daemon/master/token_refresher.hpp"
#include "daemon/master/usage_recorder.hpp"

namespace amq {

class WorkerCalls {
public:
    using Send = std::function<void(const std::string& payload)>;
    // Runs an admin command for the admin key `key_id` (the HTTP admin API's transport).
    using AdminFn = std::function<void(std::uint64_t key_id, const std::string& command,
                                       const rapidjson::Value& args,
                                       std::function<void(Result<std::string>)> done)>;

    WorkerCalls(Store& store, TokenRefresher& refresher, PoolState& pool, UsageRecorder& usage,
                AdminFn admin);

    // A frame of type call or report from a worker; `send` answers that worker.
    void on_frame(const rapidjson::Document& frame, Send send);

private:
    struct Admission;
    void admit(std::uint64_t call_id, const rapidjson::Value& args, Send send);
    void refresh(std::uint64_t call_id, const rapidjson::Value& args, Send send);
    void auth(std::uint64_t call_id, const rapidjson::Value& args, Send send);
    void admin(std::uint64_t call_id, const rapidjson::Value& args, Send send);
    // The key behind a presented secret's hash, or why the client gets a 401.
    Result<ApiKey> usable_key(const rapidjson::Value& args);
    void report(const rapidjson::Value& args);
    void try_next_account(std::shared_ptr<Admission> admission);

    Store& store_;
    TokenRefresher& refresher_;
    PoolState& pool_;
    UsageRecorder& usage_;
    AdminFn admin_;
};

}  // namespace amq
