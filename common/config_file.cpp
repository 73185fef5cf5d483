#include "common/config_file.hpp"

#include "common/strings.hpp"

namespace amq {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// What follows an opening quote: the value up to the closing quote, with \" and \\ unescaped.
// Any other backslash is refused rather than guessed at ("\n" is not a newline here).
Result<std::string> read_quoted(std::string_view rest) {
    std::string value;
    for (size_t i = 0; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '"') {
            std::string_view after = trim(rest.substr(i + 1));
            if (!after.empty() && after.front() != '#')
                return make_error(Errc::invalid_argument,
                                  str_cat("unexpected '", after, "' after the closing quote"));
            return value;
        }
        if (c == '\\') {
            if (i + 1 == rest.size() || (rest[i + 1] != '"' && rest[i + 1] != '\\'))
                return make_error(Errc::invalid_argument,
                                  "inside quotes a backslash may only precede \" or \\");
            c = rest[++i];
        }
        value.push_back(c);
    }
    return make_error(Errc::invalid_argument, "the closing quote is missing");
}

// An unquoted value runs to the end of the line. A '#' that starts it or follows a blank begins
// a comment; one inside a word (a password, a URL fragment) belongs to the value.
std::string read_unquoted(std::string_view rest) {
    for (size_t i = 0; i < rest.size(); ++i)
        if (rest[i] == '#' && (i == 0 || is_blank(rest[i - 1])))
            return std::string(trim(rest.substr(0, i)));
    return std::string(rest);
}

// `line` is trimmed and neither blank nor a comment.
Result<ConfigEntry> read_entry(std::string_view line) {
    if (line.front() == '[')
        return make_error(Errc::invalid_argument,
                          "sections such as [name] are not used: write every key at the top level");
    size_t equals = line.find('=');
    if (equals == std::string_view::npos)
        return make_error(Errc::invalid_argument, "expected key = value");
    std::string_view key = trim(line.substr(0, equals));
    if (key.empty()) return make_error(Errc::invalid_argument, "the key before '=' is missing");
    std::string_view rest = trim(line.substr(equals + 1));
    Result<std::string> value =
        rest.starts_with('"') ? read_quoted(rest.substr(1)) : read_unquoted(rest);
    if (!value)
        return make_error(Errc::invalid_argument, str_cat(key, ": ", value.error().message));
    return ConfigEntry{std::string(key), std::move(value).value(), 0};
}

}  // namespace

Result<std::vector<ConfigEntry>> parse_config_text(std::string_view text,
                                                   std::string_view file_name) {
    std::vector<ConfigEntry> entries;
    unsigned number = 0;
    for (std::string_view raw : split(text, '\n')) {
        ++number;
        std::string_view line = trim(raw);  // also drops the '\r' of CRLF files
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        auto entry = read_entry(line);
        if (!entry)
            return make_error(Errc::invalid_argument,
                              str_cat(file_name, ":", number, ": ", entry.error().message));
        entry->line = number;
        entries.push_back(std::move(entry).value());
    }
    return entries;
}

std::string quote_config_value(std::string_view value) {
    bool plain = !value.empty() && value.front() != '"' && trim(value).size() == value.size() &&
                 value.find('#') == std::string_view::npos;
    if (plain) return std::string(value);
    std::string quoted = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\') quoted.push_back('\\');
        quoted.push_back(c);
    }
    quoted.push_back('"');
    return quoted;
}

}  // namespace amq
