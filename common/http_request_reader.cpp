#include "common/http_request_reader.hpp"

#include <algorithm>
#include <cctype>

#include "common/strings.hpp"

namespace amq {
namespace {

// Method and version around the target, with their spaces: what the request line may add.
constexpr std::size_t kRequestLineOverhead = 32;
constexpr std::size_t kMaxChunkLine = 4096;  // a size and its extensions

bool is_tchar(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// Field values: visible characters, spaces, tabs and obs-text; no control character.
bool is_field_value(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The comma-separated elements of every field with this name, trimmed and lowercased.
std::vector<std::string> list_elements(const HttpHead& head, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& [field, value] : head.fields) {
        if (!iequals(field, name)) continue;
        for (std::string_view element : split(value, ','))
            if (auto e = trim_ows(element); !e.empty()) out.push_back(lower(e));
    }
    return out;
}

bool has_element(const std::vector<std::string>& elements, std::string_view e) {
    return std::find(elements.begin(), elements.end(), e) != elements.end();
}

// "http://host:port/path?q" → "/path?q": servers must accept the absolute form (RFC 9112 3.2.2).
std::string origin_form(std::string_view target) {
    std::size_t scheme_end = target.find("://");
    std::size_t path = target.find_first_of("/?", scheme_end + 3);
    if (path == std::string_view::npos) return "/";
    std::string out(target.substr(path));
    if (out.front() == '?') out.insert(out.begin(), '/');
    return out;
}

bool is_absolute_form(std::string_view target) {
    auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string scheme = lower(target.substr(0, scheme_end));
    return scheme == "http" || scheme == "https";
}

bool is_framing_field(std::string_view name) {
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
           iequals(name, "expect");
}

}  // namespace

HttpRequestReader::Progress HttpRequestReader::read(std::string_view input, std::size_t& consumed) {
    consumed = 0;
    for (;;) {
        switch (state_) {
            case State::done: return Progress::complete;
            case State::failed: return Progress::rejected;
            default: break;
        }
        if (consumed == input.size()) return Progress::more;
        started_ = true;
        bool in_body = state_ == State::body || state_ == State::chunk_data;
        Progress p = in_body ? read_body(input, consumed) : read_line(input, consumed);
        if (p != Progress::more) return p;
    }
}

HttpRequestReader::Progress HttpRequestReader::read_line(std::string_view input,
                                                         std::size_t& consumed) {
    std::size_t newline = input.find('\n', consumed);
    std::size_t end = newline == std::string_view::npos ? input.size() : newline + 1;
    std::size_t n = end - consumed;
    line_.append(input.substr(consumed, n));
    consumed = end;
    bool chunk_line = state_ == State::chunk_size || state_ == State::chunk_data_end;
    if (chunk_line) {
        if (line_.size() > kMaxChunkLine) return reject(400, "chunk size line too long");
    } else if (state_ == State::request_line &&
               line_.size() > limits_.max_target + kRequestLineOverhead) {
        return reject(414, str_cat("request target longer than ", limits_.max_target, " bytes"));
    } else if (state_ != State::request_line && line_.size() > limits_.max_field) {
        return reject(431, str_cat("a header field larger than ", limits_.max_field, " bytes"));
    } else if ((head_bytes_ += n) > limits_.max_head) {
        return reject(431,
                      str_cat("request header section larger than ", limits_.max_head, " bytes"));
    }
    if (newline == std::string_view::npos) return Progress::more;
    if (line_.size() < 2 || line_[line_.size() - 2] != '\r')
        return reject(400, "malformed request: lines must end with CRLF (bare LF)");
    std::string line = std::move(line_);
    line_.clear();
    line.resize(line.size() - 2);
    if (line.find('\r') != std::string::npos)
        return reject(400, "malformed request: bare CR inside a line");
    return on_line(line);
}

HttpRequestReader::Progress HttpRequestReader::read_body(std::string_view input,
                                                         std::size_t& consumed) {
    std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - consumed));
    body_.append(input.substr(consumed, n));
    consumed += n;
    remaining_ -= n;
    if (remaining_ > 0) return Progress::more;
    if (state_ == State::chunk_data) {
        state_ = State::chunk_data_end;
        return Progress::more;
    }
    state_ = State::done;
    return Progress::complete;
}

HttpRequestReader::Progress HttpRequestReader::on_line(std::string_view line) {
    switch (state_) {
        case State::request_line: return on_request_line(line);
        case State::fields:
            if (line.empty()) return finish_head();
            return on_field(line, false);
        case State::chunk_size: return on_chunk_size(line);
        case State::chunk_data_end:
            if (!line.empty()) return reject(400, "malformed chunk: data longer than its size");
            state_ = State::chunk_size;
            return Progress::more;
        case State::trailers:
            if (!line.empty()) return on_field(line, true);
            state_ = State::done;
            return Progress::complete;
        default: return reject(400, "malformed request");
    }
}

HttpRequestReader::Progress HttpRequestReader::on_request_line(std::string_view line) {
    if (line.empty()) return Progress::more;  // RFC 9112 2.2: empty lines before it are ignored
    auto parts = split(line, ' ');
    if (parts.size() != 3 || !is_token(parts[0]))
        return reject(400, "malformed request line: expected METHOD TARGET HTTP/1.1");
    std::string_view target = parts[1], version = parts[2];
    if (target.size() > limits_.max_target)
        return reject(414, str_cat("request target longer than ", limits_.max_target, " bytes"));
    bool visible = std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (!visible || target.empty())
        return reject(400, "malformed request line: invalid characters in the target");
    if (target.front() == '/')
        head_.target = std::string(target);
    else if (is_absolute_form(target))
        head_.target = origin_form(target);
    else
        return reject(400, "malformed request line: the target must be a path");
    if (version == "HTTP/1.1" || version == "HTTP/1.0") {
        head_.minor_version = version.back() - '0';
    } else if (version.size() == 8 && version.starts_with("HTTP/") && is_digit(version[5]) &&
               version[6] == '.' && is_digit(version[7])) {
        return reject(505, str_cat(version, " is not supported: use HTTP/1.1"));
    } else {
        return reject(400, "malformed request line: unknown protocol version");
    }
    head_.method = std::string(parts[0]);
    state_ = State::fields;
    return Progress::more;
}

HttpRequestReader::Progress HttpRequestReader::on_field(std::string_view line, bool trailer) {
    if (line.front() == ' ' || line.front() == '\t')
        return reject(400, "malformed header: folded lines (obs-fold) are not accepted");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
        return reject(400, "malformed header: a field line without ':'");
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_token(name))
        return reject(400, str_cat("malformed header: invalid field name '",
                                   valid_utf8(name.substr(0, 64)), "'"));
    if (!is_field_value(value))
        return reject(400, str_cat("malformed header: control character in field ", name));
    if (++field_count_ > limits_.max_fields)
        return reject(431, str_cat("more than ", limits_.max_fields, " header fields"));
    if (!trailer) head_.fields.emplace_back(name, value);
    return Progress::more;
}

HttpRequestReader::Progress HttpRequestReader::on_chunk_size(std::string_view line) {
    std::string_view size = line.substr(0, line.find(';'));  // extensions are ignored
    size = trim_ows(size);
    if (size.empty() || size.size() > 15 || !std::all_of(size.begin(), size.end(), is_hex_digit))
        return reject(400, "malformed chunk size");
    std::uint64_t n = 0;
    for (char c : size)
        n = n * 16 + static_cast<std::uint64_t>(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    if (n > limits_.max_body || body_.size() + n > limits_.max_body)
        return reject(413, str_cat("request body larger than ", limits_.max_body, " bytes"));
    if (n == 0) {
        state_ = State::trailers;
        return Progress::more;
    }
    remaining_ = n;
    state_ = State::chunk_data;
    return Progress::more;
}

HttpRequestReader::Progress HttpRequestReader::finish_head() {
    auto hosts = std::count_if(head_.fields.begin(), head_.fields.end(),
                               [](const auto& f) { return iequals(f.first, "host"); });
    if (head_.minor_version == 1 && hosts != 1)
        return reject(400, "an HTTP/1.1 request needs exactly one Host header");
    std::vector<std::string> lengths = list_elements(head_, "content-length");
    std::vector<std::string> codings = list_elements(head_, "transfer-encoding");
    std::vector<std::string> expect = list_elements(head_, "expect");
    std::vector<std::string> connection = list_elements(head_, "connection");
    if (!codings.empty()) {
        if (head_.minor_version == 0)
            return reject(400, "Transfer-Encoding in an HTTP/1.0 request");
        if (!lengths.empty()) return reject(400, "both Content-Length and Transfer-Encoding");
        if (codings != std::vector<std::string>{"chunked"})
            return reject(501, "only the chunked transfer coding is supported");
        head_.chunked = true;
    }
    if (!lengths.empty()) {
        auto n = parse_uint(lengths.front());
        bool consistent = std::all_of(lengths.begin(), lengths.end(),
                                      [&](const std::string& l) { return l == lengths.front(); });
        if (!n || !consistent || lengths.front().size() > 19)
            return reject(400, "malformed Content-Length");
        if (*n > limits_.max_body)
            return reject(413, str_cat("request body larger than ", limits_.max_body, " bytes"));
        head_.content_length = *n;
    }
    if (!expect.empty()) {
        if (expect != std::vector<std::string>{"100-continue"})
            return reject(417, "only Expect: 100-continue is supported");
        head_.expect_continue = true;
    }
    head_.keep_alive = head_.minor_version == 1 ? !has_element(connection, "close")
                                                : has_element(connection, "keep-alive");
    std::erase_if(head_.fields, [](const auto& f) { return is_framing_field(f.first); });
    // libevhtp turns a form-encoded body into query parameters, one allocation per '&': no
    // route reads forms, and curl -d sends JSON with this type.
    std::erase_if(head_.fields, [](const auto& f) {
        return iequals(f.first, "content-type") &&
               lower(f.second).starts_with("application/x-www-form-urlencoded");
    });
    if (head_.chunked)
        state_ = State::chunk_size;
    else if (head_.content_length > 0) {
        state_ = State::body;
        remaining_ = head_.content_length;
    } else
        state_ = State::done;
    return Progress::head;
}

HttpRequestReader::Progress HttpRequestReader::reject(int status, std::string message) {
    state_ = State::failed;
    reject_status_ = status;
    reject_message_ = std::move(message);
    return Progress::rejected;
}

bool HttpRequestReader::has_body() const { return head_.chunked || head_.content_length > 0; }

std::string HttpRequestReader::canonical_head() const {
    std::string out =
        str_cat(head_.method, " ", head_.target, " HTTP/1.", head_.minor_version, "\r\n");
    for (const auto& [name, value] : head_.fields) out += str_cat(name, ": ", value, "\r\n");
    if (!body_.empty()) out += str_cat("Content-Length: ", body_.size(), "\r\n");
    out += "\r\n";
    return out;
}

void HttpRequestReader::next_request() { *this = HttpRequestReader(limits_); }

}  // namespace amq
