// The input layout of the targets that fuzz a streaming decoder, which must decode the same
// bytes alike however the network cuts them:
//   byte 0: bit 7 = use the target's small cap (reaches the cap checks with small inputs),
//           bits 0-2 = n, how many chunk-size bytes follow
//   bytes 1..n: chunk sizes (each + 1), cycled; with n = 0 the stream arrives in one feed
//   the rest: the byte stream
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace amq_fuzz {

class ChunkedInput {
public:
    // nullopt for the empty input, which has no layout byte.
    static std::optional<ChunkedInput> parse(const std::uint8_t* data, std::size_t size) {
        if (size == 0) return std::nullopt;
        std::string_view input(reinterpret_cast<const char*>(data), size);
        std::size_t n_sizes = std::min<std::size_t>(data[0] & 0x07, size - 1);
        return ChunkedInput((data[0] & 0x80) != 0, input.substr(1, n_sizes),
                            input.substr(1 + n_sizes));
    }

    bool small_cap() const { return small_cap_; }
    std::string_view stream() const { return stream_; }

    // The next piece of the stream to feed, the `fed` bytes before it having been fed.
    std::string_view next_chunk(std::size_t fed) {
        std::size_t len = stream_.size() - fed;
        if (!sizes_.empty()) {
            auto size_byte = static_cast<unsigned char>(sizes_[chunks_++ % sizes_.size()]);
            len = std::min<std::size_t>(len, size_byte + 1u);
        }
        return stream_.substr(fed, len);
    }

private:
    ChunkedInput(bool small_cap, std::string_view sizes, std::string_view stream)
        : small_cap_(small_cap), sizes_(sizes), stream_(stream) {}

    bool small_cap_;
    std::string_view sizes_;
    std::string_view stream_;
    std::size_t chunks_ = 0;
};

}  // namespace amq_fuzz
