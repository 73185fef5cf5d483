#define BOOST_TEST_MODULE eventstream
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/eventstream.hpp"

using amq::Errc;
using amq::eventstream::Bytes;
using amq::eventstream::Decoder;
using amq::eventstream::encode;
using amq::eventstream::Header;
using amq::eventstream::HeaderValue;
using amq::eventstream::Message;
using amq::eventstream::Timestamp;
using amq::eventstream::Uuid;

namespace {

std::uint32_t zlib_crc(std::string_view bytes) {
    return static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

// A prelude with a correct CRC, so that the checks behind the CRC can be reached.
std::string prelude(std::uint32_t total_len, std::uint32_t headers_len) {
    std::string p = be32(total_len) + be32(headers_len);
    return p + be32(zlib_crc(p));
}

// A whole frame from raw header bytes, with both CRCs right: for hand-made bad headers.
std::string raw_frame(std::string_view headers, std::string_view payload) {
    auto total = static_cast<std::uint32_t>(16 + headers.size() + payload.size());
    std::string f = prelude(total, static_cast<std::uint32_t>(headers.size()));
    f.append(headers);
    f.append(payload);
    return f + be32(zlib_crc(f));
}

Message event(std::string_view type, std::string payload) {
    return Message{{{":message-type", std::string("event")},
                    {":event-type", std::string(type)},
                    {":content-type", std::string("application/json")}},
                   std::move(payload)};
}

// Takes every complete message out of the decoder; fails the test on a decoder error.
void drain(Decoder& decoder, std::vector<Message>& out) {
    for (;;) {
        auto next = decoder.next();
        if (!next.ok()) BOOST_FAIL("decoder error: " << next.error().message);
        if (!*next) return;
        out.push_back(std::move(**next));
    }
}

// Feeds `bytes` and returns the first error the decoder reports (failing when there is none).
amq::Error first_error(Decoder& decoder, std::string_view bytes) {
    decoder.feed(bytes);
    for (;;) {
        auto next = decoder.next();
        if (!next.ok()) return next.error();
        if (!*next) BOOST_FAIL("expected a decoder error, got none");
    }
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

void check_same(const Message& got, const Message& want) {
    BOOST_TEST(got.payload == want.payload);
    BOOST_REQUIRE_EQUAL(got.headers.size(), want.headers.size());
    for (std::size_t i = 0; i < want.headers.size(); ++i) {
        BOOST_TEST_CONTEXT("header " << i << " " << want.headers[i].name) {
            BOOST_TEST(got.headers[i].name == want.headers[i].name);
            BOOST_TEST(got.headers[i].value.index() == want.headers[i].value.index());
            BOOST_TEST((got.headers[i].value == want.headers[i].value));
        }
    }
}

void check_same(const std::vector<Message>& got, const std::vector<Message>& want) {
    BOOST_REQUIRE_EQUAL(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        BOOST_TEST_CONTEXT("message " << i) { check_same(got[i], want[i]); }
    }
}

// What an Amazon Q generateAssistantResponse stream looks like, ending in an exception.
const std::vector<Message>& recorded_messages() {
    static const std::vector<Message> messages = {
        event("initial-response", R"({"conversationId":"5f0c9e2a-1d3b-4c1e-9d7a-0b6f2e8c4a11"})"),
        event("assistantResponseEvent", R"({"content":"Let me look"})"),
        event("assistantResponseEvent", R"({"content":" at that file."})"),
        event("toolUseEvent", R"({"toolUseId":"tooluse_Ab3","name":"read_file","input":""})"),
        event("toolUseEvent",
              R"({"toolUseId":"tooluse_Ab3","name":"read_file","input":"{\"path\":\"/etc/)"
              R"(hosts\"}"})"),
        event("toolUseEvent", R"({"toolUseId":"tooluse_Ab3","name":"read_file","stop":true})"),
        event("metadataEvent",
              R"({"tokenUsage":{"uncachedInputTokens":1200,"outputTokens":57,)"
              R"("totalTokens":1257,"cacheReadInputTokens":0,"cacheWriteInputTokens":0,)"
              R"("contextUsagePercentage":0.6},"stopReason":"TOOL_USE"})"),
        Message{{{":message-type", std::string("exception")},
                 {":exception-type", std::string("ThrottlingException")},
                 {":content-type", std::string("application/json")}},
                R"({"message":"Too many requests, please wait before trying again."})"},
    };
    return messages;
}

std::string recorded_stream() {
    std::string stream;
    for (const auto& m : recorded_messages()) stream += encode(m);
    return stream;
}

}  // namespace

BOOST_AUTO_TEST_CASE(zlib_crc32_is_the_ieee_one) {
    BOOST_TEST(zlib_crc("123456789") == 0xCBF43926u);
}

BOOST_AUTO_TEST_CASE(decodes_a_hand_built_frame) {
    // Headers, each name_len u8 | name | type u8 (7 = string) | value_len u16 | value:
    //   ":message-type" (13) = "event" (5):                  1 + 13 + 1 + 2 + 5  = 22
    //   ":event-type" (11) = "assistantResponseEvent" (22):  1 + 11 + 1 + 2 + 22 = 37
    //   ":content-type" (13) = "application/json" (16):      1 + 13 + 1 + 2 + 16 = 33
    // headers_len = 92 (0x5c); payload {"content":"hi"} = 16 bytes;
    // total_len = 12 (prelude) + 92 + 16 + 4 (message CRC) = 124 (0x7c).
    // The CRCs were computed independently with Python's zlib.crc32.
    std::string frame = std::string("\x00\x00\x00\x7c", 4) + std::string("\x00\x00\x00\x5c", 4) +
                        "\x3b\xdd\xcf\x78" +  // prelude CRC
                        "\x0d:message-type\x07" + std::string("\x00\x05", 2) + "event" +
                        "\x0b:event-type\x07" + std::string("\x00\x16", 2) +
                        "assistantResponseEvent" + "\x0d:content-type\x07" +
                        std::string("\x00\x10", 2) + "application/json" + R"({"content":"hi"})" +
                        "\xa9\xc4\xc0\x6f";  // message CRC
    BOOST_REQUIRE_EQUAL(frame.size(), 124u);

    Decoder decoder;
    decoder.feed(frame);
    auto next = decoder.next();
    BOOST_REQUIRE(next.ok());
    BOOST_REQUIRE(next->has_value());
    const Message& m = **next;
    BOOST_TEST(m.string_header(":message-type").value_or("") == "event");
    BOOST_TEST(m.string_header(":event-type").value_or("") == "assistantResponseEvent");
    BOOST_TEST(m.string_header(":content-type").value_or("") == "application/json");
    BOOST_TEST(m.payload == R"({"content":"hi"})");
    BOOST_TEST(decoder.buffered() == 0u);

    // The encoder writes exactly the same bytes.
    BOOST_TEST(encode(event("assistantResponseEvent", R"({"content":"hi"})")) == frame);
}

BOOST_AUTO_TEST_CASE(round_trips_every_header_type) {
    Uuid uuid{};
    for (std::size_t i = 0; i < uuid.size(); ++i) uuid[i] = static_cast<std::uint8_t>(0xf0 + i);
    Message m{{
                  {"yes", true},
                  {"no", false},
                  {"i8", std::int8_t{-128}},
                  {"i8+", std::int8_t{127}},
                  {"i16", std::int16_t{-2}},
                  {"i32", std::int32_t{-123456789}},
                  {"i64", std::numeric_limits<std::int64_t>::min()},
                  {"i64+", std::int64_t{0x0102030405060708}},
                  {"bytes", Bytes{std::string("\x00\xff\x01", 3)}},
                  {"no bytes", Bytes{}},
                  {"text", std::string("h\xc3\xa9llo")},
                  {"", std::string()},  // empty name and empty string
                  {"when", Timestamp{-1}},
                  {"then", Timestamp{1735689600123}},
                  {"id", uuid},
              },
              std::string("pay\0load", 8)};
    std::string bytes = encode(m);

    Decoder decoder;
    decoder.feed(bytes);
    std::vector<Message> got;
    drain(decoder, got);
    check_same(got, {m});
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    // Encoding is canonical: decoding and re-encoding gives the very same bytes.
    BOOST_TEST(encode(got[0]) == bytes);

    // Spot-check the wire form of a few values (all big-endian, two's complement).
    BOOST_TEST(bytes.find(std::string("\x03i16\x03\xff\xfe", 6)) != std::string::npos);
    BOOST_TEST(bytes.find(std::string("\x02no\x01\x02i8\x02\x80", 8)) != std::string::npos);
    BOOST_TEST(bytes.find(std::string("\x03yes\x00\x02", 6)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(empty_message_round_trips) {
    std::string bytes = encode(Message{});
    BOOST_TEST(bytes.size() == 16u);
    Decoder decoder;
    decoder.feed(bytes);
    std::vector<Message> got;
    drain(decoder, got);
    check_same(got, {Message{}});
}

BOOST_AUTO_TEST_CASE(find_and_string_header) {
    Message m{{{"n", std::int32_t{7}},
               {"s", std::string("v")},
               {"s", std::string("second")},
               {"b", Bytes{"raw"}}},
              {}};
    BOOST_REQUIRE(m.find("n") != nullptr);
    BOOST_TEST((*m.find("n") == HeaderValue(std::int32_t{7})));
    BOOST_TEST(m.find("missing") == nullptr);
    BOOST_TEST(m.string_header("s").value_or("") == "v");  // the first of duplicates
    BOOST_TEST(!m.string_header("n").has_value());         // int, not a string
    BOOST_TEST(!m.string_header("b").has_value());         // bytes, not a string
    BOOST_TEST(!m.string_header("missing").has_value());
}

BOOST_AUTO_TEST_CASE(recorded_stream_decodes_at_every_split_point) {
    const std::string stream = recorded_stream();
    for (std::size_t split = 0; split <= stream.size(); ++split) {
        BOOST_TEST_CONTEXT("split at " << split) {
            Decoder decoder;
            std::vector<Message> got;
            decoder.feed(std::string_view(stream).substr(0, split));
            drain(decoder, got);
            decoder.feed(std::string_view(stream).substr(split));
            drain(decoder, got);
            check_same(got, recorded_messages());
            BOOST_TEST(decoder.buffered() == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(recorded_stream_decodes_one_byte_at_a_time) {
    const std::string stream = recorded_stream();
    Decoder decoder;
    std::vector<Message> got;
    for (char c : stream) {
        decoder.feed(std::string_view(&c, 1));
        drain(decoder, got);
    }
    check_same(got, recorded_messages());
    BOOST_TEST(decoder.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(many_frames_in_one_feed) {
    std::vector<Message> want;
    std::string stream;
    for (int i = 0; i < 500; ++i) {
        want.push_back(
            event("assistantResponseEvent", R"({"content":"chunk )" + std::to_string(i) + R"("})"));
        stream += encode(want.back());
    }
    Decoder decoder;
    decoder.feed(stream);
    std::vector<Message> got;
    drain(decoder, got);
    check_same(got, want);
}

BOOST_AUTO_TEST_CASE(partial_frame_waits_and_reports_buffered) {
    std::string frame = encode(event("assistantResponseEvent", R"({"content":"x"})"));
    Decoder decoder;
    decoder.feed(std::string_view(frame).substr(0, frame.size() - 1));
    auto next = decoder.next();
    BOOST_REQUIRE(next.ok());
    BOOST_TEST(!next->has_value());
    BOOST_TEST(decoder.buffered() == frame.size() - 1);
}

BOOST_AUTO_TEST_CASE(bad_prelude_crc_is_refused_from_12_bytes) {
    std::string stream = recorded_stream();
    std::size_t second = encode(recorded_messages()[0]).size();
    stream[second + 9] ^= 0x01;  // the prelude CRC of the second frame
    Decoder decoder;
    decoder.feed(std::string_view(stream).substr(0, second + 12));
    auto first = decoder.next();
    BOOST_REQUIRE(first.ok());
    BOOST_REQUIRE(first->has_value());
    auto err = decoder.next();
    BOOST_REQUIRE(!err.ok());
    BOOST_TEST((err.error().code == Errc::protocol));
    BOOST_TEST(contains(err.error().message, "prelude CRC"), err.error().message);
    BOOST_TEST(contains(err.error().message, "at byte " + std::to_string(second)),
               err.error().message);
}

BOOST_AUTO_TEST_CASE(bad_message_crc_never_delivers_the_payload) {
    std::string frame = encode(event("assistantResponseEvent", R"({"content":"hi"})"));
    frame[frame.size() - 6] ^= 0x20;  // a payload byte
    Decoder decoder;
    auto err = first_error(decoder, frame);
    BOOST_TEST((err.code == Errc::protocol));
    BOOST_TEST(contains(err.message, "message CRC"), err.message);
    BOOST_TEST(contains(err.message, "at byte 0"), err.message);
}

BOOST_AUTO_TEST_CASE(oversized_frame_is_refused_from_its_prelude) {
    std::string p = prelude(17u << 20, 0);  // announces 17 MiB
    Decoder decoder;
    auto err = first_error(decoder, p);
    BOOST_TEST((err.code == Errc::protocol));
    BOOST_TEST(contains(err.message, "exceeds the cap"), err.message);

    // A smaller cap applies as soon as the length field is in.
    Decoder small(64);
    auto err2 = first_error(small, std::string_view(prelude(65, 0)).substr(0, 4));
    BOOST_TEST(contains(err2.message, "exceeds the cap of 64"), err2.message);
}

BOOST_AUTO_TEST_CASE(total_length_below_minimum) {
    Decoder decoder;
    auto err = first_error(decoder, prelude(15, 0));
    BOOST_TEST((err.code == Errc::protocol));
    BOOST_TEST(contains(err.message, "total length 15 is below the minimum"), err.message);
}

BOOST_AUTO_TEST_CASE(headers_length_too_large) {
    Decoder decoder;
    auto err = first_error(decoder, prelude(20, 5));  // room for 4 bytes of headers only
    BOOST_TEST((err.code == Errc::protocol));
    BOOST_TEST(contains(err.message, "headers length 5 exceeds total length 20"), err.message);
}

BOOST_AUTO_TEST_CASE(header_running_past_headers_end) {
    // A string header that says 10 bytes of value with only 3 inside the headers block.
    std::string headers = std::string("\x01s\x07\x00\x0a", 5) + "abc";
    Decoder decoder;
    auto err = first_error(decoder, encode(Message{}) + raw_frame(headers, "payload bytes"));
    BOOST_TEST((err.code == Errc::protocol));
    BOOST_TEST(contains(err.message, "string value of 10 bytes runs past"), err.message);
    BOOST_TEST(contains(err.message, "frame at byte 16"), err.message);

    // A name that runs past the end, and a missing type byte.
    Decoder d2;
    BOOST_TEST(contains(first_error(d2, raw_frame("\x05"
                                                  "ab",
                                                  ""))
                            .message,
                        "name of 5 bytes"));
    Decoder d3;
    BOOST_TEST(contains(first_error(d3, raw_frame("\x02"
                                                  "ab",
                                                  ""))
                            .message,
                        "value type"));
}

BOOST_AUTO_TEST_CASE(unknown_header_type) {
    std::string headers = std::string("\x03yes\x00", 5) + "\x04kind\x0a";
    Decoder decoder;
    auto err = first_error(decoder, raw_frame(headers, "{}"));
    BOOST_TEST((err.code == Errc::protocol));
    BOOST_TEST(contains(err.message, "unknown value type 10"), err.message);
    BOOST_TEST(contains(err.message, "header at frame byte 17"), err.message);
}

BOOST_AUTO_TEST_CASE(decoder_stays_failed_after_an_error) {
    Decoder decoder;
    std::string good = encode(event("assistantResponseEvent", R"({"content":"ok"})"));
    (void)first_error(decoder, good + prelude(15, 0));
    decoder.feed(good);
    for (int i = 0; i < 3; ++i) {
        auto next = decoder.next();
        BOOST_REQUIRE(!next.ok());
        BOOST_TEST((next.error().code == Errc::protocol));
        BOOST_TEST(contains(next.error().message, "already failed"), next.error().message);
        BOOST_TEST(contains(next.error().message, "at byte " + std::to_string(good.size())),
                   next.error().message);
    }
    BOOST_TEST(decoder.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(error_offset_counts_bytes_across_compaction) {
    // Many small frames fed in pieces force the buffer to compact; the offset of the bad
    // frame must still be its position in the whole stream.
    std::string stream;
    for (int i = 0; i < 200; ++i) stream += encode(event("assistantResponseEvent", "{}"));
    std::size_t bad_at = stream.size();
    stream += prelude(15, 0);
    Decoder decoder;
    std::vector<Message> got;
    std::optional<amq::Error> err;
    for (std::size_t pos = 0; pos < stream.size() && !err; pos += 7) {
        decoder.feed(std::string_view(stream).substr(pos, 7));
        for (;;) {
            auto next = decoder.next();
            if (!next.ok()) {
                err = next.error();
                break;
            }
            if (!*next) break;
            got.push_back(std::move(**next));
        }
    }
    BOOST_TEST(got.size() == 200u);
    BOOST_REQUIRE(err.has_value());
    BOOST_TEST(contains(err->message, "frame at byte " + std::to_string(bad_at) + ":"),
               err->message);
}
