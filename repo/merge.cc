// Merges of states: merge, cherry-pick and revert are one three-way merge
// (RunMerge), and a merge that stops on conflicts is kept in the repository
// until it is continued or aborted.
//
// A merge in progress on branch B is the ref refs/strata/merge/B naming a
// commit shaped like a version, so `git fsck` and `strata verify` read it as
// one, with one more entry (docs/format.md, "Merges in progress"):
//
//   commit     := parents (ours, then theirs when there is one), message
//                 "merge in progress: MESSAGE"
//   root       := tree { "delta.zst": ours -> merged, "meta": ours' meta,
//                        "merge.json": blob, "state": the merged state so far }
//   merge.json := {"operation", "branch", "rev", "ours", "theirs", "base" (id or null),
//                  "message", "resolved", "conflicts": [MergeConflictToJson...]}
//
// Every change to it (begin, each resolve, continue, abort) is one ref move
// in a RefTransaction, by compare-and-swap on the commit it read; objects are
// flushed (fsynced) before the ref names them. So a crash at any point
// leaves the merge as it was before the step or after it, never half.
#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "objects/delta_codec.h"
#include "objects/guard.h"
#include "objects/state_editor.h"
#include "objects/tree_codec.h"
#include "objects/tree_diff.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

constexpr const char* kMergeEntry = "merge.json";
constexpr const char* kMergeSettingsDoc = ".merge";
constexpr std::size_t kMaxDefaultMessage = 100;

// refs/strata/merge/BRANCH for the write target `ref` (refs/heads/BRANCH or HEAD).
std::string MergeRefFor(const std::string& ref) {
  const std::string heads = "refs/heads/";
  if (ref.rfind(heads, 0) == 0) return "refs/strata/merge/" + ref.substr(heads.size());
  return "refs/strata/merge/HEAD";
}

std::string Short(const std::string& id) { return id.substr(0, 12); }

Result<ObjectId> ParseId(const std::string& hex) {
  ObjectId id;
  if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstr(AsGit(id), hex.c_str()) < 0) {
    git_error_clear();
    return Status::Corruption("the merge in progress names '" + hex + "', which is no version id");
  }
  return id;
}

Result<ConflictKind> ParseConflictKind(std::string_view name) {
  for (ConflictKind k : {ConflictKind::kBothModified, ConflictKind::kBothAdded,
                         ConflictKind::kDeletedByUs, ConflictKind::kDeletedByThem}) {
    if (ConflictKindName(k) == name) return k;
  }
  return Status::Corruption("unknown conflict kind '" + std::string(name) + "'");
}

Result<MergeKind> ParseMergeKind(std::string_view name) {
  for (MergeKind k : {MergeKind::kMerge, MergeKind::kCherryPick, MergeKind::kRevert}) {
    if (MergeKindName(k) == name) return k;
  }
  return Status::Corruption("unknown merge operation '" + std::string(name) + "'");
}

// The stored merge: what merge.json says, and the trees beside it.
struct StoredMerge {
  ObjectId commit;
  MergeInProgress info;
  ObjectId state;
  std::optional<ObjectId> meta;
};

json::value MergeToJson(const MergeInProgress& m) {
  json::array conflicts;
  for (const MergeConflict& c : m.conflicts) conflicts.push_back(MergeConflictToJson(c));
  json::object o;
  o["operation"] = MergeKindName(m.operation);
  o["branch"] = m.branch;
  o["rev"] = m.rev;
  o["ours"] = m.ours;
  o["theirs"] = m.theirs;
  o["base"] = m.base ? json::value(*m.base) : json::value(nullptr);
  o["message"] = m.message;
  o["resolved"] = m.resolved;
  o["conflicts"] = std::move(conflicts);
  return o;
}

Result<MergeInProgress> MergeFromJson(const json::value& v) {
  const Status bad = Status::Corruption("the merge in progress (merge.json) is malformed");
  const json::object* o = v.if_object();
  if (!o) return bad;
  auto str = [&](const char* key) -> Result<std::string> {
    const json::value* f = o->if_contains(key);
    if (!f || !f->is_string()) return bad.WithContext(key);
    return std::string(f->get_string());
  };
  MergeInProgress m;
  STRATA_ASSIGN_OR_RETURN(std::string op, str("operation"));
  STRATA_ASSIGN_OR_RETURN(m.operation, ParseMergeKind(op));
  STRATA_ASSIGN_OR_RETURN(m.branch, str("branch"));
  STRATA_ASSIGN_OR_RETURN(m.rev, str("rev"));
  STRATA_ASSIGN_OR_RETURN(m.ours, str("ours"));
  STRATA_ASSIGN_OR_RETURN(m.theirs, str("theirs"));
  STRATA_ASSIGN_OR_RETURN(m.message, str("message"));
  if (const json::value* b = o->if_contains("base"); b && b->is_string()) {
    m.base = std::string(b->get_string());
  }
  if (const json::value* r = o->if_contains("resolved"); r && r->is_number()) {
    m.resolved = r->to_number<std::size_t>();
  }
  const json::value* list = o->if_contains("conflicts");
  if (!list || !list->is_array()) return bad.WithContext("conflicts");
  for (const json::value& e : list->get_array()) {
    const json::object* c = e.if_object();
    if (!c || !c->contains("doc") || !c->at("doc").is_string() || !c->contains("pointer") ||
        !c->at("pointer").is_string() || !c->contains("kind") || !c->at("kind").is_string()) {
      return bad.WithContext("conflicts");
    }
    MergeConflict mc;
    mc.doc = c->at("doc").get_string();
    STRATA_ASSIGN_OR_RETURN(mc.pointer, JsonPointer::Parse(c->at("pointer").get_string()));
    STRATA_ASSIGN_OR_RETURN(mc.kind, ParseConflictKind(c->at("kind").get_string()));
    if (const json::value* x = c->if_contains("base")) mc.base = *x;
    if (const json::value* x = c->if_contains("ours")) mc.ours = *x;
    if (const json::value* x = c->if_contains("theirs")) mc.theirs = *x;
    m.conflicts.push_back(std::move(mc));
  }
  return m;
}

Result<StoredMerge> LoadMerge(git_repository* repo, ObjectStore& store, const ObjectId& commit) {
  git_commit* raw = nullptr;
  STRATA_GIT(git_commit_lookup(&raw, repo, AsGit(commit)),
             "cannot read the merge in progress " + commit.Hex());
  CommitPtr c(raw);
  STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(store, raw));
  STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries,
                          store.ReadTree(FromGit(*git_commit_tree_id(raw))));
  for (const TreeEntry& e : entries) {
    if (e.name != kMergeEntry || e.is_tree) continue;
    STRATA_ASSIGN_OR_RETURN(std::string text, store.ReadBlob(e.id));
    STRATA_ASSIGN_OR_RETURN(json::value v, ParseJson(text, kMergeEntry));
    StoredMerge out{commit, {}, trees.state, trees.meta};
    STRATA_ASSIGN_OR_RETURN(out.info, MergeFromJson(v));
    return out;
  }
  return Status::Corruption("the merge in progress " + commit.Hex() + " has no " + kMergeEntry);
}

// Stages and flushes the commit of a merge in progress whose merged state is
// `state`, on ours (`ours_state`, `ours_meta`); returns its id.
Result<ObjectId> WriteMergeCommit(git_repository* repo, ObjectStore& store,
                                  const MergeInProgress& m,
                                  const std::optional<ObjectId>& ours_state,
                                  const std::optional<ObjectId>& ours_meta, const ObjectId& state,
                                  const Signature& author, std::int64_t time) {
  Patch delta;
  STRATA_RETURN_IF_ERROR(DiffStates(store, ours_state, state, delta));
  STRATA_ASSIGN_OR_RETURN(ObjectId delta_id, store.WriteBlob(EncodeDelta(delta)));
  STRATA_ASSIGN_OR_RETURN(ObjectId merge_id,
                          store.WriteBlob(FormatJson(MergeToJson(m), FormatOptions{0, false})));
  std::vector<TreeEntry> root{
      {kDeltaEntry, delta_id, false}, {kMergeEntry, merge_id, false}, {kStateEntry, state, true}};
  if (ours_meta) root.push_back({kMetaEntry, *ours_meta, true});
  STRATA_ASSIGN_OR_RETURN(ObjectId root_id, store.WriteTree(std::move(root)));
  git_tree* tree_raw = nullptr;
  STRATA_GIT(git_tree_lookup(&tree_raw, repo, AsGit(root_id)), "cannot read the new tree");
  TreePtr tree(tree_raw);
  git_signature* sig_raw = nullptr;
  STRATA_GIT(git_signature_new(&sig_raw, author.name.c_str(), author.email.c_str(), time, 0),
             "invalid author '" + author.ToString() + "'");
  SignaturePtr sig(sig_raw);
  std::vector<CommitPtr> owned;
  std::vector<const git_commit*> parents;
  // A merge's theirs is a parent, as in the version it becomes.
  std::vector<std::string> parent_ids{m.ours};
  if (m.operation == MergeKind::kMerge) parent_ids.push_back(m.theirs);
  for (const std::string& hex : parent_ids) {
    if (hex.empty()) continue;
    STRATA_ASSIGN_OR_RETURN(ObjectId id, ParseId(hex));
    git_commit* raw = nullptr;
    STRATA_GIT(git_commit_lookup(&raw, repo, AsGit(id)), "cannot read " + hex);
    owned.emplace_back(raw);
    parents.push_back(raw);
  }
  const std::string message =
      "merge in progress: " + SummaryLine(m.message, kMaxDefaultMessage) + "\n";
  GitBuf buf;
  STRATA_GIT(git_commit_create_buffer(&buf.buf, repo, sig.get(), sig.get(), nullptr,
                                      message.c_str(), tree.get(), parents.size(), parents.data()),
             "cannot record the merge in progress");
  STRATA_ASSIGN_OR_RETURN(
      ObjectId commit,
      store.WriteObject(std::string_view(buf.buf.ptr, buf.buf.size), GIT_OBJECT_COMMIT));
  STRATA_RETURN_IF_ERROR(store.Flush());
  return commit;
}

std::string HowToFinish(const MergeInProgress& m) {
  const std::string cmd =
      m.operation == MergeKind::kMerge ? "merge" : MergeKindName(m.operation).data();
  return "resolve the conflicts ('strata conflicts', 'strata resolve'), then 'strata " + cmd +
         " --continue', or 'strata " + cmd + " --abort'";
}

std::string DescribeConflicts(const std::vector<MergeConflict>& conflicts) {
  std::string out;
  for (std::size_t i = 0; i < conflicts.size() && i < 10; ++i) {
    if (i) out += ", ";
    out += conflicts[i].doc +
           (conflicts[i].pointer.IsRoot() ? "" : " " + conflicts[i].pointer.ToString());
  }
  if (conflicts.size() > 10) out += ", and " + std::to_string(conflicts.size() - 10) + " more";
  return out;
}

}  // namespace

bool Repository::ConflictSeen(const MergeConflict& c) const {
  if (!impl_->perspective_) return true;
  std::vector<MergeConflict> one{c};
  FilterConflicts(one);
  return !one.empty();
}

std::string Repository::DescribeConflictsSeen(std::vector<MergeConflict> conflicts) const {
  const std::size_t all = conflicts.size();
  FilterConflicts(conflicts);
  std::string out = DescribeConflicts(conflicts);
  if (conflicts.size() < all) {
    out += std::string(conflicts.empty() ? "" : ", and ") + std::to_string(all - conflicts.size()) +
           " that perspective '" + impl_->perspective_->name() + "' hides";
  }
  return out;
}

namespace {

// The commit `rev` names, or the first parent of it.
Result<std::optional<ObjectId>> FirstParent(git_commit* c) {
  if (git_commit_parentcount(c) == 0) return std::optional<ObjectId>();
  return std::optional<ObjectId>(FromGit(*git_commit_parent_id(c, 0)));
}

}  // namespace

std::string_view MergeKindName(MergeKind kind) {
  switch (kind) {
    case MergeKind::kMerge:
      return "merge";
    case MergeKind::kCherryPick:
      return "cherry-pick";
    case MergeKind::kRevert:
      return "revert";
  }
  return "merge";
}

json::object MergeConflictToJson(const MergeConflict& c) {
  json::object o;
  o["doc"] = c.doc;
  o["pointer"] = c.pointer.ToString();
  o["kind"] = ConflictKindName(c.kind);
  if (c.base) o["base"] = *c.base;
  if (c.ours) o["ours"] = *c.ours;
  if (c.theirs) o["theirs"] = *c.theirs;
  return o;
}

Status Repository::CheckNoMergeInProgress(const std::string& ref, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> pending,
                          ReadRef(impl_->repo_.get(), MergeRefFor(ref)));
  if (!pending) return Status::Ok();
  STRATA_ASSIGN_OR_RETURN(StoredMerge m, LoadMerge(impl_->repo_.get(), *impl_->store_, *pending));
  return Status::Conflict("a " + std::string(MergeKindName(m.info.operation)) + " of '" +
                          m.info.rev + "' into " + name + " is in progress, with " +
                          std::to_string(m.info.conflicts.size()) +
                          " unresolved conflict(s); nothing was written: " + HowToFinish(m.info));
}

Result<MergeOutcome> Repository::Merge(const std::string& rev, const MergeRequest& request) try {
  Result<MergeOutcome> out = RunMerge(MergeKind::kMerge, rev, request);
  if (out.ok()) FilterConflicts(out->conflicts);
  return out;
} catch (...) {
  return CaughtStatus("Repository::Merge");
}

Result<MergeOutcome> Repository::CherryPick(const std::string& rev,
                                            const MergeRequest& request) try {
  Result<MergeOutcome> out = RunMerge(MergeKind::kCherryPick, rev, request);
  if (out.ok()) FilterConflicts(out->conflicts);
  return out;
} catch (...) {
  return CaughtStatus("Repository::CherryPick");
}

Result<MergeOutcome> Repository::Revert(const std::string& rev, const MergeRequest& request) try {
  Result<MergeOutcome> out = RunMerge(MergeKind::kRevert, rev, request);
  if (out.ok()) FilterConflicts(out->conflicts);
  return out;
} catch (...) {
  return CaughtStatus("Repository::Revert");
}

Result<MergeOutcome> Repository::RunMerge(MergeKind kind, const std::string& rev,
                                          const MergeRequest& request) {
  const CommitOptions& options = request.commit;
  STRATA_RETURN_IF_ERROR(CheckCommitOptions(options));
  STRATA_ASSIGN_OR_RETURN(Signature author, ResolveAuthor(options));
  const std::int64_t time =
      options.time ? *options.time : static_cast<std::int64_t>(std::time(nullptr));
  STRATA_ASSIGN_OR_RETURN(WriteTarget target,
                          ResolveWriteTarget(impl_->repo_.get(), options.branch));
  STRATA_ASSIGN_OR_RETURN(CommitPtr rev_commit, LookupCommit(impl_->repo_.get(), rev));
  const ObjectId rev_id = FromGit(*git_commit_id(rev_commit.get()));
  STRATA_RETURN_IF_ERROR(CheckGitLock(impl_->repo_.get(), target.ref));

  // Everything below reads and moves refs under the write lock: a merge is
  // decided on the head it read, and no writer moves it meanwhile.
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                          RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
  STRATA_RETURN_IF_ERROR(CheckNoMergeInProgress(target.ref, target.name));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, tx.Read(target.ref));
  if (!head && options.branch && *options.branch != CurrentBranch()) {
    return Status::NotFound("no branch '" + *options.branch + "'");
  }

  MergeOutcome outcome;
  outcome.operation = kind;
  outcome.branch = target.name;

  // The three sides, as commits (nullopt: the empty state).
  std::optional<ObjectId> base, theirs;
  switch (kind) {
    case MergeKind::kMerge:
      theirs = rev_id;
      if (head) {
        git_oid b;
        int rc = git_merge_base(&b, impl_->repo_.get(), AsGit(*head), AsGit(rev_id));
        if (rc == 0) {
          base = FromGit(b);
        } else if (rc == GIT_ENOTFOUND) {
          git_error_clear();  // no common history: merge against the empty state
        } else {
          return GitError(rc,
                          "cannot find the merge base of " + target.name + " and '" + rev + "'");
        }
      }
      break;
    case MergeKind::kCherryPick: {
      theirs = rev_id;
      STRATA_ASSIGN_OR_RETURN(base, FirstParent(rev_commit.get()));
      break;
    }
    case MergeKind::kRevert: {
      base = rev_id;
      STRATA_ASSIGN_OR_RETURN(theirs, FirstParent(rev_commit.get()));
      break;
    }
  }
  if (!head && kind != MergeKind::kMerge) {
    return Status::NotFound("branch " + target.name + " has no versions yet; nothing to " +
                            std::string(MergeKindName(kind)) + " onto");
  }

  if (kind == MergeKind::kMerge) {
    if (head && (*head == rev_id || (base && *base == rev_id))) {
      outcome.kind = MergeOutcome::Kind::kUpToDate;
      return outcome;
    }
    const bool can_ff = !head || (base && *base == *head);
    if (can_ff && !head && !request.only.empty()) {
      return Status::InvalidArgument("branch " + target.name +
                                     " has no versions yet: merge without --only, which "
                                     "fast-forwards it to '" +
                                     rev + "'");
    }
    if (can_ff && (!head || (!request.no_ff && request.only.empty()))) {
      if (impl_->perspective_) {
        // Through a perspective, a fast-forward is a write like any other.
        std::optional<ObjectId> from;
        if (head) {
          git_commit* raw = nullptr;
          STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(*head)),
                     "cannot read " + head->Hex());
          CommitPtr c(raw);
          STRATA_ASSIGN_OR_RETURN(VersionTrees t, ReadVersionTrees(*impl_->store_, raw));
          from = t.state;
        }
        STRATA_ASSIGN_OR_RETURN(VersionTrees to,
                                ReadVersionTrees(*impl_->store_, rev_commit.get()));
        strata::Patch delta;
        STRATA_RETURN_IF_ERROR(DiffStates(*impl_->store_, from, to.state, delta));
        STRATA_RETURN_IF_ERROR(CheckPerspectiveWrite(from, to.state, TouchedDocuments(delta)));
      }
      STRATA_ASSIGN_OR_RETURN(Snapshot s, impl_->SnapshotOf(rev_commit.get(), rev));
      RefUpdate update;
      update.ref = target.ref;
      update.expected = head;
      update.target = rev_id;
      update.reason = "strata: merge " + rev + ": fast-forward";
      update.cause = RefCause::kMerge;
      tx.Update(std::move(update));
      STRATA_ASSIGN_OR_RETURN(CommitOutcome moved, tx.Commit());
      if (moved != CommitOutcome::kCommitted) {
        return Status::Conflict("the branch " + target.name +
                                " moved under another program during the merge; nothing was "
                                "written: merge again");
      }
      outcome.kind = MergeOutcome::Kind::kFastForward;
      outcome.version = s.version();
      return outcome;
    }
  }

  // The states.
  auto state_of = [&](const std::optional<ObjectId>& commit) -> Result<std::optional<ObjectId>> {
    if (!commit) return std::optional<ObjectId>();
    git_commit* raw = nullptr;
    STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(*commit)),
               "cannot read " + commit->Hex());
    CommitPtr c(raw);
    STRATA_ASSIGN_OR_RETURN(VersionTrees t, ReadVersionTrees(*impl_->store_, raw));
    return std::optional<ObjectId>(t.state);
  };
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> base_state, state_of(base));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> ours_state, state_of(head));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> theirs_state, state_of(theirs));

  // What each side changed, document by document, by id: equal subtrees
  // are skipped and nothing is decoded.
  std::vector<MemberDiff> ours_changed, theirs_changed;
  STRATA_RETURN_IF_ERROR(ChangedMembers(*impl_->store_, base_state, ours_state, ours_changed));
  STRATA_RETURN_IF_ERROR(ChangedMembers(*impl_->store_, base_state, theirs_state, theirs_changed));
  std::map<std::string, const MemberDiff*, std::less<>> ours_by_doc;
  for (const MemberDiff& d : ours_changed) ours_by_doc.emplace(d.key, &d);
  const std::set<std::string, std::less<>> only(request.only.begin(), request.only.end());

  // The merge policies in force are those of ours' `.merge` (merge/policy.h);
  // "latest" compares the two versions' times.
  MergePolicies policies;
  if (ours_state) {
    STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> settings,
                            FindMember(*impl_->store_, *ours_state, kMergeSettingsDoc));
    if (settings) {
      STRATA_ASSIGN_OR_RETURN(json::value doc, DecodeValue(*impl_->store_, *settings));
      Result<MergePolicies> parsed = MergePolicies::Parse(doc);
      if (!parsed.ok()) {
        return parsed.status().WithContext(std::string(kMergeSettingsDoc) + " on " + target.name);
      }
      policies = std::move(parsed).value();
    }
  }
  MergeOptions merge_options;
  merge_options.strategy = request.strategy;
  merge_options.policies = &policies;
  merge_options.theirs_newer = false;
  if (head && theirs) {
    git_commit* ours_raw = nullptr;
    git_commit* theirs_raw = nullptr;
    STRATA_GIT(git_commit_lookup(&ours_raw, impl_->repo_.get(), AsGit(*head)),
               "cannot read " + head->Hex());
    CommitPtr ours_commit(ours_raw);
    STRATA_GIT(git_commit_lookup(&theirs_raw, impl_->repo_.get(), AsGit(*theirs)),
               "cannot read " + theirs->Hex());
    CommitPtr theirs_commit(theirs_raw);
    merge_options.theirs_newer =
        git_commit_author(theirs_raw)->when.time > git_commit_author(ours_raw)->when.time;
  }
  MemberChanges by_id;                                       // taken from theirs, not decoded
  std::map<std::string, std::optional<json::value>> merged;  // merged documents
  std::vector<MergeConflict> conflicts;
  for (const MemberDiff& t : theirs_changed) {
    if (!only.empty() && !only.count(t.key)) continue;
    auto o = ours_by_doc.find(t.key);
    if (o == ours_by_doc.end()) {
      by_id[t.key] = t.b;
      ++outcome.documents;
      continue;
    }
    if (o->second->b == t.b) continue;  // the same change on both sides
    auto decode = [&](const std::optional<ValueRef>& r) -> Result<std::optional<json::value>> {
      if (!r) return std::optional<json::value>();
      STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(*impl_->store_, *r));
      return std::optional<json::value>(std::move(v));
    };
    STRATA_ASSIGN_OR_RETURN(std::optional<json::value> vb, decode(t.a));
    STRATA_ASSIGN_OR_RETURN(std::optional<json::value> vo, decode(o->second->b));
    STRATA_ASSIGN_OR_RETURN(std::optional<json::value> vt, decode(t.b));
    merge_options.doc = t.key;
    STRATA_ASSIGN_OR_RETURN(MergeResult r, MergeValues(vb ? &*vb : nullptr, vo ? &*vo : nullptr,
                                                       vt ? &*vt : nullptr, merge_options));
    for (Conflict& c : r.conflicts) {
      conflicts.push_back(MergeConflict{t.key, std::move(c.path), c.kind, std::move(c.base),
                                        std::move(c.ours), std::move(c.theirs)});
    }
    merged[t.key] = std::move(r.merged);
    ++outcome.documents;
  }

  // The merged state: ours, with theirs' documents by id and the merged ones encoded.
  const StateFn make_state = [&](const std::optional<ObjectId>& head_state) -> Result<ObjectId> {
    MemberChanges changes = by_id;
    for (const auto& [doc, value] : merged) {
      if (!value) {
        changes[doc] = std::nullopt;
        continue;
      }
      STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeValue(*impl_->store_, *value, 1));
      changes[doc] = ref;
    }
    STRATA_ASSIGN_OR_RETURN(ValueRef root, UpdateObject(*impl_->store_, head_state, changes, true));
    return root.id;
  };

  std::string message = options.message;
  if (message.empty()) {
    const std::string first =
        git_commit_summary(rev_commit.get()) ? git_commit_summary(rev_commit.get()) : "";
    switch (kind) {
      case MergeKind::kMerge:
        message = SummaryLine("merge " + rev + " into " + target.name, kMaxDefaultMessage);
        break;
      case MergeKind::kCherryPick:
        message =
            SummaryLine("cherry-pick " + Short(rev_id.Hex()) + ": " + first, kMaxDefaultMessage);
        break;
      case MergeKind::kRevert:
        message = SummaryLine("revert " + Short(rev_id.Hex()) + ": " + first, kMaxDefaultMessage);
        break;
    }
  }

  if (!conflicts.empty()) {
    // Stop: keep the merge in the repository, and leave the branch as it is.
    std::sort(conflicts.begin(), conflicts.end(),
              [](const MergeConflict& a, const MergeConflict& b) {
                return a.doc != b.doc ? a.doc < b.doc : a.pointer.tokens() < b.pointer.tokens();
              });
    MergeInProgress m;
    m.operation = kind;
    m.branch = target.name;
    m.rev = rev;
    m.ours = head->Hex();
    m.theirs = theirs ? theirs->Hex() : std::string();
    m.base = base ? std::optional<std::string>(base->Hex()) : std::nullopt;
    m.message = message;
    m.conflicts = conflicts;
    std::optional<ObjectId> ours_meta;
    {
      git_commit* raw = nullptr;
      STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(*head)),
                 "cannot read " + head->Hex());
      CommitPtr c(raw);
      STRATA_ASSIGN_OR_RETURN(VersionTrees t, ReadVersionTrees(*impl_->store_, raw));
      ours_meta = t.meta;
    }
    impl_->store_->Discard();
    struct DiscardOnExit {
      ObjectStore& store;
      ~DiscardOnExit() { store.Discard(); }
    } discard{*impl_->store_};
    STRATA_ASSIGN_OR_RETURN(ObjectId state, make_state(ours_state));
    STRATA_ASSIGN_OR_RETURN(ObjectId commit,
                            WriteMergeCommit(impl_->repo_.get(), *impl_->store_, m, ours_state,
                                             ours_meta, state, author, time));
    RefUpdate update;
    update.ref = MergeRefFor(target.ref);
    update.expected = std::nullopt;
    update.target = commit;
    update.reason = "strata: " + std::string(MergeKindName(kind)) + " " + rev + ": conflicts";
    update.cause = RefCause::kInternal;
    tx.Update(std::move(update));
    STRATA_ASSIGN_OR_RETURN(CommitOutcome moved, tx.Commit());
    if (moved != CommitOutcome::kCommitted) {
      return Status::Conflict("another merge began on " + target.name + " meanwhile");
    }
    outcome.kind = MergeOutcome::Kind::kConflicts;
    outcome.conflicts = std::move(conflicts);
    return outcome;
  }

  CommitOptions with_message = options;
  with_message.message = message;
  std::vector<ObjectId> extra;
  if (kind == MergeKind::kMerge) extra.push_back(*theirs);
  Result<Built> built = Build(
      head, make_state, [&](const strata::Patch&) { return message; }, with_message, author, time,
      std::nullopt, extra);
  if (!built.ok() && built.status().code() == Code::kUnchanged) {
    outcome.kind = MergeOutcome::Kind::kUpToDate;  // a cherry-pick or revert with nothing to do
    return outcome;
  }
  if (!built.ok()) return built.status();
  RefUpdate update;
  update.ref = target.ref;
  update.expected = head;
  update.target = built->commit;
  update.reason = "strata: " + message;
  update.cause = RefCause::kMerge;
  update.version = built->version;
  update.delta = built->delta;
  update.delta_values_dropped = built->delta_values_dropped;
  tx.Update(std::move(update));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome moved, tx.Commit());
  if (moved != CommitOutcome::kCommitted) {
    return Status::Conflict(
        "the branch " + target.name + " moved under another program during the " +
        std::string(MergeKindName(kind)) + "; nothing was written: run it again");
  }
  outcome.kind = MergeOutcome::Kind::kMerged;
  outcome.version = std::move(built->version);
  return outcome;
}

Result<std::optional<MergeInProgress>> Repository::CurrentMerge(
    const std::optional<std::string>& branch) try {
  STRATA_ASSIGN_OR_RETURN(WriteTarget target, ResolveWriteTarget(impl_->repo_.get(), branch));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> pending,
                          ReadRef(impl_->repo_.get(), MergeRefFor(target.ref)));
  if (!pending) return std::optional<MergeInProgress>();
  STRATA_ASSIGN_OR_RETURN(StoredMerge m, LoadMerge(impl_->repo_.get(), *impl_->store_, *pending));
  FilterConflicts(m.info.conflicts);
  return std::optional<MergeInProgress>(std::move(m.info));
} catch (...) {
  return CaughtStatus("Repository::CurrentMerge");
}

Result<MergeInProgress> Repository::Resolve(const ResolveRequest& request) try {
  if (request.take == ResolveRequest::Take::kValue && !request.value) {
    return Status::InvalidArgument("resolving with a value needs the value");
  }
  STRATA_ASSIGN_OR_RETURN(WriteTarget target,
                          ResolveWriteTarget(impl_->repo_.get(), request.branch));
  const std::string merge_ref = MergeRefFor(target.ref);
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                          RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> pending, tx.Read(merge_ref));
  if (!pending) return Status::NotFound("no merge in progress on " + target.name);
  STRATA_ASSIGN_OR_RETURN(StoredMerge m, LoadMerge(impl_->repo_.get(), *impl_->store_, *pending));

  std::vector<MergeConflict> chosen, remaining;
  for (MergeConflict& c : m.info.conflicts) {
    bool match = !request.doc ||
                 (c.doc == *request.doc && (!request.pointer || c.pointer == *request.pointer));
    // Through a perspective, a conflict it hides is not there to resolve.
    match = match && ConflictSeen(c);
    (match ? chosen : remaining).push_back(std::move(c));
  }
  if (chosen.empty()) {
    std::string what = request.doc ? *request.doc : std::string("the merge");
    if (request.doc && request.pointer) what += " " + request.pointer->ToString();
    return Status::NotFound(
        "no conflict at " + what + " in the " + std::string(MergeKindName(m.info.operation)) +
        " on " + target.name +
        (remaining.empty() ? "" : "; conflicts: " + DescribeConflictsSeen(remaining)));
  }

  impl_->store_->Discard();
  struct DiscardOnExit {
    ObjectStore& store;
    ~DiscardOnExit() { store.Discard(); }
  } discard{*impl_->store_};
  StateEditor editor(*impl_->store_, m.state);
  for (const MergeConflict& c : chosen) {
    std::optional<json::value> value;
    switch (request.take) {
      case ResolveRequest::Take::kOurs:
        value = c.ours;
        break;
      case ResolveRequest::Take::kTheirs:
        value = c.theirs;
        break;
      case ResolveRequest::Take::kBase:
        value = c.base;
        break;
      case ResolveRequest::Take::kValue:
        value = request.value;
        break;
    }
    std::vector<std::string> tokens{c.doc};
    tokens.insert(tokens.end(), c.pointer.tokens().begin(), c.pointer.tokens().end());
    const JsonPointer at(std::move(tokens));
    STRATA_ASSIGN_OR_RETURN(bool exists, editor.Exists(at));
    Status s =
        value ? editor.Add(at, std::move(*value)) : (exists ? editor.Remove(at) : Status::Ok());
    if (!s.ok()) return s.WithContext("resolving " + c.doc + " " + c.pointer.ToString());
  }
  STRATA_ASSIGN_OR_RETURN(ObjectId state, editor.Write());
  m.info.conflicts = std::move(remaining);
  m.info.resolved += chosen.size();

  STRATA_ASSIGN_OR_RETURN(ObjectId ours_id, ParseId(m.info.ours));
  git_commit* raw = nullptr;
  STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(ours_id)),
             "cannot read " + m.info.ours);
  CommitPtr ours(raw);
  STRATA_ASSIGN_OR_RETURN(VersionTrees ours_trees, ReadVersionTrees(*impl_->store_, raw));
  STRATA_ASSIGN_OR_RETURN(Signature author, ResolveAuthor(CommitOptions{}));
  STRATA_ASSIGN_OR_RETURN(
      ObjectId commit,
      WriteMergeCommit(impl_->repo_.get(), *impl_->store_, m.info, ours_trees.state,
                       ours_trees.meta, state, author, git_commit_time(ours.get())));
  RefUpdate update;
  update.ref = merge_ref;
  update.expected = pending;
  update.target = commit;
  update.reason = "strata: resolve " + std::to_string(chosen.size()) + " conflict(s)";
  update.cause = RefCause::kInternal;
  tx.Update(std::move(update));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome moved, tx.Commit());
  if (moved != CommitOutcome::kCommitted) {
    return Status::Conflict("the merge in progress on " + target.name +
                            " changed meanwhile; nothing was resolved: look again");
  }
  FilterConflicts(m.info.conflicts);
  return std::move(m.info);
} catch (...) {
  return CaughtStatus("Repository::Resolve");
}

Result<MergeOutcome> Repository::ContinueMerge(const CommitOptions& options) try {
  STRATA_RETURN_IF_ERROR(CheckCommitOptions(options));
  STRATA_ASSIGN_OR_RETURN(Signature author, ResolveAuthor(options));
  const std::int64_t time =
      options.time ? *options.time : static_cast<std::int64_t>(std::time(nullptr));
  STRATA_ASSIGN_OR_RETURN(WriteTarget target,
                          ResolveWriteTarget(impl_->repo_.get(), options.branch));
  const std::string merge_ref = MergeRefFor(target.ref);
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                          RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> pending, tx.Read(merge_ref));
  if (!pending) return Status::NotFound("no merge in progress on " + target.name);
  STRATA_ASSIGN_OR_RETURN(StoredMerge m, LoadMerge(impl_->repo_.get(), *impl_->store_, *pending));
  const std::string op(MergeKindName(m.info.operation));
  if (!m.info.conflicts.empty()) {
    return Status::Conflict(std::to_string(m.info.conflicts.size()) + " conflict(s) of the " + op +
                            " of '" + m.info.rev + "' into " + target.name +
                            " remain: " + DescribeConflictsSeen(m.info.conflicts) +
                            "; resolve them with 'strata resolve', or 'strata " + op + " --abort'");
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, tx.Read(target.ref));
  STRATA_ASSIGN_OR_RETURN(ObjectId ours, ParseId(m.info.ours));
  if (!head || !(*head == ours)) {
    return Status::Conflict("the branch " + target.name + " moved since the " + op +
                            " began (another program wrote to it); abort with 'strata " + op +
                            " --abort' and " + op + " again");
  }
  MergeOutcome outcome;
  outcome.operation = m.info.operation;
  outcome.branch = target.name;

  CommitOptions with_message = options;
  if (with_message.message.empty()) with_message.message = m.info.message;
  std::vector<ObjectId> extra;
  if (m.info.operation == MergeKind::kMerge) {
    STRATA_ASSIGN_OR_RETURN(ObjectId theirs, ParseId(m.info.theirs));
    extra.push_back(theirs);
  }
  const ObjectId state = m.state;
  Result<Built> built = Build(
      head, [&](const std::optional<ObjectId>&) -> Result<ObjectId> { return state; },
      [&](const strata::Patch&) { return with_message.message; }, with_message, author, time,
      std::nullopt, extra);
  RefUpdate end;
  end.ref = merge_ref;
  end.expected = pending;
  end.kind = RefUpdateKind::kDelete;
  end.reason = "strata: " + op + " --continue";
  end.cause = RefCause::kInternal;
  if (!built.ok() && built.status().code() == Code::kUnchanged) {
    // Every conflict was resolved to what the branch holds: nothing to write.
    tx.Update(std::move(end));
    STRATA_ASSIGN_OR_RETURN(CommitOutcome moved, tx.Commit());
    if (moved != CommitOutcome::kCommitted) {
      return Status::Conflict("the merge in progress on " + target.name + " changed meanwhile");
    }
    outcome.kind = MergeOutcome::Kind::kUpToDate;
    return outcome;
  }
  if (!built.ok()) return built.status();
  RefUpdate update;
  update.ref = target.ref;
  update.expected = head;
  update.target = built->commit;
  update.reason = "strata: " + with_message.message;
  update.cause = RefCause::kMerge;
  update.version = built->version;
  update.delta = built->delta;
  update.delta_values_dropped = built->delta_values_dropped;
  tx.Update(std::move(update));
  tx.Update(std::move(end));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome moved, tx.Commit());
  if (moved != CommitOutcome::kCommitted) {
    return Status::Conflict("the branch " + target.name +
                            " or its merge in progress moved "
                            "meanwhile; nothing was written");
  }
  outcome.kind = MergeOutcome::Kind::kMerged;
  outcome.version = std::move(built->version);
  return outcome;
} catch (...) {
  return CaughtStatus("Repository::ContinueMerge");
}

Result<MergeInProgress> Repository::AbortMerge(const std::optional<std::string>& branch) try {
  STRATA_ASSIGN_OR_RETURN(WriteTarget target, ResolveWriteTarget(impl_->repo_.get(), branch));
  const std::string merge_ref = MergeRefFor(target.ref);
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                          RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> pending, tx.Read(merge_ref));
  if (!pending) return Status::NotFound("no merge in progress on " + target.name);
  STRATA_ASSIGN_OR_RETURN(StoredMerge m, LoadMerge(impl_->repo_.get(), *impl_->store_, *pending));
  RefUpdate end;
  end.ref = merge_ref;
  end.expected = pending;
  end.kind = RefUpdateKind::kDelete;
  end.reason = "strata: " + std::string(MergeKindName(m.info.operation)) + " --abort";
  end.cause = RefCause::kInternal;
  tx.Update(std::move(end));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome moved, tx.Commit());
  if (moved != CommitOutcome::kCommitted) {
    return Status::Conflict("the merge in progress on " + target.name + " changed meanwhile");
  }
  FilterConflicts(m.info.conflicts);
  return std::move(m.info);
} catch (...) {
  return CaughtStatus("Repository::AbortMerge");
}

}  // namespace strata
