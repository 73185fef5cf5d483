#include "common/client_address.hpp"

#include <arpa/inet.h>

#include "common/strings.hpp"

namespace amq {
namespace {

struct Address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
};

// "[::1]" → "::1"; proxies write IPv6 either way.
std::string bare(std::string_view text) {
    text = trim(text);
    if (text.size() > 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    return std::string(text);
}

std::optional<Address> parse_address(std::string_view text) {
    std::string s = bare(text);
    Address a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
    a.v6 = true;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
    return std::nullopt;
}

bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                    int bits) {
    for (int i = 0; bits > 0; ++i, bits -= 8) {
        int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
        if ((a[static_cast<std::size_t>(i)] & mask) != (b[static_cast<std::size_t>(i)] & mask))
            return false;
    }
    return true;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::parse(std::string_view list) {
    TrustedProxies out;
    for (std::string_view item : split(list, ',')) {
        item = trim(item);
        if (item.empty()) continue;
        std::size_t slash = item.find('/');
        auto address = parse_address(item.substr(0, slash));
        int max_prefix = address && address->v6 ? 128 : 32;
        auto prefix = slash == std::string_view::npos
                          ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(max_prefix))
                          : parse_uint(item.substr(slash + 1));
        if (!address || !prefix || *prefix > static_cast<std::uint64_t>(max_prefix))
            return make_error(
                Errc::invalid_argument,
                str_cat("trusted-proxies: '", item, "' is not an IP address or address/prefix"));
        out.networks_.push_back(Network{address->v6, address->bytes, static_cast<int>(*prefix)});
    }
    return out;
}

bool TrustedProxies::contains(std::string_view text) const {
    auto address = parse_address(text);
    if (!address) return false;
    for (const Network& n : networks_)
        if (n.v6 == address->v6 && prefix_matches(n.bytes, address->bytes, n.prefix)) return true;
    return false;
}

std::string client_address(std::string_view peer, std::optional<std::string_view> forwarded_for,
                           const TrustedProxies& trusted) {
    std::string client(peer);
    if (!forwarded_for || !trusted.contains(client)) return client;
    std::vector<std::string_view> hops = split(*forwarded_for, ',');
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        auto address = parse_address(*hop);
        if (!address) break;
        client = bare(*hop);
        if (!trusted.contains(client)) break;
    }
    return client;
}

}  // namespace amq
