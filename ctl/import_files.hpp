// The files `account import` sends: each PATH given, read whole, with a directory standing for
// the token files in it. A file that cannot be read is sent as its reason, so that one bad
// file is one refused entry of the report rather than the end of the import.
#pragma once

#include <string>
#include <vector>

#include "common/account_import.hpp"
#include "common/result.hpp"

namespace amq::ctl {

// One import document is a token file of a few KiB; the cap keeps a mistaken argument (a log,
// a disk image) from being read into memory and sent.
inline constexpr std::size_t kMaxDocumentBytes = 4u << 20;

// Every path in order: "-" is stdin (source "stdin"); a directory is its *.json entries that
// are regular files or symlinks to them (a symlink leading nowhere too, to say so), not
// recursive, sorted by name; anything else is read as a file. A document that cannot be read,
// or is over kMaxDocumentBytes, carries why in `error`. Fails when the paths hold more than
// kMaxImportDocuments files, no file at all, or none that can be read.
Result<std::vector<ImportDocument>> read_import_files(const std::vector<std::string>& paths);

}  // namespace amq::ctl
