#include "common/worker_messages.hpp"

#include <algorithm>
#include <array>

#include "common/field_table.hpp"
#include "common/json.hpp"

namespace amq {
namespace {

constexpr Field<Hello> kHelloFields[] = {
    {"proto", &Hello::proto},
    {"pid", &Hello::pid},
    {"index", &Hello::index},
    {"generation", &Hello::generation},
};

constexpr Field<Heartbeat> kHeartbeatFields[] = {
    {"requests", &Heartbeat::requests},
    {"inflight", &Heartbeat::inflight},
};

constexpr Field<PoolSummary> kPoolSummaryFields[] = {
    {"accounts_usable", &PoolSummary::accounts_usable},
    {"keys_usable", &PoolSummary::keys_usable},
    {"models", &PoolSummary::models},
    {"store_trouble", &PoolSummary::store_trouble},
};

constexpr Field<WorkerRefused> kRefusedFields[] = {{"reason", &WorkerRefused::reason}};
constexpr Field<LogLevelChange> kLogLevelFields[] = {{"level", &LogLevelChange::level}};

constexpr Field<AuthRequest> kAuthFields[] = {
    {"key_hash", &AuthRequest::key_hash},
    {"model", &AuthRequest::model},
};

constexpr Field<KeyGrant> kKeyGrantFields[] = {
    {"key_id", &KeyGrant::key_id},
    {"allowed_models", &KeyGrant::allowed_models},
    {"rate_limit", &KeyGrant::rate_limit},
    {"rate_remaining", &KeyGrant::rate_remaining},
    {"rate_reset_ms", &KeyGrant::rate_reset_ms},
};

constexpr Field<MetricsRequest> kMetricsFields[] = {{"key_hash", &MetricsRequest::key_hash}};

constexpr Field<AdminCall> kAdminFields[] = {
    {"key_hash", &AdminCall::key_hash},
    {"command", &AdminCall::command},
    {"args", &AdminCall::args},
};

using A = AdmitRequest;
constexpr Field<A> kAdmitFields[] = {
    {"key_hash", &A::key_hash},
    {"request", &A::request},
    {"model", &A::model},
    {"upstream_model", &A::upstream_model},
    {"endpoint", &A::endpoint},
    {"session", &A::session},
    {"stream", &A::stream},
    {"exclude", &A::exclude},
    {"prefix_hashes", &A::prefix_hashes},
    {"prefix_tokens", &A::prefix_tokens},
};

using R = RefreshRequest;
constexpr Field<R> kRefreshFields[] = {
    {"account_id", &R::account_id},
    {"serial", &R::serial},
    {"key_id", &R::key_id},
};

using G = AccountGrant;
constexpr Field<G> kGrantFields[] = {
    {"key_id", &G::key_id},
    {"account_id", &G::account_id},
    {"account_name", &G::account_name},
    {"profile_arn", &G::profile_arn},
    {"api_endpoint", &G::api_endpoint},
    {"api_flavour", &G::api_flavour},
    {"origin", &G::origin},
    {"proxy", &G::proxy},
    {"access_token", &G::access_token},
    {"token_type", &G::token_type},
    {"serial", &G::serial},
    {"holds_slot", &G::holds_slot},
    {"rate_limit", &G::rate_limit},
    {"rate_remaining", &G::rate_remaining},
    {"rate_reset_ms", &G::rate_reset_ms},
    {"cache_read_estimate", &G::cache_read_estimate},
    {"cache_write_estimate", &G::cache_write_estimate},
};

using O = AttemptOutcome;
constexpr Field<O> kOutcomeFields[] = {
    {"request", &O::request},
    {"account_id", &O::account_id},
    {"api_endpoint", &O::api_endpoint},
    {"upstream_model", &O::upstream_model},
    {"reached_upstream", &O::reached_upstream},
    {"error_class", &O::error_class},
    {"retry_after", &O::retry_after},
    {"message", &O::message},
    {"retries_account", &O::retries_account},
};

using U = UsageReport;
// The request id, then the usage record's own fields.
constexpr auto kReportFields = [] {
    constexpr auto record = usage_record_fields<U>();
    std::array<Field<U>, record.size() + 1> all{};
    all[0] = {"request", &U::request};
    std::copy(record.begin(), record.end(), all.begin() + 1);
    return all;
}();

using N = AnsweredRequest;
constexpr Field<N> kAnsweredFields[] = {
    {"endpoint", &N::endpoint},
    {"status", &N::status},
    {"key_hash", &N::key_hash},
    {"client_address", &N::client_address},
    {"user_agent", &N::user_agent},
    {"duration_ms", &N::duration_ms},
    {"request_id", &N::request_id},
};


std::span<const Field<Hello>> fields_of(const Hello*) { return kHelloFields; }
std::span<const Field<Heartbeat>> fields_of(const Heartbeat*) { return kHeartbeatFields; }
std::span<const Field<PoolSummary>> fields_of(const PoolSummary*) { return kPoolSummaryFields; }
std::span<const Field<WorkerRefused>> fields_of(const WorkerRefused*) { return kRefusedFields; }
std::span<const Field<LogLevelChange>> fields_of(const LogLevelChange*) { return kLogLevelFields; }
std::span<const Field<AuthRequest>> fields_of(const AuthRequest*) { return kAuthFields; }
std::span<const Field<KeyGrant>> fields_of(const KeyGrant*) { return kKeyGrantFields; }
std::span<const Field<MetricsRequest>> fields_of(const MetricsRequest*) { return kMetricsFields; }
std::span<const Field<AdminCall>> fields_of(const AdminCall*) { return kAdminFields; }
std::span<const Field<A>> fields_of(const A*) { return kAdmitFields; }
std::span<const Field<R>> fields_of(const R*) { return kRefreshFields; }
std::span<const Field<G>> fields_of(const G*) { return kGrantFields; }
std::span<const Field<O>> fields_of(const O*) { return kOutcomeFields; }
std::span<const Field<U>> fields_of(const U*) { return kReportFields; }
std::span<const Field<N>> fields_of(const N*) { return kAnsweredFields; }

}  // namespace

std::string message_frame(std::string_view type, std::string_view args_json) {
    return json_object([&](JsonWriter& w) {
        w.Key("t");
        write_string(w, type);
        w.Key("args");
        w.RawValue(args_json.data(), args_json.size(), rapidjson::kObjectType);
    });
}

const rapidjson::Value& message_args(const rapidjson::Value& frame) {
    static const rapidjson::Value none(rapidjson::kObjectType);
    const rapidjson::Value* args = frame.IsObject() ? find_member(frame, "args") : nullptr;
    return args ? *args : none;
}

template <class M>
std::string encode_message(const M& message) {
    return json_object([&](JsonWriter& w) {
        write_fields<M>(w, message, fields_of(static_cast<const M*>(nullptr)));
    });
}

template <class M>
Result<M> decode_message(const rapidjson::Value& object) {
    if (!object.IsObject()) return make_error(Errc::invalid_argument, "expected a JSON object");
    FieldReader f(object);
    M message;
    if (Status read = read_fields<M>(f, message, fields_of(static_cast<const M*>(nullptr)));
        !read)
        return read.error();
    return message;
}

#define AMQ_MESSAGE(M)                                   \
    template std::string encode_message<M>(const M&); \
    template Result<M> decode_message<M>(const rapidjson::Value&);
AMQ_MESSAGE(Hello)
AMQ_MESSAGE(Heartbeat)
AMQ_MESSAGE(PoolSummary)
AMQ_MESSAGE(WorkerRefused)
AMQ_MESSAGE(LogLevelChange)
AMQ_MESSAGE(AuthRequest)
AMQ_MESSAGE(KeyGrant)
AMQ_MESSAGE(MetricsRequest)
AMQ_MESSAGE(AdminCall)
AMQ_MESSAGE(AdmitRequest)
AMQ_MESSAGE(RefreshRequest)
AMQ_MESSAGE(AccountGrant)
AMQ_MESSAGE(AttemptOutcome)
AMQ_MESSAGE(UsageReport)
AMQ_MESSAGE(AnsweredRequest)
#undef AMQ_MESSAGE

}  // namespace amq
