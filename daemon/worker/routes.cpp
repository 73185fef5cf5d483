#include "daemon/worker/routes.hpp"

namespace amq {
namespace {

constexpr Route kRoutes[] = {
    {"/health", htp_method_GET, handle_health},
};

}  // namespace

std::span<const Route> worker_routes() { return kRoutes; }

}  // namespace amq
