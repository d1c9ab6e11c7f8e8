#include "app/snapshot_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>

namespace orderhub::app {
namespace {

constexpr char kMagic[8] = {'O', 'H', 'S', 'N', 'A', 'P', '0', '9'};  // the last two: format version
// Magic, seq, record crc, 4 zero bytes: the engine bytes start 8-aligned, so
// loaded orders can borrow their blocks from the mapping.
constexpr size_t kHeader = sizeof kMagic + sizeof(int64_t) + 2 * sizeof(uint32_t);

// zlib's crc32 takes a uInt length: feed it in pieces.
uint32_t Crc(uint32_t crc, std::string_view s) {
  while (!s.empty()) {
    const size_t n = std::min<size_t>(s.size(), 1u << 30);
    crc = static_cast<uint32_t>(crc32(crc, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(n)));
    s.remove_prefix(n);
  }
  return crc;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status WriteSnapshotFile(const std::string& path, const engine::Engine& e, store::JournalPosition after) {
  // Per process: a snapshot child that outlived a killed hub may still be
  // writing when the next hub writes its own; each renames a whole file.
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Errno("cannot create", tmp);
  uint32_t crc = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
  bool ok = true;
  auto put = [&](std::string_view s) {
    crc = Crc(crc, s);
    ok = ok && std::fwrite(s.data(), 1, s.size(), f) == s.size();
  };
  put(std::string_view(kMagic, sizeof kMagic));
  put(std::string_view(reinterpret_cast<const char*>(&after.seq), sizeof after.seq));
  put(std::string_view(reinterpret_cast<const char*>(&after.crc), sizeof after.crc));
  put(std::string_view("\0\0\0\0", 4));
  e.Save(put);
  const uint32_t total = crc;
  ok = ok && std::fwrite(&total, sizeof total, 1, f) == 1;
  ok = ok && std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    const Status st = Errno("cannot write", tmp);
    std::remove(tmp.c_str());
    return st;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename to", path);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (int d = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY); d >= 0) {
    fsync(d);
    close(d);
  }
  return Status::OK();
}

int RemoveStaleSnapshotTemps(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string prefix = p.filename().string() + ".tmp.";
  std::error_code ec;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(p.parent_path().empty() ? "." : p.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (end == name.c_str() + prefix.size() || *end != '\0' || pid <= 0) continue;
    // ESRCH: no such process. EPERM means it lives (another user's): keep.
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    if (std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

Result<store::JournalPosition> ReadSnapshotFile(const std::string& path, engine::Engine* e) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no_snapshot", "no snapshot at " + path);
    return Errno("cannot open", path);
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    close(fd);
    return Errno("cannot stat", path);
  }
  const auto size = static_cast<size_t>(sb.st_size);
  if (size < kHeader + sizeof(uint32_t)) {
    close(fd);
    return Status::Corruption(path + ": too short to be a snapshot");
  }
  // Mapped, not read: the file can be gigabytes, and the loaded orders keep
  // pointing into the mapping (shared, read-only: page cache, no copies). The
  // file may be replaced by the next snapshot meanwhile; the mapping keeps
  // the old one alive.
  void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return Errno("cannot map", path);
  std::shared_ptr<const void> backing(map, [size](const void* p) { munmap(const_cast<void*>(p), size); });
  const std::string_view all(static_cast<const char*>(map), size);
  if (all.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    if (all.substr(0, 6) == std::string_view(kMagic, 6) && all.size() >= sizeof kMagic) {
      return Status::Corruption(path + ": snapshot format " + std::string(all.substr(6, 2)) + ", this build reads " +
                                std::string(kMagic + 6, 2));
    }
    return Status::Corruption(path + ": not an OrderHub snapshot");
  }
  uint32_t want;
  std::memcpy(&want, all.data() + size - sizeof want, sizeof want);
  // The checksum runs on the other core while the engine loads; the load
  // checks structure as it goes, and a mismatch discards the loaded engine.
  auto crc = std::async(std::launch::async, [&] {
    return Crc(static_cast<uint32_t>(crc32(0L, Z_NULL, 0)), all.substr(0, size - sizeof want));
  });
  store::JournalPosition p;
  std::memcpy(&p.seq, all.data() + sizeof kMagic, sizeof p.seq);
  std::memcpy(&p.crc, all.data() + sizeof kMagic + sizeof p.seq, sizeof p.crc);
  const Status loaded = e->Load(all.substr(kHeader, size - kHeader - sizeof want), backing);
  if (crc.get() != want) return Status::Corruption(path + ": checksum mismatch");
  OH_RETURN_IF_ERROR(loaded);
  return p;
}

}  // namespace orderhub::app
