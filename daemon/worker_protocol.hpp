// Frames between the master and its workers (JSON objects with a "t" type field):
//   worker → master  hello {proto, pid, index, generation}, ready, heartbeat {requests, inflight}
//   master → worker  welcome {proto, state}, refuse {reason}, state {...}, drain
// and the calls below; docs/worker-master.md describes them all.
#pragma once

#include <string_view>

namespace amq::wire {

inline constexpr int kWorkerChannelFd = 4;
// The admin channel: HTTP admin API calls only (t=call, cmd=admin), with the control socket's
// frame size, apart from the data channel so that a large import neither delays nor endangers
// the requests in flight.
inline constexpr int kAdminChannelFd = 5;
inline constexpr int kListenFd = 3;

inline constexpr std::string_view kHello = "hello";
inline constexpr std::string_view kReady = "ready";
inline constexpr std::string_view kHeartbeat = "heartbeat";
inline constexpr std::string_view kWelcome = "welcome";
inline constexpr std::string_view kRefuse = "refuse";
inline constexpr std::string_view kState = "state";
inline constexpr std::string_view kDrain = "drain";
inline constexpr std::string_view kLogLevel = "log_level";  // {level}

inline constexpr double kHeartbeatSeconds = 1.0;

}  // namespace amq::wire

namespace amq::wire {

// Request/response between a worker and the master:
//   worker → master  call {id, cmd, args}     master → worker  reply {id, ok, data | error}
//   worker → master  outcome {args}           (no reply; AttemptOutcome, one per attempt)
//   worker → master  report {args}            (no reply; UsageReport, one per exchange)
//   worker → master  answered {args}          (no reply; AnsweredRequest)
// error = {status, message}: the HTTP status the client gets and why. The args' shapes are
// defined once, in common/worker_messages.hpp.
inline constexpr std::string_view kCall = "call";
inline constexpr std::string_view kReply = "reply";
inline constexpr std::string_view kOutcome = "outcome";
inline constexpr std::string_view kReport = "report";
inline constexpr std::string_view kAnswered = "answered";

inline constexpr std::string_view kAdmit = "admit";      // {key_hash, model, endpoint, exclude[]}
inline constexpr std::string_view kRefresh = "refresh";  // {account_id, serial}
// {key_hash, endpoint, model?} → {key_id, allowed_models[], rate?}: no account needed; the
// request counts toward the key's per-minute and per-day limits, and `model` must be allowed.
inline constexpr std::string_view kAuth = "auth";
inline constexpr std::string_view kMetrics =
    "metrics";  // {key_hash} → {text}: Prometheus exposition
inline constexpr std::string_view kAdmin =
    "admin";  // {key_hash, command, args} → the command's data

}  // namespace amq::wire
