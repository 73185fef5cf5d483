// libFuzzer entry point for HttpRequestReader, which frames every byte a client sends before
// libevhtp sees it. Input layout: see chunked_input.hpp (the small cap shrinks every limit).
// However the stream is cut, the same requests come out (or the same refusal); every request
// respects the limits; its canonical form reads back as itself (a fixpoint, so libevhtp gets
// nothing a second reading would change); and a refusal carries a status HTTP defines for it.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_request_reader.hpp"
#include "tests/fuzz/chunked_input.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using Progress = amq::HttpRequestReader::Progress;

amq::HttpLimits limits(bool small) {
    amq::HttpLimits l;
    if (small) {
        l.max_head = 256;
        l.max_fields = 4;
        l.max_field = 64;
        l.max_target = 32;
        l.max_body = 64;
    } else {
        l.max_body = 1u << 20;
    }
    return l;
}

// Each request as its canonical bytes; a refusal as "\x01<status>" (no request starts with a
// control character).
std::vector<std::string> read_all(const amq::HttpLimits& l, std::string_view stream,
                                  amq_fuzz::ChunkedInput* chunks) {
    std::vector<std::string> out;
    amq::HttpRequestReader reader(l);
    std::string pending;
    std::size_t fed = 0;
    while (fed < stream.size()) {
        std::string_view chunk = chunks ? chunks->next_chunk(fed) : stream.substr(fed);
        pending.append(chunk);
        fed += chunk.size();
        for (;;) {
            std::size_t consumed = 0;
            Progress p = reader.read(pending, consumed);
            FUZZ_CHECK(consumed <= pending.size());
            pending.erase(0, consumed);
            if (p == Progress::more) break;
            if (p == Progress::head) continue;
            if (p == Progress::rejected) {
                out.push_back("\x01" + std::to_string(reader.reject_status()));
                return out;
            }
            FUZZ_CHECK(reader.body().size() <= l.max_body);
            FUZZ_CHECK(reader.head().target.size() <= l.max_target);
            FUZZ_CHECK(reader.head().fields.size() <= l.max_fields);
            out.push_back(reader.canonical_head() + reader.body());
            reader.next_request();
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = amq_fuzz::ChunkedInput::parse(data, size);
    if (!input) return 0;
    amq::HttpLimits l = limits(input->small_cap());
    std::vector<std::string> whole = read_all(l, input->stream(), nullptr);
    FUZZ_CHECK(read_all(l, input->stream(), &*input) == whole);
    static const std::set<std::string> kRefusals = {
        "\x01"
        "400",
        "\x01"
        "413",
        "\x01"
        "414",
        "\x01"
        "417",
        "\x01"
        "431",
        "\x01"
        "501",
        "\x01"
        "505"};
    for (const std::string& request : whole) {
        if (request.front() == '\x01') {
            FUZZ_CHECK(kRefusals.count(request) == 1);
            FUZZ_CHECK(&request == &whole.back());
            continue;
        }
        // The canonical form may grow a Host-less HTTP/1.0 head by nothing and a chunked body
        // into Content-Length: it must read back to itself, with the same limits.
        amq::HttpLimits roomy = l;
        roomy.max_head += 32;  // "Content-Length: N" replaced the framing fields
        std::vector<std::string> again = read_all(roomy, request, nullptr);
        FUZZ_CHECK(again.size() == 1 && again.front() == request);
    }
    return 0;
}
