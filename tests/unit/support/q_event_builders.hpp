// Builders for the Amazon Q events (QEvent) that tests feed to the streams and classifiers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/q_events.hpp"

namespace amq::test {

inline QEvent text(std::string s) {
    QEvent e;
    e.kind = QEvent::Kind::text;
    e.text = std::move(s);
    return e;
}

inline QEvent tool(std::string id, std::string name, std::string input, bool stop = false) {
    QEvent e;
    e.kind = QEvent::Kind::tool_use;
    e.tool_use_id = std::move(id);
    e.tool_name = std::move(name);
    e.tool_input = std::move(input);
    e.tool_stop = stop;
    return e;
}

inline QEvent reasoning(std::string s, std::string signature = {}) {
    QEvent e;
    e.kind = QEvent::Kind::reasoning;
    e.text = std::move(s);
    e.signature = std::move(signature);
    return e;
}

inline QEvent metadata(std::optional<std::int64_t> in, std::optional<std::int64_t> out,
                       std::string stop = {}) {
    QEvent e;
    e.kind = QEvent::Kind::metadata;
    e.input_tokens = in;
    e.output_tokens = out;
    e.stop_reason = std::move(stop);
    return e;
}

// As q_events reads tokenUsage: input_tokens is the sum of uncached, cache read and written.
inline QEvent cached_metadata(std::int64_t uncached, std::int64_t read, std::int64_t written,
                              std::int64_t out) {
    QEvent e = metadata(uncached + read + written, out, "END_TURN");
    e.cache_read_tokens = read;
    e.cache_write_tokens = written;
    return e;
}

inline QEvent context_usage(double pct) {
    QEvent e;
    e.kind = QEvent::Kind::context_usage;
    e.context_percentage = pct;
    return e;
}

inline QEvent metering(double credits) {
    QEvent e;
    e.kind = QEvent::Kind::metering;
    e.metering_usage = credits;
    return e;
}

// An exception event; the reason is a ValidationException's (or any exception's) reason field.
inline QEvent exception(std::string type, std::string message, std::string reason = {}) {
    QEvent e;
    e.kind = QEvent::Kind::exception;
    e.event_type = std::move(type);
    e.message = std::move(message);
    e.reason = std::move(reason);
    return e;
}

}  // namespace amq::test
