#include "daemon/master/store_records.hpp"

#include <utility>

#include "common/strings.hpp"

namespace amq {
namespace {

// Each kind with its name, for the JSON and the differences.
template <class Fn>
void each_count(const RecordCounts& c, Fn&& fn) {
    std::pair<const char*, std::uint64_t> all[] = {
        {"counters", c.counters}, {"accounts", c.accounts}, {"credentials", c.credentials},
        {"health", c.health},     {"keys", c.keys},         {"usage", c.usage},
        {"rollups", c.rollups},   {"audit", c.audit}};
    for (auto [name, n] : all) fn(name, n);
}

}  // namespace

void write_record_counts(JsonWriter& w, const RecordCounts& counts) {
    w.StartObject();
    each_count(counts, [&](const char* name, std::uint64_t n) {
        w.Key(name);
        w.Uint64(n);
    });
    w.EndObject();
}

std::string count_differences(const RecordCounts& read, const RecordCounts& stored) {
    std::vector<std::pair<const char*, std::uint64_t>> held;
    each_count(stored, [&](const char* name, std::uint64_t n) { held.emplace_back(name, n); });
    std::string out;
    std::size_t i = 0;
    each_count(read, [&](const char* name, std::uint64_t n) {
        std::uint64_t kept = held[i++].second;
        if (n == kept) return;
        out += str_cat(out.empty() ? "" : "; ", name, " ", n, " read, ", kept, " stored");
    });
    return out;
}

Status CountingSink::count(std::uint64_t& n) {
    if (cancel_ && *cancel_)
        return make_error(Errc::unavailable, "the copy stopped: the daemon is stopping");
    ++n;
    return {};
}

Status CountingSink::counter(std::string_view name, std::uint64_t value) {
    if (Status st = count(counted_.counters); !st) return st;
    return target_.counter(name, value);
}
Status CountingSink::account(const Account& account) {
    if (Status st = count(counted_.accounts); !st) return st;
    return target_.account(account);
}
Status CountingSink::credentials(std::uint64_t account_id, std::string_view sealed) {
    if (Status st = count(counted_.credentials); !st) return st;
    return target_.credentials(account_id, sealed);
}
Status CountingSink::health(std::uint64_t account_id, const AccountHealth& health) {
    if (Status st = count(counted_.health); !st) return st;
    return target_.health(account_id, health);
}
Status CountingSink::key(const ApiKey& key) {
    if (Status st = count(counted_.keys); !st) return st;
    return target_.key(key);
}
Status CountingSink::usage(const UsageRecord& record) {
    if (Status st = count(counted_.usage); !st) return st;
    return target_.usage(record);
}
Status CountingSink::rollup(const Rollup& rollup) {
    if (Status st = count(counted_.rollups); !st) return st;
    return target_.rollup(rollup);
}
Status CountingSink::audit(const AuditEntry& entry) {
    if (Status st = count(counted_.audit); !st) return st;
    return target_.audit(entry);
}

}  // namespace amq
