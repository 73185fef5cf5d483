// The shared store's schema in PostgreSQL, as versioned migrations: the daemon applies those
// a database lacks, in order, each once, and refuses a database migrated by a newer amq2api.
// Applied migrations are never edited; a change to the schema is a new one.
#pragma once

#include <set>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace amq {

class PgConnection;

struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

std::span<const Migration> schema_migrations();

// The migrations a database at `applied` lacks, in order. A version this amq2api does not
// know means a newer one migrated the database: refused, as is a gap.
Result<std::vector<Migration>> pending_migrations(const std::set<int>& applied);

// Applies what the database lacks, in one transaction that holds an advisory lock, so that
// hosts starting together migrate once. `dry_run` only reads. Returns the pending
// migrations (applied now, unless dry_run).
Result<std::vector<Migration>> migrate_schema(PgConnection& db, bool dry_run);

}  // namespace amq
