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
// The worker's data channel carries admits, grants and reports: small, and a request's
// latency depends on them, so a frame is capped at 1 MiB. Admin commands (imports, listings
// of every account and key) ride the control socket, or a worker's admin channel, which take
// the same 16 MiB.
inline constexpr std::size_t kChannelFrameMax = 1u << 20;
inline constexpr std::size_t kControlFrameMax = 16u << 20;
inline constexpr std::size_t kAdminFrameMax = kControlFrameMax;

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
