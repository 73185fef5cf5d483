// The PostgreSQL side of `store copy` (store_records.hpp): every record of a database read
// into a sink, and a sink that writes records into a database (pg_schema.cpp's tables).
#pragma once

#include <memory>

#include "common/result.hpp"
#include "daemon/master/store_records.hpp"

namespace amq {

class PgConnection;

// What the database holds, counted in the transaction the connection is in.
Result<RecordCounts> pg_record_counts(PgConnection& db);

// Reads every record in one REPEATABLE READ transaction: one consistent state, even while
// hosts write.
Status export_pg_records(PgConnection& db, RecordSink& sink);

// Begins a transaction on `db` (migrated) and refuses a database that already holds records:
// a copy never merges. Nothing is visible to others before commit().
Result<std::unique_ptr<RecordSink>> pg_record_writer(PgConnection& db);

}  // namespace amq
