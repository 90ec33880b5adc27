// Per-document metadata, kept in every version's "meta" tree
// (repo/version_tree.h) so that no history walk is needed to answer "how
// many versions, created when and by whom, updated when and by whom".
//
//   meta := {document id: {"versions": n, "created": {"at": t, "by": s},
//                          "updated": {"at": t, "by": s}}}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "objects/tree_codec.h"
#include "strata/json_patch.h"
#include "strata/snapshot.h"

namespace strata {

// The documents a delta touches (its pointers' first tokens), sorted.
std::vector<std::string> TouchedDocuments(const Patch& delta);

// The meta tree `base` (nullopt: none) updated for a version whose delta is
// `delta`, written by `author` at `time`: touched documents count one more
// version, new ones are created, removed ones are dropped. Stages the new
// tree and returns its id.
Result<ObjectId> UpdateDocumentMeta(ObjectStore& store, const std::optional<ObjectId>& base,
                                    const Patch& delta, const std::string& author,
                                    std::int64_t time);
// The same, given TouchedDocuments(delta).
Result<ObjectId> UpdateDocumentMeta(ObjectStore& store, const std::optional<ObjectId>& base,
                                    const Patch& delta, const std::vector<std::string>& touched,
                                    const std::string& author, std::int64_t time);

// The metadata of `doc` in meta tree `meta`; an entry with only the id when
// there is none (versions written by other tools).
Result<DocumentInfo> ReadDocumentInfo(ObjectStore& store, const std::optional<ObjectId>& meta,
                                      const std::string& doc);

}  // namespace strata
