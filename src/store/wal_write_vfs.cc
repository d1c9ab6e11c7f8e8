#include "store/wal_write_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <new>
#include <string>

namespace orderhub::store {
namespace {

// SQLite's WAL format (wal.c): a frame is a 24-byte header, whose bytes 4..7
// hold the database size in pages on a commit frame and zero on any other,
// followed by the page.
constexpr int kFrameHeaderBytes = 24;
// The unix VFS writes at most 128 KiB - 1 per call (it masks the length
// with 0x1ffff): what is held goes out in pieces of this size. Past it,
// frames are written even before the commit: a transaction that large gains
// nothing more from gathering.
constexpr size_t kWriteLimit = size_t{120} << 10;

sqlite3_vfs* base_vfs = nullptr;

struct File {
  sqlite3_file base;  // its pMethods is one of ours
  sqlite3_file* real;
  bool is_wal;
  // A WAL file's frames not yet written, which start at `held_at` in it.
  std::string held;
  sqlite3_int64 held_at;
  bool in_commit_frame;  // the last frame header written was a commit frame's
};

File* Of(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Of(f)->real; }

int Release(File* f) {
  int rc = SQLITE_OK;
  for (size_t at = 0; at < f->held.size() && rc == SQLITE_OK; at += kWriteLimit) {
    const size_t n = std::min(kWriteLimit, f->held.size() - at);
    rc = f->real->pMethods->xWrite(f->real, f->held.data() + at, static_cast<int>(n),
                                   f->held_at + static_cast<sqlite3_int64>(at));
  }
  f->held.clear();
  return rc;
}

// Every method but xWrite: a WAL file first writes what it holds, so that
// no read, size, sync or truncate sees the file without it.
#define OH_RELEASE_FIRST(file)                   \
  if (Of(file)->is_wal) {                        \
    if (int rc = Release(Of(file)); rc != SQLITE_OK) return rc; \
  }

int Close(sqlite3_file* file) {
  File* f = Of(file);
  const int released = f->is_wal ? Release(f) : SQLITE_OK;
  const int rc = f->real->pMethods->xClose(f->real);
  f->held.~basic_string();
  return released != SQLITE_OK ? released : rc;
}

int Read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  OH_RELEASE_FIRST(file);
  return Real(file)->pMethods->xRead(Real(file), out, amount, offset);
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = Of(file);
  if (!f->is_wal) return f->real->pMethods->xWrite(f->real, data, amount, offset);
  if (!f->held.empty() && offset != f->held_at + static_cast<sqlite3_int64>(f->held.size())) {
    if (int rc = Release(f); rc != SQLITE_OK) return rc;
  }
  if (f->held.empty()) f->held_at = offset;
  f->held.append(static_cast<const char*>(data), static_cast<size_t>(amount));
  if (amount == kFrameHeaderBytes) {
    const auto* h = static_cast<const unsigned char*>(data);
    f->in_commit_frame = (h[4] | h[5] | h[6] | h[7]) != 0;
    return SQLITE_OK;
  }
  // The commit frame's page (in one write or several): out now, before
  // SQLite makes the commit visible.
  if (f->in_commit_frame || f->held.size() >= kWriteLimit) return Release(f);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  OH_RELEASE_FIRST(file);
  return Real(file)->pMethods->xTruncate(Real(file), size);
}

int Sync(sqlite3_file* file, int flags) {
  OH_RELEASE_FIRST(file);
  return Real(file)->pMethods->xSync(Real(file), flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  OH_RELEASE_FIRST(file);
  return Real(file)->pMethods->xFileSize(Real(file), size);
}

int Lock(sqlite3_file* file, int level) {
  OH_RELEASE_FIRST(file);
  return Real(file)->pMethods->xLock(Real(file), level);
}

int Unlock(sqlite3_file* file, int level) {
  OH_RELEASE_FIRST(file);
  return Real(file)->pMethods->xUnlock(Real(file), level);
}

int CheckReservedLock(sqlite3_file* file, int* out) {
  OH_RELEASE_FIRST(file);
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  OH_RELEASE_FIRST(file);
  return Real(file)->pMethods->xFileControl(Real(file), op, arg);
}

int SectorSize(sqlite3_file* file) { return Real(file)->pMethods->xSectorSize(Real(file)); }

int DeviceCharacteristics(sqlite3_file* file) {
  return Real(file)->pMethods->xDeviceCharacteristics(Real(file));
}

// The shared-memory and memory-map methods exist from versions 2 and 3 of
// the real file's methods; without them SQLite is told what it would be told
// by such a file.
int ShmMap(sqlite3_file* file, int page, int page_bytes, int extend, void volatile** out) {
  const sqlite3_io_methods* m = Real(file)->pMethods;
  if (m->iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return m->xShmMap(Real(file), page, page_bytes, extend, out);
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  const sqlite3_io_methods* m = Real(file)->pMethods;
  if (m->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
  return m->xShmLock(Real(file), offset, n, flags);
}

void ShmBarrier(sqlite3_file* file) {
  const sqlite3_io_methods* m = Real(file)->pMethods;
  if (m->iVersion >= 2) m->xShmBarrier(Real(file));
}

int ShmUnmap(sqlite3_file* file, int delete_flag) {
  const sqlite3_io_methods* m = Real(file)->pMethods;
  if (m->iVersion < 2) return SQLITE_OK;
  return m->xShmUnmap(Real(file), delete_flag);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  OH_RELEASE_FIRST(file);
  const sqlite3_io_methods* m = Real(file)->pMethods;
  if (m->iVersion < 3) {
    *out = nullptr;
    return SQLITE_OK;
  }
  return m->xFetch(Real(file), offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  const sqlite3_io_methods* m = Real(file)->pMethods;
  if (m->iVersion < 3) return SQLITE_OK;
  return m->xUnfetch(Real(file), offset, p);
}

const sqlite3_io_methods kMethods = {
    3,        Close,      Read,   Write,   Truncate,   Sync,  FileSize, Lock,   Unlock, CheckReservedLock,
    FileControl, SectorSize, DeviceCharacteristics, ShmMap, ShmLock, ShmBarrier, ShmUnmap, Fetch, Unfetch};

// The real file sits in the same allocation, after ours, 8-aligned.
constexpr int kRealAt = (sizeof(File) + 7) / 8 * 8;

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = Of(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealAt);
  const int rc = base_vfs->xOpen(base_vfs, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite closes a file whose methods are set, even after a failed open.
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    return rc;
  }
  f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  new (&f->held) std::string();
  f->held_at = 0;
  f->in_commit_frame = false;
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

sqlite3_vfs* Register() {
  base_vfs = sqlite3_vfs_find(nullptr);
  if (base_vfs == nullptr) return nullptr;
  static sqlite3_vfs vfs;
  // Everything but opening a file is the base VFS's own: its functions take
  // the VFS they are called through only for fields copied here.
  vfs = *base_vfs;
  vfs.iVersion = base_vfs->iVersion;
  vfs.szOsFile = kRealAt + base_vfs->szOsFile;
  vfs.pNext = nullptr;
  vfs.zName = "orderhub-wal-write";
  vfs.xOpen = Open;
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return &vfs;
}

}  // namespace

const char* WalWriteVfs() {
  static sqlite3_vfs* const vfs = Register();
  return vfs == nullptr ? nullptr : vfs->zName;
}

}  // namespace orderhub::store
