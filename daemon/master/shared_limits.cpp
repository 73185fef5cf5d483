#include "daemon/master/shared_limits.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

// At most this many admissions in one statement: one statement holds its keys' locks.
constexpr std::size_t kBatch = 256;
// After a failure, the database is not asked again for this long: admissions meanwhile are
// answered at once.
constexpr auto kRetryAfter = std::chrono::seconds(2);

std::string array_of(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) out += str_cat(i ? "," : "", values[i]);
    return out + "}";
}

}  // namespace

bool SharedLimits::counts(const KeyLimits& limits) {
    return limits.requests_per_minute > 0 || limits.requests_per_day > 0;
}

SharedLimits::SharedLimits(event_base* base, std::string address,
                           std::function<Result<PgSettings>()> settings)
    : address_(std::move(address)), settings_(std::move(settings)) {
    if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) std::abort();  // no descriptors at start
    readable_ = Event::watch_fd(base, pipe_[0], EV_READ | EV_PERSIST, [this](short) { answer(); });
    readable_.arm();
    patience_ = Event::persistent_timer(base, [this](short) { give_up(); });
    patience_.arm_after(0.25);
    thread_ = std::thread([this] { run(); });
}

SharedLimits::~SharedLimits() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cancel_ = true;
    wake_.notify_one();
    thread_.join();
    readable_ = Event();
    patience_ = Event();
    ::close(pipe_[0]);
    ::close(pipe_[1]);
}

void SharedLimits::admit(std::uint64_t key_id, const KeyLimits& limits, std::int64_t now_ms,
                         Done done) {
    std::uint64_t id = ++next_id_;
    pending_.emplace(id, Waiting{std::move(done), unix_millis()});
    {
        std::lock_guard lock(mutex_);
        waiting_.push_back(Ask{id, key_id, limits, now_ms});
    }
    wake_.notify_one();
}

void SharedLimits::give_up() {
    std::int64_t now = unix_millis();
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (now - it->second.asked_at_ms < kAnswerWithinMs) {
            ++it;
            continue;
        }
        Done done = std::move(it->second.done);
        it = pending_.erase(it);
        admit_unasked(std::move(done), str_cat("no answer within ", kAnswerWithinMs, " ms"));
    }
}

void SharedLimits::admit_unasked(Done done, const std::string& why) {
    ++unasked_;
    if (!std::exchange(unreachable_, true))
        log_error("key limits: cannot ask the shared database (", why,
                  "); requests are admitted without its count until it answers");
    LimitDecision open;
    open.admitted = true;
    done(open);
}

void SharedLimits::run() {
    auto retry_at = std::chrono::steady_clock::time_point{};
    for (;;) {
        std::vector<Ask> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
            if (stopping_) return;
            while (!waiting_.empty() && batch.size() < kBatch) {
                batch.push_back(std::move(waiting_.front()));
                waiting_.pop_front();
            }
        }
        auto now = std::chrono::steady_clock::now();
        bool ask = now >= retry_at;
        Status decided = ask ? decide(batch) : make_error(Errc::unavailable, "out of reach");
        if (!decided) {
            if (ask) retry_at = now + kRetryAfter;
            db_.reset();
            for (Ask& a : batch) a.decision = decided.error();
        }
        {
            std::lock_guard lock(mutex_);
            for (Ask& a : batch) decided_.push_back(std::move(a));
        }
        char one = 1;
        (void)!::write(pipe_[1], &one, 1);
    }
}

// One statement for the batch, its keys in order, so that two hosts never wait on each
// other's locks.
Status SharedLimits::decide(std::vector<Ask>& batch) {
    if (!db_) {
        auto settings = settings_();
        if (!settings) return settings.error();
        settings->cancel = &cancel_;
        settings->idle_timeout_ms = static_cast<int>(kAnswerWithinMs);
        auto db = PgConnection::connect(PgTarget{address_, std::move(*settings)});
        if (!db) return db.error();
        db_ = std::make_unique<PgConnection>(std::move(*db));
    }
    // Asks of one key (with the same limits) are one group, asked for together; the
    // database admits the first ones that fit.
    std::vector<std::vector<std::size_t>> groups;
    std::map<std::tuple<std::uint64_t, std::int64_t, std::int64_t>, std::size_t> group_of;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const Ask& a = batch[i];
        auto [it, added] = group_of.try_emplace(
            {a.key_id, a.limits.requests_per_minute, a.limits.requests_per_day}, groups.size());
        if (added) groups.emplace_back();
        groups[it->second].push_back(i);
    }
    std::vector<std::int64_t> keys, counts, per_minute, per_day;
    for (const auto& [id, g] : group_of) {  // in key order: no two hosts wait on each other
        const Ask& a = batch[groups[g].front()];
        keys.push_back(static_cast<std::int64_t>(std::get<0>(id)));
        counts.push_back(static_cast<std::int64_t>(groups[g].size()));
        per_minute.push_back(a.limits.requests_per_minute);
        per_day.push_back(a.limits.requests_per_day);
    }
    std::vector<std::size_t> ordered;
    for (const auto& entry : group_of) ordered.push_back(entry.second);
    auto rows = db_->query(
        "SELECT idx, admitted, in_minute, in_day, retry_ms, refused_by FROM "
        "amq_admit($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint)",
        {array_of(keys), array_of(counts), array_of(per_minute), array_of(per_day),
         std::to_string(batch.back().now_ms)});
    if (!rows) return rows.error();
    if (static_cast<std::size_t>(rows->rows()) != ordered.size())
        return make_error(Errc::protocol, "amq_admit answered a different number of rows");
    for (int r = 0; r < rows->rows(); ++r) {
        auto position = parse_int(rows->value(r, 0));
        auto admitted = parse_int(rows->value(r, 1));
        auto in_minute = parse_int(rows->value(r, 2));
        auto retry = parse_int(rows->value(r, 4));
        if (!position || *position < 1 || static_cast<std::size_t>(*position) > ordered.size() ||
            !admitted || !in_minute || !retry)
            return make_error(Errc::protocol, "amq_admit answered a malformed row");
        const std::vector<std::size_t>& group = groups[ordered[*position - 1]];
        std::string refused_by(rows->value(r, 5));
        for (std::size_t j = 0; j < group.size(); ++j) {
            Ask& a = batch[group[j]];
            bool in = static_cast<std::int64_t>(j) < *admitted;
            LimitDecision d;
            d.admitted = in;
            if (!in) {
                d.limit = refused_by;
                d.limit_value = refused_by == "requests_per_day" ? a.limits.requests_per_day
                                                                 : a.limits.requests_per_minute;
                d.retry_after_ms = std::max<std::int64_t>(*retry, 0);
            }
            if (a.limits.requests_per_minute > 0) {
                // The j-th admitted saw the window as it was after it.
                std::int64_t seen =
                    *in_minute - *admitted + std::min<std::int64_t>(j + 1, *admitted);
                d.rate.limit = a.limits.requests_per_minute;
                d.rate.remaining = std::max<std::int64_t>(a.limits.requests_per_minute - seen, 0);
                d.rate.reset_ms = d.retry_after_ms;
            }
            a.decision = d;
        }
    }
    return {};
}

void SharedLimits::answer() {
    char drain[64];
    while (::read(pipe_[0], drain, sizeof drain) > 0) {
    }
    std::vector<Ask> decided;
    {
        std::lock_guard lock(mutex_);
        decided.swap(decided_);
    }
    for (Ask& a : decided) {
        auto it = pending_.find(a.id);
        if (it == pending_.end()) continue;  // given up on
        Done done = std::move(it->second.done);
        pending_.erase(it);
        if (!a.decision) {
            admit_unasked(std::move(done), a.decision.error().message);
            continue;
        }
        ++asked_;
        if (std::exchange(unreachable_, false))
            log_notice("key limits: counted across hosts again");
        done(*a.decision);
    }
}

}  // namespace amq
