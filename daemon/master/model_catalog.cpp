#include "daemon/master/model_catalog.hpp"

#include "common/available_models.hpp"
#include "common/log.hpp"

namespace amq {
namespace {

// How often the accounts are looked over: a new account's list is fetched within this.
constexpr double kSweepSeconds = 5;
constexpr double kFirstSweepSeconds = 1;
// A list that could not be fetched is tried again after this, not after a whole interval.
constexpr double kRetrySeconds = 60;

}  // namespace

ModelCatalog::ModelCatalog(event_base* base, Store& store, HttpClient& http,
                           TokenRefresher& refresher, ModelCatalogOptions options)
    : store_(store), api_(store, http, refresher), options_(std::move(options)) {
    timer_ = Event::timer(base, [this](short) {
        sweep();
        timer_.arm_after(kSweepSeconds);
    });
    timer_.arm_after(kFirstSweepSeconds);
}

void ModelCatalog::sweep() {
    auto accounts = store_.list_accounts();
    if (!accounts) return;
    double now = monotonic_seconds();
    for (const Account& a : *accounts) {
        auto it = fetched_at_.find(a.id);
        bool due = it == fetched_at_.end() || now - it->second >= options_.interval;
        if (a.enabled && due && (!eligible_ || eligible_(a.id))) refresh(a.id);
    }
}

void ModelCatalog::refresh(std::uint64_t account_id, Callback done) {
    fetched_at_[account_id] = monotonic_seconds();
    api_.get(
        account_id, options_.api,
        [](const Account& account) { return available_models_path(account.profile_arn); },
        [this, done](const Account& account, Result<ApiAnswer> answer) {
            auto models = answer ? parse_available_models(answer->status, answer->body)
                                 : Result<std::vector<std::string>>(answer.error());
            if (models) {
                std::set<std::string> list(models->begin(), models->end());
                bool changed = lists_[account.id] != list;
                lists_[account.id] = std::move(list);
                if (changed && on_change_) on_change_();
            } else {
                fetched_at_[account.id] = monotonic_seconds() - options_.interval + kRetrySeconds;
                log_info("account ", account.id,
                         ": model list not fetched: ", models.error().message);
            }
            if (done) done(std::move(models));
        });
}

void ModelCatalog::drop_model(std::uint64_t account_id, const std::string& model) {
    auto it = lists_.find(account_id);
    if (it == lists_.end() || !it->second.erase(model)) return;
    log_info("account ", account_id, ": the upstream refused model ", model,
             "; it no longer serves it until its list is fetched again");
    if (on_change_) on_change_();
}

void ModelCatalog::forget(std::uint64_t account_id) {
    lists_.erase(account_id);
    fetched_at_.erase(account_id);
}

std::set<std::string> ModelCatalog::all_models() const {
    std::set<std::string> all;
    for (const auto& [id, models] : lists_) all.insert(models.begin(), models.end());
    return all;
}

}  // namespace amq
