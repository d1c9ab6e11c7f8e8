#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <fstream>

#include "audit/audit.h"
#include "base/hex.h"

namespace orderhub::audit {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

struct SigningKey::Impl {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
};

SigningKey::SigningKey() : impl_(std::make_unique<Impl>()) {}
SigningKey::~SigningKey() = default;

Result<std::unique_ptr<SigningKey>> SigningKey::LoadOrCreate(const std::string& path) {
  std::string hex;
  if (std::ifstream in(path); in) {
    std::getline(in, hex);
  } else {
    unsigned char seed[32];
    if (RAND_bytes(seed, sizeof seed) != 1) return Status::Internal("no randomness for the audit signing key");
    hex = HexEncode(seed, sizeof seed);
    // O_EXCL: two hubs starting on one directory must not both create one.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return Status::IOError("cannot create the audit signing key " + path);
    const std::string line = hex + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return Status::IOError("cannot write the audit signing key " + path);
  }
  unsigned char seed[32];
  if (!HexDecode(hex, seed, sizeof seed)) {
    return Status::Corruption(path + " is not an audit signing key (expected 64 hex digits)");
  }
  std::unique_ptr<SigningKey> k(new SigningKey());
  k->impl_->pkey.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, sizeof seed));
  if (!k->impl_->pkey) return Status::Internal("OpenSSL refused the audit signing key from " + path);
  return k;
}

std::string SigningKey::PublicKeyHex() const {
  unsigned char pub[32];
  size_t n = sizeof pub;
  EVP_PKEY_get_raw_public_key(impl_->pkey.get(), pub, &n);
  return HexEncode(pub, n);
}

std::string SigningKey::Sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  size_t n = sizeof sig;
  EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get());
  EVP_DigestSign(ctx.get(), sig, &n, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  return HexEncode(sig, n);
}

bool VerifySignature(const std::string& public_key_hex, std::string_view message, const std::string& signature_hex) {
  unsigned char pub[32], sig[64];
  if (!HexDecode(public_key_hex, pub, sizeof pub) || !HexDecode(signature_hex, sig, sizeof sig)) return false;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub, sizeof pub));
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig, sizeof sig, reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace orderhub::audit
