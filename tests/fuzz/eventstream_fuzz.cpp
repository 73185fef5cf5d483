// libFuzzer entry point for the event stream decoder. Input layout:
//   byte 0: bit 7 = use a 64-byte frame cap (reaches the cap checks with small inputs),
//           bits 0-2 = n, how many chunk-size bytes follow
//   bytes 1..n: chunk sizes (each + 1), cycled; with n = 0 the stream arrives in one feed
//   the rest: the byte stream
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
    if (size == 0) return 0;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    bool small_cap = (data[0] & 0x80) != 0;
    std::size_t n_sizes = std::min<std::size_t>(data[0] & 0x07, size - 1);
    std::string_view sizes = input.substr(1, n_sizes);
    std::string_view stream = input.substr(1 + n_sizes);

    Decoder decoder(small_cap ? 64 : amq::eventstream::kMaxFrame);
    std::size_t fed = 0;       // bytes of `stream` given to the decoder
    std::size_t frame_at = 0;  // where the next undecoded frame starts in `stream`
    for (std::size_t chunk = 0; fed < stream.size(); ++chunk) {
        std::size_t len = stream.size() - fed;
        if (!sizes.empty()) {
            auto size_byte = static_cast<unsigned char>(sizes[chunk % sizes.size()]);
            len = std::min<std::size_t>(len, size_byte + 1u);
        }
        decoder.feed(stream.substr(fed, len));
        fed += len;
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
