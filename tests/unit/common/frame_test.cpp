#define BOOST_TEST_MODULE common_frame
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/frame.hpp"

using amq::encode_frame;
using amq::Errc;
using amq::FrameDecoder;

namespace {

// Takes every complete payload out of the decoder; fails the test on a decoder error.
std::vector<std::string> drain(FrameDecoder& decoder) {
    std::vector<std::string> out;
    for (;;) {
        auto next = decoder.next();
        if (!next.ok()) BOOST_FAIL("decoder error: " << next.error().message);
        if (!*next) return out;
        out.push_back(std::move(**next));
    }
}

const std::vector<std::string>& sample_payloads() {
    static const std::vector<std::string> payloads = {
        R"({"id":1,"cmd":"status"})",
        "",
        std::string("with\0nul", 8),
        std::string(300, 'x'),  // longer than 255: the length needs two bytes
        "z",
    };
    return payloads;
}

std::string concatenated_frames(const std::vector<std::string>& payloads) {
    std::string stream;
    for (const auto& p : payloads) stream += encode_frame(p);
    return stream;
}

}  // namespace

BOOST_AUTO_TEST_CASE(encode_frame_writes_big_endian_length_then_payload) {
    std::string frame = encode_frame("hello");
    BOOST_TEST(frame == std::string("\x00\x00\x00\x05hello", 9));

    std::string big = encode_frame(std::string(0x010203, 'a'));
    BOOST_REQUIRE(big.size() == 4u + 0x010203u);
    BOOST_TEST(big.substr(0, 4) == std::string("\x00\x01\x02\x03", 4));
}

BOOST_AUTO_TEST_CASE(round_trip_returns_the_payload) {
    FrameDecoder decoder(amq::kChannelFrameMax);
    decoder.feed(encode_frame(R"({"hello":"world"})"));
    auto next = decoder.next();
    BOOST_REQUIRE(next.ok());
    BOOST_REQUIRE(next->has_value());
    BOOST_TEST(**next == R"({"hello":"world"})");
    BOOST_TEST(decoder.buffered() == 0u);

    auto after = decoder.next();
    BOOST_REQUIRE(after.ok());
    BOOST_TEST(!after->has_value());
}

BOOST_AUTO_TEST_CASE(empty_payload_is_a_complete_frame) {
    FrameDecoder decoder(amq::kChannelFrameMax);
    decoder.feed(encode_frame(""));
    auto next = decoder.next();
    BOOST_REQUIRE(next.ok());
    BOOST_REQUIRE(next->has_value());
    BOOST_TEST((*next)->empty());
    BOOST_TEST(decoder.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(partial_header_yields_nothing_yet) {
    FrameDecoder decoder(amq::kChannelFrameMax);
    std::string frame = encode_frame("abc");
    decoder.feed(frame.substr(0, 3));
    auto next = decoder.next();
    BOOST_REQUIRE(next.ok());
    BOOST_TEST(!next->has_value());
    BOOST_TEST(decoder.buffered() == 3u);
}

BOOST_AUTO_TEST_CASE(partial_payload_yields_nothing_until_complete) {
    FrameDecoder decoder(amq::kChannelFrameMax);
    std::string frame = encode_frame("abcdef");
    decoder.feed(frame.substr(0, 7));
    auto first = decoder.next();
    BOOST_REQUIRE(first.ok());
    BOOST_TEST(!first->has_value());

    decoder.feed(frame.substr(7));
    auto second = decoder.next();
    BOOST_REQUIRE(second.ok());
    BOOST_REQUIRE(second->has_value());
    BOOST_TEST(**second == "abcdef");
}

BOOST_AUTO_TEST_CASE(stream_fed_one_byte_at_a_time_yields_payloads_in_order) {
    const auto& payloads = sample_payloads();
    std::string stream = concatenated_frames(payloads);
    FrameDecoder decoder(amq::kChannelFrameMax);
    std::vector<std::string> got;
    for (char c : stream) {
        decoder.feed(std::string_view(&c, 1));
        for (auto& p : drain(decoder)) got.push_back(std::move(p));
    }
    BOOST_TEST(got == payloads, boost::test_tools::per_element());
    BOOST_TEST(decoder.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(stream_split_at_every_point_yields_payloads_in_order) {
    const auto& payloads = sample_payloads();
    std::string stream = concatenated_frames(payloads);
    for (std::size_t split = 0; split <= stream.size(); ++split) {
        FrameDecoder decoder(amq::kChannelFrameMax);
        std::vector<std::string> got;
        decoder.feed(std::string_view(stream).substr(0, split));
        for (auto& p : drain(decoder)) got.push_back(std::move(p));
        decoder.feed(std::string_view(stream).substr(split));
        for (auto& p : drain(decoder)) got.push_back(std::move(p));
        BOOST_TEST_CONTEXT("split at " << split) {
            BOOST_TEST(got == payloads, boost::test_tools::per_element());
            BOOST_TEST(decoder.buffered() == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(many_frames_in_one_feed_are_all_returned) {
    std::vector<std::string> payloads;
    for (int i = 0; i < 1000; ++i) payloads.push_back("frame-" + std::to_string(i));
    FrameDecoder decoder(amq::kChannelFrameMax);
    decoder.feed(concatenated_frames(payloads));
    std::vector<std::string> got = drain(decoder);
    BOOST_TEST(got == payloads, boost::test_tools::per_element());
    BOOST_TEST(decoder.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(interleaved_feeds_and_reads_keep_the_order) {
    // Reads between feeds make the decoder compact its buffer; nothing may be lost by it.
    FrameDecoder decoder(amq::kChannelFrameMax);
    std::vector<std::string> expected;
    std::vector<std::string> got;
    std::string pending;
    for (int i = 0; i < 200; ++i) {
        std::string payload(static_cast<std::size_t>(i % 17), static_cast<char>('a' + i % 26));
        expected.push_back(payload);
        pending += encode_frame(payload);
        std::size_t cut = pending.size() / 2 + 1;
        decoder.feed(std::string_view(pending).substr(0, cut));
        pending.erase(0, cut);
        for (auto& p : drain(decoder)) got.push_back(std::move(p));
    }
    decoder.feed(pending);
    for (auto& p : drain(decoder)) got.push_back(std::move(p));
    BOOST_TEST(got == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(payload_exactly_at_the_cap_is_accepted) {
    FrameDecoder decoder(16);
    decoder.feed(encode_frame(std::string(16, 'c')));
    auto next = decoder.next();
    BOOST_REQUIRE(next.ok());
    BOOST_REQUIRE(next->has_value());
    BOOST_TEST(**next == std::string(16, 'c'));
}

BOOST_AUTO_TEST_CASE(frame_announcing_more_than_the_cap_is_too_large) {
    FrameDecoder decoder(16);
    // Only the header: the decoder must refuse before the payload arrives.
    decoder.feed(encode_frame(std::string(17, 'c')).substr(0, 4));
    auto next = decoder.next();
    BOOST_REQUIRE(!next.ok());
    BOOST_TEST((next.error().code == Errc::too_large));
    BOOST_TEST(next.error().message.find("17") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(decoder_stays_failed_after_an_oversized_frame) {
    FrameDecoder decoder(16);
    decoder.feed(std::string("\xff\xff\xff\xff", 4));
    auto first = decoder.next();
    BOOST_REQUIRE(!first.ok());
    BOOST_TEST((first.error().code == Errc::too_large));

    decoder.feed(encode_frame("fine"));
    auto second = decoder.next();
    BOOST_TEST(!second.ok());
    auto third = decoder.next();
    BOOST_TEST(!third.ok());
}

BOOST_AUTO_TEST_CASE(oversized_frame_after_good_ones_fails_only_when_reached) {
    FrameDecoder decoder(8);
    decoder.feed(encode_frame("ok") + encode_frame(std::string(9, 'x')));
    auto first = decoder.next();
    BOOST_REQUIRE(first.ok());
    BOOST_REQUIRE(first->has_value());
    BOOST_TEST(**first == "ok");
    auto second = decoder.next();
    BOOST_REQUIRE(!second.ok());
    BOOST_TEST((second.error().code == Errc::too_large));
}
