#include "ctl/import_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/strings.hpp"

namespace amq::ctl {
namespace {

namespace fs = std::filesystem;

// Stops reading one buffer past the cap, so that a huge file or an endless pipe is refused
// without being read in full. The reason leaves out the path: the document's source names it.
ImportDocument read_document(const std::string& path) {
    bool is_stdin = path == "-";
    ImportDocument doc{is_stdin ? "stdin" : path, {}, {}};
    int fd = is_stdin ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        doc.error = str_cat("cannot read: ", std::strerror(errno));
        return doc;
    }
    char buffer[64 * 1024];
    int err = 0;
    while (doc.content.size() <= kMaxDocumentBytes) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) err = errno;
        if (n <= 0) break;
        doc.content.append(buffer, static_cast<std::size_t>(n));
    }
    if (!is_stdin) close(fd);
    if (err != 0)
        doc.error = str_cat("cannot read: ", std::strerror(err));
    else if (doc.content.size() > kMaxDocumentBytes)
        doc.error =
            str_cat("larger than ", kMaxDocumentBytes >> 20, " MiB, too large for a token file");
    if (!doc.error.empty()) doc.content.clear();
    return doc;
}

Error too_many() {
    return make_error(Errc::invalid_argument, str_cat("more than ", kMaxImportDocuments,
                                                      " files to import: import them in parts"));
}

// A directory entry named *.json that is a regular file once symlinks are followed, or a
// symlink that leads nowhere (its read then says why).
bool token_file(const fs::directory_entry& entry) {
    std::string name = entry.path().filename().string();
    if (name.size() <= 5 || !name.ends_with(".json")) return false;
    std::error_code ec;
    fs::file_type type = entry.status(ec).type();
    return type == fs::file_type::regular || type == fs::file_type::not_found;
}

// The token files of a directory, by name; `room`: how many more files the import takes.
Result<std::vector<std::string>> list_directory(const std::string& dir, std::size_t room) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    std::vector<std::string> files;
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (!token_file(*it)) continue;
        if (files.size() == room) return too_many();
        files.push_back(it->path().string());
    }
    if (ec)
        return make_error(Errc::io, str_cat("cannot read the directory ", dir, ": ", ec.message()));
    std::sort(files.begin(), files.end());
    return files;
}

// The files the paths name, in order: a directory in the place of its token files.
Result<std::vector<std::string>> expand(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const std::string& path : paths) {
        std::error_code ec;
        if (path == "-" || !fs::is_directory(path, ec)) {
            if (files.size() == kMaxImportDocuments) return too_many();
            files.push_back(path);
            continue;
        }
        auto listed = list_directory(path, kMaxImportDocuments - files.size());
        if (!listed) return listed.error();
        files.insert(files.end(), listed->begin(), listed->end());
    }
    return files;
}

}  // namespace

Result<std::vector<ImportDocument>> read_import_files(const std::vector<std::string>& paths) {
    auto files = expand(paths);
    if (!files) return files.error();
    if (files->empty())  // only directories, each without a token file
        return make_error(Errc::invalid_argument,
                          str_cat("nothing to import: no .json file in ", paths.front(),
                                  paths.size() > 1 ? " or the other directories" : ""));
    std::vector<ImportDocument> documents;
    for (const std::string& file : *files) documents.push_back(read_document(file));
    auto readable = [](const ImportDocument& d) { return d.error.empty(); };
    if (std::none_of(documents.begin(), documents.end(), readable))
        return make_error(Errc::io,
                          str_cat(documents.front().source, ": ", documents.front().error));
    return documents;
}

}  // namespace amq::ctl
