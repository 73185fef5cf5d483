#define BOOST_TEST_MODULE ctl_import_files
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/strings.hpp"
#include "ctl/import_files.hpp"

namespace fs = std::filesystem;
using amq::ImportDocument;

namespace {

// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "amq-import-files-XXXXXX").string();
        BOOST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name, const std::string& content) const {
        std::ofstream(path / name) << content;
        return (path / name).string();
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// "SOURCE: CONTENT" or "SOURCE ! ERROR" per document.
std::vector<std::string> summary(const std::vector<ImportDocument>& documents) {
    std::vector<std::string> out;
    for (const ImportDocument& d : documents)
        out.push_back(d.error.empty() ? amq::str_cat(d.source, ": ", d.content)
                                      : amq::str_cat(d.source, " ! ", d.error));
    return out;
}

std::vector<std::string> read_ok(const std::vector<std::string>& paths) {
    auto r = amq::ctl::read_import_files(paths);
    if (!r) BOOST_FAIL("unexpected error: " << r.error().message);
    return summary(*r);
}

std::string read_error(const std::vector<std::string>& paths) {
    auto r = amq::ctl::read_import_files(paths);
    BOOST_REQUIRE(!r.ok());
    return r.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_directory_is_its_json_files_by_name) {
    TempDir d;
    d.file("b.json", "B");
    d.file("a.json", "A");
    d.file("notes.txt", "not a token");
    d.file(".json", "no name");
    fs::create_directory(d.path / "sub.json");
    d.file("sub.json/inner.json", "not recursive");
    fs::create_symlink(d.path / "a.json", d.path / "link.json");
    fs::create_directory_symlink(d.path / "sub.json", d.path / "dirlink.json");
    fs::create_symlink(d.path / "missing", d.path / "dangling.json");
    d.file("big.json", std::string(amq::ctl::kMaxDocumentBytes + 1, ' '));
    std::string dir = d.path.string();
    BOOST_TEST(
        read_ok({dir}) ==
        (std::vector<std::string>{dir + "/a.json: A", dir + "/b.json: B",
                                  dir + "/big.json ! larger than 4 MiB, too large for a token file",
                                  dir + "/dangling.json ! cannot read: No such file or directory",
                                  dir + "/link.json: A"}));
}

BOOST_AUTO_TEST_CASE(paths_keep_their_order_and_files_their_name) {
    TempDir d;
    fs::create_directory(d.path / "cache");
    d.file("cache/reg.json", "R");
    std::string token = d.file("token.json", "T");
    BOOST_TEST(
        read_ok({token, d / "cache/", d / "gone.json"}) ==
        (std::vector<std::string>{token + ": T", d / "cache/reg.json: R",
                                  d / "gone.json ! cannot read: No such file or directory"}));
}

BOOST_AUTO_TEST_CASE(nothing_to_read_is_an_error) {
    TempDir d;
    BOOST_TEST(read_error({d / "gone.json"}) ==
               d / "gone.json: cannot read: No such file or directory");
    fs::create_directory(d.path / "empty");
    BOOST_TEST(read_error({d / "empty"}) == "nothing to import: no .json file in " + (d / "empty"));
    BOOST_TEST(read_error({d / "empty", d / "empty"}) == "nothing to import: no .json file in " +
                                                             (d / "empty") +
                                                             " or the other directories");
}

BOOST_AUTO_TEST_CASE(at_most_a_thousand_files) {
    TempDir d;
    for (int i = 0; i < 1000; ++i) d.file(amq::str_cat(i, ".json"), "{}");
    BOOST_TEST(read_ok({d.path.string()}).size() == 1000u);
    BOOST_TEST(read_error({d.path.string(), d / "0.json"}) ==
               "more than 1000 files to import: import them in parts");
    d.file("1000.json", "{}");
    BOOST_TEST(read_error({d.path.string()}) ==
               "more than 1000 files to import: import them in parts");
}
