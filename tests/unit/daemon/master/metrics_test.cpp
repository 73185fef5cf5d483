#define BOOST_TEST_MODULE daemon_master_metrics
#include <boost/test/unit_test.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/master/metrics.hpp"

using namespace amq;

namespace {

// ---- A validator for the text exposition format 0.0.4, strict enough for our output ----

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
    std::string name;
    Labels labels;
    double value = 0;
};

struct Family {
    std::string help;
    std::string type;
    std::vector<Sample> samples;
};

struct Exposition {
    std::vector<std::string> order;  // family names as they appear
    std::map<std::string, Family> families;
    std::vector<std::string> errors;
};

bool valid_name(std::string_view s, bool metric) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (metric && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

std::optional<double> parse_value(std::string_view s) {
    if (s == "+Inf") return INFINITY;
    if (s == "-Inf") return -INFINITY;
    if (s == "NaN") return NAN;
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// `{a="x",b="y"}` starting at s[0] == '{'; consumes through '}'.
std::optional<Labels> parse_labels(std::string_view& s) {
    Labels labels;
    s.remove_prefix(1);
    while (!s.empty() && s[0] != '}') {
        std::size_t eq = s.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        std::string name(s.substr(0, eq));
        if (!valid_name(name, false) || eq + 1 >= s.size() || s[eq + 1] != '"') {
            return std::nullopt;
        }
        for (const auto& [seen, v] : labels) {
            if (seen == name) return std::nullopt;
        }
        s.remove_prefix(eq + 2);
        std::string value;
        while (!s.empty() && s[0] != '"') {
            if (s[0] == '\n') return std::nullopt;
            if (s[0] == '\\') {
                if (s.size() < 2) return std::nullopt;
                if (s[1] == 'n')
                    value += '\n';
                else if (s[1] == '\\' || s[1] == '"')
                    value += s[1];
                else
                    return std::nullopt;
                s.remove_prefix(2);
            } else {
                value += s[0];
                s.remove_prefix(1);
            }
        }
        if (s.empty()) return std::nullopt;
        s.remove_prefix(1);  // closing quote
        labels.emplace_back(std::move(name), std::move(value));
        if (!s.empty() && s[0] == ',') s.remove_prefix(1);
    }
    if (s.empty()) return std::nullopt;
    s.remove_prefix(1);
    return labels;
}

std::optional<Sample> parse_sample(std::string_view line) {
    Sample out;
    std::size_t end = line.find_first_of("{ ");
    if (end == std::string_view::npos) return std::nullopt;
    out.name = std::string(line.substr(0, end));
    if (!valid_name(out.name, true)) return std::nullopt;
    line.remove_prefix(end);
    if (line[0] == '{') {
        auto labels = parse_labels(line);
        if (!labels) return std::nullopt;
        out.labels = std::move(*labels);
    }
    if (line.empty() || line[0] != ' ') return std::nullopt;
    line.remove_prefix(1);
    auto value = parse_value(line);  // no timestamps: we never write them
    if (!value) return std::nullopt;
    out.value = *value;
    return out;
}

// The family a sample belongs to: its own name, or a histogram's with a suffix.
bool belongs(const std::string& sample, const std::string& family, const std::string& type) {
    if (sample == family) return type != "histogram";
    if (type != "histogram") return false;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (sample == family + suffix) return true;
    }
    return false;
}

std::string without_le(const Labels& labels) {
    std::string key;
    for (const auto& [n, v] : labels) {
        if (n != "le") key += n + "=" + v + ";";
    }
    return key;
}

std::optional<std::string> le_of(const Labels& labels) {
    for (const auto& [n, v] : labels) {
        if (n == "le") return v;
    }
    return std::nullopt;
}

// Buckets cumulative with rising bounds, ending with +Inf == _count, and a _sum.
void check_histogram(const std::string& name, const Family& f, std::vector<std::string>& errors) {
    struct Series {
        std::vector<std::pair<double, double>> buckets;  // (le, count)
        std::optional<double> count, sum;
    };
    std::map<std::string, Series> series;
    for (const Sample& s : f.samples) {
        Series& x = series[without_le(s.labels)];
        if (s.name == name + "_bucket") {
            auto le = le_of(s.labels);
            auto bound = le ? parse_value(*le) : std::nullopt;
            if (!bound)
                errors.push_back(name + ": bucket without a numeric le");
            else
                x.buckets.emplace_back(*bound, s.value);
        } else if (s.name == name + "_count") {
            x.count = s.value;
        } else {
            x.sum = s.value;
        }
    }
    for (const auto& [key, x] : series) {
        std::string what = name + "{" + key + "}: ";
        for (std::size_t i = 1; i < x.buckets.size(); ++i) {
            if (!(x.buckets[i].first > x.buckets[i - 1].first)) {
                errors.push_back(what + "bounds not rising");
            }
            if (x.buckets[i].second < x.buckets[i - 1].second) {
                errors.push_back(what + "buckets not cumulative");
            }
        }
        if (x.buckets.empty() || !std::isinf(x.buckets.back().first)) {
            errors.push_back(what + "no +Inf bucket last");
        } else if (!x.count || *x.count != x.buckets.back().second) {
            errors.push_back(what + "+Inf bucket differs from _count");
        }
        if (!x.sum) errors.push_back(what + "no _sum");
    }
}

void parse_line(std::string_view line, Exposition& e, Family*& current, std::string& name) {
    static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                 "untyped"};
    if (line.starts_with("# HELP ")) {
        std::string_view rest = line.substr(7);
        std::size_t sp = rest.find(' ');
        name = std::string(rest.substr(0, sp));
        if (!valid_name(name, true)) e.errors.push_back("bad HELP name: " + name);
        if (e.families.contains(name)) e.errors.push_back("family twice: " + name);
        current = &e.families[name];
        current->help = sp == std::string_view::npos ? "" : std::string(rest.substr(sp + 1));
        e.order.push_back(name);
    } else if (line.starts_with("# TYPE ")) {
        std::string_view rest = line.substr(7);
        std::size_t sp = rest.find(' ');
        if (!current || rest.substr(0, sp) != name || !current->type.empty() ||
            !current->samples.empty()) {
            e.errors.push_back("TYPE not right after its HELP: " + std::string(line));
            return;
        }
        current->type = sp == std::string_view::npos ? "" : std::string(rest.substr(sp + 1));
        if (!kTypes.contains(current->type)) e.errors.push_back("bad type: " + current->type);
    } else if (line.starts_with("#")) {
        e.errors.push_back("unexpected comment: " + std::string(line));
    } else if (auto s = parse_sample(line)) {
        if (!current || current->type.empty() || !belongs(s->name, name, current->type)) {
            e.errors.push_back("sample outside its family: " + std::string(line));
            return;
        }
        current->samples.push_back(std::move(*s));
    } else {
        e.errors.push_back("unparsable line: " + std::string(line));
    }
}

Exposition parse(std::string_view text) {
    Exposition e;
    if (!text.empty() && !text.ends_with('\n')) e.errors.push_back("no final newline");
    Family* current = nullptr;
    std::string name;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.empty()) {
            e.errors.push_back("empty line");
            continue;
        }
        parse_line(line, e, current, name);
    }
    for (const auto& [n, f] : e.families) {
        if (f.type.empty()) e.errors.push_back("no TYPE for " + n);
        if (f.type == "histogram") check_histogram(n, f, e.errors);
    }
    return e;
}

Exposition valid(std::string_view text) {
    Exposition e = parse(text);
    for (const std::string& error : e.errors) BOOST_ERROR(error);
    return e;
}

// The value of one sample, by name and exact label set; -1 (no count is) when absent.
double value(const Exposition& e, const std::string& family, const std::string& name,
             const Labels& labels) {
    auto f = e.families.find(family);
    if (f == e.families.end()) return -1;
    for (const Sample& s : f->second.samples) {
        if (s.name == name && s.labels == labels) return s.value;
    }
    return -1;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

const std::vector<std::string> kFamilies = {"amq2api_requests_total",
                                            "amq2api_upstream_attempts_total",
                                            "amq2api_limit_refusals_total",
                                            "amq2api_tokens_total",
                                            "amq2api_credits_total",
                                            "amq2api_request_duration_seconds",
                                            "amq2api_time_to_first_byte_seconds"};

}  // namespace

BOOST_AUTO_TEST_CASE(empty_families_still_have_help_and_type) {
    Metrics m;
    Exposition e = valid(m.render({{"amq2api_accounts", "Accounts by state.", {}}}));
    std::vector<std::string> expected = kFamilies;
    expected.push_back("amq2api_accounts");
    BOOST_TEST(e.order == expected, boost::test_tools::per_element());
    for (const auto& [name, f] : e.families) {
        BOOST_TEST(!f.help.empty());
        BOOST_TEST(f.samples.empty());
    }
    BOOST_TEST(e.families["amq2api_requests_total"].type == "counter");
    BOOST_TEST(e.families["amq2api_tokens_total"].type == "counter");
    BOOST_TEST(e.families["amq2api_request_duration_seconds"].type == "histogram");
    BOOST_TEST(e.families["amq2api_time_to_first_byte_seconds"].type == "histogram");
    BOOST_TEST(e.families["amq2api_accounts"].type == "gauge");
}

BOOST_AUTO_TEST_CASE(counters_render_and_parse) {
    Metrics m;
    m.request("/v1/messages", 200, 3);
    m.request("/v1/messages", 200, 3);
    m.request("/v1/chat/completions", 429, 4);
    m.attempt(2, "ok");
    m.attempt(2, "throttle");
    m.attempt(2, "ok");
    m.refusal("requests_per_minute");
    m.tokens(3, 120, 45);
    m.tokens(3, 30, 5);
    m.credits(3, 250000);
    m.credits(3, 125000);
    m.credits(4, -1);  // no charge: no sample
    std::string text = m.render({});
    Exposition e = valid(text);

    BOOST_TEST(contains(
        text, "amq2api_requests_total{endpoint=\"/v1/messages\",status=\"2xx\",key=\"3\"} 2\n"));
    BOOST_TEST(value(e, "amq2api_requests_total", "amq2api_requests_total",
                     {{"endpoint", "/v1/chat/completions"}, {"status", "4xx"}, {"key", "4"}}) == 1);
    BOOST_TEST(contains(text, "amq2api_upstream_attempts_total{account=\"2\",result=\"ok\"} 2\n"));
    BOOST_TEST(
        contains(text, "amq2api_upstream_attempts_total{account=\"2\",result=\"throttle\"} 1\n"));
    BOOST_TEST(contains(text, "amq2api_limit_refusals_total{limit=\"requests_per_minute\"} 1\n"));
    BOOST_TEST(contains(text, "amq2api_tokens_total{key=\"3\",direction=\"input\"} 150\n"));
    BOOST_TEST(contains(text, "amq2api_tokens_total{key=\"3\",direction=\"output\"} 50\n"));
    BOOST_TEST(contains(text, "amq2api_credits_total{key=\"3\"} 0.375\n"));
    BOOST_TEST(!contains(text, "amq2api_credits_total{key=\"4\"}"));
}

BOOST_AUTO_TEST_CASE(negative_tokens_add_nothing) {
    Metrics m;
    m.tokens(1, 10, 20);
    m.tokens(1, -5, -7);
    std::string text = m.render({});
    valid(text);
    BOOST_TEST(contains(text, "amq2api_tokens_total{key=\"1\",direction=\"input\"} 10\n"));
    BOOST_TEST(contains(text, "amq2api_tokens_total{key=\"1\",direction=\"output\"} 20\n"));
}

BOOST_AUTO_TEST_CASE(status_classes) {
    Metrics m;
    for (int status : {200, 201, 302, 400, 404, 499, 500, 503, 0, 42, 600}) {
        m.request("/x", status, 1);
    }
    Exposition e = valid(m.render({}));
    auto count = [&](const std::string& cls) {
        return value(e, "amq2api_requests_total", "amq2api_requests_total",
                     {{"endpoint", "/x"}, {"status", cls}, {"key", "1"}});
    };
    BOOST_TEST(count("2xx") == 2);
    BOOST_TEST(count("3xx") == 1);
    BOOST_TEST(count("4xx") == 3);  // 400, 404 and 499 (the client went away)
    BOOST_TEST(count("5xx") == 2);
    BOOST_TEST(count("none") == 1);  // no response at all
    BOOST_TEST(count("other") == 2);
    BOOST_TEST(e.families["amq2api_requests_total"].samples.size() == 6u);
}

BOOST_AUTO_TEST_CASE(histogram_buckets) {
    Metrics m;
    for (double s : {0.25, 0.5, 2.0, 400.0}) m.latency("/v1/messages", s);
    m.latency("/v1/messages", -1);        // a clock step: counted as 0
    m.latency("/v1/messages", NAN);       // ignored
    m.latency("/v1/messages", INFINITY);  // ignored
    m.time_to_first_byte("/v1/messages", 0.01);
    std::string text = m.render({});
    Exposition e = valid(text);
    const std::string f = "amq2api_request_duration_seconds";
    auto bucket = [&](const std::string& le) {
        return value(e, f, f + "_bucket", {{"endpoint", "/v1/messages"}, {"le", le}});
    };
    BOOST_TEST(bucket("0.005") == 1);  // the negative one, as 0
    BOOST_TEST(bucket("0.25") == 2);   // bounds are inclusive
    BOOST_TEST(bucket("0.5") == 3);
    BOOST_TEST(bucket("1") == 3);
    BOOST_TEST(bucket("2.5") == 4);
    BOOST_TEST(bucket("300") == 4);
    BOOST_TEST(bucket("+Inf") == 5);
    BOOST_TEST(value(e, f, f + "_count", {{"endpoint", "/v1/messages"}}) == 5);
    BOOST_TEST(value(e, f, f + "_sum", {{"endpoint", "/v1/messages"}}) == 402.75);
    BOOST_TEST(e.families[f].samples.size() == 18u);  // 16 buckets, _sum, _count

    const std::string t = "amq2api_time_to_first_byte_seconds";
    BOOST_TEST(value(e, t, t + "_bucket", {{"endpoint", "/v1/messages"}, {"le", "0.005"}}) == 0);
    BOOST_TEST(value(e, t, t + "_bucket", {{"endpoint", "/v1/messages"}, {"le", "0.01"}}) == 1);
    BOOST_TEST(
        contains(text, "amq2api_time_to_first_byte_seconds_count{endpoint=\"/v1/messages\"} 1\n"));

    std::vector<std::string> bounds;
    for (const Sample& s : e.families[t].samples) {
        if (s.name == t + "_bucket") bounds.push_back(*le_of(s.labels));
    }
    std::vector<std::string> expected = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                         "0.5",   "1",    "2.5",   "5",    "10",  "30",
                                         "60",    "120",  "300",   "+Inf"};
    BOOST_TEST(bounds == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(label_escaping) {
    Metrics m;
    const std::string nasty = "a\"b\\c\nd";
    m.request(nasty, 200, 1);
    m.attempt(1, nasty);
    m.refusal(nasty);
    m.latency(nasty, 1);
    std::string text =
        m.render({{"amq2api_odd", "Help with a \\ and a\nnewline \"quoted\".", {{"", 1}}}});
    Exposition e = valid(text);
    BOOST_TEST(contains(text, "{endpoint=\"a\\\"b\\\\c\\nd\",status=\"2xx\",key=\"1\"} 1\n"));
    BOOST_TEST(contains(text, "# HELP amq2api_odd Help with a \\\\ and a\\nnewline \"quoted\".\n"));
    BOOST_TEST(value(e, "amq2api_limit_refusals_total", "amq2api_limit_refusals_total",
                     {{"limit", nasty}}) == 1);
    BOOST_TEST(value(e, "amq2api_upstream_attempts_total", "amq2api_upstream_attempts_total",
                     {{"account", "1"}, {"result", nasty}}) == 1);
    BOOST_TEST(value(e, "amq2api_request_duration_seconds",
                     "amq2api_request_duration_seconds_count", {{"endpoint", nasty}}) == 1);
}

BOOST_AUTO_TEST_CASE(gauges) {
    Metrics m;
    Metrics::Gauge accounts{"amq2api_accounts",
                            "Accounts by state.",
                            {{"{state=\"healthy\"}", 3}, {"{state=\"cooling\"}", 1}}};
    Metrics::Gauge in_flight{"amq2api_in_flight_requests", "Requests being served.", {{"", 7}}};
    Metrics::Gauge odd{"amq2api_odd",
                       "Special values.",
                       {{"{v=\"nan\"}", NAN}, {"{v=\"inf\"}", INFINITY}, {"{v=\"half\"}", 0.5}}};
    std::string text = m.render({accounts, in_flight, odd});
    Exposition e = valid(text);
    BOOST_TEST(contains(text,
                        "# TYPE amq2api_accounts gauge\n"
                        "amq2api_accounts{state=\"cooling\"} 1\n"
                        "amq2api_accounts{state=\"healthy\"} 3\n"));  // sorted
    BOOST_TEST(contains(text, "\namq2api_in_flight_requests 7\n"));
    BOOST_TEST(contains(text, "amq2api_odd{v=\"inf\"} +Inf\n"));
    BOOST_TEST(contains(text, "amq2api_odd{v=\"nan\"} NaN\n"));
    BOOST_TEST(contains(text, "amq2api_odd{v=\"half\"} 0.5\n"));
    BOOST_TEST(e.order.back() == "amq2api_odd");
}

BOOST_AUTO_TEST_CASE(deterministic_sorted_order) {
    Metrics a;
    Metrics b;
    a.request("/v1/messages", 200, 9);
    a.request("/v1/chat/completions", 500, 1);
    a.attempt(5, "transient");
    a.attempt(1, "ok");
    b.attempt(1, "ok");
    b.attempt(5, "transient");
    b.request("/v1/chat/completions", 500, 1);
    b.request("/v1/messages", 200, 9);
    std::string text = a.render({});
    BOOST_TEST(text == b.render({}));
    BOOST_TEST(text == a.render({}));
    Exposition e = valid(text);
    const auto& samples = e.families["amq2api_requests_total"].samples;
    BOOST_TEST(samples.size() == 2u);
    BOOST_TEST(samples[0].labels[0].second == "/v1/chat/completions");
    BOOST_TEST(samples[1].labels[0].second == "/v1/messages");
}

// The validator must catch what it is there to catch.
BOOST_AUTO_TEST_CASE(validator_rejects_bad_text) {
    auto errors = [](std::string_view text) { return parse(text).errors.size(); };
    BOOST_TEST(errors("# HELP a x\n# TYPE a counter\na 1\n") == 0u);
    BOOST_TEST(errors("a 1\n") > 0u);                                // no HELP/TYPE
    BOOST_TEST(errors("# TYPE a counter\na 1\n") > 0u);              // no HELP
    BOOST_TEST(errors("# HELP a x\n# TYPE a counter\nb 1\n") > 0u);  // other family
    BOOST_TEST(errors("# HELP a x\n# TYPE a counter\na{l=\"x} 1\n") > 0u);
    BOOST_TEST(errors("# HELP a x\n# TYPE a counter\na{l=\"\\t\"} 1\n") > 0u);
    BOOST_TEST(errors("# HELP a x\n# TYPE a counter\na one\n") > 0u);
    BOOST_TEST(errors("# HELP a x\n# TYPE a counter\na 1") > 0u);  // no final newline
    const std::string h = "# HELP h x\n# TYPE h histogram\n";
    BOOST_TEST(errors(h + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n") ==
               0u);
    BOOST_TEST(errors(h + "h_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n") >
               0u);  // not cumulative
    BOOST_TEST(errors(h + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 3\n") >
               0u);                                                             // +Inf != _count
    BOOST_TEST(errors(h + "h_bucket{le=\"1\"} 1\nh_sum 3\nh_count 1\n") > 0u);  // no +Inf
}
