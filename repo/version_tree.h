// How a version is laid out in its git commit.
//
//   commit    := tree root, parents (first parent: the version it was written on),
//                author = committer, message (strata/version.h: labels as trailers)
//   root      := tree { "delta.zst": blob, "meta": tree, "state": tree }
//   state     := the state, encoded by objects/tree_codec.h
//   meta      := {document id: {"versions": n, "created": {"at": t, "by": s},
//                               "updated": {"at": t, "by": s}}}, same codec
//   delta.zst := objects/delta_codec.h, from the first parent's state (or {})
//
// docs/format.md describes the same layout for people.
#pragma once

#include <optional>

#include "objects/git.h"
#include "objects/object_store.h"
#include "strata/version.h"

namespace strata {

class PackReader;

inline constexpr const char* kStateEntry = "state";
inline constexpr const char* kMetaEntry = "meta";
inline constexpr const char* kDeltaEntry = "delta.zst";

// The ids a version's root tree names.
struct VersionTrees {
  ObjectId state;
  std::optional<ObjectId> meta;   // absent in a version with no documents' metadata
  std::optional<ObjectId> delta;  // absent only in foreign commits (Corruption when read)
};

// Reads `commit`'s root tree with strata's object reader. Corruption if it
// has no state tree.
// `reader`, when given, reads the root tree first (objects/pack_reader.h).
Result<VersionTrees> ReadVersionTrees(ObjectStore& store, const git_commit* commit,
                                      PackReader* reader = nullptr);

// The commit's metadata as a VersionInfo; `state` is its state tree.
VersionInfo DescribeCommit(const git_commit* commit, const ObjectId& state);

// A git signature for `who` at `time`, with the local zone's offset (TZ) at
// that time, as git records it. InvalidArgument names an unusable signature
// by its `role` ("author", "tagger").
Result<SignaturePtr> GitSignature(const Signature& who, std::int64_t time, const char* role);

// 40 hex digits.
inline std::string OidHex(const git_oid* oid) { return FromGit(*oid).Hex(); }

}  // namespace strata
