#include "daemon/worker/endpoint_book.hpp"

#include <algorithm>

namespace amq {

bool EndpointBook::resting(const std::string& url, double now) const {
    auto it = resting_until_.find(url);
    return it != resting_until_.end() && it->second > now;
}

const std::string& EndpointBook::choose(const std::vector<std::string>& list, double now) const {
    for (const std::string& url : list)
        if (!resting(url, now)) return url;
    return *std::min_element(list.begin(), list.end(), [&](const auto& a, const auto& b) {
        return resting_until_.at(a) < resting_until_.at(b);
    });
}

bool EndpointBook::has_alternative(const std::vector<std::string>& list, const std::string& failed,
                                   double now) const {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& url) { return url != failed && !resting(url, now); });
}

}  // namespace amq
