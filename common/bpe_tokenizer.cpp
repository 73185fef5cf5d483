#include "common/bpe_tokenizer.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <type_traits>

#include <oniguruma.h>

#include "common/files.hpp"
#include "common/json.hpp"
#include "common/strings.hpp"

namespace amq {

namespace {

Error vocabulary_error(Errc code, const std::string& path, std::string_view what) {
    return make_error(code, str_cat("tokenizer vocabulary ", path, ": ", what));
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Appends the bytes of standard, padded base64 (as tiktoken writes tokens) to `out`.
bool append_base64(std::string_view in, std::string& out) {
    if (in.empty() || in.size() % 4 != 0) return false;
    std::size_t padding = in.ends_with("==") ? 2 : in.ends_with('=') ? 1 : 0;
    std::uint32_t bits = 0;
    for (std::size_t i = 0; i < in.size() - padding; ++i) {
        int value = base64_value(in[i]);
        if (value < 0) return false;
        bits = bits << 6 | static_cast<std::uint32_t>(value);
        if (i % 4 == 3) {
            out.push_back(static_cast<char>(bits >> 16));
            out.push_back(static_cast<char>(bits >> 8 & 0xff));
            out.push_back(static_cast<char>(bits & 0xff));
            bits = 0;
        }
    }
    if (padding == 2) out.push_back(static_cast<char>(bits >> 4));
    if (padding == 1) {
        out.push_back(static_cast<char>(bits >> 10));
        out.push_back(static_cast<char>(bits >> 2 & 0xff));
    }
    return true;
}

// Length of the well-formed UTF-8 sequence at s[i], 0 when there is none (RFC 3629: no
// overlong forms, surrogates or code points past U+10FFFF). Oniguruma only ever sees text
// that passed this, so a stray byte cannot make it read past the end.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char lead = byte(0);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (s.size() - i < length || byte(1) < low || byte(1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((byte(k) & 0xC0) != 0x80) return 0;
    return length;
}

struct RegexFree {
    void operator()(OnigRegex regex) const { onig_free(regex); }
};
using RegexPtr = std::unique_ptr<std::remove_pointer_t<OnigRegex>, RegexFree>;

Result<RegexPtr> compile_pattern(std::string_view pattern) {
    static const int initialized = [] {
        OnigEncoding encoding = ONIG_ENCODING_UTF8;
        return onig_initialize(&encoding, 1);
    }();
    (void)initialized;
    auto* begin = reinterpret_cast<const OnigUChar*>(pattern.data());
    OnigRegex regex = nullptr;
    OnigErrorInfo info;
    int rc = onig_new(&regex, begin, begin + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                      ONIG_SYNTAX_ONIGURUMA, &info);
    if (rc != ONIG_NORMAL) {
        OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(message, rc, &info);
        return make_error(Errc::invalid_argument,
                          str_cat("pat_str does not compile: ", reinterpret_cast<char*>(message)));
    }
    return RegexPtr(regex);
}

// Token bytes → rank, open addressing over one byte arena. About 1.5 MB for Claude's 65k
// tokens where an unordered_map<std::string, int> takes several times that in nodes and
// heap strings, and a lookup is one probe into a flat array rather than a node chase. Every
// worker process holds its own copy, so the size counts.
class RankTable {
public:
    // Upper bounds, so that loading leaves no growth slack behind: the table lives as long
    // as the process.
    void reserve(std::size_t tokens, std::size_t bytes) {
        entries_.reserve(tokens);
        arena_.reserve(bytes);
    }

    // Token bytes are appended to arena() first, then registered by offset.
    std::string& arena() { return arena_; }
    void add(std::size_t offset, int rank) {
        entries_.push_back({static_cast<std::uint32_t>(offset),
                            static_cast<std::uint32_t>(arena_.size() - offset), rank});
    }

    // A token listed twice keeps its later rank, as tiktoken's HashMap insert does.
    void build() {
        entries_.shrink_to_fit();
        arena_.shrink_to_fit();
        std::size_t capacity = 16;
        while (capacity < entries_.size() * 2) capacity *= 2;  // load ≤ ½: probes stay short
        slots_.assign(capacity, 0);
        mask_ = capacity - 1;
        for (std::uint32_t i = 0; i < entries_.size(); ++i) {
            std::size_t slot = slot_of(bytes_of(i));
            if (slots_[slot] == 0) ++size_;
            slots_[slot] = i + 1;
            longest_ = std::max<std::size_t>(longest_, entries_[i].size);
        }
    }

    int find(std::string_view bytes) const {     // -1 when absent
        if (bytes.size() > longest_) return -1;  // spares hashing long pieces and spans
        std::uint32_t entry = slots_[slot_of(bytes)];
        return entry == 0 ? -1 : entries_[entry - 1].rank;
    }

    std::size_t size() const { return size_; }

private:
    struct Entry {
        std::uint32_t offset;
        std::uint32_t size;
        std::int32_t rank;
    };

    std::string_view bytes_of(std::uint32_t i) const {
        return std::string_view(arena_).substr(entries_[i].offset, entries_[i].size);
    }

    // The slot holding `bytes`, or the empty slot where it would go.
    std::size_t slot_of(std::string_view bytes) const {
        std::size_t slot = std::hash<std::string_view>{}(bytes)&mask_;
        while (slots_[slot] != 0 && bytes_of(slots_[slot] - 1) != bytes) slot = (slot + 1) & mask_;
        return slot;
    }

    std::string arena_;
    std::vector<Entry> entries_;
    std::vector<std::uint32_t> slots_;  // entry index + 1, 0 when empty
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
    std::size_t longest_ = 0;
};

// One line of tiktoken ranks: "lite" lines "<ignored> <first rank> <token> <token> …" (ranks
// run on from the first; claude.json is one such line) or plain lines "<token> <rank>".
Status parse_ranks_line(std::string_view line, bool lite, RankTable& table) {
    std::vector<std::string_view> fields = split(line, ' ');
    if (fields.size() < 2 || (!lite && fields.size() != 2))
        return make_error(Errc::invalid_argument,
                          str_cat("bpe_ranks has a line of ", fields.size(), " fields"));
    std::optional<std::int64_t> first_rank = parse_int(fields[1]);
    std::size_t first_token = lite ? 2 : 0;
    std::size_t tokens = lite ? fields.size() - 2 : 1;
    if (!first_rank || *first_rank < 0 ||
        *first_rank + static_cast<std::int64_t>(tokens) > INT32_MAX)
        return make_error(Errc::invalid_argument,
                          str_cat("bpe_ranks has a bad rank '", fields[1], "'"));
    for (std::size_t k = 0; k < tokens; ++k) {
        std::string_view token = fields[first_token + k];
        std::size_t offset = table.arena().size();
        if (!append_base64(token, table.arena()))
            return make_error(Errc::invalid_argument,
                              str_cat("bpe_ranks has a bad base64 token '", token, "'"));
        table.add(offset, static_cast<int>(*first_rank + static_cast<std::int64_t>(k)));
    }
    return {};
}

Status parse_ranks(std::string_view text, RankTable& table) {
    if (text.size() > UINT32_MAX)  // the table's 32-bit offsets
        return make_error(Errc::invalid_argument, "bpe_ranks is too large");
    bool lite = text.starts_with('!');  // tiktoken picks the layout the same way
    table.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), ' ')) + 1,
                  text.size() / 4 * 3);
    for (std::string_view line : split(text, '\n')) {
        if (line.empty()) continue;
        if (Status status = parse_ranks_line(line, lite, table); !status) return status;
    }
    table.build();
    // The merge falls back to single bytes, so each must be a token.
    for (int b = 0; b < 256; ++b) {
        char byte = static_cast<char>(b);
        if (table.find(std::string_view(&byte, 1)) < 0)
            return make_error(Errc::invalid_argument,
                              str_cat("bpe_ranks has no token for the byte ", b));
    }
    return {};
}

// Adjacent parts [left, end) of a piece that would merge into a token of `rank`. Twelve
// bytes: a long piece's heap holds one per byte, and its size decides the cache misses.
struct Candidate {
    std::uint32_t rank;
    std::uint32_t left;
    std::uint32_t end;
};

// Heap order: the lowest rank first, the leftmost pair among equals (tiktoken's tie-break).
// A function object rather than a function pointer, so the heap algorithms inline it.
struct ComesLater {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
    }
};

}  // namespace

struct BpeTokenizer::Impl {
    RankTable ranks;
    RegexPtr pattern;

    // Buffers reused across the pieces of one call.
    struct Scratch {
        std::vector<std::uint32_t> end;   // end[i]: where the part starting at i ends; 0: merged
        std::vector<std::uint32_t> prev;  // prev[i]: start of the part before the one at i
        std::vector<Candidate> heap;
    };

    std::int64_t run(std::string_view text, std::vector<int>* ids) const;
    std::int64_t split_valid(std::string_view text, Scratch& scratch, std::vector<int>* ids) const;
    std::int64_t piece_tokens(std::string_view piece, Scratch& scratch,
                              std::vector<int>* ids) const;
    std::int64_t merge(std::string_view piece, Scratch& scratch, std::vector<int>* ids) const;
};

// Valid UTF-8 runs go through the pre-tokenizer; each stray byte is its own single-byte token.
std::int64_t BpeTokenizer::Impl::run(std::string_view text, std::vector<int>* ids) const {
    Scratch scratch;
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t start = i;
        while (i < text.size()) {
            std::size_t length = utf8_sequence(text, i);
            if (length == 0) break;
            i += length;
        }
        if (i > start) total += split_valid(text.substr(start, i - start), scratch, ids);
        if (i < text.size()) {
            ++total;
            if (ids) ids->push_back(ranks.find(text.substr(i, 1)));
            ++i;
        }
    }
    return total;
}

// Cuts valid UTF-8 into the pattern's pieces; matches are anchored at each piece's start,
// since Claude's pattern matches every character (with its alternatives in order: the
// first that matches wins, as in tiktoken's fancy_regex).
std::int64_t BpeTokenizer::Impl::split_valid(std::string_view text, Scratch& scratch,
                                             std::vector<int>* ids) const {
    auto* begin = reinterpret_cast<const OnigUChar*>(text.data());
    const OnigUChar* end = begin + text.size();
    std::int64_t total = 0;
    for (const OnigUChar* at = begin; at < end;) {
        int length = onig_match(pattern.get(), begin, end, at, nullptr, ONIG_OPTION_NONE);
        // A pattern that leaves a character unmatched (or a match-limit error) would stall
        // the loop: take that one character as a piece of its own.
        if (length <= 0)
            length = static_cast<int>(utf8_sequence(text, static_cast<std::size_t>(at - begin)));
        total += piece_tokens(
            std::string_view(reinterpret_cast<const char*>(at), static_cast<std::size_t>(length)),
            scratch, ids);
        at += length;
    }
    return total;
}

std::int64_t BpeTokenizer::Impl::piece_tokens(std::string_view piece, Scratch& scratch,
                                              std::vector<int>* ids) const {
    int whole = ranks.find(piece);
    if (whole >= 0) {
        if (ids) ids->push_back(whole);
        return 1;
    }
    // Merge positions are 32-bit to keep the heap small; a piece past that (no request body
    // comes near it) is merged in slices, a negligible miscount.
    constexpr std::size_t kSlice = std::size_t{1} << 30;
    std::int64_t total = 0;
    for (std::size_t at = 0; at < piece.size(); at += kSlice)
        total += merge(piece.substr(at, kSlice), scratch, ids);
    return total;
}

// tiktoken's byte-pair merge: join the adjacent pair of parts whose concatenation has the
// lowest rank, the leftmost on ties, until no pair is a token. tiktoken rescans the parts
// after each merge, quadratic in the piece; a heap keeps a long piece (a megabyte of one
// letter is a single piece) at n log n. A candidate goes stale when either of its parts
// changes, and then its span [left, end) no longer matches: spans only ever grow.
std::int64_t BpeTokenizer::Impl::merge(std::string_view piece, Scratch& s,
                                       std::vector<int>* ids) const {
    const auto n = static_cast<std::uint32_t>(piece.size());
    s.end.resize(n);
    s.prev.resize(n);
    s.heap.clear();
    auto rank_of = [&](std::uint32_t left, std::uint32_t end) {
        return ranks.find(piece.substr(left, end - left));
    };
    for (std::uint32_t i = 0; i < n; ++i) {
        s.end[i] = i + 1;
        s.prev[i] = i == 0 ? 0 : i - 1;  // prev[0] is never read
        if (int rank = i + 1 < n ? rank_of(i, i + 2) : -1; rank >= 0)
            s.heap.push_back({static_cast<std::uint32_t>(rank), i, i + 2});
    }
    std::make_heap(s.heap.begin(), s.heap.end(), ComesLater{});
    auto consider = [&](std::uint32_t left, std::uint32_t end) {
        int rank = rank_of(left, end);
        if (rank < 0) return;
        s.heap.push_back({static_cast<std::uint32_t>(rank), left, end});
        std::push_heap(s.heap.begin(), s.heap.end(), ComesLater{});
    };
    while (!s.heap.empty()) {
        std::pop_heap(s.heap.begin(), s.heap.end(), ComesLater{});
        Candidate c = s.heap.back();
        s.heap.pop_back();
        std::uint32_t right = s.end[c.left];
        if (right == 0 || right >= n || s.end[right] != c.end) continue;  // stale
        s.end[c.left] = c.end;
        s.end[right] = 0;
        if (c.end < n) {
            s.prev[c.end] = c.left;
            consider(c.left, s.end[c.end]);
        }
        if (c.left > 0) consider(s.prev[c.left], c.end);
    }
    std::int64_t parts = 0;
    for (std::uint32_t i = 0; i < n; i = s.end[i]) {
        ++parts;
        if (ids) ids->push_back(rank_of(i, s.end[i]));
    }
    return parts;
}

BpeTokenizer::BpeTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BpeTokenizer::~BpeTokenizer() = default;

Result<std::unique_ptr<BpeTokenizer>> BpeTokenizer::load(const std::string& json_path) {
    Result<std::string> text = read_whole_file(json_path);
    if (!text)
        return make_error(text.error().code,
                          str_cat("tokenizer vocabulary ", text.error().message));
    Result<rapidjson::Document> doc = parse_json(*text);
    if (!doc) return vocabulary_error(Errc::invalid_argument, json_path, doc.error().message);
    if (!doc->IsObject())
        return vocabulary_error(Errc::invalid_argument, json_path, "expected a JSON object");
    std::optional<std::string_view> pattern = find_string(*doc, "pat_str");
    std::optional<std::string_view> bpe_ranks = find_string(*doc, "bpe_ranks");
    if (!pattern || !bpe_ranks)
        return vocabulary_error(Errc::invalid_argument, json_path,
                                str_cat("field '", pattern ? "bpe_ranks" : "pat_str",
                                        "' is required and must be a string"));
    auto impl = std::make_unique<Impl>();
    if (Status parsed = parse_ranks(*bpe_ranks, impl->ranks); !parsed)
        return vocabulary_error(Errc::invalid_argument, json_path, parsed.error().message);
    Result<RegexPtr> regex = compile_pattern(*pattern);
    if (!regex) return vocabulary_error(Errc::invalid_argument, json_path, regex.error().message);
    impl->pattern = std::move(regex).value();
    return std::unique_ptr<BpeTokenizer>(new BpeTokenizer(std::move(impl)));
}

std::int64_t BpeTokenizer::count(std::string_view utf8) const { return impl_->run(utf8, nullptr); }

std::vector<int> BpeTokenizer::encode(std::string_view utf8) const {
    std::vector<int> ids;
    impl_->run(utf8, &ids);
    return ids;
}

std::size_t BpeTokenizer::vocabulary_size() const { return impl_->ranks.size(); }

}  // namespace amq
