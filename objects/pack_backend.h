// The packs as a libgit2 object-database backend that can be opened again.
//
// libgit2 1.5's pack backend adds the packs it finds at each refresh but
// never drops one that was removed: it keeps the pack's file descriptor, its
// index mapping and its windows, and searches its index on every miss. In a
// long-lived process (the library, `strata watch`), every pack written and
// later combined by automatic gc stayed: after 2,000 one-field versions a
// process held 1,992 descriptors and 4,014 mappings of deleted files, the
// disk space of every removed pack was not freed until it exited, and its
// `strata gc` ran 2.3 times slower than the same gc in a new process.
//
// This backend forwards every call to libgit2's pack backend, and
// ReopenPacks replaces that backend with a new one that lists only the packs
// on disk now (ObjectStore::RefreshPacks calls it when a pack was removed).
// The object database keeps the same backend, so the repository, and every
// caller that holds its database, see the change.
//
// Not thread-safe, like the object store that owns it: ReopenPacks must not
// run while another thread reads through the database.
#pragma once

#include <git2/sys/odb_backend.h>

#include <string>

#include "strata/status.h"

namespace strata {

// A backend reading the packs in `objects_dir`/pack. The caller owns it
// until git_odb_add_backend succeeds; after that the object database frees
// it.
Result<git_odb_backend*> NewPackBackend(const std::string& objects_dir);
// Drops every pack `backend` (one NewPackBackend made) holds and lists the
// folder again. On an error the backend keeps the packs it had.
Status ReopenPacks(git_odb_backend* backend);

}  // namespace strata
