#include "common/web_search.hpp"

#include "common/json.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"

namespace amq {

namespace {

constexpr std::size_t kMaxSnippet = 2000;

std::string origin_of(std::string_view endpoint) {
    std::size_t scheme = endpoint.find("://");
    std::size_t path = endpoint.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    return std::string(endpoint.substr(0, path));
}

WebSearchOutcome failed(std::string_view query) {
    return WebSearchOutcome{std::string(query), {}, "unavailable"};
}

std::optional<WebSearchHit> read_hit(const rapidjson::Value& v) {
    auto title = find_string(v, "title");
    auto url = find_string(v, "url");
    if (!url || url->empty()) return std::nullopt;
    WebSearchHit hit{std::string(title.value_or(*url)), std::string(*url), {}, {}};
    std::string_view snippet = find_string(v, "snippet").value_or("");
    hit.snippet = std::string(snippet.substr(0, kMaxSnippet));
    if (const rapidjson::Value* date = find_member(v, "publishedDate"); date && date->IsInt64())
        hit.published_ms = date->GetInt64();
    return hit;
}

}  // namespace

GenerateCall mcp_search_call(std::string_view endpoint, std::string_view access_token,
                             std::string_view token_type, std::string_view profile_arn) {
    GenerateCall call;
    call.url = origin_of(endpoint) + "/mcp";
    call.headers = {str_cat("Authorization: Bearer ", access_token),
                    "Content-Type: application/json", "Accept: application/json"};
    if (!token_type.empty()) call.headers.push_back(str_cat("TokenType: ", token_type));
    if (!profile_arn.empty())
        call.headers.push_back(str_cat("X-Amzn-Kiro-Profile-Arn: ", profile_arn));
    return call;
}

std::string mcp_search_body(std::string_view request_id, std::string_view query) {
    return json_object([&](JsonWriter& w) {
        write_field(w, "id", request_id);
        write_field(w, "jsonrpc", "2.0");
        write_field(w, "method", "tools/call");
        write_key(w, "params");
        w.StartObject();
        write_field(w, "name", kWebSearchTool);
        write_key(w, "arguments");
        w.StartObject();
        write_field(w, "query", query);
        w.EndObject();
        w.EndObject();
    });
}

// {"result": {"content": [{"type": "text", "text": "<JSON {results: [...]}>"}], "isError"}}
WebSearchOutcome read_mcp_search(std::string_view query, int status, std::string_view body) {
    if (status != 200) return failed(query);
    auto doc = parse_json(body);
    if (!doc || !doc->IsObject() || find_member(*doc, "error")) return failed(query);
    const rapidjson::Value* result = find_member(*doc, "result");
    const rapidjson::Value* content = result ? find_member(*result, "content") : nullptr;
    if (!content || !content->IsArray() || content->Empty()) return failed(query);
    if (const rapidjson::Value* is_error = find_member(*result, "isError");
        is_error && is_error->IsBool() && is_error->GetBool())
        return failed(query);
    auto text = find_string((*content)[0], "text");
    if (!text) return failed(query);
    auto inner = parse_json(*text);
    const rapidjson::Value* results =
        inner && inner->IsObject() ? find_member(*inner, "results") : nullptr;
    if (!results || !results->IsArray()) return failed(query);
    WebSearchOutcome out{std::string(query), {}, {}};
    for (const rapidjson::Value& v : results->GetArray()) {
        if (out.hits.size() == kMaxHits) break;
        if (auto hit = read_hit(v)) out.hits.push_back(std::move(*hit));
    }
    return out;
}

std::string search_query(std::string_view input_json) {
    auto doc = parse_json(input_json);
    if (!doc || !doc->IsObject()) return {};
    return std::string(trim(find_string(*doc, "query").value_or("")));
}

std::string search_result_text(const WebSearchOutcome& outcome) {
    if (!outcome.error.empty())
        return str_cat("The web search for \"", outcome.query, "\" failed (", outcome.error,
                       "). Answer without it, and say that the search was not available.");
    if (outcome.hits.empty()) return str_cat("No web results for \"", outcome.query, "\".");
    std::string out = str_cat("Web results for \"", outcome.query, "\":");
    for (std::size_t i = 0; i < outcome.hits.size(); ++i) {
        const WebSearchHit& hit = outcome.hits[i];
        out += str_cat("\n\n[", i + 1, "] ", hit.title, "\nURL: ", hit.url);
        if (hit.published_ms)
            out += str_cat("\nPublished: ", iso8601(*hit.published_ms / 1000).substr(0, 10));
        if (!hit.snippet.empty()) out += str_cat("\n", hit.snippet);
    }
    return out;
}

}  // namespace amq
