// A QR code drawn with text, for a terminal: a phone scans the device login's URL off the
// admin's screen instead of someone typing it. Two modules per character cell (upper and
// lower half blocks), light modules drawn in white on black whatever the terminal's colours,
// with the quiet zone the standard asks for.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace amq::ctl {

struct QrText {
    std::string lines;    // each ending in "\n"
    std::size_t columns;  // on screen, for each line
};

// The code for `data`; nullopt when libqrencode cannot encode it (too long for any version).
std::optional<QrText> qr_text(std::string_view data);

}  // namespace amq::ctl
