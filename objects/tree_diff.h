// Structural diff of two stored states (or object nodes) into RFC 6902.
//
// Walks both trees together and skips every pair of subtrees (shard buckets
// or members) with equal ids, so its cost grows with the size of the change,
// not of the state. Members that differ are decoded and compared with
// DiffValues. libgit2's git_diff_tree_to_tree is not used: it expands every
// tree.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "objects/tree_codec.h"
#include "strata/json_patch.h"

namespace strata {

// Appends to `out` the patch from state `a` to state `b` (nullopt: empty).
// Operations come sorted by document id, then by path.
Status DiffStates(ObjectStore& store, const std::optional<ObjectId>& a,
                  const std::optional<ObjectId>& b, Patch& out);

// One operation of a diff, with the value it replaces or removes.
struct DiffEntry {
  PatchOp op;
  std::optional<json::value> old_value;  // for replace and remove
};

// The same diff, with old values: the walk has both sides decoded where
// they differ, so they are kept as it goes, in the same pass. Each old value
// is the value at op.path in `a` (the diff never moves a path before a later
// operation reads it).
Status DiffStates(ObjectStore& store, const std::optional<ObjectId>& a,
                  const std::optional<ObjectId>& b, std::vector<DiffEntry>& out);

// One member (a document, in a state) whose stored value differs between
// two object nodes; nullopt on the side where it is absent.
struct MemberDiff {
  std::string key;
  std::optional<ValueRef> a;
  std::optional<ValueRef> b;
};

// Appends to `out` the members whose ids differ between object nodes `a`
// and `b` (nullopt: empty), sorted by key, decoding nothing: the walk skips
// every shard bucket the two share, so its cost grows with the change.
Status ChangedMembers(ObjectStore& store, const std::optional<ObjectId>& a,
                      const std::optional<ObjectId>& b, std::vector<MemberDiff>& out);

// The patch between two stored values at `base`.
Status DiffStoredValues(ObjectStore& store, const ValueRef& a, const ValueRef& b,
                        const JsonPointer& base, Patch& out);

// Diffs a writer already has: the state editor held each document it
// edited in place both as read and as edited, so it diffs the two in
// memory (DiffValues) as it stores the new value. A write's delta takes a
// document's operations from here when both stored ids match the hint's,
// instead of reading and parsing both values back (DiffStoredValues gives
// the same operations: the values are those ids' contents).
struct DiffHint {
  ValueRef a, b;
  Patch ops;  // at /DOC
};
struct DiffHints {
  std::unordered_map<std::string, DiffHint> docs;  // by document id
};

}  // namespace strata
