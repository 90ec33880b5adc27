// Three-way structural merge of JSON values (docs/merge.md).
//
// Given a common ancestor `base` and two descendants `ours` and `theirs`,
// MergeValues combines the changes each side made to `base`:
// - Objects merge member by member, recursively. A member changed on one side
//   takes that side; changed identically on both sides is fine; changed
//   differently on both sides is a conflict at that member's pointer.
//   Deleted on one side and unchanged on the other is deleted; deleted on one
//   side and changed on the other is a conflict.
// - Arrays and scalars are atomic: changed on one side takes that side, both
//   changed differently is a conflict at the array or scalar, unless a merge
//   policy (merge/policy.h) decides it: ours, theirs, latest, max, min, or
//   union and by-key, which merge arrays element by element. Arrays are not
//   merged by index, because an insertion on one side shifts every later index
//   and an index-wise merge would then silently pair unrelated elements.
// - Values compare as JSON (Equal): 1 == 1.0, member order is ignored.
//
// A state is a JSON object {document id: document}, so the same call merges
// whole states document by document.
//
// Any of the three values may be absent (nullptr): a document that does not
// exist on that side. The merge is iterative and never recurses on the
// value's depth, so values nested as deep as the parser allows are safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/json.h"
#include "strata/json_pointer.h"
#include "strata/merge_policy.h"
#include "strata/status.h"

namespace strata {

// Which side wins where both sides changed the same value differently.
// (Like git's `-X ours`/`-X theirs`, not `-s ours`: changes that do not
// conflict are still taken from both sides.)
enum class MergeStrategy {
  kNormal,  // report the conflict; the merged value keeps ours there
  kOurs,    // resolve silently with ours
  kTheirs,  // resolve silently with theirs
};

// "normal", "ours", "theirs".
std::string_view MergeStrategyName(MergeStrategy strategy);
// Parses a name above; InvalidArgument names the unknown strategy.
Result<MergeStrategy> ParseMergeStrategy(std::string_view name);

struct MergeOptions {
  // Resolves whatever conflicts remain after the policies (--strategy).
  MergeStrategy strategy = MergeStrategy::kNormal;
  const MergePolicies* policies = nullptr;  // the `.merge` policies in force; nullptr: none
  // The document merged; policies match its id. Empty: the values merged are
  // whole states {document id: document}, so the first token of a pointer is
  // the document id and the rest is matched against the policies' paths.
  std::string doc;
  bool theirs_newer = false;  // for "latest": theirs' version is the newer one
};

// How the two sides disagree.
enum class ConflictKind {
  kBothModified,   // present in all three; ours and theirs changed it differently
  kBothAdded,      // absent in base; ours and theirs added different values
  kDeletedByUs,    // ours deleted it; theirs changed it
  kDeletedByThem,  // ours changed it; theirs deleted it
};

// "both modified", "both added", "deleted by us", "deleted by them".
std::string_view ConflictKindName(ConflictKind kind);

struct Conflict {
  JsonPointer path;  // where the sides disagree; "" is the whole value
  ConflictKind kind = ConflictKind::kBothModified;
  // The three values at `path`; nullopt where absent.
  std::optional<json::value> base, ours, theirs;
  std::string reason;  // one line for people, e.g. "changed differently on both sides"
};

struct MergeResult {
  // The merged value; nullopt if it is absent (e.g. deleted on one side and
  // unchanged on the other). Where a conflict was reported, it holds ours,
  // except for a by-key element that ours deleted and theirs edited: it holds
  // theirs' element there, so that the conflict's pointer names it.
  std::optional<json::value> merged;
  // Unresolved conflicts (strategy kNormal only), sorted by path. Empty means
  // `merged` is the clean result of the merge.
  std::vector<Conflict> conflicts;
};

// Merges `ours` and `theirs` against their common ancestor `base`; nullptr
// means absent. The inputs are not modified and need not outlive the call;
// the result owns copies. Conflicts are not errors: they are reported in the
// result. InvalidArgument if `options.strategy` is not a known strategy.
Result<MergeResult> MergeValues(const json::value* base, const json::value* ours,
                                const json::value* theirs, const MergeOptions& options = {});

// The same, with all three present; `merged` then always has a value.
Result<MergeResult> MergeValues(const json::value& base, const json::value& ours,
                                const json::value& theirs, const MergeOptions& options = {});

}  // namespace strata
