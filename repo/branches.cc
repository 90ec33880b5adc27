// Branches: list, create, delete, switch (repository.h). Every ref move goes
// through a RefTransaction; reads of refs outside one are for reporting only.
#include <git2.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "objects/guard.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/transaction.h"
#include "strata/repository.h"

namespace strata {
namespace {

constexpr const char* kHeads = "refs/heads/";

using BranchIteratorPtr = GitPtr<git_branch_iterator, git_branch_iterator_free>;

std::string RefOf(const std::string& name) { return kHeads + name; }

Status ValidateBranchName(const std::string& name) {
  int valid = 0;
  STRATA_GIT(git_branch_name_is_valid(&valid, name.c_str()), "cannot check branch name");
  if (!valid) {
    return Status::InvalidArgument("invalid branch name '" + name +
                                   "' (git's ref name rules: no spaces, '..', '~', '^', ':', "
                                   "'?', '*', '[', '\\', no leading '-', not 'HEAD')");
  }
  return Status::Ok();
}

// Versions reachable from `from` (the whole history), for `ahead` when the
// current branch has none.
Result<std::size_t> CountVersions(git_repository* repo, const ObjectId& from) {
  git_revwalk* raw = nullptr;
  STRATA_GIT(git_revwalk_new(&raw, repo), "cannot walk history");
  RevwalkPtr walk(raw);
  STRATA_GIT(git_revwalk_push(walk.get(), AsGit(from)), "cannot walk from " + from.Hex());
  std::size_t n = 0;
  git_oid oid;
  int rc;
  while ((rc = git_revwalk_next(&oid, walk.get())) == 0) ++n;
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot walk history from " + from.Hex());
  git_error_clear();
  return n;
}

// Fills ahead/behind of `b` against `current` (nullopt: no versions).
Status CompareWith(git_repository* repo, const std::optional<ObjectId>& head,
                   const std::optional<ObjectId>& current, BranchInfo& b) {
  b.ahead = b.behind = 0;
  if (!head) {
    if (current) {
      STRATA_ASSIGN_OR_RETURN(b.behind, CountVersions(repo, *current));
    }
    return Status::Ok();
  }
  if (!current) {
    STRATA_ASSIGN_OR_RETURN(b.ahead, CountVersions(repo, *head));
    return Status::Ok();
  }
  STRATA_GIT(git_graph_ahead_behind(&b.ahead, &b.behind, repo, AsGit(*head), AsGit(*current)),
             "cannot compare branch '" + b.name + "' with HEAD");
  return Status::Ok();
}

Result<BranchInfo> Describe(git_repository* repo, const std::string& name,
                            const std::optional<ObjectId>& head) {
  BranchInfo b;
  b.name = name;
  if (head) b.version = head->Hex();
  b.current = CurrentBranch(repo) == name;
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> current, ReadRef(repo, "HEAD"));
  STRATA_RETURN_IF_ERROR(CompareWith(repo, head, current, b));
  return b;
}

Status RefMoved(const std::string& what) {
  return Status::Conflict(what +
                          " moved while strata was changing it (another program); "
                          "nothing changed, try again");
}

}  // namespace

Result<std::vector<BranchInfo>> Repository::Branches() try {
  git_repository* repo = impl_->repo_.get();
  git_branch_iterator* raw = nullptr;
  STRATA_GIT(git_branch_iterator_new(&raw, repo, GIT_BRANCH_LOCAL), "cannot list branches");
  BranchIteratorPtr it(raw);
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> current, ReadRef(repo, "HEAD"));
  const std::string current_name = strata::CurrentBranch(repo);
  std::vector<BranchInfo> out;
  bool listed_current = false;
  while (true) {
    git_reference* ref_raw = nullptr;
    git_branch_t type;
    int rc = git_branch_next(&ref_raw, &type, it.get());
    if (rc == GIT_ITEROVER) {
      git_error_clear();
      break;
    }
    if (rc < 0) return GitError(rc, "cannot list branches");
    ReferencePtr ref(ref_raw);
    const char* name = nullptr;
    STRATA_GIT(git_branch_name(&name, ref.get()), "cannot read a branch name");
    BranchInfo b;
    b.name = name;
    const git_oid* target = git_reference_target(ref.get());
    if (target == nullptr) {
      return Status::Corruption("branch '" + b.name + "' is a symbolic ref, not a version");
    }
    ObjectId head = FromGit(*target);
    b.version = head.Hex();
    b.current = b.name == current_name;
    listed_current = listed_current || b.current;
    STRATA_RETURN_IF_ERROR(CompareWith(repo, head, current, b));
    out.push_back(std::move(b));
  }
  if (!listed_current && current_name != "HEAD") {  // before its first version
    BranchInfo b;
    b.name = current_name;
    b.current = true;
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(),
            [](const BranchInfo& a, const BranchInfo& b) { return a.name < b.name; });
  return out;
} catch (...) {
  return CaughtStatus("Repository::Branches");
}

Result<std::vector<BranchInfo>> Repository::RemoteBranches() try {
  git_repository* repo = impl_->repo_.get();
  git_branch_iterator* raw = nullptr;
  STRATA_GIT(git_branch_iterator_new(&raw, repo, GIT_BRANCH_REMOTE),
             "cannot list remote-tracking branches");
  BranchIteratorPtr it(raw);
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> current, ReadRef(repo, "HEAD"));
  std::vector<BranchInfo> out;
  while (true) {
    git_reference* ref_raw = nullptr;
    git_branch_t type;
    int rc = git_branch_next(&ref_raw, &type, it.get());
    if (rc == GIT_ITEROVER) {
      git_error_clear();
      break;
    }
    if (rc < 0) return GitError(rc, "cannot list remote-tracking branches");
    ReferencePtr ref(ref_raw);
    const git_oid* target = git_reference_target(ref.get());
    if (target == nullptr) continue;  // origin/HEAD, a symbolic ref git clone makes
    const char* name = nullptr;
    STRATA_GIT(git_branch_name(&name, ref.get()), "cannot read a branch name");
    BranchInfo b;
    b.name = name;
    b.version = FromGit(*target).Hex();
    STRATA_RETURN_IF_ERROR(CompareWith(repo, FromGit(*target), current, b));
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(),
            [](const BranchInfo& a, const BranchInfo& b) { return a.name < b.name; });
  return out;
} catch (...) {
  return CaughtStatus("Repository::RemoteBranches");
}

Result<BranchInfo> Repository::CreateBranch(const std::string& name, const std::string& start,
                                            bool force) try {
  git_repository* repo = impl_->repo_.get();
  STRATA_RETURN_IF_ERROR(ValidateBranchName(name));
  STRATA_ASSIGN_OR_RETURN(CommitPtr commit, LookupCommit(repo, start));
  const ObjectId target = FromGit(*git_commit_id(commit.get()));
  const std::string ref = RefOf(name);
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx, RefTransaction::Begin(repo, &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, tx.Read(ref));
  if (now && !force) {
    return Status::Conflict("branch '" + name + "' already exists (at " + now->Hex().substr(0, 12) +
                            "); use -f to move it to " + start);
  }
  if (now && force && strata::CurrentBranch(repo) == name) {
    return Status::Conflict("cannot force-move '" + name +
                            "': it is the current branch (switch to another first)");
  }
  RefUpdate update;
  update.ref = ref;
  update.expected = now;
  update.target = target;
  update.reason = now ? "branch: reset to " + start : "branch: created from " + start;
  update.cause = RefCause::kBranch;
  tx.Update(std::move(update));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
  if (outcome != CommitOutcome::kCommitted) return RefMoved("branch '" + name + "'");
  return Describe(repo, name, target);
} catch (...) {
  return CaughtStatus("Repository::CreateBranch");
}

Result<BranchInfo> Repository::DeleteBranch(const std::string& name, bool force) try {
  git_repository* repo = impl_->repo_.get();
  const std::string ref = RefOf(name);
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx, RefTransaction::Begin(repo, &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, tx.Read(ref));
  const std::string current_name = strata::CurrentBranch(repo);
  if (current_name == name) {
    return Status::Conflict("cannot delete branch '" + name +
                            "': it is the current branch (switch to another first)");
  }
  if (!now) return Status::NotFound("no branch '" + name + "'");
  // Deleting it would strand its merge in progress (refs/strata/merge/NAME).
  STRATA_RETURN_IF_ERROR(CheckNoMergeInProgress(ref, "'" + name + "'"));
  STRATA_ASSIGN_OR_RETURN(BranchInfo info, Describe(repo, name, now));
  if (info.ahead > 0 && !force) {
    const std::string into = current_name == "HEAD" ? "HEAD" : "'" + current_name + "'";
    return Status::Conflict("branch '" + name + "' is not merged into " + into +
                            ": deleting it would lose " + std::to_string(info.ahead) +
                            (info.ahead == 1 ? " version" : " versions") +
                            " (use -D to delete it anyway)");
  }
  RefUpdate update;
  update.ref = ref;
  update.expected = now;
  update.target = *now;
  update.kind = RefUpdateKind::kDelete;
  update.reason = "branch: deleted";
  update.cause = RefCause::kBranch;
  tx.Update(std::move(update));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
  if (outcome != CommitOutcome::kCommitted) return RefMoved("branch '" + name + "'");
  return info;
} catch (...) {
  return CaughtStatus("Repository::DeleteBranch");
}

Result<SwitchResult> Repository::SwitchBranch(const std::string& name,
                                              const std::optional<std::string>& create_at) try {
  git_repository* repo = impl_->repo_.get();
  STRATA_RETURN_IF_ERROR(ValidateBranchName(name));
  const std::string ref = RefOf(name);
  std::optional<ObjectId> start;
  if (create_at) {
    STRATA_ASSIGN_OR_RETURN(CommitPtr commit, LookupCommit(repo, *create_at));
    start = FromGit(*git_commit_id(commit.get()));
  }
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx, RefTransaction::Begin(repo, &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, tx.Read(ref));
  STRATA_ASSIGN_OR_RETURN(std::string head_names, tx.ReadSymbolic("HEAD"));
  SwitchResult result;
  result.previous = strata::CurrentBranch(repo);
  if (create_at) {
    if (now) {
      return Status::Conflict("branch '" + name + "' already exists (at " +
                              now->Hex().substr(0, 12) + "); switch to it without -c");
    }
    RefUpdate create;
    create.ref = ref;
    create.target = *start;
    create.reason = "branch: created from " + *create_at;
    create.cause = RefCause::kBranch;
    tx.Update(std::move(create));
    now = start;
    result.created = true;
  } else if (!now && head_names != ref) {
    return Status::NotFound("no branch '" + name + "' (use -c to create it: strata switch -c " +
                            name + ")");
  }
  if (head_names == ref) {
    result.changed = false;
  } else {
    RefUpdate move;
    move.ref = "HEAD";
    move.kind = RefUpdateKind::kSymbolic;
    move.symbolic_target = ref;
    move.expected_symbolic = head_names;
    move.reason = "switch: moving from " + result.previous + " to " + name;
    move.cause = RefCause::kBranch;
    tx.Update(std::move(move));
  }
  if (result.created || result.changed) {
    STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
    if (outcome != CommitOutcome::kCommitted)
      return RefMoved(result.created ? "branch '" + name + "'" : "HEAD");
  }
  STRATA_ASSIGN_OR_RETURN(result.branch, Describe(repo, name, now));
  return result;
} catch (...) {
  return CaughtStatus("Repository::SwitchBranch");
}

}  // namespace strata
