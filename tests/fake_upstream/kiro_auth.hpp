// Kiro's portal sign-in and an organisation's identity provider, as the daemon meets them:
// the portal (GET /signin) "signs the user in" at once and redirects to the sign-in's
// redirect URI with a code bound to its PKCE challenge; POST /oauth/token exchanges the code
// for a Kiro social account's tokens only with the verifier of that challenge and the same
// redirect URI, once. POST /idp/token is an external IdP's RFC 6749 refresh (form-encoded,
// public client), whose single-use refresh tokens rotate and whose access tokens the API
// accepts only with "TokenType: EXTERNAL_IDP". Pure of sockets, like DeviceAuth.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/document.h>

#include "tests/fake_upstream/device_auth.hpp"

namespace fake {

class KiroAuth {
public:
    using MintFn = std::function<std::string()>;

    // GET /signin?<query>: {302, Location} on success, {400, why} for a malformed sign-in URL.
    std::pair<int, std::string> signin(std::string_view uri);
    // POST /oauth/token: a social account's tokens, its access token minted by `mint`.
    Reply exchange(const rapidjson::Value& body, const MintFn& mint);
    // POST /idp/token.
    Reply idp_refresh(std::string_view content_type, std::string_view body, const MintFn& mint);
    bool is_idp_token(std::string_view token) const {
        return idp_tokens_.count(std::string(token));
    }

    // POST /_kiro {"deny": bool}: the portal refuses the sign-ins that come next.
    std::pair<int, std::string> control(const rapidjson::Value& body);
    // GET /_kiro: the codes and idp tokens issued.
    std::string listing() const;
    void reset();

private:
    struct Code {
        std::string challenge;
        std::string redirect_uri;
        bool used = false;
    };

    std::uint64_t serial_ = 0;
    bool deny_ = false;
    std::map<std::string, Code> codes_;
    std::set<std::string> idp_tokens_;
    std::set<std::string> spent_idp_refresh_;
    std::uint64_t exchanges_ = 0;
    std::uint64_t idp_refreshes_ = 0;
};

}  // namespace fake
