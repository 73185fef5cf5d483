// libFuzzer entry point for the event stream decoder. Input layout: see chunked_input.hpp
// (the small cap is 64 bytes).
// Every decoded message must re-encode to exactly the bytes it came from (the encoding is
// canonical) and decode again to an equal message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "common/eventstream.hpp"
#include "tests/fuzz/chunked_input.hpp"

namespace {

using amq::eventstream::Decoder;
using amq::eventstream::Message;

void check(bool ok) {
    if (!ok) std::abort();
}

bool same(const Message& a, const Message& b) {
    if (a.payload != b.payload || a.headers.size() != b.headers.size()) return false;
    for (std::size_t i = 0; i < a.headers.size(); ++i) {
        if (a.headers[i].name != b.headers[i].name) return false;
        if (!(a.headers[i].value == b.headers[i].value)) return false;
    }
    return true;
}

void check_round_trip(const Message& message, std::string_view original) {
    std::string bytes = amq::eventstream::encode(message);
    check(bytes == original);
    Decoder decoder;
    decoder.feed(bytes);
    auto again = decoder.next();
    check(again.ok() && again->has_value() && same(**again, message));
    auto rest = decoder.next();
    check(rest.ok() && !rest->has_value() && decoder.buffered() == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = amq_fuzz::ChunkedInput::parse(data, size);
    if (!input) return 0;
    std::string_view stream = input->stream();

    Decoder decoder(input->small_cap() ? 64 : amq::eventstream::kMaxFrame);
    std::size_t fed = 0;       // bytes of `stream` given to the decoder
    std::size_t frame_at = 0;  // where the next undecoded frame starts in `stream`
    while (fed < stream.size()) {
        std::string_view chunk = input->next_chunk(fed);
        decoder.feed(chunk);
        fed += chunk.size();
        for (;;) {
            auto next = decoder.next();
            if (!next.ok()) {
                check(!decoder.next().ok());  // stays failed
                return 0;
            }
            if (!next->has_value()) break;
            std::size_t frame_end = fed - decoder.buffered();
            check(frame_end > frame_at);
            check_round_trip(**next, stream.substr(frame_at, frame_end - frame_at));
            frame_at = frame_end;
        }
    }
    check(fed - decoder.buffered() == frame_at);
    return 0;
}
