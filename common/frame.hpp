// Length-prefixed frames of the worker channel and the control socket: a 4-byte big-endian
// payload length, then the payload (a JSON document). Pure: bytes in, payloads out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace amq {

inline constexpr std::size_t kFrameHeaderBytes = 4;
// Worker channel frames carry admits and reports; a few KiB each. Control replies can list
// every account and key, so the control socket allows more.
inline constexpr std::size_t kChannelFrameMax = 1u << 20;
inline constexpr std::size_t kControlFrameMax = 16u << 20;

std::string encode_frame(std::string_view payload);

class FrameDecoder {
public:
    explicit FrameDecoder(std::size_t max_payload) : max_payload_(max_payload) {}

    void feed(std::string_view bytes);
    // A complete payload, nullopt when more bytes are needed, or an error once a frame
    // announces more than the cap (the decoder stays failed: the peer is broken).
    Result<std::optional<std::string>> next();
    std::size_t buffered() const { return buffer_.size() - consumed_; }

private:
    std::size_t max_payload_;
    std::string buffer_;
    std::size_t consumed_ = 0;
    bool failed_ = false;
};

}  // namespace amq
