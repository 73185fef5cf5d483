// amq2apictl backup: the one command that hands the daemon a file. amq2apictl creates the file
// with its own rights and passes the open descriptor with the request, so the daemon never
// opens a path a client names and cannot be made to overwrite a file the client may not write.
#pragma once

#include "ctl/commands.hpp"

namespace amq::ctl {

// Exit status as documented: 0 written, 1 the daemon failed the copy (or the output could not
// be written), 2 the file exists (without --force) or cannot be created, 3 the daemon could not
// be reached. On failure the file is removed: a partial copy must not pass for a backup.
int run_backup(const Invocation& invocation);

}  // namespace amq::ctl
