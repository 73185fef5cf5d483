// amq2apictl usage export: the one command that is many requests. It pages through
// usage.export and writes each page as it arrives, so that memory holds one page however
// long the period is.
#pragma once

#include "ctl/commands.hpp"

namespace amq::ctl {

// Exit status as documented: 0 done, 1 the daemon refused a page or the output could not be
// written, 2 the output file cannot be created, 3 the daemon could not be reached. After a
// failure the output holds the pages written before it.
int run_usage_export(const Invocation& invocation);

}  // namespace amq::ctl
