// The Anthropic Messages API as a ClientStream.
#pragma once

#include <memory>

#include "common/anthropic_stream.hpp"
#include "daemon/worker/client_stream.hpp"

namespace amq {

std::unique_ptr<ClientStream> make_anthropic_writer(const AnthropicStreamOptions& options);

}  // namespace amq
