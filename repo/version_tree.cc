#include "repo/version_tree.h"

#include <ctime>

namespace strata {

Result<VersionTrees> ReadVersionTrees(ObjectStore& store, const git_commit* commit,
                                      PackReader* reader) {
  const std::string id = OidHex(git_commit_id(commit));
  const ObjectId root = FromGit(*git_commit_tree_id(commit));
  Result<std::vector<TreeEntry>> entries =
      reader ? store.ReadTree(root, *reader) : store.ReadTree(root);
  if (!entries.ok()) return entries.status().WithContext("version " + id);
  VersionTrees out;
  bool has_state = false;
  for (const TreeEntry& e : *entries) {
    if (e.name == kStateEntry && e.is_tree) {
      out.state = e.id;
      has_state = true;
    } else if (e.name == kMetaEntry && e.is_tree) {
      out.meta = e.id;
    } else if (e.name == kDeltaEntry && !e.is_tree) {
      out.delta = e.id;
    }
  }
  if (!has_state) return Status::Corruption("version " + id + " has no state tree");
  return out;
}

Result<SignaturePtr> GitSignature(const Signature& who, std::int64_t time, const char* role) {
  std::time_t tt = static_cast<std::time_t>(time);
  std::tm tm{};
  localtime_r(&tt, &tm);
  git_signature* raw = nullptr;
  int rc = git_signature_new(&raw, who.name.c_str(), who.email.c_str(), time,
                             static_cast<int>(tm.tm_gmtoff / 60));
  if (rc < 0) {
    std::string why = git_error_last() ? git_error_last()->message : "rejected by libgit2";
    git_error_clear();
    return Status::InvalidArgument(std::string("invalid ") + role + " '" + who.ToString() +
                                   "': " + why);
  }
  return SignaturePtr(raw);
}

VersionInfo DescribeCommit(const git_commit* commit, const ObjectId& state) {
  VersionInfo v;
  v.id = OidHex(git_commit_id(commit));
  for (unsigned i = 0; i < git_commit_parentcount(commit); ++i) {
    v.parents.push_back(OidHex(git_commit_parent_id(commit, i)));
  }
  const git_signature* a = git_commit_author(commit);
  v.author = Signature{a->name, a->email};
  v.time = a->when.time;
  v.offset_minutes = a->when.offset;
  SplitMessage(git_commit_message(commit), &v.message, &v.labels);
  v.state_id = state.Hex();
  return v;
}

}  // namespace strata
