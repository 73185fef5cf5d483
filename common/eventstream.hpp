// The AWS event stream binary framing (application/vnd.amazon.eventstream), big-endian:
//   total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload | message_crc u32
// prelude_crc = CRC32 (zlib/IEEE) of the first 8 bytes; message_crc = CRC32 of everything
// before it. Header: name_len u8 | name | type u8 | value. Pure: bytes in, messages out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace amq::eventstream {

inline constexpr std::size_t kMaxFrame = 16u << 20;

struct Bytes {  // type 6: raw bytes (distinct from a type 7 string)
    std::string data;
    bool operator==(const Bytes&) const = default;
};
struct Timestamp {  // type 8: milliseconds since the epoch
    std::int64_t ms;
    bool operator==(const Timestamp&) const = default;
};
using Uuid = std::array<std::uint8_t, 16>;  // type 9

// Types 0/1 (true/false) are one bool; 2..5 the integer widths; 7 a UTF-8 string.
using HeaderValue = std::variant<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, Bytes,
                                 std::string, Timestamp, Uuid>;

struct Header {
    std::string name;
    HeaderValue value;
};

struct Message {
    std::vector<Header> headers;
    std::string payload;

    const HeaderValue* find(std::string_view name) const;
    // The value of a string header (type 7), or nullopt when absent or of another type.
    std::optional<std::string_view> string_header(std::string_view name) const;
};

std::string encode(const Message& message);

// Incremental: a frame may arrive split across any number of feeds and one feed may hold
// many frames. A corrupt frame (bad CRC, impossible lengths, bad header) is an error and the
// decoder stays failed: nothing after it can be trusted.
class Decoder {
public:
    explicit Decoder(std::size_t max_frame = kMaxFrame);
    void feed(std::string_view bytes);
    Result<std::optional<Message>> next();
    std::size_t buffered() const;

private:
    std::size_t max_frame_;
    std::string buffer_;
    std::size_t consumed_ = 0;
    std::uint64_t buffer_offset_ = 0;  // stream offset of buffer_[0], for error messages
    bool failed_ = false;
};

}  // namespace amq::eventstream
