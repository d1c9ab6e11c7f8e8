// A SQLite VFS that is the platform's default one, except that each WAL file
// gathers the frames of a transaction and writes them with one system call.
//
// SQLite writes a commit to the WAL as two writes per page (the 24-byte frame
// header, then the page), about twenty system calls for a batch of orders;
// on the virtual machines BENCHMARKS.md names a system call costs microseconds.
// Frames are held in memory until the commit frame's page arrives, and written
// then, before SQLite publishes the commit to other connections (which it
// does only after writing its frames), so readers never see a frame that is
// not in the file. Any other operation on the WAL file (a read, a size, a
// sync, a truncate, a close) first writes what is held. Until the commit
// frame no other connection may read those frames, and a crash before it
// loses only a transaction that never committed: nothing a caller was told.
#pragma once

namespace orderhub::store {

// The VFS's name for sqlite3_open_v2; registered (not as the default) on the
// first call. Null when SQLite has no default VFS to wrap.
const char* WalWriteVfs();

}  // namespace orderhub::store
