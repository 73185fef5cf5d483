// Who a request came from when reverse proxies stand in front of the daemon: a proxy on the
// trusted list names its client in X-Forwarded-For; anyone else could write anything there.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace amq {

class TrustedProxies {
public:
    // "127.0.0.1, ::1, 10.0.0.0/8, fd00::/8"; empty trusts nobody.
    static Result<TrustedProxies> parse(std::string_view list);
    bool contains(std::string_view address) const;
    bool empty() const { return networks_.empty(); }

private:
    struct Network {
        bool v6 = false;
        std::array<std::uint8_t, 16> bytes{};
        int prefix = 0;  // bits
    };
    std::vector<Network> networks_;
};

// The peer itself, unless it is a trusted proxy: then the right-most X-Forwarded-For entry
// that is not a trusted proxy (entries left of it were written by the client and prove
// nothing). An entry that is not an IP address stops the walk at the last good one.
std::string client_address(std::string_view peer, std::optional<std::string_view> forwarded_for,
                           const TrustedProxies& trusted);

}  // namespace amq
