// PostgreSQL's COPY text format, both ways: one row per line, fields separated by tabs, and
// backslash escapes for the bytes that would break a line. Byte strings (bytea) travel as
// hex, so that any bytes — invalid UTF-8, NUL — come back exactly as they went.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace amq {

// One field, escaped (never NULL: every column the store writes is NOT NULL).
std::string copy_text(std::string_view value);
// bytea in PostgreSQL's text form: \x and the bytes in hex (a query parameter).
std::string bytea_text(std::string_view bytes);
// A bytea field: bytea_text, escaped.
std::string copy_bytes(std::string_view bytes);
// Fields already escaped, joined into one row with its newline.
void append_copy_row(std::string& out, std::initializer_list<std::string_view> fields);

// A row as COPY … TO STDOUT wrote it (without its newline), unescaped. NULL is refused.
Result<std::vector<std::string>> parse_copy_row(std::string_view line);
// The bytes of a bytea field as parse_copy_row returned it ("\x…").
Result<std::string> bytes_of(std::string_view field);

}  // namespace amq
