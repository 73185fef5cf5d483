// Helpers shared by the fuzz targets: invariant checks that abort with the failed condition
// named (so that a crash found by libFuzzer says which invariant broke), and small JSON
// accessors that tolerate any shape (a missing or mistyped member reads as absent).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <rapidjson/document.h>

namespace amq_fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
    std::abort();
}

}  // namespace amq_fuzz

// A macro only to name the expression and the line in the report.
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : ::amq_fuzz::fail(#cond, __FILE__, __LINE__))

namespace amq_fuzz {

// The member, or nullptr when `v` is not an object or lacks it.
inline const rapidjson::Value* member(const rapidjson::Value* v, const char* name) {
    if (!v || !v->IsObject()) return nullptr;
    auto it = v->FindMember(name);
    return it == v->MemberEnd() ? nullptr : &it->value;
}

inline std::optional<std::string_view> string_at(const rapidjson::Value* v) {
    if (!v || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

inline std::optional<std::string_view> string_member(const rapidjson::Value* v, const char* name) {
    return string_at(member(v, name));
}

}  // namespace amq_fuzz
