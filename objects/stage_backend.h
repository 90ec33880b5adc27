// The staging area: objects ObjectStore has written but not yet packed, kept
// in memory as a libgit2 object-database backend (git2/sys/odb_backend.h) so
// that libgit2 reads them back like any other object (priority 1000, above
// the packs and loose objects: objects/loose_backend.h).
//
// It replaces libgit2's mempack, whose reset walks every slot its hash table
// ever grew to: after one large import, every later write in the process
// paid for the import's size. ResetStage releases a large table instead.
//
// Reads copy the object into a buffer libgit2 frees; write stores a copy.
// Not thread-safe, like the object store that owns it.
#pragma once

#include <git2/sys/odb_backend.h>

#include <cstddef>
#include <string>

#include "objects/git.h"
#include "strata/status.h"

namespace strata {

// A new, empty staging backend. The caller owns it until git_odb_add_backend
// succeeds; after that the object database frees it.
Result<git_odb_backend*> NewStageBackend();
// Stages object `id` (its bytes `data`, moved in, not copied: an import's
// delta is tens of MB); the staged bytes. Throws std::bad_alloc (the
// caller's Guarded reports it).
const std::string& StageObject(git_odb_backend* stage, const ObjectId& id, std::string&& data,
                               git_object_t type);
// Forgets every object staged in `stage` (one NewStageBackend made).
void ResetStage(git_odb_backend* stage);
// Staged object `id`'s bytes (nullptr if it is not staged) and, through
// `type`, its type; valid until it is reset.
const std::string* StagedData(git_odb_backend* stage, const ObjectId& id, git_object_t* type);
// How many objects `stage` holds, and how many slots its table has now.
std::size_t StagedObjects(git_odb_backend* stage);
std::size_t StageSlots(git_odb_backend* stage);

}  // namespace strata
