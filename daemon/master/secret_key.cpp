#include "daemon/master/secret_key.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

namespace amq {
namespace {

Result<SecretBox::Key> create_key(const std::string& path) {
    SecretBox::Key key;
    random_bytes(key.data(), key.size());
    if (Status st = write_private_file(path, hex(key.data(), key.size()) + "\n"); !st)
        return st.error();
    return key;
}

// A key left open to others (a restore with the wrong mode) is tightened, as the store's own
// files are.
Result<SecretBox::Key> read_key(const std::string& path, mode_t mode) {
    if ((mode & 077) && ::chmod(path.c_str(), 0600) != 0)
        return make_error(
            Errc::io, str_cat("cannot restrict ", path, " to its owner: ", std::strerror(errno)));
    auto text = read_whole_file(path);
    if (!text) return text.error();
    auto bytes = from_hex(trim(*text));
    if (!bytes || bytes->size() != kSecretKeyBytes)
        return make_error(Errc::invalid_argument,
                          str_cat(path, " holds no key (64 hexadecimal digits expected)"));
    SecretBox::Key key;
    std::memcpy(key.data(), bytes->data(), key.size());
    return key;
}

}  // namespace

Result<SecretBox::Key> load_secret_key(const std::string& dir, bool may_create) {
    std::string path = str_cat(dir, "/", kSecretKeyFile);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return read_key(path, st.st_mode);
    if (errno != ENOENT)
        return make_error(Errc::io, str_cat("cannot inspect ", path, ": ", std::strerror(errno)));
    if (!may_create)
        return make_error(Errc::not_found,
                          str_cat(path,
                                  " is missing, and the store's account secrets are sealed "
                                  "with it: put back the copy you kept"));
    return create_key(path);
}

}  // namespace amq
