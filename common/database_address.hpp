// Whether a place named on the command line is a PostgreSQL database rather than a file: a
// postgresql:// (or postgres://) URL, or libpq's key=value pairs. amq2apictl decides by it
// whether to open a file to pass; the daemon then parses the address itself.
#pragma once

#include <string_view>

namespace amq {

inline bool looks_like_database_address(std::string_view place) {
    return place.starts_with("postgresql://") || place.starts_with("postgres://") ||
           (!place.starts_with('/') && !place.starts_with('.') &&
            place.find('=') != std::string_view::npos);
}

}  // namespace amq
