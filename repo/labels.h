// Labels added later: git notes on refs/notes/strata-labels, read for the
// repository's own use (Read, Log). The public calls are in repository.h.
//
//   note := ( "Label: " LABEL "\n" )*      one line per label, in the order added
//
// so `git notes --ref strata-labels show REV` and `git log
// --notes=strata-labels` are readable as they are.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "objects/git.h"
#include "objects/object_store.h"
#include "strata/status.h"

namespace strata {

inline constexpr const char* kLabelsNotesRef = "refs/notes/strata-labels";

// `git_dir` opened again with libgit2's own object database, for the few
// objects libgit2 composes itself (notes commits and their trees, tag
// objects): they go straight to disk as loose objects, fsynced
// (EnsureLibgit2), before the ref that names them moves. The repository's
// own database stages objects in memory for ObjectStore::Flush, which only
// writes objects staged through the ObjectStore.
Result<RepositoryPtr> OpenDirectWriter(const std::string& git_dir);

// The labels a note lists (lines that are not "Label: VALID-LABEL" are skipped).
std::vector<std::string> ParseLabelNote(std::string_view text);
// The note for `labels`.
std::string ComposeLabelNote(const std::vector<std::string>& labels);

// The added labels of one version; empty when it has none.
Result<std::vector<std::string>> ReadAddedLabels(git_repository* repo, const git_oid& commit);

// Every version's added labels, from one read of the notes tree: for
// describing many versions (Log) with one lookup each.
class AddedLabelIndex {
 public:
  static Result<AddedLabelIndex> Load(git_repository* repo);
  Result<std::vector<std::string>> Of(ObjectStore& store, const git_oid& commit) const;
  // Whether `commit` has a note (which may list no label), without reading it.
  bool Has(const ObjectId& commit) const { return notes_.count(commit) > 0; }

 private:
  std::map<ObjectId, ObjectId> notes_;  // annotated commit -> note blob
};

}  // namespace strata
