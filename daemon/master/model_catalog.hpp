// The models each account may use, from Amazon Q's ListAvailableModels: fetched once an
// account holds a token (it never refreshes one itself: a refresh is the requests' business),
// refreshed every `interval`, and on demand. Until its list is known an account may serve any
// model; once known, requests go only to accounts that list their model (when any does).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/event.hpp"
#include "daemon/master/account_api.hpp"
#include "daemon/master/account_pool.hpp"

namespace amq {

struct ModelCatalogOptions {
    AccountApiOptions api;
    double interval = 3600;  // seconds between refreshes of one account's list
};

class ModelCatalog {
public:
    using Callback = std::function<void(Result<std::vector<std::string>>)>;

    ModelCatalog(event_base* base, Store& store, HttpClient& http, TokenRefresher& refresher,
                 ModelCatalogOptions options);
    void set_options(ModelCatalogOptions options) { options_ = std::move(options); }
    // Called when what some account serves may have changed.
    void on_change(std::function<void()> fn) { on_change_ = std::move(fn); }
    // Which accounts the sweep fetches for: those that can serve and already hold a token (a
    // credential must not be refreshed for a list).
    void fetch_only(std::function<bool(std::uint64_t account_id)> fn) { eligible_ = std::move(fn); }

    void refresh(std::uint64_t account_id, Callback done = {});
    // The upstream refused `model` on the account although its list had it.
    void drop_model(std::uint64_t account_id, const std::string& model);
    void forget(std::uint64_t account_id);

    const ModelLists& lists() const { return lists_; }
    // Every model some account lists, each once.
    std::set<std::string> all_models() const;

private:
    void sweep();

    Store& store_;
    AccountApi api_;
    ModelCatalogOptions options_;
    ModelLists lists_;
    std::map<std::uint64_t, double> fetched_at_;  // monotonic seconds of the last attempt
    Event timer_;
    std::function<void()> on_change_;
    std::function<bool(std::uint64_t)> eligible_;
};

}  // namespace amq
