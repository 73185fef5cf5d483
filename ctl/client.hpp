// The control socket client: one blocking request/reply exchange with the master.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/result.hpp"

namespace amq::ctl {

// A daemon busy committing can be slow, but a CLI must not hang forever on a stuck one. This
// bounds connecting and sending always, and waiting for the reply unless a command says more.
inline constexpr int kTimeoutSeconds = 30;

// $AMQ2API_SOCKET if set, else the systemd location if it exists, else the checkout default.
std::string default_socket_path();

// Sends {"id", "cmd", "args"} (args_json is a JSON object) and returns the reply, checked for
// shape: an object whose "ok" is a bool, with "data" an object when ok, and "error" an object
// with string "code" and "message" when not. An Error means the daemon could not be reached
// or broke the protocol (its message names the socket and suggests --socket); a reply with
// ok=false is a successful exchange; a reply over the control frame cap is Errc::too_large.
// The reply is awaited for at most reply_timeout_seconds.
//
// A pass_fd of 0 or more is passed to the daemon (SCM_RIGHTS) with the first bytes of the
// request, which is where the daemon looks for it (backup writes into it). The caller keeps
// its own copy of the descriptor and closes it.
Result<rapidjson::Document> call(const std::string& socket_path, std::string_view cmd,
                                 std::string_view args_json,
                                 int reply_timeout_seconds = kTimeoutSeconds, int pass_fd = -1);

}  // namespace amq::ctl
