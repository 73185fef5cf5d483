#include "common/eventstream.hpp"

#include <cstring>
#include <type_traits>
#include <utility>

#include "common/checksum.hpp"
#include "common/strings.hpp"

namespace amq::eventstream {

namespace {

constexpr std::size_t kPreludeBytes = 12;   // total_len, headers_len, prelude_crc
constexpr std::size_t kOverheadBytes = 16;  // the prelude plus the trailing message_crc
constexpr std::size_t kMaxHeaderName = 0xff;
constexpr std::size_t kMaxHeaderValue = 0xffff;

enum HeaderType : std::uint8_t {
    kTrue = 0,
    kFalse = 1,
    kInt8 = 2,
    kInt16 = 3,
    kInt32 = 4,
    kInt64 = 5,
    kBytes = 6,
    kString = 7,
    kTimestamp = 8,
    kUuid = 9,
};

std::string hex32(std::uint32_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kDigits[(v >> shift) & 0xf]);
    return out;
}

std::uint64_t load_be(std::string_view bytes, std::size_t at, std::size_t width) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    }
    return v;
}

std::uint32_t load_be32(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint32_t>(load_be(bytes, at, 4));
}

void put_be(std::string& out, std::uint64_t v, std::size_t width) {
    for (std::size_t i = width; i-- > 0;) out.push_back(static_cast<char>(v >> (8 * i)));
}

Error frame_error(std::uint64_t at, std::string_view what) {
    return make_error(Errc::protocol, str_cat("event stream frame at byte ", at, ": ", what));
}

// ---- encoding ----

void put_sized(std::string& out, std::string_view data) {
    // encode() cannot fail; an oversized value is cut to what the u16 length can express
    // rather than written as a frame whose lengths lie.
    data = data.substr(0, kMaxHeaderValue);
    put_be(out, data.size(), 2);
    out.append(data);
}

void put_header(std::string& out, const Header& header) {
    std::string_view name = std::string_view(header.name).substr(0, kMaxHeaderName);
    out.push_back(static_cast<char>(name.size()));
    out.append(name);
    std::visit(
        [&out](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            auto tag = [&out](HeaderType t) { out.push_back(static_cast<char>(t)); };
            if constexpr (std::is_same_v<T, bool>) {
                tag(v ? kTrue : kFalse);
            } else if constexpr (std::is_integral_v<T>) {
                if constexpr (sizeof(T) == 1) tag(kInt8);
                if constexpr (sizeof(T) == 2) tag(kInt16);
                if constexpr (sizeof(T) == 4) tag(kInt32);
                if constexpr (sizeof(T) == 8) tag(kInt64);
                put_be(out, static_cast<std::make_unsigned_t<T>>(v), sizeof(T));
            } else if constexpr (std::is_same_v<T, Bytes>) {
                tag(kBytes);
                put_sized(out, v.data);
            } else if constexpr (std::is_same_v<T, std::string>) {
                tag(kString);
                put_sized(out, v);
            } else if constexpr (std::is_same_v<T, Timestamp>) {
                tag(kTimestamp);
                put_be(out, static_cast<std::uint64_t>(v.ms), 8);
            } else {
                static_assert(std::is_same_v<T, Uuid>);
                tag(kUuid);
                out.append(reinterpret_cast<const char*>(v.data()), v.size());
            }
        },
        header.value);
}

// ---- decoding ----

// Reads the headers block of one frame; offsets in errors are relative to the frame start.
class HeaderReader {
public:
    explicit HeaderReader(std::string_view block) : block_(block) {}

    Result<std::vector<Header>> read_all() {
        std::vector<Header> headers;
        while (pos_ < block_.size()) {
            auto header = read_one();
            if (!header.ok()) return header.error();
            headers.push_back(std::move(*header));
        }
        return headers;
    }

private:
    Result<Header> read_one() {
        start_ = pos_;
        if (!fits(1, "name length")) return error_;
        std::size_t name_len = take_uint(1);
        if (!fits(name_len, "name")) return error_;
        Header header{std::string(block_.substr(pos_, name_len)), false};
        pos_ += name_len;
        if (!fits(1, "value type")) return error_;
        auto value = read_value(static_cast<std::uint8_t>(take_uint(1)));
        if (!value.ok()) return value.error();
        header.value = std::move(*value);
        return header;
    }

    Result<HeaderValue> read_value(std::uint8_t type) {
        switch (type) {
            case kTrue: return HeaderValue(true);
            case kFalse: return HeaderValue(false);
            case kInt8: return read_int<std::int8_t>("int8 value");
            case kInt16: return read_int<std::int16_t>("int16 value");
            case kInt32: return read_int<std::int32_t>("int32 value");
            case kInt64: return read_int<std::int64_t>("int64 value");
            case kBytes: return read_sized<Bytes>("bytes value");
            case kString: return read_sized<std::string>("string value");
            case kTimestamp: {
                if (!fits(8, "timestamp value")) return error_;
                return HeaderValue(Timestamp{static_cast<std::int64_t>(take_uint(8))});
            }
            case kUuid: {
                if (!fits(16, "uuid value")) return error_;
                Uuid uuid;
                std::memcpy(uuid.data(), block_.data() + pos_, uuid.size());
                pos_ += uuid.size();
                return HeaderValue(uuid);
            }
        }
        return fail(str_cat("unknown value type ", static_cast<unsigned>(type)));
    }

    template <class T>
    Result<HeaderValue> read_int(std::string_view what) {
        if (!fits(sizeof(T), what)) return error_;
        // Unsigned to signed conversion is modular since C++20: this is two's complement.
        return HeaderValue(static_cast<T>(take_uint(sizeof(T))));
    }

    template <class T>
    Result<HeaderValue> read_sized(std::string_view what) {
        if (!fits(2, str_cat(what, " length"))) return error_;
        std::size_t len = take_uint(2);
        if (!fits(len, what)) return error_;
        std::string data(block_.substr(pos_, len));
        pos_ += len;
        if constexpr (std::is_same_v<T, Bytes>)
            return HeaderValue(Bytes{std::move(data)});
        else
            return HeaderValue(std::move(data));
    }

    bool fits(std::size_t n, std::string_view what) {
        if (block_.size() - pos_ >= n) return true;
        error_ = fail(str_cat(what, " of ", n, " bytes runs past the end of the headers",
                              " at frame byte ", kPreludeBytes + block_.size()));
        return false;
    }

    Error fail(std::string what) const {
        return Error{Errc::protocol,
                     str_cat("header at frame byte ", kPreludeBytes + start_, ": ", what)};
    }

    std::uint64_t take_uint(std::size_t width) {
        std::uint64_t v = load_be(block_, pos_, width);
        pos_ += width;
        return v;
    }

    std::string_view block_;
    std::size_t pos_ = 0;
    std::size_t start_ = 0;
    Error error_{Errc::internal, {}};
};

// The length of the frame at the front of `pending` once its prelude checks out, or 0 while
// too few bytes are there to know. Each check runs as soon as its bytes are in, so a frame
// announcing a huge body is refused before anyone waits for (or buffers) that body.
Result<std::size_t> check_prelude(std::string_view pending, std::size_t max_frame,
                                  std::uint64_t at) {
    if (pending.size() < 4) return std::size_t{0};
    std::uint32_t total = load_be32(pending, 0);
    if (pending.size() >= kPreludeBytes) {
        // With a bad CRC the lengths are noise: say so rather than blame a length.
        std::uint32_t expected = load_be32(pending, 8);
        std::uint32_t actual = crc32_of(pending.substr(0, 8));
        if (actual != expected) {
            return frame_error(at, str_cat("bad prelude CRC (frame says ", hex32(expected),
                                           ", bytes give ", hex32(actual), ")"));
        }
    }
    if (total < kOverheadBytes) {
        return frame_error(
            at, str_cat("total length ", total, " is below the minimum of ", kOverheadBytes));
    }
    if (total > max_frame) {
        return frame_error(
            at, str_cat("total length ", total, " exceeds the cap of ", max_frame, " bytes"));
    }
    if (pending.size() < kPreludeBytes) return std::size_t{0};
    std::uint32_t headers_len = load_be32(pending, 4);
    if (headers_len > total - kOverheadBytes) {
        return frame_error(at, str_cat("headers length ", headers_len, " exceeds total length ",
                                       total, " minus ", kOverheadBytes));
    }
    return std::size_t{total};
}

// Decodes one complete frame whose prelude already checked out.
Result<Message> decode_frame(std::string_view frame, std::uint64_t at) {
    std::size_t crc_at = frame.size() - 4;
    std::uint32_t expected = load_be32(frame, crc_at);
    std::uint32_t actual = crc32_of(frame.substr(0, crc_at));
    if (actual != expected) {
        return frame_error(at, str_cat("bad message CRC (frame says ", hex32(expected),
                                       ", bytes give ", hex32(actual), ")"));
    }
    std::size_t headers_len = load_be32(frame, 4);
    auto headers = HeaderReader(frame.substr(kPreludeBytes, headers_len)).read_all();
    if (!headers.ok()) return frame_error(at, headers.error().message);
    std::size_t payload_at = kPreludeBytes + headers_len;
    std::string payload(frame.substr(payload_at, crc_at - payload_at));
    return Message{std::move(*headers), std::move(payload)};
}

}  // namespace

const HeaderValue* Message::find(std::string_view name) const {
    for (const auto& header : headers) {
        if (header.name == name) return &header.value;
    }
    return nullptr;
}

std::optional<std::string_view> Message::string_header(std::string_view name) const {
    const HeaderValue* value = find(name);
    if (value == nullptr) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(value)) return std::string_view(*s);
    return std::nullopt;
}

std::string encode(const Message& message) {
    std::string headers;
    for (const auto& header : message.headers) put_header(headers, header);
    std::size_t total = kOverheadBytes + headers.size() + message.payload.size();
    std::string out;
    out.reserve(total);
    put_be(out, total, 4);
    put_be(out, headers.size(), 4);
    put_be(out, crc32_of(out), 4);
    out.append(headers);
    out.append(message.payload);
    put_be(out, crc32_of(out), 4);
    return out;
}

Decoder::Decoder(std::size_t max_frame) : max_frame_(max_frame) {}

void Decoder::feed(std::string_view bytes) {
    if (failed_) return;  // nothing after a corrupt frame can be trusted: don't hoard it
    // Compact lazily so that a stream of small frames does not shift the buffer every time.
    if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
        buffer_offset_ += consumed_;
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    buffer_.append(bytes);
}

Result<std::optional<Message>> Decoder::next() {
    std::uint64_t at = buffer_offset_ + consumed_;
    if (failed_) {
        return make_error(Errc::protocol,
                          str_cat("event stream already failed at the frame at byte ", at));
    }
    std::string_view pending(buffer_.data() + consumed_, buffered());
    auto fail = [&](Error error) -> Result<std::optional<Message>> {
        // Keep only the offset (for later errors) and release what may be megabytes.
        failed_ = true;
        buffer_.clear();
        buffer_.shrink_to_fit();
        buffer_offset_ = at;
        consumed_ = 0;
        return error;
    };
    auto total = check_prelude(pending, max_frame_, at);
    if (!total.ok()) return fail(total.error());
    if (*total == 0 || pending.size() < *total) return std::optional<Message>{};
    auto message = decode_frame(pending.substr(0, *total), at);
    if (!message.ok()) return fail(message.error());
    consumed_ += *total;
    return std::optional<Message>(std::move(*message));
}

std::size_t Decoder::buffered() const { return buffer_.size() - consumed_; }

}  // namespace amq::eventstream
