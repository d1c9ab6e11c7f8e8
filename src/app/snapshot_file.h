// Snapshot files: the engine after journal record N, so that a restart loads
// it and replays only what came after (engine/snapshot.cc has the contents).
//
//   "OHSNAP09" | u64 seq | u32 crc of record seq | u32 0 | engine bytes | u32 crc32 of all before
//
// The journal stays the truth: a snapshot that is missing, damaged, written
// under other lifecycles, or names a record the journal does not hold is set
// aside and the journal is replayed from the start.
#pragma once

#include <string>

#include "base/status.h"
#include "engine/engine.h"
#include "store/store.h"

namespace orderhub::app {

// Writes atomically: a temporary file (named after the process), fsync,
// rename, fsync of the directory.
Status WriteSnapshotFile(const std::string& path, const engine::Engine& e, store::JournalPosition after);
// Loads into a fresh engine and says which record it follows. NotFound when
// there is no file; any other error leaves `e` unusable.
Result<store::JournalPosition> ReadSnapshotFile(const std::string& path, engine::Engine* e);
// Deletes the temporary files of writers that are gone (a hub or a snapshot
// child killed mid-write leaves `path`.tmp.<pid>); those of live processes
// stay. Returns how many it deleted.
int RemoveStaleSnapshotTemps(const std::string& path);

}  // namespace orderhub::app
