// Merge policies: how values changed on both sides merge, chosen by document
// and pointer (the `.merge` settings document; docs/merge.md).
//
//   {"policies": [
//     {"doc": "config/*", "path": "/replicas", "strategy": "max"},
//     {"doc": "svc/**", "path": "/endpoints", "strategy": "by-key", "key": "id"},
//     {"doc": "**", "path": "/audit/**", "strategy": "theirs"}
//   ]}
//
// `doc` is a glob over document ids, split at '/': a segment "*" matches one
// segment, "**" any number of segments (none included); other segments match
// themselves ('*' inside a longer segment is refused). `path` is a JSON
// Pointer (RFC 6901, "~1" for '/', "~0" for '~') whose tokens "*" and "**"
// match one token and any number of tokens; other tokens match themselves.
// The FIRST policy whose doc and path match a value that both sides changed
// differently decides how it merges. The path is matched against the pointer
// of the atomic value being merged: an array or scalar (or a value facing an
// absent one or another type); objects on both sides merge member by member
// and are never matched themselves.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/json.h"
#include "strata/json_pointer.h"
#include "strata/status.h"

namespace strata {

enum class PolicyStrategy {
  kConflict,  // report a conflict (the default without a policy)
  kOurs,      // ours wins
  kTheirs,    // theirs wins
  kLatest,    // the side whose version is newer wins (MergeOptions::theirs_newer)
  kMax,       // the larger number; a non-number on either side is a conflict
  kMin,       // the smaller number; a non-number on either side is a conflict
  kUnion,     // arrays of scalars: both sides' elements, removals honoured
  kByKey,     // arrays of objects identified by a key member, merged element by element
};

// "conflict", "ours", "theirs", "latest", "max", "min", "union", "by-key".
std::string_view PolicyStrategyName(PolicyStrategy strategy);
// Parses a name above; InvalidArgument names the unknown one and lists the known.
Result<PolicyStrategy> ParsePolicyStrategy(std::string_view name);

struct PathPolicy {
  std::string doc;   // glob over document ids
  std::string path;  // JSON Pointer pattern
  PolicyStrategy strategy = PolicyStrategy::kConflict;
  std::string key;  // by-key only: the member that identifies an element
};

// True if document id `doc` matches `glob` (syntax above; the glob is
// assumed valid, see ValidateDocGlob).
bool DocGlobMatches(std::string_view glob, std::string_view doc);
// Ok, or InvalidArgument saying what is wrong with `glob`.
Status ValidateDocGlob(std::string_view glob);

// A parsed `path` pattern.
class PointerPattern {
 public:
  PointerPattern() = default;  // "": matches the whole value only
  // InvalidArgument if `text` is not a JSON Pointer.
  static Result<PointerPattern> Parse(std::string_view text);
  bool Matches(const JsonPointer& pointer) const;
  // Matches the pointer made of tokens [begin, end) of `pointer`.
  bool Matches(const std::vector<std::string>& tokens, std::size_t begin) const;
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::vector<std::string> tokens_;  // decoded; "*" and "**" are wildcards
};

class MergePolicies {
 public:
  MergePolicies() = default;  // no policies

  // Parses and validates a `.merge` document; InvalidArgument says what is
  // wrong and where ("policies[2].strategy: unknown strategy 'maxx' (conflict,
  // ours, theirs, latest, max, min, union, by-key)"; by-key without key; a key
  // on another strategy; bad globs or pointers; unknown members).
  static Result<MergePolicies> Parse(const json::value& merge_document);

  const std::vector<PathPolicy>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

  // The first rule whose doc glob matches `doc` and whose path pattern
  // matches `pointer`; nullptr when none does.
  const PathPolicy* Find(std::string_view doc, const JsonPointer& pointer) const;
  // The same for the pointer made of tokens [begin, end) of `tokens`.
  const PathPolicy* Find(std::string_view doc, const std::vector<std::string>& tokens,
                         std::size_t begin) const;

 private:
  std::vector<PathPolicy> rules_;
  std::vector<PointerPattern> patterns_;  // rules_[i].path, parsed
};

}  // namespace strata
