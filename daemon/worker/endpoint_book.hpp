// Which of an account's API endpoints to call. An endpoint that refused the connection or
// answered as the wrong endpoint rests for a while, and the next one in the list is used, so
// that a host being retired (q.{region}.amazonaws.com for runtime.{region}.kiro.dev) costs one
// failed attempt per worker and minute rather than every request. Per worker; times come in.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace amq {

class EndpointBook {
public:
    static constexpr double kRestSeconds = 60;

    // The first endpoint of `list` that is not resting; when all rest, the one whose rest
    // ends first. `list` must not be empty.
    const std::string& choose(const std::vector<std::string>& list, double now) const;
    void rest(const std::string& url, double now) { resting_until_[url] = now + kRestSeconds; }
    // Whether `list` holds an endpoint other than `failed` that is not resting.
    bool has_alternative(const std::vector<std::string>& list, const std::string& failed,
                         double now) const;

private:
    bool resting(const std::string& url, double now) const;
    std::map<std::string, double> resting_until_;
};

}  // namespace amq
