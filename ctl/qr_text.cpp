#include "ctl/qr_text.hpp"

#include <qrencode.h>

#include <memory>

namespace amq::ctl {
namespace {

constexpr int kQuiet = 4;  // modules of light border on every side (ISO/IEC 18004)
constexpr std::string_view kColours = "\x1b[97;40m";
constexpr std::string_view kReset = "\x1b[0m";

struct FreeCode {
    void operator()(QRcode* code) const { QRcode_free(code); }
};
using CodePtr = std::unique_ptr<QRcode, FreeCode>;

// Level M: a phone camera at an angle to a terminal loses some modules.
CodePtr encode(std::string_view data) {
    std::string text(data);  // libqrencode wants a NUL-terminated string
    return CodePtr(QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M));
}

}  // namespace

std::optional<QrText> qr_text(std::string_view data) {
    CodePtr code = encode(data);
    if (!code) return std::nullopt;
    const int size = code->width;
    auto light = [&](int x, int y) {
        x -= kQuiet;
        y -= kQuiet;
        bool inside = x >= 0 && y >= 0 && x < size && y < size;
        return !inside || !(code->data[y * size + x] & 1);
    };
    const int side = size + 2 * kQuiet;
    std::string out;
    for (int y = 0; y < side; y += 2) {
        out += kColours;
        for (int x = 0; x < side; ++x) {
            bool top = light(x, y), bottom = y + 1 < side ? light(x, y + 1) : false;
            out += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
        }
        out += kReset;
        out += '\n';
    }
    return QrText{std::move(out), static_cast<std::size_t>(side)};
}

}  // namespace amq::ctl
