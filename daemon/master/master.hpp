// The master process: owns the store, the listening socket, the control socket and the
// workers; turns signals into stop (TERM, INT) and reload (HUP).
#pragma once

#include "common/config.hpp"

namespace amq {

int run_master(const Invocation& invocation, const EnvLookup& env);

}  // namespace amq
