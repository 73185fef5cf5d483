// A struct described once, as a table of its fields ({"name", &S::member, required}), from
// which both its JSON writer and its reader are derived, so that the two cannot drift apart:
// the worker ⇄ master messages (worker_messages) and the store's records (record_codec) are
// written and read this way. Reading ignores members the table does not name (a newer writer
// may add some), leaves absent or null ones at their defaults, and refuses a member of the
// wrong type (or a required one missing), naming it.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/json.hpp"
#include "common/result.hpp"
#include "common/strings.hpp"

namespace amq {

// A JSON object carried as it is (an admin command's arguments): its text, always an object.
struct JsonText {
    std::string text = "{}";
    bool operator==(const JsonText&) const = default;
};

template <class M>
using FieldMember =
    std::variant<std::string M::*, std::int64_t M::*, std::uint64_t M::*, int M::*, bool M::*,
                 std::optional<std::int64_t> M::*, std::vector<std::uint64_t> M::*,
                 std::vector<std::string> M::*, JsonText M::*>;

template <class M>
struct Field {
    const char* name;
    FieldMember<M> member;
    bool required = false;
};

namespace field_table {

template <class M>
struct Writer {
    JsonWriter& w;
    const M& m;
    void operator()(std::string M::*p) const { write_string(w, m.*p); }
    void operator()(std::int64_t M::*p) const { w.Int64(m.*p); }
    void operator()(std::uint64_t M::*p) const { w.Uint64(m.*p); }
    void operator()(int M::*p) const { w.Int(m.*p); }
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
struct Reader {
    FieldReader& f;
    const Field<M>& field;
    M& m;
    std::string& bad;  // what FieldReader does not look into: array elements

    void operator()(std::string M::*p) const {
        if (auto v = f.string(field.name, field.required)) m.*p = std::move(*v);
    }
    void operator()(std::int64_t M::*p) const {
        if (auto v = f.integer(field.name, field.required)) m.*p = *v;
    }
    void operator()(std::uint64_t M::*p) const {
        if (auto v = f.integer(field.name, field.required, 0))
            m.*p = static_cast<std::uint64_t>(*v);
    }
    void operator()(int M::*p) const {
        if (auto v = f.integer(field.name, field.required, INT_MIN, INT_MAX))
            m.*p = static_cast<int>(*v);
    }
    void operator()(bool M::*p) const {
        if (auto v = f.boolean(field.name, field.required)) m.*p = *v;
    }
    void operator()(std::optional<std::int64_t> M::*p) const {
        m.*p = f.integer(field.name, field.required);
    }
    template <class T, class Take>
    void elements(std::vector<T> M::*p, std::string_view what, Take take) const {
        const rapidjson::Value* list = f.array(field.name, field.required);
        if (!list) return;
        for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
            if (!take((*list)[i], m.*p)) {
                bad = str_cat("field '", field.name, ".", i, "' must be ", what);
                return;
            }
        }
    }
    void operator()(std::vector<std::uint64_t> M::*p) const {
        elements(p, "an id", [](const rapidjson::Value& v, std::vector<std::uint64_t>& out) {
            if (v.IsUint64()) out.push_back(v.GetUint64());
            return v.IsUint64();
        });
    }
    void operator()(std::vector<std::string> M::*p) const {
        elements(p, "a string", [](const rapidjson::Value& v, std::vector<std::string>& out) {
            if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
            return v.IsString();
        });
    }
    void operator()(JsonText M::*p) const {
        if (const rapidjson::Value* o = f.object(field.name, field.required))
            (m.*p).text = to_json(*o);
    }
};

}  // namespace field_table

// Writes each field of `m` as a member of the object `w` is in.
template <class M>
void write_fields(JsonWriter& w, const M& m, std::span<const Field<M>> fields) {
    for (const Field<M>& field : fields) {
        w.Key(field.name);
        std::visit(field_table::Writer<M>{w, m}, field.member);
    }
}

// Reads each field from `f`'s object into `m`; the first member in error names itself.
template <class M>
Status read_fields(FieldReader& f, M& m, std::span<const Field<M>> fields) {
    std::string bad;
    for (const Field<M>& field : fields)
        std::visit(field_table::Reader<M>{f, field, m, bad}, field.member);
    if (!f.ok()) return f.status().error();
    if (!bad.empty()) return make_error(Errc::invalid_argument, bad);
    return {};
}

}  // namespace amq
