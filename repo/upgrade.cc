// Repository::Upgrade: a format-1, -2 or -3 repository to kFormatVersion
// (docs/format.md, "Format versions"). Each branch whose head state (or
// metadata) is stored otherwise than the new format stores it gets one
// version, "upgrade to format 4", with an empty delta and the same documents
// encoded as a new repository encodes them; then strata.formatVersion is
// set. All branches move in one ref transaction, under the write lock.
#include <ctime>

#include "objects/delta_codec.h"
#include "objects/guard.h"
#include "objects/tree_codec.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

std::string UpgradeMessage() { return "upgrade to format " + std::to_string(kFormatVersion); }

// The object node `node` (a state or metadata tree) encoded with the store's
// current settings: each member that may be stored otherwise (an object
// node, or a blob too large for a small value: format 1's large arrays) is
// decoded and encoded again, and the node itself is rebuilt in the store's
// shard shape. `changed` counts the members whose stored form changed.
Result<ObjectId> Reencoded(ObjectStore& store, const ObjectId& node, std::size_t& changed) {
  std::vector<Member> members;
  STRATA_RETURN_IF_ERROR(ReadMembers(store, node, members));
  for (Member& m : members) {
    if (!m.ref.is_tree) {
      STRATA_ASSIGN_OR_RETURN(std::size_t size, store.BlobSize(m.ref.id));
      if (size <= kBlobMaxBytes) continue;
    }
    STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(store, m.ref));
    STRATA_ASSIGN_OR_RETURN(ValueRef now, EncodeValue(store, v, 1));
    if (!(now == m.ref)) {
      m.ref = now;
      ++changed;
    }
  }
  STRATA_ASSIGN_OR_RETURN(ValueRef root, EncodeMembers(store, std::move(members), true));
  return root.id;
}

}  // namespace

Result<UpgradeReport> Repository::Upgrade(const UpgradeOptions& options) try {
  git_repository* repo = impl_->repo_.get();
  ObjectStore& store = *impl_->store_;
  UpgradeReport report;
  STRATA_ASSIGN_OR_RETURN(report.from_version, ReadFormatVersion(repo));
  report.to_version = report.from_version;
  if (report.from_version >= kFormatVersion) return report;
  if (impl_->perspective_) {
    return Status::InvalidArgument(
        "upgrade rewrites every branch's state: run it without a perspective");
  }
  STRATA_RETURN_IF_ERROR(CheckCommitOptions(options.commit));
  STRATA_ASSIGN_OR_RETURN(Signature author, ResolveAuthor(options.commit));
  const std::int64_t time =
      options.commit.time ? *options.commit.time : static_cast<std::int64_t>(std::time(nullptr));
  STRATA_ASSIGN_OR_RETURN(std::vector<BranchInfo> branches, Branches());

  // Encode as the new format from here; back to the old one unless it is done.
  store.Discard();
  store.set_format(kFormatVersion);
  struct Restore {
    ObjectStore& store;
    int from;
    bool done = false;
    ~Restore() {
      store.Discard();
      if (!done) store.set_format(from);
    }
  } restore{store, report.from_version};

  STRATA_ASSIGN_OR_RETURN(RefTransaction tx, RefTransaction::Begin(repo, &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(SignaturePtr sig, GitSignature(author, time, "author"));
  for (const BranchInfo& b : branches) {
    UpgradeReport::Branch out;
    out.name = b.name;
    const std::string ref = "refs/heads/" + b.name;
    STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, tx.Read(ref));
    if (!head) continue;
    git_commit* raw = nullptr;
    STRATA_GIT(git_commit_lookup(&raw, repo, AsGit(*head)),
               "cannot read branch '" + b.name + "' (" + head->Hex() + ")");
    CommitPtr parent(raw);
    STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(store, raw));
    std::size_t changed = 0, meta_changed = 0;
    Result<ObjectId> state = Reencoded(store, trees.state, changed);
    if (!state.ok()) return state.status().WithContext("branch '" + b.name + "'");
    std::optional<ObjectId> meta = trees.meta;
    if (meta) {
      Result<ObjectId> m = Reencoded(store, *meta, meta_changed);
      if (!m.ok()) return m.status().WithContext("the metadata of branch '" + b.name + "'");
      meta = *m;
    }
    out.documents = changed;
    out.rewritten = !(*state == trees.state && meta == trees.meta);
    if (!out.rewritten || options.dry_run) {
      report.branches.push_back(std::move(out));
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(ObjectId delta_id, store.WriteBlob(EncodeDelta(strata::Patch())));
    std::vector<TreeEntry> root = {{kDeltaEntry, delta_id, false}, {kStateEntry, *state, true}};
    if (meta) root.push_back({kMetaEntry, *meta, true});
    STRATA_ASSIGN_OR_RETURN(ObjectId root_id, store.WriteTree(std::move(root)));
    git_tree* tree_raw = nullptr;
    STRATA_GIT(git_tree_lookup(&tree_raw, repo, AsGit(root_id)), "cannot read the new tree");
    TreePtr tree(tree_raw);
    const git_commit* parents[] = {parent.get()};
    GitBuf buf;
    STRATA_GIT(git_commit_create_buffer(&buf.buf, repo, sig.get(), sig.get(), nullptr,
                                        UpgradeMessage().c_str(), tree.get(), 1, parents),
               "cannot create the upgrade version of branch '" + b.name + "'");
    STRATA_ASSIGN_OR_RETURN(
        ObjectId commit,
        store.WriteObject(std::string_view(buf.buf.ptr, buf.buf.size), GIT_OBJECT_COMMIT));
    // Objects reach the disk (fsynced) before any ref names them.
    STRATA_RETURN_IF_ERROR(store.Flush());
    git_commit* c_raw = nullptr;
    STRATA_GIT(git_commit_lookup(&c_raw, repo, AsGit(commit)), "cannot read the new version");
    CommitPtr written(c_raw);
    RefUpdate update;
    update.ref = ref;
    update.expected = head;
    update.target = commit;
    update.reason = "strata: " + UpgradeMessage();
    update.cause = RefCause::kWrite;
    update.version = DescribeCommit(c_raw, *state);
    tx.Update(std::move(update));
    out.version = commit.Hex();
    report.branches.push_back(std::move(out));
  }
  report.to_version = kFormatVersion;
  if (options.dry_run) return report;
  STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
  if (outcome != CommitOutcome::kCommitted) {
    return Status::Conflict(
        "a branch moved under another program during the upgrade; nothing was changed: run it "
        "again");
  }
  // Last: a repository that says the new format has every branch upgraded.
  git_config* cfg_raw = nullptr;
  STRATA_GIT(git_repository_config(&cfg_raw, repo), "cannot open the repository config");
  ConfigPtr cfg(cfg_raw);
  STRATA_GIT(git_config_set_int32(cfg.get(), "strata.formatVersion", kFormatVersion),
             "cannot write strata.formatVersion (the branches were upgraded: run it again)");
  restore.done = true;
  return report;
} catch (...) {
  return CaughtStatus("Repository::Upgrade");
}

}  // namespace strata
