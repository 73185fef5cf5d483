// Reads the database of a Python amq2api v2.0 installation (SQLite, opened read-only: the
// file is never modified) into an `import-v2` request. v2.0 stored its times without a zone,
// in the local time of its host: they are read as this host's local time (TZ applies).
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/v2_import.hpp"

namespace amq::ctl {

struct V2Database {
    V2Import request;
    std::vector<V2Skipped> skipped;  // rows that cannot even be sent, with why
};

Result<V2Database> read_v2_database(const std::string& path);

}  // namespace amq::ctl
