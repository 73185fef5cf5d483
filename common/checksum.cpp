#include "common/checksum.hpp"

#include <zlib.h>

namespace amq {

std::uint32_t crc32_of(std::string_view bytes) {
    auto data = reinterpret_cast<const Bytef*>(bytes.data());
    return static_cast<std::uint32_t>(crc32_z(0, data, bytes.size()));
}

}  // namespace amq
