// amq2apictl store copy: into a database the daemon connects to, or into an LMDB file that
// amq2apictl creates and passes (as backup does).
#pragma once

#include "ctl/commands.hpp"

namespace amq::ctl {

int run_store_copy(const Invocation& invocation);

}  // namespace amq::ctl
