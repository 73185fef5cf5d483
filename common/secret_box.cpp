#include "common/secret_box.hpp"

#include <openssl/evp.h>

#include <memory>

#include "common/crypto.hpp"

namespace amq {
namespace {

constexpr std::string_view kSealMagic{"\0amqs1", 6};
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct FreeCipher {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherPtr = std::unique_ptr<EVP_CIPHER_CTX, FreeCipher>;

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s, std::size_t at) {
    return reinterpret_cast<unsigned char*>(s.data() + at);
}

// OpenSSL fails here only without memory or with a broken build: nothing to recover.
void check(int ok) {
    if (ok != 1) std::abort();
}

Error broken() {
    return make_error(Errc::internal,
                      "a sealed secret does not open: it was sealed under another key, or altered");
}

}  // namespace

std::string SecretBox::seal(std::string_view plaintext, std::string_view context) const {
    std::string out(kSealMagic);
    out.resize(kSealMagic.size() + kNonceBytes + plaintext.size() + kTagBytes);
    unsigned char* nonce = bytes(out, kSealMagic.size());
    random_bytes(nonce, kNonceBytes);
    CipherPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) std::abort();
    int n = 0;
    check(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce));
    check(EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(context),
                            static_cast<int>(context.size())));
    unsigned char* cipher = nonce + kNonceBytes;
    check(EVP_EncryptUpdate(ctx.get(), cipher, &n, bytes(plaintext),
                            static_cast<int>(plaintext.size())));
    check(EVP_EncryptFinal_ex(ctx.get(), cipher + n, &n));
    check(
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, cipher + plaintext.size()));
    return out;
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view context) const {
    if (!is_sealed(sealed) || sealed.size() < kSealMagic.size() + kNonceBytes + kTagBytes)
        return broken();
    std::string_view nonce = sealed.substr(kSealMagic.size(), kNonceBytes);
    std::string_view cipher = sealed.substr(kSealMagic.size() + kNonceBytes);
    std::string tag(cipher.substr(cipher.size() - kTagBytes));
    cipher.remove_suffix(kTagBytes);
    std::string plain(cipher.size(), '\0');
    CipherPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) std::abort();
    int n = 0;
    check(EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes(nonce)));
    check(EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(context),
                            static_cast<int>(context.size())));
    check(EVP_DecryptUpdate(ctx.get(), bytes(plain, 0), &n, bytes(cipher),
                            static_cast<int>(cipher.size())));
    check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()));
    if (EVP_DecryptFinal_ex(ctx.get(), bytes(plain, 0) + n, &n) != 1) return broken();
    return plain;
}

bool SecretBox::is_sealed(std::string_view value) { return value.starts_with(kSealMagic); }

}  // namespace amq
