// Finished requests wait in the usage recorder's memory for its next batch (about a second,
// so that no request pays for an fsync). Each is also appended to a journal in the state
// directory, without fsync: the kernel keeps what was written, so a master that is killed
// (kill -9, a crash) loses none of them, and the next start stores what the journal holds
// beyond what the store has. Only a crash of the machine itself can lose the last second, as
// with any write not synced.
//
// An entry: length u32 | CRC-32 of the rest u32 | sequence u64 | the usage record
// (record_codec.hpp); numbers big-endian. A torn or corrupt entry ends the journal: what
// follows it cannot be trusted to be entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/usage_record.hpp"

namespace amq {

struct JournalEntry {
    std::uint64_t sequence = 0;
    UsageRecord usage;
};

std::string encode_journal_entry(std::uint64_t sequence, const UsageRecord& usage);

struct JournalContents {
    std::vector<JournalEntry> entries;
    std::size_t ignored_bytes = 0;  // from the first torn or corrupt entry on
};
JournalContents decode_journal(std::string_view bytes);

// The journal file: appended to, read whole at start, emptied once the store has its records.
class UsageJournal {
public:
    // Created 0600 when missing.
    static Result<UsageJournal> open(const std::string& path);
    UsageJournal(UsageJournal&& other) noexcept;
    UsageJournal& operator=(UsageJournal&& other) noexcept;
    UsageJournal(const UsageJournal&) = delete;
    UsageJournal& operator=(const UsageJournal&) = delete;
    ~UsageJournal();

    Result<JournalContents> read() const;
    Status append(std::string_view entry);
    Status clear();
    const std::string& path() const { return path_; }

private:
    UsageJournal(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
};

}  // namespace amq
