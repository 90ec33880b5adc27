// Blame: the version that last set each leaf value of a document.
//
// Walks the first-parent line newest first. A version whose value at the
// pointer has the same id as its parent's is passed over after one lookup
// (repo/value_walk.h); one that differs is diffed against its parent with
// the pruned tree diff, and every leaf still unplaced that the diff touches
// (a changed path at, above or below the leaf) is placed on it. The walk
// stops when no leaf is left, so its cost grows with the history that
// touched the document, not with all history.
#include <map>

#include "objects/guard.h"
#include "repo/labels.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/value_walk.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

using Tokens = std::vector<std::string>;

// The leaves of `root` (scalars, empty objects, arrays as whole values),
// keyed by their path below it. Iterative: values may nest deeply.
std::map<Tokens, const json::value*> Leaves(const json::value& root) {
  std::map<Tokens, const json::value*> out;
  std::vector<std::pair<Tokens, const json::value*>> stack{{Tokens(), &root}};
  while (!stack.empty()) {
    auto [path, v] = std::move(stack.back());
    stack.pop_back();
    const json::object* o = v->if_object();
    if (!o || o->empty()) {
      out.emplace(std::move(path), v);
      continue;
    }
    for (const auto& member : *o) {
      Tokens child = path;
      child.emplace_back(member.key());
      stack.emplace_back(std::move(child), &member.value());
    }
  }
  return out;
}

// Places every pending leaf that `changed` (a path below the blamed value)
// touches: the leaf itself, a value above it, or one below it.
void PlaceTouched(std::map<Tokens, std::size_t>& pending, const Tokens& changed,
                  std::size_t version, std::vector<std::size_t>& placed) {
  for (auto it = pending.lower_bound(changed);
       it != pending.end() && it->first.size() >= changed.size() &&
       std::equal(changed.begin(), changed.end(), it->first.begin());) {
    placed[it->second] = version;
    it = pending.erase(it);
  }
  Tokens prefix;
  for (std::size_t i = 0; i < changed.size(); ++i) {
    if (auto it = pending.find(prefix); it != pending.end()) {
      placed[it->second] = version;
      pending.erase(it);
    }
    prefix.push_back(changed[i]);
  }
}

}  // namespace

Result<std::vector<BlameLine>> Repository::Blame(const std::string& doc, const JsonPointer& pointer,
                                                 const std::string& rev) try {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(impl_->repo_.get(), rev));
  STRATA_ASSIGN_OR_RETURN(VersionTrees trees, impl_->ReadTrees(c.get()));
  std::optional<ObjectId> state = trees.state;
  STRATA_ASSIGN_OR_RETURN(Located at, Locate(*impl_->store_, state, doc, pointer));
  std::string where = "'" + doc + "'";
  if (!pointer.IsRoot()) where.append(" ").append(pointer.ToString());
  if (!at.present) return Status::NotFound("no value at " + where + " at " + rev);
  STRATA_ASSIGN_OR_RETURN(json::value root, DecodeLocated(*impl_->store_, at));
  std::map<Tokens, const json::value*> leaves = Leaves(root);
  std::map<Tokens, std::size_t> pending;  // leaf path -> its index in `leaves` order
  {
    std::size_t i = 0;
    for (const auto& [path, v] : leaves) pending.emplace(path, i++);
  }
  constexpr std::size_t kUnplaced = static_cast<std::size_t>(-1);
  std::vector<std::size_t> placed(leaves.size(), kUnplaced);
  std::vector<VersionInfo> versions;
  STRATA_ASSIGN_OR_RETURN(AddedLabelIndex added, AddedLabelIndex::Load(impl_->repo_.get()));
  while (!pending.empty()) {
    std::optional<ObjectId> parent_state;
    CommitPtr parent;
    if (git_commit_parentcount(c.get()) > 0) {
      git_commit* p_raw = nullptr;
      int rc = git_commit_parent(&p_raw, c.get(), 0);
      if (rc < 0) {
        // The system's refusal (too many open files) says nothing of the repository.
        if (GitErrorIsSystem()) return GitError(rc, "cannot read the history of " + rev);
        return GitError(rc, "cannot read the history of " + rev +
                                " whole (a version is missing or damaged; run 'strata verify')");
      }
      parent.reset(p_raw);
      STRATA_ASSIGN_OR_RETURN(VersionTrees pt, impl_->ReadTrees(p_raw));
      parent_state = pt.state;
    }
    Located parent_at = at;
    bool changed = false;
    if (!(parent_state && *parent_state == *state)) {
      STRATA_ASSIGN_OR_RETURN(parent_at, Locate(*impl_->store_, parent_state, doc, pointer));
      STRATA_ASSIGN_OR_RETURN(changed, Differs(*impl_->store_, parent_at, at));
    }
    if (changed) {
      std::size_t version = versions.size();
      versions.push_back(DescribeCommit(c.get(), *state));
      STRATA_RETURN_IF_ERROR(impl_->SeeMessageThrough(versions.back(), c.get()));
      STRATA_ASSIGN_OR_RETURN(versions.back().added_labels,
                              added.Of(*impl_->store_, *git_commit_id(c.get())));
      if (!parent_at.present) {  // created here: every leaf left
        for (const auto& [path, index] : pending) placed[index] = version;
        pending.clear();
        break;
      }
      strata::Patch ops;
      STRATA_RETURN_IF_ERROR(DiffLocated(*impl_->store_, parent_at, at, JsonPointer(), ops));
      for (const PatchOp& op : ops) {
        PlaceTouched(pending, op.path.tokens(), version, placed);
        if (op.kind == PatchOpKind::kMove || op.kind == PatchOpKind::kCopy) {
          PlaceTouched(pending, op.from.tokens(), version, placed);
        }
      }
    }
    if (!parent) break;
    c = std::move(parent);
    state = parent_state;
    at = std::move(parent_at);
  }
  if (!pending.empty()) {
    // Only a version without a parent ends the loop with leaves left, and it
    // then created them (its parent, the empty state, had none).
    return Status::Corruption("blame of " + where + " at " + rev +
                              ": leaves left unplaced at the root version");
  }
  std::vector<BlameLine> out;
  out.reserve(leaves.size());
  std::size_t i = 0;
  for (const auto& [path, v] : leaves) {
    Tokens full = pointer.tokens();
    full.insert(full.end(), path.begin(), path.end());
    out.push_back(BlameLine{JsonPointer(std::move(full)), *v, versions[placed[i++]]});
  }
  return out;
} catch (...) {
  return CaughtStatus("Repository::Blame");
}

}  // namespace strata
