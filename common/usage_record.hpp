// One finished request: what the worker reports of it (worker_messages' UsageReport) and the
// master stores (record_codec), so that the two are one struct.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "common/field_table.hpp"

namespace amq {

struct UsageRecord {
    std::int64_t time_ms = 0;  // when it ended; the master stamps it on arrival
    std::uint64_t key_id = 0;
    std::uint64_t account_id = 0;  // 0 = never reached an account
    std::string endpoint;          // the client's route
    std::string client_model;
    std::string upstream_model;
    bool stream = false;
    int status = 0;
    std::string error_class;  // "" on success; see kRejectedClass (records.hpp)
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t credits_micros = 0;  // the upstream's meteringEvents, in millionths of a credit
    std::int64_t ttfb_ms = 0;
    std::int64_t duration_ms = 0;
    int attempts = 0;
    std::string client_address;
    std::string user_agent;
    std::string request_id;  // the request-id header's value, as the log lines name it

    bool operator==(const UsageRecord&) const = default;
};

// What the statistics count as an error: a failure status, no answer, or an error class.
inline bool is_error(const UsageRecord& u) {
    return u.status >= 400 || u.status == 0 || !u.error_class.empty();
}

// Its fields, for any struct that is a usage record (the stored one, the worker's report).
template <class M>
constexpr std::array<Field<M>, 18> usage_record_fields() {
    return {{
        {"time_ms", &M::time_ms},
        {"key_id", &M::key_id},
        {"account_id", &M::account_id},
        {"endpoint", &M::endpoint},
        {"client_model", &M::client_model},
        {"upstream_model", &M::upstream_model},
        {"stream", &M::stream},
        {"status", &M::status},
        {"error_class", &M::error_class},
        {"input_tokens", &M::input_tokens},
        {"output_tokens", &M::output_tokens},
        {"credits_micros", &M::credits_micros},
        {"ttfb_ms", &M::ttfb_ms},
        {"duration_ms", &M::duration_ms},
        {"attempts", &M::attempts},
        {"client_address", &M::client_address},
        {"user_agent", &M::user_agent},
        {"request_id", &M::request_id},
    }};
}

}  // namespace amq
