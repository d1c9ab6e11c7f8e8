#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/hex.h"
#include "crypto/crypto.h"

namespace orderhub::crypto {

using Key = std::array<unsigned char, 32>;

namespace {
std::atomic<uint64_t> next_ring_serial{1};
}  // namespace

struct DataKeys::Ring {
  std::vector<std::pair<uint32_t, Key>> keys;  // ascending ids
  Key index{};
  // Names this ring for the per-thread OpenSSL contexts keyed with it
  // (unique in the process, unlike an address that a later ring may reuse).
  uint64_t serial = next_ring_serial.fetch_add(1);
  const Key* Find(uint32_t id) const {
    for (const auto& [k, v] : keys) {
      if (k == id) return &v;
    }
    return nullptr;
  }
};

namespace {

constexpr size_t kNonce = 12, kTag = 16, kHeader = 4 + kNonce;

// Every create seals twice and hashes a phone number once. OpenSSL 3 looks a
// cipher or digest up in its provider store (under a lock) at each one-shot
// init and expands the key again, and each RAND_bytes asks the kernel for the
// pid (its fork check): together a tenth of the HTTP threads' time in the
// http_create profile. So each thread keeps contexts keyed once per ring and
// draws nonces from a pool of random bytes.
struct ThreadContexts {
  uint64_t ring_serial = 0;
  EVP_CIPHER_CTX* seal = EVP_CIPHER_CTX_new();  // keyed with the ring's newest key
  EVP_MAC_CTX* index = nullptr;                 // keyed with the ring's index key
  ~ThreadContexts() {
    EVP_CIPHER_CTX_free(seal);
    EVP_MAC_CTX_free(index);
  }
};

// A fork copies the pool into the child; nonces drawn there again would
// repeat the parent's. The generation makes every pool refill after a fork.
std::atomic<uint64_t> fork_generation{0};
void AfterForkInChild() { fork_generation.fetch_add(1); }

struct NoncePool {
  std::array<unsigned char, 4096> bytes;
  size_t used = bytes.size();
  uint64_t generation = 0;
  void Draw(unsigned char* out, size_t n) {
    const uint64_t g = fork_generation.load(std::memory_order_relaxed);
    if (used + n > bytes.size() || generation != g) {
      static const int registered = pthread_atfork(nullptr, nullptr, AfterForkInChild);
      (void)registered;
      RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
      used = 0;
      generation = g;
    }
    std::memcpy(out, bytes.data() + used, n);
    // Drawn bytes are not left behind for a core dump to show.
    std::memset(bytes.data() + used, 0, n);
    used += n;
  }
};

thread_local ThreadContexts contexts;
thread_local NoncePool nonces;

// The calling thread's contexts, keyed with `ring`'s keys.
template <typename Ring>
ThreadContexts& ContextsFor(const Ring& ring) {
  ThreadContexts& c = contexts;
  if (c.ring_serial == ring.serial) return c;
  EVP_EncryptInit_ex(c.seal, EVP_aes_256_gcm(), nullptr, ring.keys.back().second.data(), nullptr);
  if (c.index == nullptr) {
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    c.index = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);
  }
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  EVP_MAC_init(c.index, ring.index.data(), ring.index.size(), params);
  c.ring_serial = ring.serial;
  return c;
}

bool ParseKey(std::string_view hex, Key* out) { return HexDecode(hex, out->data(), out->size()); }

std::string FreshKeyHex() {
  Key k;
  RAND_bytes(k.data(), static_cast<int>(k.size()));
  return HexEncode(k.data(), k.size());
}

int64_t MtimeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec
                                        : 0;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read the data key file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteNew(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Status::IOError("cannot create the data key file " + path + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::OK() : Status::IOError("cannot write the data key file " + path);
}

}  // namespace

// Lines: "index <64 hex>", "key <id> <64 hex>"; '#' starts a comment; in the
// environment variable, ';' also ends a line.
Result<std::shared_ptr<const DataKeys::Ring>> DataKeys::ParseRing(std::string_view text, const std::string& origin) {
  auto ring = std::make_shared<DataKeys::Ring>();
  bool has_index = false;
  int line_no = 0;
  while (!text.empty()) {
    const size_t end = text.find_first_of("\n;");
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::istringstream in{std::string(line)};
    std::string word, a, b;
    if (!(in >> word)) continue;
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("bad_data_keys", origin + " line " + std::to_string(line_no) + ": " + why, "");
    };
    if (word == "index") {
      if (!(in >> a) || !ParseKey(a, &ring->index) || (in >> b)) return bad("expected 'index <64 hex digits>'");
      if (has_index) return bad("a second index key");
      has_index = true;
    } else if (word == "key") {
      Key k;
      char* stop = nullptr;
      if (!(in >> a >> b) || !ParseKey(b, &k)) return bad("expected 'key <id> <64 hex digits>'");
      const unsigned long id = std::strtoul(a.c_str(), &stop, 10);
      if (*stop != '\0' || id == 0 || id > 0xffffffffUL) return bad("a key id is a number from 1 to 4294967295");
      if (!ring->keys.empty() && id <= ring->keys.back().first) return bad("key ids must grow down the file");
      ring->keys.emplace_back(static_cast<uint32_t>(id), k);
    } else {
      return bad("unknown entry '" + word + "' (expected index or key)");
    }
  }
  if (!has_index || ring->keys.empty()) {
    return Status::InvalidArgument("bad_data_keys", origin + " needs an index key and at least one key", "");
  }
  return std::shared_ptr<const DataKeys::Ring>(std::move(ring));
}

DataKeys::~DataKeys() = default;

Result<std::unique_ptr<DataKeys>> DataKeys::FromText(std::string_view text, const std::string& origin) {
  auto ring = ParseRing(text, origin);
  if (!ring.ok()) return ring.status();
  std::unique_ptr<DataKeys> k(new DataKeys());
  k->ring_ = std::move(*ring);
  return k;
}

Result<std::unique_ptr<DataKeys>> DataKeys::Load(const std::string& path) {
  if (const char* env = std::getenv(kKeysEnvVar); env != nullptr && *env != '\0') {
    return FromText(env, std::string("$") + kKeysEnvVar);
  }
  if (::access(path.c_str(), F_OK) != 0) {
    const std::string text =
        "# OrderHub data keys: they seal personal data at rest. Keep a copy apart from the data\n"
        "# (without it, sealed data cannot be read) and never beside a backup of it.\n"
        "index " + FreshKeyHex() + "\nkey 1 " + FreshKeyHex() + "\n";
    OH_RETURN_IF_ERROR(WriteNew(path, text));
  }
  const int64_t mtime = MtimeOf(path);
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto k = FromText(*text, path);
  if (!k.ok()) return k.status();
  (*k)->path_ = path;
  (*k)->file_mtime_ = mtime;
  return k;
}

Result<uint32_t> DataKeys::Rotate(const std::string& path) {
  if (const char* env = std::getenv(kKeysEnvVar); env != nullptr && *env != '\0') {
    return Status::InvalidArgument("keys_from_environment",
                                   std::string("the data keys come from $") + kKeysEnvVar +
                                       ": add a line 'key <next id> <64 hex digits>' there instead",
                                   "");
  }
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto ring = ParseRing(*text, path);
  if (!ring.ok()) return ring.status();
  const uint32_t id = (*ring)->keys.back().first + 1;
  const std::string line = "key " + std::to_string(id) + " " + FreshKeyHex() + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) return Status::IOError("cannot open the data key file " + path + ": " + std::strerror(errno));
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::IOError("cannot append to the data key file " + path);
  return id;
}

std::shared_ptr<const DataKeys::Ring> DataKeys::ring() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!path_.empty()) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch()).count();
    if (now != checked_at_) {
      checked_at_ = now;
      if (const int64_t mtime = MtimeOf(path_); mtime != 0 && mtime != file_mtime_) {
        // A rotation (or an edit): take the new ring if it parses; a broken
        // file must not stop sealing with the keys already known.
        if (auto text = ReadFile(path_); text.ok()) {
          if (auto ring = ParseRing(*text, path_); ring.ok() && (*ring)->index == ring_->index) {
            ring_ = std::move(*ring);
            file_mtime_ = mtime;
          }
        }
      }
    }
  }
  return ring_;
}

uint32_t DataKeys::current_key_id() const { return ring()->keys.back().first; }

uint32_t DataKeys::KeyIdOf(std::string_view sealed) {
  if (sealed.size() < 4) return 0;
  uint32_t id;
  std::memcpy(&id, sealed.data(), 4);
  return id;
}

std::string DataKeys::Seal(std::string_view plaintext) const {
  const std::shared_ptr<const Ring> r = ring();
  const uint32_t id = r->keys.back().first;
  std::string out(kHeader + plaintext.size() + kTag, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  std::memcpy(p, &id, 4);
  nonces.Draw(p + 4, kNonce);
  EVP_CIPHER_CTX* ctx = ContextsFor(*r).seal;
  int n = 0;
  // The key stays; only the nonce is new.
  EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, p + 4);
  // The key id is authenticated too: a value cannot be relabelled.
  EVP_EncryptUpdate(ctx, nullptr, &n, p, 4);
  EVP_EncryptUpdate(ctx, p + kHeader, &n, reinterpret_cast<const unsigned char*>(plaintext.data()),
                    static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx, p + kHeader + n, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTag, p + kHeader + plaintext.size());
  return out;
}

Result<std::string> DataKeys::Open(std::string_view sealed) const {
  if (sealed.size() < kHeader + kTag) return Status::Corruption("a sealed value is too short");
  const uint32_t id = KeyIdOf(sealed);
  const std::shared_ptr<const Ring> r = ring();
  const Key* key = r->Find(id);
  if (key == nullptr) {
    return Status::NotFound("unknown_data_key", "personal data sealed with data key " + std::to_string(id) +
                                                    ", which the key ring does not hold", "");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  const size_t len = sealed.size() - kHeader - kTag;
  std::string out(len, '\0');
  // A restart opens every journaled create: the cipher is fetched once, not
  // looked up per call (see ThreadContexts).
  static EVP_CIPHER* const kAesGcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_DecryptInit_ex(ctx, kAesGcm, nullptr, key->data(), p + 4);
  EVP_DecryptUpdate(ctx, nullptr, &n, p, 4);
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n, p + kHeader, static_cast<int>(len));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTag, const_cast<unsigned char*>(p + kHeader + len));
  const bool ok = EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &n) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return Status::Corruption("a sealed value fails its authentication tag (altered, or a wrong key)");
  return out;
}

std::string DataKeys::DeriveKey(std::string_view label) const {
  const std::shared_ptr<const Ring> r = ring();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), r->index.data(), static_cast<int>(r->index.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

uint64_t DataKeys::IndexHash(std::string_view value) const {
  const std::shared_ptr<const Ring> r = ring();
  EVP_MAC_CTX* ctx = ContextsFor(*r).index;
  unsigned char md[EVP_MAX_MD_SIZE];
  size_t len = 0;
  // No key: HMAC starts over with the one it holds.
  EVP_MAC_init(ctx, nullptr, 0, nullptr);
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(value.data()), value.size());
  EVP_MAC_final(ctx, md, &len, sizeof md);
  uint64_t h;
  std::memcpy(&h, md, sizeof h);
  return h;
}

}  // namespace orderhub::crypto
