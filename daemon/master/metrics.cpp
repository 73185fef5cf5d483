#include "daemon/master/metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "common/strings.hpp"

namespace amq {
namespace {

// Upper bounds of the latency buckets, in seconds; +Inf is implied (it equals the count).
// Streams of long generations run for minutes, hence the tail up to 300 s.
constexpr std::array<double, 15> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                            2.5,   5,    10,    30,   60,  120,  300};

std::string escape(std::string_view s, bool quote) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && quote) {
            out += "\\\"";  // only label values are quoted; HELP text keeps its quotes
        } else {
            out += c;
        }
    }
    return out;
}

std::string label(std::string_view name, std::string_view value) {
    return str_cat(name, "=\"", escape(value, true), "\"");
}

// "2xx" … "5xx" (499, a client that went away, is a 4xx like any other); 0 means no response
// was sent at all, which is not a class, hence "none"; anything else out of range "other".
std::string status_class(int status) {
    if (status == 0) return "none";
    if (status < 100 || status > 599) return "other";
    return str_cat(status / 100, "xx");
}

// Go's ParseFloat spellings, which Prometheus expects for the special values.
std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return str_cat(v);
}

void family(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
    out += str_cat("# HELP ", name, " ", escape(help, false), "\n");
    out += str_cat("# TYPE ", name, " ", type, "\n");
}

// `labels` is the inside of the braces; empty means none.
void sample(std::string& out, std::string_view name, std::string_view labels,
            std::string_view value) {
    if (labels.empty()) {
        out += str_cat(name, " ", value, "\n");
    } else {
        out += str_cat(name, "{", labels, "} ", value, "\n");
    }
}

void counters(std::string& out, std::string_view name, std::string_view help,
              const std::map<std::string, std::uint64_t>& values) {
    family(out, name, help, "counter");
    for (const auto& [labels, value] : values) sample(out, name, labels, str_cat(value));
}

std::string with(const std::string& labels, const std::string& more) {
    return labels.empty() ? more : str_cat(labels, ",", more);
}

// A template so that it can take Metrics' private Histogram without naming it.
template <class Histogram>
void histograms(std::string& out, std::string_view name, std::string_view help,
                const std::map<std::string, Histogram>& values) {
    family(out, name, help, "histogram");
    std::string bucket = str_cat(name, "_bucket");
    for (const auto& [labels, h] : values) {
        for (std::size_t i = 0; i < kBounds.size(); ++i) {
            sample(out, bucket, with(labels, label("le", str_cat(kBounds[i]))),
                   str_cat(h.buckets[i]));
        }
        sample(out, bucket, with(labels, label("le", "+Inf")), str_cat(h.count));
        sample(out, str_cat(name, "_sum"), labels, number(h.sum));
        sample(out, str_cat(name, "_count"), labels, str_cat(h.count));
    }
}

}  // namespace

void Metrics::request(std::string_view endpoint, int status, std::uint64_t key_id) {
    ++requests_[str_cat(label("endpoint", endpoint), ",", label("status", status_class(status)),
                        ",", label("key", str_cat(key_id)))];
}

void Metrics::attempt(std::uint64_t account_id, std::string_view result) {
    ++attempts_[str_cat(label("account", str_cat(account_id)), ",", label("result", result))];
}

void Metrics::refusal(std::string_view limit) { ++refusals_[label("limit", limit)]; }

void Metrics::tokens(std::uint64_t key_id, std::int64_t input, std::int64_t output) {
    // A counter never goes down: a negative figure (a bug upstream of us) adds nothing.
    std::string key = label("key", str_cat(key_id));
    tokens_[str_cat(key, ",", label("direction", "input"))] +=
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, input));
    tokens_[str_cat(key, ",", label("direction", "output"))] +=
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, output));
}

void Metrics::credits(std::uint64_t key_id, std::int64_t micros) {
    if (micros <= 0) return;
    credits_micros_[label("key", str_cat(key_id))] += static_cast<std::uint64_t>(micros);
}

void Metrics::latency(std::string_view endpoint, double seconds) {
    observe(latency_, endpoint, seconds);
}

void Metrics::time_to_first_byte(std::string_view endpoint, double seconds) {
    observe(ttfb_, endpoint, seconds);
}

void Metrics::observe(std::map<std::string, Histogram>& family, std::string_view endpoint,
                      double seconds) {
    // NaN or infinity would poison _sum for good; a negative duration (a clock step) is 0.
    if (!std::isfinite(seconds)) return;
    seconds = std::max(0.0, seconds);
    Histogram& h = family[label("endpoint", endpoint)];
    if (h.buckets.empty()) h.buckets.assign(kBounds.size(), 0);
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
        if (seconds <= kBounds[i]) ++h.buckets[i];
    }
    ++h.count;
    h.sum += seconds;
}

std::string Metrics::render(const std::vector<Gauge>& gauges) const {
    std::string out;
    counters(out, "amq2api_requests_total",
             "Finished HTTP requests by endpoint, status class and API key id.", requests_);
    counters(out, "amq2api_upstream_attempts_total", "Upstream attempts by account id and result.",
             attempts_);
    counters(out, "amq2api_limit_refusals_total", "Requests refused by a limit.", refusals_);
    counters(out, "amq2api_tokens_total", "Tokens by API key id and direction.", tokens_);
    family(out, "amq2api_credits_total", "Credits the upstream metered, by API key id.", "counter");
    for (const auto& [labels, micros] : credits_micros_)
        sample(out, "amq2api_credits_total", labels, number(static_cast<double>(micros) / 1e6));
    histograms(out, "amq2api_request_duration_seconds",
               "Time from the request's arrival to its last response byte.", latency_);
    histograms(out, "amq2api_time_to_first_byte_seconds",
               "Time from the request's arrival to its first response byte.", ttfb_);
    for (const Gauge& g : gauges) {
        family(out, g.name, g.help, g.type);
        // Label sets come pre-rendered, braces included (or empty: no labels); sorted like
        // the counters so that successive scrapes diff cleanly.
        auto samples = g.samples;
        std::stable_sort(samples.begin(), samples.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [labels, value] : samples) {
            out += str_cat(g.name, labels, " ", number(value), "\n");
        }
    }
    return out;
}

}  // namespace amq
