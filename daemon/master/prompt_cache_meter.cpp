#include "daemon/master/prompt_cache_meter.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace amq {

CacheSplit PromptCacheMeter::meter(std::uint64_t key_id, std::string_view session,
                                   const std::vector<std::uint64_t>& hashes,
                                   const std::vector<std::uint64_t>& tokens, std::int64_t now_ms) {
    if (hashes.empty() || hashes.size() != tokens.size()) return {};
    Scope& scope = touch(str_cat(key_id, "\n", session));
    forget_expired(scope, now_ms);
    auto total = static_cast<std::int64_t>(tokens.back());
    CacheSplit split{0, total};
    for (std::size_t i = hashes.size(); i-- > 0;)
        if (scope.expires_ms.contains(hashes[i])) {
            split.read = std::clamp<std::int64_t>(static_cast<std::int64_t>(tokens[i]), 0, total);
            split.written = total - split.read;
            break;
        }
    std::int64_t expiry = now_ms + limits_.ttl_ms;
    for (std::uint64_t hash : hashes) {
        auto [it, added] = scope.expires_ms.try_emplace(hash, expiry);
        it->second = expiry;
        if (added) ++total_;
    }
    bound(scope, expiry);
    while (total_ > limits_.max_prefixes && recency_.size() > 1) {
        auto oldest = scopes_.find(recency_.back());
        total_ -= oldest->second.expires_ms.size();
        scopes_.erase(oldest);
        recency_.pop_back();
    }
    return split;
}

PromptCacheMeter::Scope& PromptCacheMeter::touch(std::string scope_name) {
    auto it = scopes_.find(scope_name);
    if (it != scopes_.end()) {
        recency_.splice(recency_.begin(), recency_, it->second.recency);
        return it->second;
    }
    recency_.push_front(scope_name);
    Scope& scope = scopes_[std::move(scope_name)];
    scope.recency = recency_.begin();
    return scope;
}

void PromptCacheMeter::forget_expired(Scope& scope, std::int64_t now_ms) {
    total_ -=
        std::erase_if(scope.expires_ms, [&](const auto& entry) { return entry.second <= now_ms; });
}

// Over its share, a scope forgets what this request did not send, then whatever is left over:
// the request's own prefixes are what its next turn can hit.
void PromptCacheMeter::bound(Scope& scope, std::int64_t fresh_expiry_ms) {
    if (scope.expires_ms.size() <= limits_.max_per_scope) return;
    total_ -= std::erase_if(scope.expires_ms,
                            [&](const auto& entry) { return entry.second < fresh_expiry_ms; });
    for (auto it = scope.expires_ms.begin(); scope.expires_ms.size() > limits_.max_per_scope;) {
        it = scope.expires_ms.erase(it);
        --total_;
    }
}

}  // namespace amq
