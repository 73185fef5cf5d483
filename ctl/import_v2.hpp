// amq2apictl import-v2: the upgrade from a Python amq2api v2.0. amq2apictl reads the v2.0
// SQLite file itself (the daemon never opens a path a client names) and sends its rows, key
// secrets hashed, to the daemon's import-v2 command; usage goes in parts that each fit the
// control socket, every part one transaction that repeats the accounts and keys (which the
// daemon then finds present), so that an interrupted import is finished by running it again.
#pragma once

#include "ctl/commands.hpp"

namespace amq::ctl {

// Exit status: 0 imported (or planned, with --dry-run), 1 the daemon refused or some rows
// were skipped, 2 the file cannot be read as a v2.0 database, 3 the daemon is unreachable.
int run_import_v2(const Invocation& invocation);

}  // namespace amq::ctl
