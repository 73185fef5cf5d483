#include "tests/fake_upstream/http_util.hpp"

#include <cctype>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "common/strings.hpp"

namespace fake {

std::string_view request_body(evhttp_request* req) {
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::size_t n = evbuffer_get_length(in);
    if (n == 0) return {};
    const auto* data = evbuffer_pullup(in, -1);
    return {reinterpret_cast<const char*>(data), n};
}

std::string_view request_header(evhttp_request* req, const char* name) {
    const char* value = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    return value ? std::string_view(value) : std::string_view();
}

std::string_view bearer_token(evhttp_request* req) {
    std::string_view auth = amq::trim(request_header(req, "Authorization"));
    constexpr std::string_view kScheme = "bearer ";
    if (auth.size() <= kScheme.size() || !amq::iequals(auth.substr(0, kScheme.size()), kScheme))
        return {};
    return amq::trim(auth.substr(kScheme.size()));
}

std::string_view request_path(evhttp_request* req) {
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
    return path && *path ? std::string_view(path) : std::string_view("/");
}

HeaderList lower_case_headers(evhttp_request* req) {
    HeaderList out;
    const evkeyvalq* headers = evhttp_request_get_input_headers(req);
    for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
        std::string name(h->key);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.emplace_back(std::move(name), h->value);
    }
    return out;
}

bool is_json_object(std::string_view body) {
    std::string_view text = amq::trim(body);
    if (text.empty() || text.front() != '{') return false;
    rapidjson::MemoryStream stream(text.data(), text.size());
    rapidjson::BaseReaderHandler<> ignore;
    rapidjson::Reader reader;
    // RapidJSON stops at a NUL byte: parse to the end of the document, then demand that
    // nothing follows it.
    if (!reader.Parse<rapidjson::kParseStopWhenDoneFlag>(stream, ignore)) return false;
    return stream.Tell() == text.size();
}

void add_header(evhttp_request* req, const std::string& name, const std::string& value) {
    evhttp_add_header(evhttp_request_get_output_headers(req), name.c_str(), value.c_str());
}

void send_body(evhttp_request* req, int status, const char* content_type, std::string_view body) {
    evkeyvalq* headers = evhttp_request_get_output_headers(req);
    if (!evhttp_find_header(headers, "Content-Type"))
        evhttp_add_header(headers, "Content-Type", content_type);
    evbuffer* out = evhttp_request_get_output_buffer(req);
    evbuffer_add(out, body.data(), body.size());
    evhttp_send_reply(req, status, nullptr, nullptr);
}

}  // namespace fake
