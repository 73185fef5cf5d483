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

template <class M, class Decode>
void check(const rapidjson::Value& v, Decode decode) {
    auto m = decode(v);
    if (!m.ok()) {
        FUZZ_CHECK(!m.error().message.empty());
        return;
    }
    auto again = amq::parse_json(amq::encode_message(*m));
    FUZZ_CHECK(again.ok());
    auto same = decode(*again);
    FUZZ_CHECK(same.ok());
    FUZZ_CHECK(*same == *m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto doc = amq::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!doc.ok()) return 0;
    check<amq::AdmitRequest>(*doc, amq::decode_admit_request);
    check<amq::RefreshRequest>(*doc, amq::decode_refresh_request);
    check<amq::AccountGrant>(*doc, amq::decode_account_grant);
    check<amq::AttemptOutcome>(*doc, amq::decode_attempt_outcome);
    check<amq::UsageReport>(*doc, amq::decode_usage_report);
    check<amq::AnsweredRequest>(*doc, amq::decode_answered_request);
    return 0;
}
