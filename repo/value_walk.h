// Finding one value in stored states by its path, and telling whether it
// changed between two states, by comparing object ids along the path: the
// shared core of log --doc/--path, history and blame.
//
// A value is reached from the state tree by its document id, then by its
// pointer's tokens, one object node at a time (objects/tree_codec.h). Equal
// ids at any level mean equal values below it (content addressing), so a
// comparison stops there without reading further. Only a value stored inside
// a blob (a small object or an array) is decoded, and only that blob.
// Internal to repo/.
#pragma once

#include <optional>
#include <string>

#include "objects/tree_codec.h"
#include "strata/json_patch.h"
#include "strata/json_pointer.h"
#include "strata/snapshot.h"

namespace strata {

// A value found (or not) in a stored state.
struct Located {
  bool present = false;
  std::optional<ValueRef> ref;  // while the path runs through stored objects
  json::value value;            // present and no ref: decoded from the blob above it
};

// The document `doc` in `state` (nullopt: the empty state), then the value
// at `pointer` in it.
Result<Located> Locate(ObjectStore& store, const std::optional<ObjectId>& state,
                       const std::string& doc, const JsonPointer& pointer = JsonPointer());
// Moves `at` to its member or element `token` (absent if there is none).
Status Descend(ObjectStore& store, Located& at, const std::string& token);
// Whether two values found at the same path differ. Stored values compare
// by id; a decoded one compares by canonical JSON.
Result<bool> Differs(ObjectStore& store, const Located& a, const Located& b);
// Whether the value at `doc`/`pointer` differs between states `a` and `b`.
// Walks both paths together and stops at the first level where the ids are
// equal (unchanged) or one side is absent.
Result<bool> ValueChanged(ObjectStore& store, const std::optional<ObjectId>& a,
                          const std::optional<ObjectId>& b, const std::string& doc,
                          const JsonPointer& pointer);
// The value itself. NotFound if absent.
Result<json::value> DecodeLocated(ObjectStore& store, const Located& at);
// Appends the patch from `a` to `b` (paths start with `base`): skips equal
// subtrees when both are stored.
Status DiffLocated(ObjectStore& store, const Located& a, const Located& b, const JsonPointer& base,
                   Patch& out);
// The change from `before` to `after`, both found at `doc`/`pointer`, as
// Changes with old values (paths in op start with the document id).
Result<std::vector<Change>> ChangesAt(ObjectStore& store, const Located& before,
                                      const Located& after, const std::string& doc,
                                      const JsonPointer& pointer);

}  // namespace strata
