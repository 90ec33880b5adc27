// strata prune: retention. Squashes a branch's old versions into one base
// version and rewrites the newer ones on top of it (Repository::Prune;
// docs/prune.md has the rules).
//
//   the branch's first-parent line, newest first:  H  ...  K1 | C  ...  R
//                                                   kept (rewritten) | squashed
//
// The cut C is the newest version squashed: with `keep` N, the (N+1)th
// version of the first-parent line; with `before` T, the newest one dated
// before T (what `strata log --since T` does not list). Every version C
// reaches is squashed. The base version B has no parent, C's state and
// metadata, the delta from the empty state to it, and a message that says
// what was squashed. The versions after the cut (C..H) are copied on top of
// B with the same root tree (state, delta, meta), author, committer and
// message (labels included), so only their ids change.
//
// Merges: a kept merge loses each parent that is squashed (its changes are
// in B already). A version after the cut whose first-parent line leaves the
// kept versions at a squashed version other than C (a side branch that
// forked before the cut and was merged after it) is dropped: its delta is
// against a state that no longer exists, and the merge that brought it in
// keeps its changes (its own delta is against its first parent).
//
// Kept for the audit trail: every squashed or dropped version that a tag
// names or that has labels (trailers or added) gets an archive ref,
// refs/strata/archive/BRANCH/ID, which keeps it (and its history) reachable
// for gc. Tags that name a kept version move to its copy (an annotated tag
// gets a new tag object with the same name, message and tagger); tags on
// squashed versions stay where they are. Added labels (notes) are copied to
// the copies. The branch's and HEAD's reflogs are rewritten: entries naming
// kept versions name their copies, entries naming removed ones are dropped,
// so `strata gc --prune now` can reclaim what nothing else reaches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strata/status.h"
#include "strata/version.h"

namespace strata {

struct PruneReport;

struct PruneOptions {
  std::optional<std::string> branch;   // nullopt: the branch HEAD names
  std::optional<std::size_t> keep;     // keep the newest N (>= 1) versions
  std::optional<std::int64_t> before;  // squash the versions dated before this
  bool dry_run = false;                // make the plan, change nothing
  // Rewrite history that a remote-tracking ref (refs/remotes/*/BRANCH)
  // already has. Without it such a prune is refused (Conflict).
  bool force = false;
  std::optional<Signature> author;  // the base version's author; empty: as CommitOptions
  // Called once with the plan (the report as it will be), before anything
  // is written or any ref moves (also on a dry run). A non-ok status stops
  // the prune there, and Prune returns it. May be empty.
  std::function<Status(const PruneReport& plan)> on_plan;
};

// One version that prune removes from the branch's history.
struct PrunedVersion {
  std::string id;
  std::int64_t time = 0;
  std::string subject;            // the first line of its message
  std::vector<std::string> tags;  // tag names that name it
  std::vector<std::string> labels;
  std::string archive_ref;  // "" unless it is archived
  bool dropped = false;     // a side version after the cut, not an ancestor of it
};

struct PruneRewrite {
  std::string from;  // the kept version's id
  std::string to;    // its copy's id
};

struct PruneTagMove {
  std::string name;  // "v1.0"
  std::string from;  // the version it named
  std::string to;    // the copy it names now
};

struct PruneReport {
  bool dry_run = false;
  std::string branch;       // "main"
  std::string head_before;  // the branch head before
  std::string head_after;   // after (dry run: what it would be)
  std::string cut;          // the newest squashed version
  // Removed from the branch's history, newest first: the squashed versions
  // (the cut and everything it reaches) and the dropped side versions.
  std::vector<PrunedVersion> removed;
  std::size_t squashed = 0;                       // of `removed`, those the cut reaches
  std::size_t dropped = 0;                        // of `removed`, the side versions dropped
  std::int64_t oldest_time = 0, newest_time = 0;  // of the squashed versions
  std::string base;                               // the base version's id
  std::string base_state;                         // its state id (the cut's)
  std::string base_message;
  std::vector<PruneRewrite> rewritten;  // the kept versions, oldest first
  std::vector<std::string> archived;    // archive refs made
  std::vector<PruneTagMove> tags_moved;
  std::size_t notes_copied = 0;  // added-label notes copied to the copies
  // Remote-tracking refs that have versions of the old history (only with
  // force; without it their presence refuses the prune).
  std::vector<std::string> remotes_rewritten;
};

// The archive ref of version `id` pruned from `branch`.
std::string PruneArchiveRef(const std::string& branch, const std::string& id);

}  // namespace strata
