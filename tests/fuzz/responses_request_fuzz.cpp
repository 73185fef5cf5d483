// libFuzzer entry point for the OpenAI Responses → Amazon Q translation. Input: the
// request body as JSON text (inputs that are not JSON stop at parse_json, as the daemon's
// would). Any request either fails with a 4xx-kind error or yields a body that keeps every
// invariant of request_checks.hpp; the translation is deterministic.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/json.hpp"
#include "common/responses_request.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/request_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto doc = amq::parse_json(text);
    if (!doc.ok()) return 0;
    const amq::TranslateOptions options = amq_fuzz::fuzz_translate_options();
    auto request = amq::translate_responses_request(*doc, options);
    if (!request.ok()) {
        amq_fuzz::check_translate_error(request.error());
        return 0;
    }
    amq_fuzz::check_upstream_request(request->upstream, options);
    // Every booked tool is offered under its flat name.
    for (const auto& [flat, tool] : request->responses.tools)
        FUZZ_CHECK(flat == amq::flat_tool_name(tool.name_space, tool.name));
    auto again = amq::translate_responses_request(*doc, options);
    FUZZ_CHECK(again.ok() && again->upstream.body == request->upstream.body);
    FUZZ_CHECK(again->upstream.estimated_input_tokens == request->upstream.estimated_input_tokens);
    return 0;
}
