#include "daemon/master/shared_limits.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

// At most this many admissions in one statement: one statement holds its subjects' locks.
constexpr std::size_t kBatch = 256;
// After a failure, the database is not asked again for this long: admissions meanwhile are
// answered at once.
constexpr auto kRetryAfter = std::chrono::seconds(2);
// While this host holds requests in flight there, it says so at least this often: the
// database counts a host's requests for 5 s after it last spoke.
constexpr auto kBeat = std::chrono::seconds(1);

std::string array_of(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) out += str_cat(i ? "," : "", values[i]);
    return out + "}";
}

}  // namespace

bool SharedLimits::counts(const KeyLimits& limits) {
    return limits.requests_per_minute > 0 || limits.requests_per_day > 0 ||
           limits.max_concurrent > 0;
}

SharedLimits::SharedLimits(event_base* base, std::string address, std::string host,
                           std::function<Result<PgSettings>()> settings)
    : address_(std::move(address)), host_(std::move(host)), settings_(std::move(settings)) {
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

void SharedLimits::admit(std::uint64_t key_id, const KeyLimits& limits, std::optional<Slot> slot,
                         std::int64_t now_ms, Done done) {
    KeyLimits counted = limits;
    if (!slot) counted.max_concurrent = 0;
    ask(static_cast<std::int64_t>(key_id), counted, slot, now_ms, std::move(done));
}

void SharedLimits::pace(std::uint64_t account_id, std::int64_t per_minute, std::int64_t now_ms,
                        Done done) {
    ask(-static_cast<std::int64_t>(account_id), KeyLimits{per_minute, 0, 0}, std::nullopt, now_ms,
        std::move(done));
}

void SharedLimits::ask(std::int64_t subject, const KeyLimits& limits, std::optional<Slot> slot,
                       std::int64_t now_ms, Done done) {
    std::uint64_t id = ++next_id_;
    pending_.emplace(id, Waiting{std::move(done), unix_millis(), slot});
    {
        std::lock_guard lock(mutex_);
        waiting_.push_back(Ask{id, subject, limits, now_ms});
    }
    wake_.notify_one();
}

void SharedLimits::release(Slot slot) {
    auto it = slots_.find(slot);
    if (it == slots_.end()) return;
    unhold(it->second);
    slots_.erase(it);
}

void SharedLimits::unhold(std::int64_t key) {
    {
        std::lock_guard lock(mutex_);
        auto it = held_.find(key);
        if (it != held_.end() && --it->second <= 0) held_.erase(it);
        unsent_.insert(key);
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
        log_error("limits across hosts: cannot ask the shared database (", why,
                  "); requests are admitted without its count until it answers");
    LimitDecision open;
    open.admitted = true;
    done(open);
}

void SharedLimits::run() {
    for (;;) {
        std::vector<Ask> batch;
        Held held;
        bool ask = false;
        if (!take_work(batch, held, ask)) return;
        Status decided = ask ? decide(batch, held) : make_error(Errc::unavailable, "out of reach");
        if (!decided) db_.reset();
        std::lock_guard lock(mutex_);
        if (ask) spoke_at_ = std::chrono::steady_clock::now();
        if (decided) {
            fresh_ = false;
            for (const Ask& a : batch)
                if (a.holds) ++held_[a.subject];
        } else {
            if (ask) retry_at_ = std::chrono::steady_clock::now() + kRetryAfter;
            fresh_ = true;
            for (const auto& entry : held) unsent_.insert(entry.first);
            for (Ask& a : batch) a.decision = decided.error();
        }
        for (Ask& a : batch) decided_.push_back(std::move(a));
        char one = 1;
        (void)!::write(pipe_[1], &one, 1);
    }
}

// Waits for something to say: admissions, counts the database has not been told, or (while
// this host holds requests there) a second of silence. False: the daemon stops.
bool SharedLimits::take_work(std::vector<Ask>& batch, Held& held, bool& ask) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (stopping_) return false;
        auto now = std::chrono::steady_clock::now();
        ask = now >= retry_at_;
        bool beat = !held_.empty() && now >= spoke_at_ + kBeat;
        if (!waiting_.empty() || (ask && (!unsent_.empty() || beat))) break;
        wake_.wait_until(lock, !ask            ? retry_at_
                               : held_.empty() ? now + std::chrono::hours(1)
                                               : spoke_at_ + kBeat);
    }
    while (!waiting_.empty() && batch.size() < kBatch) {
        batch.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
    }
    if (!ask) return true;
    if (fresh_) {
        for (const auto& entry : held_) unsent_.insert(entry.first);
        for (const Ask& a : batch)
            if (a.subject > 0) unsent_.insert(a.subject);
    }
    for (const Ask& a : batch)
        if (a.limits.max_concurrent > 0) unsent_.insert(a.subject);
    for (std::int64_t key : unsent_) {
        auto it = held_.find(key);
        held[key] = it == held_.end() ? 0 : it->second;
    }
    unsent_.clear();
    return true;
}

// One statement for the batch, its subjects in order, so that two hosts never wait on each
// other's locks. The asks of one subject are one group, decided with the limits the last of
// them saw: the database admits the first ones that fit.
Status SharedLimits::decide(std::vector<Ask>& batch, const Held& held) {
    if (!db_) {
        auto settings = settings_();
        if (!settings) return settings.error();
        settings->cancel = &cancel_;
        settings->idle_timeout_ms = static_cast<int>(kAnswerWithinMs);
        auto db = PgConnection::connect(PgTarget{address_, std::move(*settings)});
        if (!db) return db.error();
        db_ = std::make_unique<PgConnection>(std::move(*db));
    }
    struct Group {
        KeyLimits limits{0, 0, 0};
        std::vector<std::size_t> asks;
    };
    std::map<std::int64_t, Group> groups;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        Group& g = groups[batch[i].subject];
        g.limits = batch[i].limits;
        g.asks.push_back(i);
    }
    for (const auto& entry : held) groups.try_emplace(entry.first);
    std::vector<std::int64_t> subjects, wanted, per_minute, per_day, max_concurrent, counts;
    std::vector<const Group*> ordered;
    for (const auto& [subject, g] : groups) {
        auto count = held.find(subject);
        subjects.push_back(subject);
        wanted.push_back(static_cast<std::int64_t>(g.asks.size()));
        per_minute.push_back(g.limits.requests_per_minute);
        per_day.push_back(g.limits.requests_per_day);
        max_concurrent.push_back(g.limits.max_concurrent);
        counts.push_back(count == held.end() ? -1 : count->second);
        ordered.push_back(&g);
    }
    std::int64_t now_ms = batch.empty() ? unix_millis() : batch.back().now_ms;
    auto rows = db_->query(
        "SELECT idx, admitted, in_minute, in_day, retry_ms, refused_by FROM "
        "amq_admit($1, $2, $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], "
        "$7::bigint[], $8::bigint[], $9::bigint)",
        {host_, fresh_ ? "true" : "false", array_of(subjects), array_of(wanted),
         array_of(per_minute), array_of(per_day), array_of(max_concurrent), array_of(counts),
         std::to_string(now_ms)});
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
        const Group& g = *ordered[*position - 1];
        std::string refused_by(rows->value(r, 5));
        for (std::size_t j = 0; j < g.asks.size(); ++j) {
            Ask& a = batch[g.asks[j]];
            bool in = static_cast<std::int64_t>(j) < *admitted;
            LimitDecision d;
            d.admitted = in;
            a.holds = in && g.limits.max_concurrent > 0;
            if (!in) {
                d.limit = refused_by;
                d.limit_value = refused_by == "requests_per_day"      ? g.limits.requests_per_day
                                : refused_by == "requests_per_minute" ? g.limits.requests_per_minute
                                                                      : g.limits.max_concurrent;
                d.retry_after_ms = std::max<std::int64_t>(*retry, 0);
            }
            if (g.limits.requests_per_minute > 0) {
                // The j-th admitted saw the window as it was after it.
                std::int64_t seen =
                    *in_minute - *admitted + std::min<std::int64_t>(j + 1, *admitted);
                d.rate.limit = g.limits.requests_per_minute;
                d.rate.remaining = std::max<std::int64_t>(g.limits.requests_per_minute - seen, 0);
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
        if (it == pending_.end()) {  // given up on: admitted without its slot there
            if (a.holds) unhold(a.subject);
            continue;
        }
        Done done = std::move(it->second.done);
        std::optional<Slot> slot = it->second.slot;
        pending_.erase(it);
        if (!a.decision) {
            admit_unasked(std::move(done), a.decision.error().message);
            continue;
        }
        ++asked_;
        if (a.holds) {
            if (!slot) std::abort();  // admit() asks for a slot only with one to hold
            slots_.emplace(*slot, a.subject);
        }
        if (std::exchange(unreachable_, false))
            log_notice("limits across hosts: counted by the database again");
        done(*a.decision);
    }
}

}  // namespace amq
