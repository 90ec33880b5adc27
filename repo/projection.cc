// Projection: a history seen through a perspective, as versions of its own
// (Repository::Project; docs/perspectives.md, "Pushing through a perspective").
//
// Each version V of the history maps to one of:
//   - a projected version: a commit whose state is the view of V's state,
//     whose delta.zst goes from its first parent's state to that view, whose
//     meta is made from that delta as a write makes it (so only visible
//     documents appear), with V's author, committer and labels, V's message
//     as SeeMessageThrough shows it, and the projections of V's parents as
//     parents;
//   - "left out, maps to P": V's view adds nothing to its one projected
//     parent P (same state), so V is P in the projected history;
//   - "nothing visible": V and its history show nothing yet.
// Every input is a pure function of the history and the perspective's
// definition (no clock, no host, a fixed zstd level), so the same history
// projects to the same ids on any site.
//
// The mapping is remembered in .strata/projections/<perspective id> (the id
// hashes the perspective's resolved docs and rules, so a changed definition
// starts a new file):
//
//   projections/P := line*
//   line          := source-hex " " target-hex " " kind "\n"
//   kind          := "v" (target is V's projected version)
//                  | "l" (left out: V maps to target)
//                  | "-" (nothing visible; target-hex is 40 zeros)
//
// Lines are appended, with one write() per batch, after the objects they
// name are flushed (fsynced). A torn last line (a crash mid-append) is
// ignored, and so is a line whose target object is gone (`git gc` may prune
// unpushed projections): those versions are projected again. The last line
// for a version wins.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

#include "objects/delta_codec.h"
#include "objects/guard.h"
#include "objects/tree_diff.h"
#include "repo/document_meta.h"
#include "repo/line_log.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/version_tree.h"
#include "repo/views.h"
#include "strata/repository.h"

namespace strata {
namespace fs = std::filesystem;

namespace {

// Versions projected between two flushes: bounds the memory staged objects
// take while a long history is projected for the first time.
constexpr std::size_t kBatchVersions = 2000;

constexpr const char* kEmptyTreeHex = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

enum class Mapped : char { kVersion = 'v', kLeftOut = 'l', kNothing = '-' };

struct Mapping {
  Mapped kind = Mapped::kNothing;
  ObjectId target;  // kVersion, kLeftOut: the projected version
};

std::optional<ObjectId> ParseHex(std::string_view hex) {
  if (hex.size() != GIT_OID_HEXSZ) return std::nullopt;
  git_oid oid;
  if (git_oid_fromstrn(&oid, hex.data(), hex.size()) < 0) {
    git_error_clear();
    return std::nullopt;
  }
  return FromGit(oid);
}

// The mapping file of one perspective: read whole at once, appended to in
// batches.
class ProjectionLog {
 public:
  explicit ProjectionLog(std::string file) : file_(std::move(file)) {
    std::ifstream in(file_, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // a torn last line (no newline)
      if (line.size() != 2 * GIT_OID_HEXSZ + 3 || line[GIT_OID_HEXSZ] != ' ' ||
          line[2 * GIT_OID_HEXSZ + 1] != ' ') {
        continue;
      }
      std::optional<ObjectId> source = ParseHex(std::string_view(line).substr(0, GIT_OID_HEXSZ));
      std::optional<ObjectId> target =
          ParseHex(std::string_view(line).substr(GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ));
      const char kind = line.back();
      if (!source || !target) continue;
      if (kind != 'v' && kind != 'l' && kind != '-') continue;
      map_[*source] = Mapping{static_cast<Mapped>(kind), *target};
    }
  }

  std::optional<Mapping> Find(const ObjectId& source) const {
    auto it = map_.find(source);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void Forget(const ObjectId& source) { map_.erase(source); }

  void Add(const ObjectId& source, const Mapping& m) {
    map_[source] = m;
    pending_ += source.Hex();
    pending_ += ' ';
    pending_ += m.kind == Mapped::kNothing ? std::string(GIT_OID_HEXSZ, '0') : m.target.Hex();
    pending_ += ' ';
    pending_ += static_cast<char>(m.kind);
    pending_ += '\n';
  }

  // Appends the pending lines with one write(). A file left with a torn
  // last line gets a newline first, so the new lines read whole.
  Status Save() {
    Status s = AppendLines(file_, pending_, "projections");
    pending_.clear();
    return s;
  }

  // Forgets what was added since the last Save (its objects were not written).
  void DropPending(const std::vector<ObjectId>& sources) {
    for (const ObjectId& s : sources) map_.erase(s);
    pending_.clear();
  }

 private:
  std::string file_;
  std::unordered_map<ObjectId, Mapping> map_;
  std::string pending_;
};

}  // namespace

Result<std::optional<std::string>> Repository::Project(const std::string& rev) try {
  if (!impl_->perspective_) {
    return Status::InvalidArgument("projecting '" + rev + "' needs a perspective; name one");
  }
  STRATA_ASSIGN_OR_RETURN(CommitPtr tip, LookupCommit(impl_->repo_.get(), rev));
  const ObjectId tip_id = FromGit(*git_commit_id(tip.get()));
  tip.reset();

  if (!impl_->view_cache_) {
    impl_->view_cache_ = std::make_unique<ViewCache>(
        (fs::path(impl_->path_) / "views" / impl_->perspective_->id()).string());
  }
  ProjectionLog log((fs::path(impl_->path_) / "projections" / impl_->perspective_->id()).string());
  const ObjectId empty_tree = *ParseHex(kEmptyTreeHex);

  impl_->store_->Discard();
  struct DiscardOnExit {
    ObjectStore& store;
    ViewCache& views;
    ~DiscardOnExit() {
      if (store.staged_objects() > 0) views.DropPending();
      store.Discard();
    }
  } discard{*impl_->store_, *impl_->view_cache_};

  // Versions whose projected objects are on disk or staged, checked once:
  // a mapping whose target was pruned is forgotten and projected again.
  std::unordered_set<ObjectId> checked;
  auto known = [&](const ObjectId& v) -> std::optional<Mapping> {
    std::optional<Mapping> m = log.Find(v);
    if (!m || m->kind == Mapped::kNothing || checked.count(m->target)) return m;
    if (!impl_->store_->Exists(m->target)) {
      log.Forget(v);
      return std::nullopt;
    }
    checked.insert(m->target);
    return m;
  };

  // The trees of projected versions (this run's, or read once).
  std::unordered_map<ObjectId, VersionTrees> projected_trees;
  auto trees_of = [&](const ObjectId& projected) -> Result<VersionTrees> {
    auto it = projected_trees.find(projected);
    if (it != projected_trees.end()) return it->second;
    git_commit* raw = nullptr;
    STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(projected)),
               "cannot read projected version " + projected.Hex());
    CommitPtr c(raw);
    STRATA_ASSIGN_OR_RETURN(VersionTrees t, ReadVersionTrees(*impl_->store_, raw));
    projected_trees.emplace(projected, t);
    return t;
  };

  // What this batch added, to save after its objects are flushed.
  std::vector<ObjectId> batch;
  auto flush = [&]() -> Status {
    if (impl_->store_->staged_objects() > 0) {
      Status s = impl_->store_->Flush();
      if (!s.ok()) {
        impl_->view_cache_->DropPending();
        log.DropPending(batch);
        return s;
      }
    }
    // The objects are on disk: what names them may be remembered. Failing
    // to remember costs only recomputation.
    (void)impl_->view_cache_->Save();
    (void)log.Save();
    batch.clear();
    return Status::Ok();
  };

  // Projects version `id`, whose parents are all mapped.
  auto project_one = [&](const ObjectId& id) -> Status {
    git_commit* raw = nullptr;
    STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(id)),
               "cannot read version " + id.Hex());
    CommitPtr commit(raw);
    STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(*impl_->store_, raw));
    STRATA_ASSIGN_OR_RETURN(ObjectId state, ComputeViewState(*impl_->store_, *impl_->perspective_,
                                                             *impl_->view_cache_, trees.state));

    // The projected parents, in order, without "nothing visible" and repeats.
    std::vector<ObjectId> parents;
    for (unsigned i = 0; i < git_commit_parentcount(raw); ++i) {
      const ObjectId parent = FromGit(*git_commit_parent_id(raw, i));
      std::optional<Mapping> m = log.Find(parent);
      if (!m) return Status::Corruption("version " + parent.Hex() + " was not projected");
      if (m->kind == Mapped::kNothing) continue;
      if (std::find(parents.begin(), parents.end(), m->target) == parents.end()) {
        parents.push_back(m->target);
      }
    }
    // A parent that another one already contains adds nothing to the graph.
    if (parents.size() > 1) {
      std::vector<ObjectId> kept;
      for (std::size_t i = 0; i < parents.size(); ++i) {
        bool contained = false;
        for (std::size_t j = 0; j < parents.size() && !contained; ++j) {
          if (i == j) continue;
          int rc =
              git_graph_descendant_of(impl_->repo_.get(), AsGit(parents[j]), AsGit(parents[i]));
          if (rc < 0) {
            return GitError(rc, "cannot compare projected versions " + parents[j].Hex() + " and " +
                                    parents[i].Hex());
          }
          contained = rc == 1;
        }
        if (!contained) kept.push_back(parents[i]);
      }
      parents = std::move(kept);
    }

    std::optional<VersionTrees> first;
    if (!parents.empty()) {
      STRATA_ASSIGN_OR_RETURN(first, trees_of(parents.front()));
    }
    if (parents.empty() && state == empty_tree) {
      log.Add(id, Mapping{Mapped::kNothing, ObjectId()});
      batch.push_back(id);
      return Status::Ok();
    }
    if (parents.size() == 1 && first->state == state) {
      log.Add(id, Mapping{Mapped::kLeftOut, parents.front()});
      batch.push_back(id);
      return Status::Ok();
    }

    strata::Patch delta;
    STRATA_RETURN_IF_ERROR(DiffStates(*impl_->store_,
                                      first ? std::optional<ObjectId>(first->state) : std::nullopt,
                                      state, delta));
    const git_signature* author = git_commit_author(raw);
    const git_signature* committer = git_commit_committer(raw);
    const Signature who{author->name, author->email};
    STRATA_ASSIGN_OR_RETURN(
        ObjectId meta, UpdateDocumentMeta(*impl_->store_, first ? first->meta : std::nullopt, delta,
                                          who.ToString(), author->when.time));
    STRATA_ASSIGN_OR_RETURN(ObjectId delta_id, impl_->store_->WriteBlob(EncodeDelta(delta)));
    STRATA_ASSIGN_OR_RETURN(ObjectId root, impl_->store_->WriteTree({{kDeltaEntry, delta_id, false},
                                                                     {kMetaEntry, meta, true},
                                                                     {kStateEntry, state, true}}));

    // The message as the perspective's reader sees it, labels as trailers.
    VersionInfo info = DescribeCommit(raw, trees.state);
    STRATA_RETURN_IF_ERROR(impl_->SeeMessageThrough(info, raw));

    git_tree* tree_raw = nullptr;
    STRATA_GIT(git_tree_lookup(&tree_raw, impl_->repo_.get(), AsGit(root)),
               "cannot read the projected tree of " + id.Hex());
    TreePtr tree(tree_raw);
    std::vector<CommitPtr> owned;
    std::vector<const git_commit*> parent_commits;
    for (const ObjectId& p : parents) {
      git_commit* pc = nullptr;
      STRATA_GIT(git_commit_lookup(&pc, impl_->repo_.get(), AsGit(p)),
                 "cannot read projected version " + p.Hex());
      owned.emplace_back(pc);
      parent_commits.push_back(pc);
    }
    GitBuf buf;
    STRATA_GIT(git_commit_create_buffer(&buf.buf, impl_->repo_.get(), author, committer, nullptr,
                                        ComposeMessage(info.message, info.labels).c_str(),
                                        tree.get(), parent_commits.size(), parent_commits.data()),
               "cannot create the projection of " + id.Hex());
    STRATA_ASSIGN_OR_RETURN(
        ObjectId out,
        impl_->store_->WriteObject(std::string_view(buf.buf.ptr, buf.buf.size), GIT_OBJECT_COMMIT));
    projected_trees[out] = VersionTrees{state, meta, delta_id};
    checked.insert(out);
    log.Add(id, Mapping{Mapped::kVersion, out});
    batch.push_back(id);
    return Status::Ok();
  };

  // Oldest first: a version is projected after all its parents. Iterative
  // (histories are deep): each entry is expanded once (its unmapped parents
  // pushed above it), then projected when it comes back to the top.
  std::vector<std::pair<ObjectId, bool>> stack{{tip_id, false}};
  while (!stack.empty()) {
    auto& [id, expanded] = stack.back();
    if (known(id)) {
      stack.pop_back();
      continue;
    }
    if (!expanded) {
      expanded = true;
      const ObjectId at = id;
      git_commit* raw = nullptr;
      STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(at)),
                 "cannot read version " + at.Hex());
      CommitPtr commit(raw);
      for (unsigned i = git_commit_parentcount(raw); i-- > 0;) {
        const ObjectId parent = FromGit(*git_commit_parent_id(raw, i));
        if (!known(parent)) stack.emplace_back(parent, false);
      }
      continue;
    }
    const ObjectId at = id;
    stack.pop_back();
    STRATA_RETURN_IF_ERROR(project_one(at).WithContext("projecting version " + at.Hex()));
    if (batch.size() >= kBatchVersions) STRATA_RETURN_IF_ERROR(flush());
  }
  STRATA_RETURN_IF_ERROR(flush());

  std::optional<Mapping> m = log.Find(tip_id);
  if (!m) return Status::Corruption("version " + tip_id.Hex() + " was not projected");
  if (m->kind == Mapped::kNothing) return std::optional<std::string>();
  return std::optional<std::string>(m->target.Hex());
} catch (...) {
  return CaughtStatus("Repository::Project");
}

}  // namespace strata
