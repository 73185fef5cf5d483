#define BOOST_TEST_MODULE bpe_tokenizer
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/bpe_tokenizer.hpp"
#include "common/token_estimate.hpp"

using amq::BpeTokenizer;
using amq::Errc;
using amq::Status;

namespace {

// Reference counts come from the npm package itself (@anthropic-ai/tokenizer 0.0.4 with
// tiktoken 1.0.22), computed in node for each string s:
//   const { countTokens, getTokenizer } = require('@anthropic-ai/tokenizer');
//   countTokens(s)                              // the package: NFKC, then encode(s, 'all')
//   getTokenizer().encode_ordinary(s).length    // no NFKC, "<EOT>" as text: what we count
// For every string in kKnown both give the count listed. The token ids were checked the same
// way, id for id, over this tree's sources and 3000 random Unicode strings.
struct Known {
    const char* name;
    std::string_view text;
    std::int64_t tokens;
};

constexpr std::string_view kCpp =
    "#include <vector>\n"
    "\n"
    "int sum(const std::vector<int>& xs) {\n"
    "    int total = 0;\n"
    "    for (int x : xs) total += x;  // no overflow check\n"
    "    return total;\n"
    "}\n";

constexpr std::string_view kJson = R"({"model":"claude-sonnet-4-5","max_tokens":256,)"
                                   R"("messages":[{"role":"user","content":"hi"}]})";

const Known kKnown[] = {
    {"english", "The quick brown fox jumps over the lazy dog.", 10},
    {"empty", "", 0},
    {"space run", "     ", 1},
    {"whitespace runs", "a \t\n\n   b\n\n\n", 5},
    {"leading spaces", "  leading spaces", 3},
    {"chinese", "我们今天去公园散步", 10},
    {"japanese", "東京の天気は晴れです。カタカナとひらがなも使います。", 29},
    {"korean", "안녕하세요 세계", 11},
    {"emoji, ZWJ family, flags, skin tone",
     "Hi 👋 🙂 👨\u200d👩\u200d👧\u200d👦 🇯🇵🇫🇷 👍🏽", 40},
    {"c++", kCpp, 50},
    {"json", kJson, 30},
    {"numbers", "3.14159 2718281828 1,000,000 0x1F 42", 19},
    {"mixed", "Résumé: naïve café — 100% ✓ (テスト) déjà vu!", 22},
    {"contractions", "I'm sure it's what they'd've said, we'll see", 14},
    {"package's own test", "hello world!", 3},
};

const BpeTokenizer& claude() {
    // Fails rather than skips when the vocabulary is missing: CI runs `make deps` first.
    static auto loaded = BpeTokenizer::load(AMQ_TOKENIZER_FILE);
    if (!loaded.ok())
        BOOST_FAIL(
            "cannot load the Claude vocabulary (run `make deps`): " << loaded.error().message);
    return **loaded;
}

// The error message of a failed load, for BOOST_REQUIRE_MESSAGE (which evaluates it even
// when the load succeeded, and error() aborts on success).
template <class R>
std::string why(const R& result) {
    return result.ok() ? std::string() : result.error().message;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

std::string repeat(std::string_view s, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += s;
    return out;
}

std::string base64(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t group = 0;
        std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
        for (std::size_t k = 0; k < 3; ++k)
            group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
        for (std::size_t k = 0; k < 4; ++k)
            out += k <= n ? kAlphabet[group >> (18 - 6 * k) & 63] : '=';
    }
    return out;
}

// A temporary directory for hand-made vocabularies, removed with its files.
struct TempDir {
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "amq-bpe-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) std::abort();
        path = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path); }

    std::string write(const std::string& name, std::string_view content) const {
        std::string file = (path / name).string();
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }

    std::filesystem::path path;
};

// A vocabulary of the 256 single bytes (rank = byte value) plus `extra` tokens from 256 on,
// in tiktoken's lite layout, with Claude's pattern.
std::string small_vocabulary(const std::vector<std::string>& extra) {
    std::string ranks = "! 0";
    for (int b = 0; b < 256; ++b) ranks += " " + base64(std::string(1, static_cast<char>(b)));
    ranks += "\\n! 256";  // a newline, escaped in JSON
    for (const std::string& token : extra) ranks += " " + base64(token);
    return R"({"pat_str":"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|)"
           R"(\\s+(?!\\S)|\\s+","bpe_ranks":")" +
           ranks + R"("})";
}

}  // namespace

BOOST_AUTO_TEST_CASE(loads_the_claude_vocabulary) {
    BOOST_TEST(claude().vocabulary_size() == 64995u);
}

BOOST_AUTO_TEST_CASE(counts_match_the_reference) {
    for (const Known& k : kKnown) {
        BOOST_TEST_CONTEXT(k.name) {
            BOOST_TEST(claude().count(k.text) == k.tokens);
            BOOST_TEST(claude().encode(k.text).size() == static_cast<std::size_t>(k.tokens));
        }
    }
}

BOOST_AUTO_TEST_CASE(encode_gives_the_reference_token_ids) {
    BOOST_TEST(claude().encode("hello world!") == (std::vector<int>{9381, 2253, 5}),
               boost::test_tools::per_element());
    BOOST_TEST(claude().encode("The quick brown fox jumps over the lazy dog.") ==
                   (std::vector<int>{773, 4647, 9095, 33480, 37944, 985, 279, 17247, 6527, 18}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(long_repeats_match_the_reference) {
    BOOST_TEST(claude().count(repeat("abc", 1000)) == 1000);
    // One 100 kB piece for the byte-pair merge: sixteen letters a token.
    BOOST_TEST(claude().count(std::string(100000, 'a')) == 6250);
}

// Differences from countTokens() that the header documents, with the package's counts.
BOOST_AUTO_TEST_CASE(counts_without_nfkc_or_special_tokens) {
    // Full-width punctuation: NFKC turns "，" into ",", the package counts 18.
    BOOST_TEST(claude().count("我们今天去公园散步，天气非常好。") == 20);
    // NFKC turns the no-break and ideographic spaces into plain spaces, the package counts 3.
    BOOST_TEST(claude().count("a\u00a0b\u3000c") == 7);
    // The package makes "<EOT>" one special token and counts 4.
    BOOST_TEST(claude().count("say <EOT> now") == 6);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_counts_each_stray_byte_as_a_token) {
    const BpeTokenizer& t = claude();
    BOOST_TEST(t.count("ab\xff"
                       "cd") == t.count("ab") + 1 + t.count("cd"));
    BOOST_TEST(t.count("\xe6\x88") == 2);          // a truncated sequence
    BOOST_TEST(t.count("\xc0\xaf") == 2);          // an overlong '/'
    BOOST_TEST(t.count("\xed\xa0\x80") == 3);      // a UTF-16 surrogate
    BOOST_TEST(t.count("\xf4\x90\x80\x80") == 4);  // past U+10FFFF
    std::string mess = "caf\xc3 \xff\xfe\x80 ok \xe2\x82";
    BOOST_TEST(t.count(mess) > 0);
    BOOST_TEST(t.encode(mess).size() == static_cast<std::size_t>(t.count(mess)));
    BOOST_TEST(t.count(std::string_view("a\0b", 3)) > 0);
}

BOOST_AUTO_TEST_CASE(counts_from_several_threads_at_once) {
    const BpeTokenizer& t = claude();  // here: a load failure must not throw in a thread
    std::vector<std::int64_t> counts(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        threads.emplace_back([&t, &counts, i] {
            for (int n = 0; n < 50; ++n) counts[i] += t.count(kCpp);
        });
    }
    for (std::thread& thread : threads) thread.join();
    for (std::int64_t c : counts) BOOST_TEST(c == 50 * 50);
}

BOOST_AUTO_TEST_CASE(merges_lowest_rank_first_and_leftmost_on_ties) {
    TempDir dir;
    // 256 "aa", 257 "aaaa", 258 "bc", 259 "abc". "aaa" has two "aa" pairs of one rank: the
    // left one merges. "abc" has no "ab": "bc" merges, then "a" + "bc".
    auto t = BpeTokenizer::load(dir.write("v.json", small_vocabulary({"aa", "aaaa", "bc", "abc"})));
    BOOST_REQUIRE_MESSAGE(t.ok(), why(t));
    const BpeTokenizer& v = **t;
    using boost::test_tools::per_element;
    BOOST_TEST(v.vocabulary_size() == 260u);
    BOOST_TEST(v.encode("aaa") == (std::vector<int>{256, 'a'}), per_element());
    BOOST_TEST(v.encode("aaaa") == (std::vector<int>{257}), per_element());
    BOOST_TEST(v.encode("abc") == (std::vector<int>{259}), per_element());
    BOOST_TEST(v.encode("xyz") == (std::vector<int>{'x', 'y', 'z'}), per_element());
}

BOOST_AUTO_TEST_CASE(reads_the_plain_rank_layout) {
    TempDir dir;
    std::string ranks;
    for (int b = 0; b < 256; ++b)
        ranks += base64(std::string(1, static_cast<char>(b))) + " " + std::to_string(b) + "\\n";
    ranks += base64("hi") + " 300";
    auto t = BpeTokenizer::load(
        dir.write("v.json", R"({"pat_str":"\\S+|\\s+","bpe_ranks":")" + ranks + R"("})"));
    BOOST_REQUIRE_MESSAGE(t.ok(), why(t));
    BOOST_TEST((*t)->encode("hi there") == (std::vector<int>{300, ' ', 't', 'h', 'e', 'r', 'e'}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_not_found_and_named) {
    auto t = BpeTokenizer::load("/nonexistent/amq-bpe-test/claude.json");
    BOOST_REQUIRE(!t.ok());
    BOOST_TEST((t.error().code == Errc::not_found));
    BOOST_TEST(contains(t.error().message, "/nonexistent/amq-bpe-test/claude.json"));
}

BOOST_AUTO_TEST_CASE(a_directory_is_an_io_error) {
    TempDir dir;
    auto t = BpeTokenizer::load(dir.path.string());
    BOOST_REQUIRE(!t.ok());
    BOOST_TEST((t.error().code == Errc::io));
}

BOOST_AUTO_TEST_CASE(malformed_vocabularies_are_rejected_and_named) {
    TempDir dir;
    struct Case {
        const char* name;
        std::string content;
        std::string_view says;
    };
    std::string good = small_vocabulary({});
    const Case cases[] = {
        {"not json", "{\"pat_str\": ", "malformed JSON"},
        {"not an object", "[]", "expected a JSON object"},
        {"no ranks", R"({"pat_str":"\\S+"})", "'bpe_ranks'"},
        {"no pattern", R"({"bpe_ranks":"! 0 YQ=="})", "'pat_str'"},
        {"bad base64", R"({"pat_str":"\\S+","bpe_ranks":"! 0 Y*=="})", "base64"},
        {"bad rank", R"({"pat_str":"\\S+","bpe_ranks":"! x YQ=="})", "bad rank"},
        {"a byte missing", R"({"pat_str":"\\S+","bpe_ranks":"! 0 YQ=="})",
         "no token for the byte 0"},
        {"bad pattern", std::string(good).replace(good.find("\\\\s+\""), 5, "(\\\\s+\""),
         "pat_str does not compile"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            std::string path = dir.write("v.json", c.content);
            auto t = BpeTokenizer::load(path);
            BOOST_REQUIRE(!t.ok());
            BOOST_TEST((t.error().code == Errc::invalid_argument));
            BOOST_TEST(contains(t.error().message, path));
            BOOST_TEST(contains(t.error().message, c.says), t.error().message);
        }
    }
}

BOOST_AUTO_TEST_CASE(estimate_tokens_falls_back_to_four_bytes_a_token) {
    amq::install_tokenizer(nullptr);
    BOOST_TEST(!amq::tokenizer_installed());
    Status missing = amq::load_tokenizer("/nonexistent/amq-bpe-test/claude.json");
    BOOST_REQUIRE(!missing.ok());
    BOOST_TEST((missing.error().code == Errc::not_found));
    TempDir dir;
    BOOST_TEST(!amq::load_tokenizer(dir.write("bad.json", "{")).ok());
    BOOST_TEST(!amq::tokenizer_installed());
    BOOST_TEST(amq::estimate_tokens("") == 0);
    BOOST_TEST(amq::estimate_tokens("a") == 1);
    BOOST_TEST(amq::estimate_tokens("abcdefgh") == 2);
    BOOST_TEST(amq::estimate_tokens("abcdefghi") == 3);
}

BOOST_AUTO_TEST_CASE(estimate_tokens_uses_the_installed_tokenizer) {
    Status loaded = amq::load_tokenizer(AMQ_TOKENIZER_FILE);
    BOOST_REQUIRE_MESSAGE(loaded.ok(), "run `make deps`: " << why(loaded));
    BOOST_TEST(amq::tokenizer_installed());
    BOOST_TEST(amq::estimate_tokens("The quick brown fox jumps over the lazy dog.") == 10);
    BOOST_TEST(amq::estimate_tokens("我们今天去公园散步") == 10);
    BOOST_TEST(amq::estimate_tokens("") == 0);
    BOOST_TEST(amq::estimate_tokens(" ") == 1);
    // A failed reload keeps the tokenizer in place.
    BOOST_TEST(!amq::load_tokenizer("/nonexistent/amq-bpe-test/claude.json").ok());
    BOOST_TEST(amq::tokenizer_installed());
    amq::install_tokenizer(nullptr);
    BOOST_TEST(!amq::tokenizer_installed());
    BOOST_TEST(amq::estimate_tokens("The quick brown fox jumps over the lazy dog.") == 11);
}
