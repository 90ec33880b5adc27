// A libgit2 object-database backend for loose objects, read by strata.
//
//   objects/XX/YYYY... := zlib(type SP decimal-size NUL content)   (objects/loose_object.h)
//
// libgit2 1.5 loops forever inflating a truncated loose object
// (libgit2/libgit2#7342), and it reads commits itself (git_commit_lookup,
// git_revparse_single, git_revwalk). So no repository strata opens keeps
// libgit2's loose backend: ObjectStore::Open gives it an object database of
//
//   priority 1000  the staging backend   objects staged by ObjectStore (stage_backend.h)
//   priority 2     libgit2's pack backend
//   priority 1     this backend          loose objects, inflated by ReadLooseObject
//
// and every read libgit2 makes of a loose object comes here. An absent object
// is GIT_ENOTFOUND (the next backend is asked); a damaged one is GIT_ERROR
// with a message that names the object and its file, and GitError turns it
// into Corruption.
//
// The backend has no write: the staging backend above it takes every write
// made through the database, and ObjectStore::Flush writes loose files with
// libgit2's loose backend, whose write path never inflates. Alternates
// (objects/info/alternates) are not read.
#pragma once

#include <git2/sys/odb_backend.h>

#include <string>

#include "objects/git.h"
#include "strata/status.h"

namespace strata {

// A new loose-object backend over `objects_dir` (a repository's "objects"
// folder). The caller owns it until git_odb_add_backend succeeds; after that
// the object database frees it.
Result<git_odb_backend*> NewLooseBackend(const std::string& objects_dir);

}  // namespace strata
