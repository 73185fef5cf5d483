// Reads HTTP/1.x requests (RFC 9112) from a client's byte stream, one at a time, under fixed
// limits, and writes each complete request back in one canonical form: a request line, the
// header fields joined by CRLF, a Content-Length and the whole body. libevhtp 1.2.18's own
// parser then only ever sees well-formed input: it drops connections on chunk extensions, bare
// LF or folded lines without answering, has no limit on the number of fields, and misreads
// pipelined requests. Anything this reader refuses carries the status HTTP prescribes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace amq {

struct HttpLimits {
    std::size_t max_head = 64u << 10;  // request line, header fields and trailer fields
    std::size_t max_fields = 100;      // header fields plus trailer fields
    std::size_t max_field = 8000;      // one field line (libevhtp cannot take 8 KiB)
    std::size_t max_target = 4000;     // the request target (path and query)
    std::uint64_t max_body = 32u << 20;
};

struct HttpHead {
    std::string method;
    std::string target;  // origin-form: "/path?query"
    int minor_version = 1;
    // In arrival order, without the fields that frame the message (Content-Length,
    // Transfer-Encoding, Expect), which canonical_head() writes anew.
    std::vector<std::pair<std::string, std::string>> fields;
    bool keep_alive = true;
    bool expect_continue = false;
    bool chunked = false;
    std::uint64_t content_length = 0;
};

class HttpRequestReader {
public:
    enum class Progress {
        more,      // every byte given was taken; the request is not complete yet
        head,      // the head is complete (head() is valid); call read() again for the body
        complete,  // head and body are complete; bytes after the request were not taken
        rejected,  // reject_status()/reject_message() say why; the connection must close
    };

    explicit HttpRequestReader(HttpLimits limits) : limits_(limits) {}

    // Takes bytes of the current request from `input`; `consumed` says how many.
    Progress read(std::string_view input, std::size_t& consumed);

    bool started() const { return started_; }       // a byte of the current request has arrived
    bool has_body() const;                          // the head announced a body
    const HttpHead& head() const { return head_; }  // target is set once the request line is
    const std::string& body() const { return body_; }
    int reject_status() const { return reject_status_; }
    const std::string& reject_message() const { return reject_message_; }

    // The request line and fields for libevhtp, ending with the empty line; body() follows.
    std::string canonical_head() const;

    // Forgets the current request: the next byte read starts another.
    void next_request();

private:
    enum class State {
        request_line,
        fields,
        body,
        chunk_size,
        chunk_data,
        chunk_data_end,
        trailers,
        done,
        failed,
    };

    Progress read_line(std::string_view input, std::size_t& consumed);
    Progress read_body(std::string_view input, std::size_t& consumed);
    Progress on_line(std::string_view line);
    Progress on_request_line(std::string_view line);
    Progress on_field(std::string_view line, bool trailer);
    Progress on_chunk_size(std::string_view line);
    Progress finish_head();
    Progress reject(int status, std::string message);

    HttpLimits limits_;
    State state_ = State::request_line;
    HttpHead head_;
    std::string line_;
    std::string body_;
    std::uint64_t remaining_ = 0;  // of the body or the current chunk
    std::size_t head_bytes_ = 0;
    std::size_t field_count_ = 0;
    bool started_ = false;
    int reject_status_ = 0;
    std::string reject_message_;
};

}  // namespace amq
