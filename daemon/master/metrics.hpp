// The daemon's counters and histograms, rendered as Prometheus text (exposition format 0.0.4)
// for GET /metrics. Labels are key and account ids only — never secrets. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace amq {

class Metrics {
public:
    // A finished request: endpoint ("/v1/messages"), HTTP status (class label "2xx" …), key.
    void request(std::string_view endpoint, int status, std::uint64_t key_id);
    // One upstream attempt on an account and its result ("ok", "throttle", "transient", …).
    void attempt(std::uint64_t account_id, std::string_view result);
    void refusal(std::string_view limit);  // "requests_per_minute", "requests_per_day",
                                           // "concurrency", "model", …
    void tokens(std::uint64_t key_id, std::int64_t input, std::int64_t output);
    // The upstream's metered credits (millionths), by key.
    void credits(std::uint64_t key_id, std::int64_t micros);
    void latency(std::string_view endpoint, double seconds);  // request duration
    void time_to_first_byte(std::string_view endpoint, double seconds);

    // Families whose figures are kept elsewhere, handed in when rendering (account states,
    // in-flight requests, the queue's counters).
    struct Gauge {
        std::string name;
        std::string help;
        std::vector<std::pair<std::string, double>>
            samples;  // label set text ("{state=\"x\"}") → value
        std::string type = "gauge";
    };
    std::string render(const std::vector<Gauge>& gauges) const;

private:
    struct Histogram {
        std::vector<std::uint64_t> buckets;  // cumulative counts per bound of kBounds
        std::uint64_t count = 0;
        double sum = 0;
    };
    void observe(std::map<std::string, Histogram>& family, std::string_view endpoint,
                 double seconds);

    std::map<std::string, std::uint64_t> requests_;  // label text → count
    std::map<std::string, std::uint64_t> attempts_;
    std::map<std::string, std::uint64_t> refusals_;
    std::map<std::string, std::uint64_t> tokens_;
    std::map<std::string, std::uint64_t> credits_micros_;
    std::map<std::string, Histogram> latency_;
    std::map<std::string, Histogram> ttfb_;
};

}  // namespace amq
