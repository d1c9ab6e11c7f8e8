#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <cstring>

#include "access/access.h"

namespace orderhub::access {
namespace {

std::string Base64Url(std::string_view in) {
  std::string out((in.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

bool FromBase64Url(std::string_view in, std::string* out) {
  std::string b(in);
  for (char& c : b) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return false;
  }
  const size_t pad = (4 - b.size() % 4) % 4;
  if (pad == 3) return false;
  b.append(pad, '=');
  out->assign(b.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                                reinterpret_cast<const unsigned char*>(b.data()), static_cast<int>(b.size()));
  if (n < 0) return false;
  out->resize(static_cast<size_t>(n) - pad);
  // The last character may carry unused bits: only the canonical spelling
  // is accepted, so no two strings are the same token.
  return Base64Url(*out) == in;
}

std::string Mac(const std::string& key, std::string_view payload) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

bool InitSodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Status::InvalidArgument("weak_password",
                                   "a password needs at least " + std::to_string(kMinPasswordLength) + " characters",
                                   "");
  }
  if (password.size() > 1024) return Status::InvalidArgument("too_long", "a password has at most 1024 bytes", "");
  if (!InitSodium()) return Status::Internal("libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::Internal("out of memory hashing a password");
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& encoded_hash, std::string_view password) {
  if (!InitSodium() || encoded_hash.size() >= crypto_pwhash_STRBYTES || password.size() > 1024) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::memcpy(buf, encoded_hash.data(), encoded_hash.size());
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

// Payload: tenant NUL user NUL role NUL expiry (decimal) NUL 16 random bytes.
std::string SessionTokens::Issue(const Session& s) const {
  std::string payload = s.tenant + '\0' + s.user + '\0' + std::string(RoleName(s.role)) + '\0' +
                        std::to_string(s.expires_at) + '\0';
  unsigned char nonce[16];
  RAND_bytes(nonce, sizeof nonce);
  payload.append(reinterpret_cast<char*>(nonce), sizeof nonce);
  return "ohs_" + Base64Url(payload) + "." + Base64Url(Mac(key_, payload));
}

Result<Session> SessionTokens::Verify(std::string_view token, Micros now) const {
  auto bad = [] { return Status::Unauthenticated("the session token is not valid"); };
  if (!LooksLikeToken(token) || token.size() > 1024) return bad();
  token.remove_prefix(4);
  const size_t dot = token.find('.');
  std::string payload, mac;
  if (dot == std::string_view::npos || !FromBase64Url(token.substr(0, dot), &payload) ||
      !FromBase64Url(token.substr(dot + 1), &mac)) {
    return bad();
  }
  const std::string want = Mac(key_, payload);
  if (mac.size() != want.size() || CRYPTO_memcmp(mac.data(), want.data(), want.size()) != 0) return bad();
  std::string_view rest = payload;
  std::string_view parts[4];
  for (std::string_view& part : parts) {
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) return bad();
    part = rest.substr(0, nul);
    rest.remove_prefix(nul + 1);
  }
  const std::optional<Role> role = ParseRole(parts[2]);
  if (!role) return bad();
  Session s{std::string(parts[0]), std::string(parts[1]), *role, std::stoll(std::string(parts[3]))};
  if (now >= s.expires_at) return Status::Unauthenticated("the session expired at " + FormatRfc3339(s.expires_at));
  return s;
}

}  // namespace orderhub::access
