// Errors cross module boundaries as values. Foreign codes (errno, MDB_*, CURLcode) are
// translated into an Errc where they enter, so callers above never see them.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace amq {

enum class Errc {
    invalid_argument,  // the caller's input is wrong
    not_found,
    conflict,  // duplicate name, last admin key, ...
    unauthenticated,
    permission_denied,
    rate_limited,
    unavailable,  // nothing can serve right now
    too_large,
    storage_full,
    io,
    protocol,  // a peer broke a wire format
    internal,
};

std::string_view errc_name(Errc code);

struct Error {
    Errc code;
    std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return checked_value(); }
    const T& value() const& { return const_cast<Result*>(this)->checked_value(); }
    T&& value() && { return std::move(checked_value()); }
    T* operator->() { return &checked_value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return checked_value(); }

    const Error& error() const {
        if (ok()) std::abort();  // a broken invariant: crash fast
        return std::get<1>(v_);
    }

private:
    T& checked_value() {
        if (!ok()) std::abort();
        return std::get<0>(v_);
    }
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const {
        if (!failed_) std::abort();
        return error_;
    }

private:
    Error error_{Errc::internal, {}};
    bool failed_ = false;
};

using Status = Result<void>;

}  // namespace amq
