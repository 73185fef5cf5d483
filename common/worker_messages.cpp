#include "common/worker_messages.hpp"

#include <span>
#include <variant>

#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

template <class M>
using Member = std::variant<std::string M::*, std::int64_t M::*, std::uint64_t M::*, bool M::*,
                            std::optional<std::int64_t> M::*, std::vector<std::uint64_t> M::*>;

template <class M>
struct Field {
    const char* name;
    Member<M> member;
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

}  // namespace

std::string encode_message(const AdmitRequest& admit) {
    return encode<A>(admit, kAdmitFields);
}
std::string encode_message(const RefreshRequest& refresh) {
    return encode<R>(refresh, kRefreshFields);
}
std::string encode_message(const AccountGrant& grant) {
    return encode<G>(grant, kGrantFields);
}
std::string encode_message(const AttemptOutcome& outcome) {
    return encode<O>(outcome, kOutcomeFields);
}
std::string encode_message(const UsageReport& report) {
    return encode<U>(report, kReportFields);
}
std::string encode_message(const AnsweredRequest& answered) {
    return encode<N>(answered, kAnsweredFields);
}
Result<AdmitRequest> decode_admit_request(const rapidjson::Value& object) {
    return decode<A>(object, kAdmitFields);
}
Result<RefreshRequest> decode_refresh_request(const rapidjson::Value& object) {
    return decode<R>(object, kRefreshFields);
}
Result<AccountGrant> decode_account_grant(const rapidjson::Value& object) {
    return decode<G>(object, kGrantFields);
}
Result<AttemptOutcome> decode_attempt_outcome(const rapidjson::Value& object) {
    return decode<O>(object, kOutcomeFields);
}
Result<UsageReport> decode_usage_report(const rapidjson::Value& object) {
    return decode<U>(object, kReportFields);
}

Result<AnsweredRequest> decode_answered_request(const rapidjson::Value& object) {
    return decode<N>(object, kAnsweredFields);
}

}  // namespace amq
