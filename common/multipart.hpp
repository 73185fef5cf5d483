// multipart/form-data bodies (RFC 7578), as the seed's dashboard uploads account files. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace amq {

struct MultipartPart {
    std::string name;      // the form field
    std::string filename;  // "" for plain fields
    std::string content_type;
    std::string data;
};

// `content_type` is the request's header, which carries the boundary.
Result<std::vector<MultipartPart>> parse_multipart(std::string_view body,
                                                   std::string_view content_type);

}  // namespace amq
