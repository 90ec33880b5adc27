// Loose objects, read without libgit2.
//
//   objects/XX/YYYY... := zlib(type SP decimal-size NUL content)
//
// libgit2 1.5 loops forever inflating a truncated loose object
// (libgit2/libgit2#7342), so strata reads loose objects itself: a damaged
// file is a Corruption error naming it, never a hang. libgit2 reads loose
// objects through this too (objects/loose_backend.h); packed objects are
// read by libgit2.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "objects/git.h"
#include "strata/status.h"

namespace strata {

struct RawObject {
  git_object_t type = GIT_OBJECT_INVALID;
  std::string data;
};

// Inflates and parses the bytes of a loose object file; `name` names it in
// errors. Corruption says what is wrong with it.
Result<RawObject> ParseLooseObject(std::string_view compressed, const std::string& name);

// Inflates and parses one loose object file (its hash is not checked).
// Corruption says what is wrong with it.
Result<RawObject> InflateLooseObject(const std::filesystem::path& file);

// The loose object `id` under `objects_dir`, or nullopt if there is no loose
// file for it (it may be packed, or absent).
Result<std::optional<RawObject>> ReadLooseObject(const std::string& objects_dir,
                                                 const ObjectId& id);

}  // namespace strata
