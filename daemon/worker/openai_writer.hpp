// The OpenAI Chat Completions API as a ClientStream.
#pragma once

#include <memory>

#include "common/openai_stream.hpp"
#include "daemon/worker/client_stream.hpp"

namespace amq {

std::unique_ptr<ClientStream> make_openai_writer(const OpenAiStreamOptions& options);

}  // namespace amq
