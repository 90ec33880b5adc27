// Revisions and refs: naming versions the way git does, and finding the
// ref a write moves.
#pragma once

#include <optional>
#include <string>

#include "objects/git.h"
#include "strata/status.h"

namespace strata {

// The commit `rev` names: a branch, a tag, HEAD, HEAD~N, REV^, a unique id
// prefix, BRANCH@{DATE}. NotFound names `rev` (for the current branch
// before its first version: "branch 'main' has no versions yet");
// InvalidArgument if it is ambiguous or names no version.
Result<CommitPtr> LookupCommit(git_repository* repo, const std::string& rev);

// A revision or a set of them, as git's log and diff read it:
//   REV      versions reachable from REV (diff: REV against ...)
//   A..B     reachable from B and not from A (diff: A against B)
//   A...B    log: reachable from either and not from both;
//            diff: the merge base of A and B against B
// An empty side is HEAD ("main.." is main..HEAD).
struct RevisionRange {
  enum class Kind { kSingle, kTwoDot, kThreeDot };
  Kind kind = Kind::kSingle;
  std::string from;  // A (kSingle: the revision)
  std::string to;    // B (empty for kSingle)
};

// Splits `text` at ".." or "..."; never fails (an invalid revision is found
// when it is resolved).
RevisionRange ParseRevisionRange(const std::string& text);

// When `rev` reads a ref's reflog at a date older than its oldest entry
// ("main@{2020-01-01}"), the revision resolves to that oldest entry, and
// git warns that the log only goes back so far: this returns that warning
// ("log for 'main' only goes back to 2026-11-30T04:36:23Z"), else nullopt
// (no date in `rev`, a date the reflog covers, an index like @{2}).
std::optional<std::string> ReflogHorizonWarning(git_repository* repo, const std::string& rev);

// The branch HEAD names ("main"), or "HEAD" when HEAD is detached.
std::string CurrentBranch(git_repository* repo);

// Whether `rev` names the current branch (HEAD or its name), whose first
// version may not exist yet.
bool NamesCurrentBranch(git_repository* repo, const std::string& rev);

// The ref a write moves, and its name for people.
struct WriteTarget {
  std::string ref;   // "refs/heads/main", or "HEAD" when HEAD is detached
  std::string name;  // "main", or "detached HEAD"
};

// The branch `branch` (nullopt: HEAD's). With HEAD detached and no branch
// named, the write moves HEAD itself, as `git commit` does. InvalidArgument
// for an invalid branch name or a HEAD that names no branch; Corruption if
// HEAD is unreadable.
Result<WriteTarget> ResolveWriteTarget(git_repository* repo,
                                       const std::optional<std::string>& branch);

// The id `ref` points at now (read from disk, not cached); nullopt if the
// ref does not exist. Corruption for a ref that is not a valid id.
Result<std::optional<ObjectId>> ReadRef(git_repository* repo, const std::string& ref);

}  // namespace strata
