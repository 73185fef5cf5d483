#include "daemon/worker/routes.hpp"

namespace amq {
namespace {

constexpr Route kRoutes[] = {
    {"/health", htp_method_GET, handle_health},
    {"/v1/messages", htp_method_POST, handle_messages},
};

}  // namespace

std::span<const Route> worker_routes() { return kRoutes; }

}  // namespace amq
