#include "common/result.hpp"

namespace amq {

std::string_view errc_name(Errc code) {
    switch (code) {
        case Errc::invalid_argument: return "invalid_argument";
        case Errc::not_found: return "not_found";
        case Errc::conflict: return "conflict";
        case Errc::unauthenticated: return "unauthenticated";
        case Errc::permission_denied: return "permission_denied";
        case Errc::rate_limited: return "rate_limited";
        case Errc::unavailable: return "unavailable";
        case Errc::too_large: return "too_large";
        case Errc::storage_full: return "storage_full";
        case Errc::io: return "io";
        case Errc::protocol: return "protocol";
        case Errc::internal: return "internal";
    }
    return "internal";
}

}  // namespace amq
