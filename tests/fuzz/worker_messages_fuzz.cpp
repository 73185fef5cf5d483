// libFuzzer entry point for the worker ⇄ master message decoders (common/worker_messages):
// any JSON decodes to a message or to an error naming a field, never a crash; a decoded
// message re-encodes to JSON that decodes to the same message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/json.hpp"
#include "common/worker_messages.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

template <class M>
void check(const rapidjson::Value& v) {
    auto m = amq::decode_message<M>(v);
    if (!m.ok()) {
        FUZZ_CHECK(!m.error().message.empty());
        return;
    }
    auto again = amq::parse_json(amq::encode_message(*m));
    FUZZ_CHECK(again.ok());
    auto same = amq::decode_message<M>(*again);
    FUZZ_CHECK(same.ok());
    FUZZ_CHECK(*same == *m);
}

template <class... M>
void check_all(const rapidjson::Value& v) {
    (check<M>(v), ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto doc = amq::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!doc.ok()) return 0;
    using namespace amq;
    check_all<Hello, Heartbeat, PoolSummary, WorkerRefused, LogLevelChange, AuthRequest, KeyGrant,
              MetricsRequest, AdminCall, AdmitRequest, RefreshRequest, AccountGrant,
              AttemptOutcome, UsageReport, AnsweredRequest>(*doc);
    return 0;
}
