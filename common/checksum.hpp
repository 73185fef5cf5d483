// CRC-32 (zlib/IEEE): the checksum of the upstream's event-stream frames and of the usage
// journal's entries.
#pragma once

#include <cstdint>
#include <string_view>

namespace amq {

std::uint32_t crc32_of(std::string_view bytes);

}  // namespace amq
