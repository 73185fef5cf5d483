// libFuzzer entry point for the length-prefixed frame decoder (worker channel, control
// socket). Input layout: see chunked_input.hpp (the small cap is a 16-byte payload).
// Every payload is exactly the bytes its header announced, where the stream says they are,
// and re-encodes to the frame it came from; the decoder fails exactly when a header announces
// more than the cap, and then stays failed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/frame.hpp"
#include "common/result.hpp"
#include "tests/fuzz/chunked_input.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

std::uint32_t announced(std::string_view header) {
    std::uint32_t n = 0;
    for (char c : header.substr(0, amq::kFrameHeaderBytes))
        n = n << 8 | static_cast<unsigned char>(c);
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = amq_fuzz::ChunkedInput::parse(data, size);
    if (!input) return 0;
    std::string_view stream = input->stream();
    std::size_t cap = input->small_cap() ? 16 : amq::kChannelFrameMax;

    amq::FrameDecoder decoder(cap);
    std::size_t fed = 0;       // bytes of `stream` given to the decoder
    std::size_t frame_at = 0;  // where the next undecoded frame starts in `stream`
    while (fed < stream.size()) {
        std::string_view chunk = input->next_chunk(fed);
        decoder.feed(chunk);
        fed += chunk.size();
        for (;;) {
            FUZZ_CHECK(decoder.buffered() == fed - frame_at);
            auto next = decoder.next();
            std::string_view rest = stream.substr(frame_at, fed - frame_at);
            if (!next.ok()) {
                FUZZ_CHECK(next.error().code == amq::Errc::too_large);
                FUZZ_CHECK(rest.size() >= amq::kFrameHeaderBytes && announced(rest) > cap);
                FUZZ_CHECK(!decoder.next().ok());  // stays failed
                decoder.feed("more");
                FUZZ_CHECK(!decoder.next().ok());
                return 0;
            }
            if (!next->has_value()) {
                FUZZ_CHECK(rest.size() < amq::kFrameHeaderBytes ||
                           (announced(rest) <= cap &&
                            rest.size() < amq::kFrameHeaderBytes + announced(rest)));
                break;
            }
            const std::string& payload = **next;
            FUZZ_CHECK(payload.size() == announced(rest) && payload.size() <= cap);
            std::string frame = amq::encode_frame(payload);
            FUZZ_CHECK(rest.substr(0, frame.size()) == frame);
            frame_at += frame.size();
        }
    }
    FUZZ_CHECK(decoder.buffered() == stream.size() - frame_at);
    return 0;
}
