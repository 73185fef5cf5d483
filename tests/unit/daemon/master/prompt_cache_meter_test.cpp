#define BOOST_TEST_MODULE daemon_master_prompt_cache_meter
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "daemon/master/prompt_cache_meter.hpp"

using amq::CacheSplit;
using amq::PromptCacheMeter;
using Hashes = std::vector<std::uint64_t>;

namespace {

constexpr std::int64_t kTtl = 300'000;

PromptCacheMeter meter() { return PromptCacheMeter({.ttl_ms = kTtl}); }

// Prefix i of a conversation is hash 100 + i and holds 1000 × (i + 1) tokens.
struct Prompt {
    Hashes hashes, tokens;
};
Prompt turns(std::size_t n, std::uint64_t base = 100) {
    Prompt p;
    for (std::size_t i = 0; i < n; ++i) {
        p.hashes.push_back(base + i);
        p.tokens.push_back(1000 * (i + 1));
    }
    return p;
}

CacheSplit send(PromptCacheMeter& m, const Prompt& p, std::int64_t now, std::uint64_t key = 1,
                const char* session = "s") {
    return m.meter(key, session, p.hashes, p.tokens, now);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_first_request_writes_everything) {
    auto m = meter();
    CacheSplit s = send(m, turns(3), 0);
    BOOST_TEST(s.read == 0);
    BOOST_TEST(s.written == 3000);
}

BOOST_AUTO_TEST_CASE(the_next_turn_reads_the_previous_prompt_and_writes_the_rest) {
    auto m = meter();
    send(m, turns(3), 0);
    CacheSplit s = send(m, turns(5), 10'000);
    BOOST_TEST(s.read == 3000);
    BOOST_TEST(s.written == 2000);
    CacheSplit again = send(m, turns(5), 20'000);  // the same prompt once more: all read
    BOOST_TEST(again.read == 5000);
    BOOST_TEST(again.written == 0);
}

BOOST_AUTO_TEST_CASE(a_rewound_conversation_reads_up_to_where_it_forks) {
    auto m = meter();
    send(m, turns(6), 0);
    Prompt fork = turns(4);
    fork.hashes.push_back(999);  // a new fifth turn
    fork.tokens.push_back(4700);
    CacheSplit s = send(m, fork, 1000);
    BOOST_TEST(s.read == 4000);
    BOOST_TEST(s.written == 700);
}

BOOST_AUTO_TEST_CASE(keys_and_sessions_never_see_each_others_prefixes) {
    auto m = meter();
    send(m, turns(3), 0, 1, "a");
    BOOST_TEST(send(m, turns(3), 1, 1, "b").read == 0);
    BOOST_TEST(send(m, turns(3), 2, 2, "a").read == 0);
    BOOST_TEST(send(m, turns(3), 3, 1, "a").read == 3000);
    BOOST_TEST(m.scopes() == 3u);
}

BOOST_AUTO_TEST_CASE(a_prefix_expires_after_the_ttl_unless_a_hit_renews_it) {
    auto m = meter();
    send(m, turns(2), 0);
    BOOST_TEST(send(m, turns(2), kTtl - 1).read == 2000);  // a hit: renewed until 2 ttl - 1
    BOOST_TEST(send(m, turns(2), 2 * kTtl - 2).read == 2000);
    BOOST_TEST(send(m, turns(2), 4 * kTtl).read == 0);
}

BOOST_AUTO_TEST_CASE(an_unusable_request_is_neither_read_nor_remembered) {
    auto m = meter();
    Prompt odd = turns(3);
    odd.tokens.pop_back();
    CacheSplit s = send(m, odd, 0);
    BOOST_TEST(s.read == 0);
    BOOST_TEST(s.written == 0);
    BOOST_TEST(m.prefixes() == 0u);
}

BOOST_AUTO_TEST_CASE(a_scope_keeps_at_most_its_share_favouring_the_latest_request) {
    PromptCacheMeter m({.ttl_ms = kTtl, .max_prefixes = 1000, .max_per_scope = 8});
    send(m, turns(5, 100), 0);
    send(m, turns(5, 200), 1);  // over the share: the older conversation's prefixes go
    BOOST_TEST(m.prefixes() <= 8u);
    BOOST_TEST(send(m, turns(5, 200), 2).read == 5000);
}

BOOST_AUTO_TEST_CASE(over_the_total_the_least_recently_used_scopes_leave) {
    PromptCacheMeter m({.ttl_ms = kTtl, .max_prefixes = 10, .max_per_scope = 8});
    send(m, turns(4), 0, 1, "old");
    send(m, turns(4), 1, 1, "used");
    send(m, turns(4), 2, 1, "old");  // "used" is now the least recently used
    send(m, turns(4), 3, 1, "new");
    BOOST_TEST(m.prefixes() <= 10u);
    BOOST_TEST(send(m, turns(4), 4, 1, "used").read == 0);
}
