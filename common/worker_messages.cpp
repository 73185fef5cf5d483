#include "common/worker_messages.hpp"

#include <span>
#include <variant>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

template <class M>
using Member =
    std::variant<std::string M::*, std::int64_t M::*, std::uint64_t M::*, bool M::*,
                 std::optional<std::int64_t> M::*, std::vector<std::uint64_t> M::*,
                 std::vector<std::string> M::*, JsonText M::*>;

template <class M>
struct Field {
    const char* name;
    Member<M> member;
};

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
    {"serial", &G::serial},
    {"holds_slot", &G::holds_slot},
    {"rate_limit", &G::rate_limit},
    {"rate_remaining", &G::rate_remaining},
    {"rate_reset_ms", &G::rate_reset_ms},
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
constexpr Field<U> kReportFields[] = {
    {"request", &U::request},
    {"key_id", &U::key_id},
    {"account_id", &U::account_id},
    {"endpoint", &U::endpoint},
    {"client_model", &U::client_model},
    {"upstream_model", &U::upstream_model},
    {"stream", &U::stream},
    {"status", &U::status},
    {"error_class", &U::error_class},
    {"input_tokens", &U::input_tokens},
    {"output_tokens", &U::output_tokens},
    {"ttfb_ms", &U::ttfb_ms},
    {"duration_ms", &U::duration_ms},
    {"attempts", &U::attempts},
    {"client_address", &U::client_address},
    {"user_agent", &U::user_agent},
};

using N = AnsweredRequest;
constexpr Field<N> kAnsweredFields[] = {
    {"endpoint", &N::endpoint},
    {"status", &N::status},
    {"key_hash", &N::key_hash},
    {"client_address", &N::client_address},
    {"user_agent", &N::user_agent},
    {"duration_ms", &N::duration_ms},
};

template <class M>
struct Writer {
    JsonWriter& w;
    const M& m;
    void operator()(std::string M::*p) const { write_string(w, m.*p); }
    void operator()(std::int64_t M::*p) const { w.Int64(m.*p); }
    void operator()(std::uint64_t M::*p) const { w.Uint64(m.*p); }
    void operator()(bool M::*p) const { w.Bool(m.*p); }
    void operator()(std::optional<std::int64_t> M::*p) const {
        if (m.*p)
            w.Int64(*(m.*p));
        else
            w.Null();
    }
    void operator()(std::vector<std::uint64_t> M::*p) const {
        w.StartArray();
        for (std::uint64_t v : m.*p) w.Uint64(v);
        w.EndArray();
    }
    void operator()(std::vector<std::string> M::*p) const {
        w.StartArray();
        for (const std::string& v : m.*p) write_string(w, v);
        w.EndArray();
    }
    void operator()(JsonText M::*p) const {
        const std::string& text = (m.*p).text;
        w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
    }
};

template <class M>
std::string encode(const M& m, std::span<const Field<M>> fields) {
    return json_object([&](JsonWriter& w) {
        for (const Field<M>& f : fields) {
            w.Key(f.name);
            std::visit(Writer<M>{w, m}, f.member);
        }
    });
}

// FieldReader reads an absent or null member as absent: the default stays.
template <class M>
struct Reader {
    FieldReader& f;
    const char* name;
    M& m;
    void operator()(std::string M::*p) const {
        if (auto v = f.string(name)) m.*p = std::move(*v);
    }
    void operator()(std::int64_t M::*p) const {
        if (auto v = f.integer(name)) m.*p = *v;
    }
    void operator()(std::uint64_t M::*p) const {
        if (auto v = f.integer(name, false, 0)) m.*p = static_cast<std::uint64_t>(*v);
    }
    void operator()(bool M::*p) const {
        if (auto v = f.boolean(name)) m.*p = *v;
    }
    void operator()(std::optional<std::int64_t> M::*p) const { m.*p = f.integer(name); }
    void operator()(std::vector<std::uint64_t> M::*p) const {
        const rapidjson::Value* list = f.array(name);
        if (!list) return;
        for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
            if (!(*list)[i].IsUint64()) {
                bad = str_cat("field '", name, ".", i, "' must be an id");
                return;
            }
            (m.*p).push_back((*list)[i].GetUint64());
        }
    }
    void operator()(std::vector<std::string> M::*p) const {
        const rapidjson::Value* list = f.array(name);
        if (!list) return;
        for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
            const rapidjson::Value& v = (*list)[i];
            if (!v.IsString()) {
                bad = str_cat("field '", name, ".", i, "' must be a string");
                return;
            }
            (m.*p).emplace_back(v.GetString(), v.GetStringLength());
        }
    }
    void operator()(JsonText M::*p) const {
        if (const rapidjson::Value* object = f.object(name)) (m.*p).text = to_json(*object);
    }
    std::string& bad;
};

template <class M>
Result<M> decode(const rapidjson::Value& object, std::span<const Field<M>> fields) {
    if (!object.IsObject()) return make_error(Errc::invalid_argument, "expected a JSON object");
    FieldReader f(object);
    M m;
    std::string bad;  // an array element FieldReader does not look into
    for (const Field<M>& field : fields)
        std::visit(Reader<M>{f, field.name, m, bad}, field.member);
    if (!f.ok()) return f.status().error();
    if (!bad.empty()) return make_error(Errc::invalid_argument, bad);
    return m;
}

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

template <class M>
std::string encode_message(const M& message) {
    return encode<M>(message, fields_of(static_cast<const M*>(nullptr)));
}

template <class M>
Result<M> decode_message(const rapidjson::Value& object) {
    return decode<M>(object, fields_of(static_cast<const M*>(nullptr)));
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
