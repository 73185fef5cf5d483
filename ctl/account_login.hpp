// amq2apictl account login: logs an account in with AWS device authorization, or with a Kiro
// portal sign-in (--kiro). The daemon runs the flow and holds the secrets; amq2apictl shows
// the user code and the URL to open and asks how the login stands until it ends — or shows
// the sign-in URL and sends the callback URL the admin pastes. Ctrl-C cancels it at the
// daemon.
#pragma once

#include "ctl/commands.hpp"

namespace amq::ctl {

// Exit status: 0 logged in, 1 the login failed, expired or was denied (or the daemon refused
// it), 2 a wrong command line, 3 the daemon is unreachable, 130 cancelled with Ctrl-C.
int run_account_login(const Invocation& invocation);

}  // namespace amq::ctl
