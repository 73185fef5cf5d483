// amq2apictl backup: the one command that hands the daemon a file. amq2apictl creates the file
// with its own rights and passes the open descriptor with the request, so the daemon never
// opens a path a client names and cannot be made to overwrite a file the client may not write.
#pragma once

#include <string>
#include <string_view>

#include "ctl/commands.hpp"

namespace amq::ctl {

// A reply rendered with the file it went into.
using FileRenderFn = std::string (*)(const rapidjson::Value& data, std::string_view file);

// Creates `path` (mode 0600; an existing file only with --force), sends the command with
// its descriptor, and keeps the file only when the daemon says it wrote it. `what` names the
// command in messages. Exit status as run_backup's.
int run_into_file(const Invocation& invocation, const std::string& path, std::string_view args_json,
                  std::string_view what, FileRenderFn render, FileRenderFn render_json);

// Exit status as documented: 0 written, 1 the daemon failed the copy (or the output could not
// be written), 2 the file exists (without --force) or cannot be created, 3 the daemon could not
// be reached. On failure the file is removed: a partial copy must not pass for a backup.
int run_backup(const Invocation& invocation);

}  // namespace amq::ctl
