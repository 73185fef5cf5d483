#include "common/frame.hpp"

#include "common/strings.hpp"

namespace amq {

std::string encode_frame(std::string_view payload) {
    auto n = static_cast<std::uint32_t>(payload.size());
    std::string out;
    out.reserve(kFrameHeaderBytes + payload.size());
    out.push_back(static_cast<char>(n >> 24));
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
    out.append(payload);
    return out;
}

void FrameDecoder::feed(std::string_view bytes) {
    // Compact lazily so that a stream of small frames does not shift the buffer every time.
    if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    buffer_.append(bytes);
}

Result<std::optional<std::string>> FrameDecoder::next() {
    if (failed_) return make_error(Errc::protocol, "frame stream already failed");
    if (buffered() < kFrameHeaderBytes) return std::optional<std::string>{};
    auto byte = [&](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(buffer_[consumed_ + i]));
    };
    std::uint32_t n = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
    if (n > max_payload_) {
        failed_ = true;
        return make_error(Errc::too_large,
                          str_cat("frame of ", n, " bytes exceeds the limit of ", max_payload_));
    }
    if (buffered() < kFrameHeaderBytes + n) return std::optional<std::string>{};
    std::string payload = buffer_.substr(consumed_ + kFrameHeaderBytes, n);
    consumed_ += kFrameHeaderBytes + n;
    return std::optional<std::string>(std::move(payload));
}

}  // namespace amq
