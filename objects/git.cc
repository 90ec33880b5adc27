#include "objects/git.h"

#include <mutex>

#include "strata/strata.h"

namespace strata {

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    // libgit2 does not fsync unless asked; objects are synced before the ref
    // that names them is written, because libgit2 writes them first.
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
    // Hashing every object on every read costs a quarter of a diff; like git,
    // strata checks hashes when asked (strata verify), not on every read.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    // libgit2 caches only trees of up to 4 KiB by default, so every lookup
    // through a shard tree (hundreds of entries, tens of KiB) inflated it
    // again: a third of reading many documents from one snapshot. Trees are
    // immutable, so cache them up to 1 MiB each (the cache as a whole stays
    // bounded by libgit2's 256 MiB).
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, std::size_t{1} << 20);
  });
}

namespace {
// The message of the last SetGitCorruptionError on this thread (libgit2's
// last error is per thread too).
thread_local std::string last_corruption;
}  // namespace

int SetGitCorruptionError(const std::string& message) {
  last_corruption = message;
  git_error_set_str(GIT_ERROR_ODB, message.c_str());
  return GIT_ERROR;
}

Status GitError(int code, std::string_view what) {
  const git_error* e = git_error_last();
  std::string message(what);
  if (e && e->message) {
    message += ": ";
    message += e->message;
    if (e->klass == GIT_ERROR_ODB && !last_corruption.empty() && last_corruption == e->message) {
      return Status::Corruption(message);
    }
  }
  if (code == GIT_ENOTFOUND) return Status::NotFound(message);
  if (code == GIT_EAMBIGUOUS || code == GIT_EINVALIDSPEC || code == GIT_EINVALID) {
    return Status::InvalidArgument(message);
  }
  if (code == GIT_EMODIFIED || code == GIT_ELOCKED || code == GIT_EEXISTS) {
    return Status::Conflict(message);
  }
  return Status::IOError(message);
}

}  // namespace strata

namespace strata {

const char* LibraryVersion() noexcept { return STRATA_LIBRARY_VERSION; }

const char* Libgit2Version() noexcept { return LIBGIT2_VERSION; }

}  // namespace strata
