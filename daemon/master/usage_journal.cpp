#include "daemon/master/usage_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/checksum.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "daemon/master/record_codec.hpp"
#include "daemon/master/store_keys.hpp"

namespace amq {
namespace {

constexpr std::size_t kHeader = 8;  // length, CRC
constexpr std::size_t kSequence = 8;
// Far above any record (their fields are bounded): a length beyond it is corruption.
constexpr std::size_t kMaxEntry = 1 << 20;

Error io_error(std::string_view what, const std::string& path) {
    return make_error(
        Errc::io, str_cat("usage journal ", path, ": cannot ", what, ": ", std::strerror(errno)));
}

}  // namespace

std::string encode_journal_entry(std::uint64_t sequence, const UsageRecord& usage) {
    std::string body = encode_be(sequence, kSequence) + encode_usage(usage);
    return encode_be(body.size(), 4) + encode_be(crc32_of(body), 4) + body;
}

JournalContents decode_journal(std::string_view bytes) {
    JournalContents out;
    std::size_t at = 0;
    while (at < bytes.size()) {
        std::string_view rest = bytes.substr(at);
        if (rest.size() < kHeader) break;
        std::size_t length = decode_be(rest.substr(0, 4));
        if (length < kSequence || length > kMaxEntry || rest.size() - kHeader < length) break;
        std::string_view body = rest.substr(kHeader, length);
        if (crc32_of(body) != decode_be(rest.substr(4, 4))) break;
        auto usage = decode_usage(body.substr(kSequence));
        if (!usage) break;
        out.entries.push_back({decode_be(body.substr(0, kSequence)), std::move(*usage)});
        at += kHeader + length;
    }
    out.ignored_bytes = bytes.size() - at;
    return out;
}

Result<UsageJournal> UsageJournal::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return io_error("open it", path);
    if (::fchmod(fd, 0600) != 0) {
        Error e = io_error("make it private", path);
        ::close(fd);
        return e;
    }
    return UsageJournal(fd, path);
}

UsageJournal::UsageJournal(UsageJournal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

UsageJournal& UsageJournal::operator=(UsageJournal&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

UsageJournal::~UsageJournal() {
    if (fd_ >= 0) ::close(fd_);
}

Result<JournalContents> UsageJournal::read() const {
    auto bytes = read_whole_file(path_);
    if (!bytes) return bytes.error();
    return decode_journal(*bytes);
}

// One write: the kernel appends it whole, whatever happens to this process after.
Status UsageJournal::append(std::string_view entry) {
    ssize_t written = ::write(fd_, entry.data(), entry.size());
    if (written == static_cast<ssize_t>(entry.size())) return {};
    if (written >= 0) errno = ENOSPC;
    return io_error("append to it", path_);
}

Status UsageJournal::clear() {
    if (::ftruncate(fd_, 0) != 0) return io_error("empty it", path_);
    return {};
}

}  // namespace amq
