// The packs as a libgit2 object-database backend: objects read straight
// from the packs through the indexes strata has read (PackIds), and
// libgit2's pack backend, made only when they cannot answer, and opened
// again when packs were removed.
//
// Reads: a short command (`strata get`, `strata set`) reads a few trees and
// a commit. libgit2's pack backend lists every pack when it is made (a
// `stat` of each pack and of its `.keep`), and on a lookup opens and maps
// the index of each pack it searches, newest first, until one holds the
// object; the object store had already read the same indexes (PackIds), to
// tell which objects are stored. With ~25 packs (automatic gc allows 50),
// that was about 10 system calls a pack for each command. Here a read asks
// PackIds where the object is (its pack and offset), maps that pack, and
// inflates the entry itself, resolving a delta chain (OFS_DELTA in the same
// pack, REF_DELTA through PackIds); the object database hashes what it gets
// against the id, as for every backend. An object no index lists (a pack
// written by another process since the listing, before the next refresh)
// goes to libgit2's backend, as do prefixes, walks of every object
// (foreach), received packs (writepack) and freshen: the backend is made at
// the first such call.
//
// Removed packs: libgit2 1.5's pack backend adds the packs it finds at each
// refresh but never drops one that was removed: it keeps the pack's file
// descriptor, its index mapping and its windows, and searches its index on
// every miss. In a long-lived process (the library, `strata watch`), every
// pack written and later combined by automatic gc stayed: after 2,000
// one-field versions a process held 1,992 descriptors and 4,014 mappings of
// deleted files, the disk space of every removed pack was not freed until it
// exited, and its `strata gc` ran 2.3 times slower than the same gc in a new
// process. ReopenPacks drops libgit2's backend (a new one is made when
// needed, listing only the packs on disk now) and the packs mapped here;
// ObjectStore::RefreshPacks calls it when a pack was removed. The object
// database keeps the same backend, so the repository, and every caller that
// holds its database, see the change.
//
// Threads: reads may come from several threads at once. The direct path
// takes the PackIds mutex if it is free, and a read that finds it held goes
// to libgit2's backend, which has locks of its own. ReopenPacks must not run
// while another thread reads through the database.
#pragma once

#include <git2/sys/odb_backend.h>

#include <memory>
#include <mutex>
#include <string>

#include "objects/loose_object.h"
#include "objects/pack_ids.h"
#include "strata/status.h"

namespace strata {

// The object store's PackIds and the mutex that guards it, shared with the
// pack backend, which reads through it on whatever thread libgit2 is
// called. Never hold `mu` while calling into the backend.
struct SharedPackIds {
  explicit SharedPackIds(std::string pack_dir) : ids(std::move(pack_dir)) {}
  std::mutex mu;
  PackIds ids;
};

// A backend reading the packs in `objects_dir`/pack through `ids` (listing
// the folder for `ids`) and, when they cannot answer, libgit2's. The caller
// owns it until git_odb_add_backend succeeds; after that the object
// database frees it.
Result<git_odb_backend*> NewPackBackend(const std::string& objects_dir,
                                        std::shared_ptr<SharedPackIds> ids);
// Reads `id` straight from the packs into `out`, as the backend's own reads
// do first, without handing it to libgit2 (which copies it into an object
// of its own, and the store copied it again): true if read; false where the
// backend would not answer itself (no index lists `id`, another thread is
// reading, a damaged entry: the object database's read says what is wrong).
bool ReadPackedObject(git_odb_backend* backend, const ObjectId& id, RawObject& out);
// Drops libgit2's backend, if made, and every pack mapped for direct reads;
// the next call that needs them lists the folder again.
Status ReopenPacks(git_odb_backend* backend);

}  // namespace strata
