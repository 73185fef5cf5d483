#include "daemon/master/store_records.hpp"

#include "common/strings.hpp"

namespace amq {
void write_record_counts(JsonWriter& w, const RecordCounts& counts) {
    w.StartObject();
    for (const RecordKind& kind : kRecordKinds) {
        w.Key(kind.name);
        w.Uint64(counts.*kind.count);
    }
    w.EndObject();
}

std::string count_differences(const RecordCounts& read, const RecordCounts& stored) {
    std::string out;
    for (const RecordKind& kind : kRecordKinds) {
        std::uint64_t n = read.*kind.count;
        std::uint64_t kept = stored.*kind.count;
        if (n != kept)
            out += str_cat(out.empty() ? "" : "; ", kind.name, " ", n, " read, ", kept, " stored");
    }
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
