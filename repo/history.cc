// History: walking versions. A walk that meets a missing or damaged commit
// fails naming it; a partial history is never returned as if it were whole.
#include "repo/labels.h"
#include "repo/refs.h"
#include "repo/repository.h"
#include "repo/version_tree.h"

namespace strata {
namespace {

// The error for a walk that stopped before its end.
Status WalkError(int rc, const std::string& rev) {
  return GitError(rc, "cannot read the history of " + rev +
                          " whole (a version is missing or "
                          "damaged; run 'strata verify')");
}

}  // namespace

Result<std::vector<VersionInfo>> Repository::Log(const std::string& rev,
                                                 const LogOptions& options) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr start, LookupCommit(repo_.get(), rev));
  git_revwalk* raw = nullptr;
  STRATA_GIT(git_revwalk_new(&raw, repo_.get()), "cannot walk history");
  RevwalkPtr walk(raw);
  STRATA_GIT(git_revwalk_sorting(raw, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME), "cannot walk history");
  STRATA_GIT(git_revwalk_push(raw, git_commit_id(start.get())), "cannot walk history");
  // The notes tree is read once here, not once per version.
  STRATA_ASSIGN_OR_RETURN(AddedLabelIndex added, AddedLabelIndex::Load(repo_.get()));
  std::vector<VersionInfo> out;
  git_oid oid;
  while (!options.max_count || out.size() < *options.max_count) {
    int rc = git_revwalk_next(&oid, raw);
    if (rc == GIT_ITEROVER) break;
    if (rc < 0) return WalkError(rc, rev);
    git_commit* c_raw = nullptr;
    STRATA_GIT(git_commit_lookup(&c_raw, repo_.get(), &oid), "cannot read version " + OidHex(&oid));
    CommitPtr c(c_raw);
    STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(*store_, c_raw));
    // Every parent must be there, or the history shown would look whole
    // while it is not (the walk itself skips what it cannot find).
    for (unsigned i = 0; i < git_commit_parentcount(c_raw); ++i) {
      const git_oid* parent = git_commit_parent_id(c_raw, i);
      if (!store_->Exists(ObjectId(*parent))) {
        return Status::Corruption("version " + OidHex(&oid) + ": its parent " + OidHex(parent) +
                                  " is missing; the history of " + rev +
                                  " cannot be read whole (run 'strata verify')");
      }
    }
    out.push_back(DescribeCommit(c_raw, trees.state));
    STRATA_ASSIGN_OR_RETURN(out.back().added_labels, added.Of(*store_, oid));
  }
  return out;
}

Result<Snapshot> Repository::ReadAt(const std::string& rev, std::int64_t time) {
  STRATA_ASSIGN_OR_RETURN(CommitPtr start, LookupCommit(repo_.get(), rev));
  CommitPtr c = std::move(start);
  while (true) {
    if (git_commit_author(c.get())->when.time <= time) {
      return SnapshotOf(c.get(), OidHex(git_commit_id(c.get())));
    }
    if (git_commit_parentcount(c.get()) == 0) break;
    git_commit* parent = nullptr;
    int rc = git_commit_parent(&parent, c.get(), 0);
    if (rc < 0) return WalkError(rc, rev);
    c.reset(parent);
  }
  return Status::NotFound("no version on " + rev + " is as old as " + FormatUtcTime(time));
}

}  // namespace strata
