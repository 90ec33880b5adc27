// Repository::Prune (strata/prune.h has the rules, docs/prune.md the guide).
//
// The steps, in order:
//   1. the plan: the first-parent line, the cut, the squashed set (what the
//      cut reaches), the versions after it (carried or dropped), the tags
//      and labels on them; refusals (a merge in progress, remote history);
//   2. the objects: the base version and the copies, staged and flushed
//      (fsynced) before any ref names them; notes commits and annotated tag
//      objects go to disk through libgit2's own database (OpenDirectWriter);
//   3. one ref transaction, under the write lock, by compare-and-swap:
//      archive refs, the notes ref, the branch, the moved tags;
//   4. the branch's and HEAD's reflogs, rewritten under the same lock so
//      that gc does not keep the old history for them.
// A crash before 3 leaves unreferenced objects only; during 3, refs in the
// order above (the branch names the old history or the new); between 3 and
// 4, the old history stays reachable from the reflogs until they expire.
#include "strata/prune.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "objects/delta_codec.h"
#include "objects/guard.h"
#include "objects/tree_diff.h"
#include "repo/labels.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

using NotePtr = GitPtr<git_note, git_note_free>;
using TagPtr = GitPtr<git_tag, git_tag_free>;
using RefIteratorPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;

constexpr const char* kArchivePrefix = "refs/strata/archive/";
constexpr const char* kTagPrefix = "refs/tags/";
constexpr const char* kRemotePrefix = "refs/remotes/";

// STRATA_PRUNE_TEST_STOP=STEP: the process ends at once at STEP, as a
// SIGKILL would end it there (tests/cli/t2110-prune.sh kills prune at each
// step: "written", "moved", "done").
void StopPoint(const char* step) {
  const char* stop = std::getenv("STRATA_PRUNE_TEST_STOP");
  if (stop != nullptr && std::strcmp(stop, step) == 0) _exit(137);
}

std::string Short(const std::string& id) { return id.substr(0, 12); }

// A version's time, as VersionInfo::time and `log --since` read it.
std::int64_t AuthorTime(const git_commit* c) {
  return static_cast<std::int64_t>(git_commit_author(c)->when.time);
}

std::string Subject(const git_commit* c) {
  std::string m;
  std::vector<std::string> labels;
  SplitMessage(git_commit_message(c), &m, &labels);
  return m.substr(0, m.find('\n'));
}

Result<CommitPtr> Lookup(git_repository* repo, const ObjectId& id) {
  git_commit* raw = nullptr;
  STRATA_GIT(git_commit_lookup(&raw, repo, AsGit(id)), "cannot read version " + id.Hex());
  return CommitPtr(raw);
}

// Every commit `from` reaches (itself included), parents first; commits
// `hide` reaches are left out.
Result<std::vector<ObjectId>> Walk(git_repository* repo, const ObjectId& from,
                                   const std::optional<ObjectId>& hide) {
  git_revwalk* raw = nullptr;
  STRATA_GIT(git_revwalk_new(&raw, repo), "cannot walk the history");
  RevwalkPtr walk(raw);
  STRATA_GIT(git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE),
             "cannot walk the history");
  STRATA_GIT(git_revwalk_push(walk.get(), AsGit(from)), "cannot walk from " + from.Hex());
  if (hide) STRATA_GIT(git_revwalk_hide(walk.get(), AsGit(*hide)), "cannot walk the history");
  std::vector<ObjectId> out;
  git_oid id;
  int rc;
  while ((rc = git_revwalk_next(&id, walk.get())) == 0) out.push_back(FromGit(id));
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot walk from " + from.Hex());
  git_error_clear();
  return out;
}

// Every ref under `prefix` with the commit it peels to (refs that name no
// commit are skipped), and whether it names a tag object.
struct PeeledRef {
  std::string name;
  ObjectId target;   // what the ref holds
  ObjectId version;  // the commit it peels to
  bool annotated = false;
};

Result<std::vector<PeeledRef>> RefsUnder(git_repository* repo, const std::string& prefix) {
  git_reference_iterator* raw = nullptr;
  STRATA_GIT(git_reference_iterator_glob_new(&raw, repo, (prefix + "*").c_str()),
             "cannot list " + prefix);
  RefIteratorPtr it(raw);
  std::vector<PeeledRef> out;
  git_reference* ref_raw = nullptr;
  int rc;
  while ((rc = git_reference_next(&ref_raw, it.get())) == 0) {
    ReferencePtr ref(ref_raw);
    if (git_reference_type(ref_raw) != GIT_REFERENCE_DIRECT) continue;
    git_object* peeled = nullptr;
    if (git_reference_peel(&peeled, ref_raw, GIT_OBJECT_COMMIT) != 0) {
      git_error_clear();
      continue;
    }
    ObjectPtr owned(peeled);
    PeeledRef p;
    p.name = git_reference_name(ref_raw);
    p.target = FromGit(*git_reference_target(ref_raw));
    p.version = FromGit(*git_object_id(peeled));
    p.annotated = !(p.target == p.version);
    out.push_back(std::move(p));
  }
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot list " + prefix);
  git_error_clear();
  return out;
}

// Rewrites reflog `ref`: entries whose new id is in `map` name its image,
// entries whose new id is in `removed` go; each kept entry's old id becomes
// the previous kept entry's new id. Nothing is written when nothing changes.
Status RewriteReflog(git_repository* repo, const std::string& ref,
                     const std::unordered_map<ObjectId, ObjectId>& map,
                     const std::unordered_set<ObjectId>& removed) {
  git_reflog* raw = nullptr;
  STRATA_GIT(git_reflog_read(&raw, repo, ref.c_str()), "cannot read the reflog of " + ref);
  ReflogPtr log(raw);
  struct Entry {
    ObjectId id;
    SignaturePtr who;
    std::string message;
  };
  std::vector<Entry> kept;  // oldest first
  bool changed = false;
  const std::size_t n = git_reflog_entrycount(raw);
  for (std::size_t i = n; i-- > 0;) {
    const git_reflog_entry* e = git_reflog_entry_byindex(raw, i);
    ObjectId id = FromGit(*git_reflog_entry_id_new(e));
    ObjectId old = FromGit(*git_reflog_entry_id_old(e));
    if (removed.count(id) || map.count(id) || removed.count(old) || map.count(old)) changed = true;
    if (removed.count(id)) continue;
    if (auto m = map.find(id); m != map.end()) id = m->second;
    git_signature* sig = nullptr;
    STRATA_GIT(git_signature_dup(&sig, git_reflog_entry_committer(e)),
               "cannot read the reflog of " + ref);
    const char* msg = git_reflog_entry_message(e);
    kept.push_back({id, SignaturePtr(sig), msg ? msg : ""});
  }
  if (!changed) return Status::Ok();
  for (std::size_t i = n; i-- > 0;) {
    STRATA_GIT(git_reflog_drop(raw, i, 0), "cannot rewrite the reflog of " + ref);
  }
  for (const Entry& e : kept) {
    STRATA_GIT(git_reflog_append(raw, AsGit(e.id), e.who.get(),
                                 e.message.empty() ? nullptr : e.message.c_str()),
               "cannot rewrite the reflog of " + ref);
  }
  STRATA_GIT(git_reflog_write(raw), "cannot write the reflog of " + ref);
  return Status::Ok();
}

// Drops from each file of `dir` (.strata/projections: "source target kind"
// lines) the lines whose source is in `gone`, by writing the rest to a
// temporary file renamed over it. The files are caches: a line lost to a
// concurrent append only costs recomputation.
Status DropCacheLines(const std::string& dir, const std::unordered_set<ObjectId>& gone) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string path = it->path().string();
    std::ifstream in(path);
    std::string line, kept;
    bool dropped = false;
    while (std::getline(in, line)) {
      git_oid id;
      if (line.size() >= GIT_OID_HEXSZ && git_oid_fromstrn(&id, line.data(), GIT_OID_HEXSZ) == 0 &&
          gone.count(FromGit(id))) {
        dropped = true;
        continue;
      }
      git_error_clear();
      if (!in.eof())
        kept += line + "\n";  // a torn last line goes too
      else
        dropped = true;
    }
    if (!dropped) continue;
    const std::string tmp = path + ".prune-tmp";
    {
      std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
      out << kept;
      out.flush();
      if (!out) return Status::IOError("cannot write " + tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      return Status::IOError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string PruneArchiveRef(const std::string& branch, const std::string& id) {
  return kArchivePrefix + branch + "/" + id;
}

Result<PruneReport> Repository::Prune(const PruneOptions& options) try {
  git_repository* repo = impl_->repo_.get();
  if (options.keep.has_value() == options.before.has_value()) {
    return Status::InvalidArgument("prune needs exactly one of --keep N and --before DATE");
  }
  if (options.keep && *options.keep == 0) {
    return Status::InvalidArgument(
        "--keep 0 would squash the branch head itself; keep at least 1 version");
  }
  if (impl_->perspective_) {
    return Status::InvalidArgument(
        "prune rewrites whole versions, which a reader through perspective '" +
        impl_->perspective_->name() + "' may not see; run it without one");
  }
  STRATA_ASSIGN_OR_RETURN(WriteTarget target, ResolveWriteTarget(repo, options.branch));
  if (target.ref == "HEAD") {
    return Status::InvalidArgument("HEAD is detached: name the branch to prune with --branch");
  }
  const std::string branch = target.ref.substr(std::string("refs/heads/").size());
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, ReadRef(repo, target.ref));
  if (!head) {
    if (options.branch && *options.branch != CurrentBranch()) {
      return Status::NotFound("no branch '" + *options.branch + "'");
    }
    return Status::Unchanged("branch " + branch + " has no versions yet; nothing to prune");
  }
  STRATA_RETURN_IF_ERROR(CheckNoMergeInProgress(target.ref, branch));
  CommitOptions who;
  who.author = options.author;
  STRATA_ASSIGN_OR_RETURN(Signature author, ResolveAuthor(who));
  if (!options.dry_run) STRATA_RETURN_IF_ERROR(CheckGitLock(repo, target.ref));

  // The write lock for the whole run (the plan included), so the branch, its
  // tags and the notes cannot move between the plan and the transaction. A
  // dry run takes none: it changes nothing.
  std::optional<RefTransaction> tx;
  if (!options.dry_run) {
    STRATA_ASSIGN_OR_RETURN(RefTransaction t, RefTransaction::Begin(repo, &impl_->hooks_));
    tx.emplace(std::move(t));
    STRATA_RETURN_IF_ERROR(CheckNoMergeInProgress(target.ref, branch));
    STRATA_ASSIGN_OR_RETURN(head, tx->Read(target.ref));
    if (!head) return Status::Conflict("branch " + branch + " was deleted; nothing was pruned");
  }

  PruneReport report;
  report.dry_run = options.dry_run;
  report.branch = branch;
  report.head_before = head->Hex();

  // 1. The cut, on the first-parent line.
  std::optional<ObjectId> cut;
  {
    ObjectId at = *head;
    for (std::size_t i = 0;; ++i) {
      STRATA_ASSIGN_OR_RETURN(CommitPtr c, Lookup(repo, at));
      const bool old = options.keep ? i == *options.keep : AuthorTime(c.get()) < *options.before;
      if (old) {
        cut = at;
        break;
      }
      if (git_commit_parentcount(c.get()) == 0) break;
      at = FromGit(*git_commit_parent_id(c.get(), 0));
    }
  }
  const std::string what = options.keep
                               ? "the newest " + std::to_string(*options.keep)
                               : "the versions dated since " + FormatUtcTime(*options.before);
  if (!cut) {
    return Status::Unchanged("nothing to prune: every version of " + branch + " is among " + what);
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<ObjectId> squashed, Walk(repo, *cut, std::nullopt));
  if (squashed.size() < 2) {
    return Status::Unchanged("nothing to prune: the one version of " + branch + " outside " + what +
                             " is its first");
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<ObjectId> after, Walk(repo, *head, cut));
  const std::unordered_set<ObjectId> squashed_set(squashed.begin(), squashed.end());

  // Carried: a version after the cut whose first parent is the cut, a
  // carried version, or none. The others (side versions that forked before
  // the cut) are dropped.
  std::unordered_set<ObjectId> carried;
  std::vector<ObjectId> dropped;
  for (const ObjectId& id : after) {
    STRATA_ASSIGN_OR_RETURN(CommitPtr c, Lookup(repo, id));
    bool keep = git_commit_parentcount(c.get()) == 0;
    if (!keep) {
      const ObjectId first = FromGit(*git_commit_parent_id(c.get(), 0));
      keep = first == *cut || carried.count(first) > 0;
    }
    if (keep) {
      carried.insert(id);
    } else {
      dropped.push_back(id);
    }
  }

  // 2. Refusals: history a remote already has.
  STRATA_ASSIGN_OR_RETURN(std::vector<PeeledRef> remotes, RefsUnder(repo, kRemotePrefix));
  for (const PeeledRef& r : remotes) {
    const std::string rest = r.name.substr(std::string(kRemotePrefix).size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string::npos || rest.substr(slash + 1) != branch) continue;
    git_oid base;
    int rc = git_merge_base(&base, repo, AsGit(r.version), AsGit(*head));
    if (rc == GIT_ENOTFOUND) {
      git_error_clear();
      continue;
    }
    if (rc < 0) return GitError(rc, "cannot compare " + branch + " with " + r.name);
    if (!options.force) {
      const std::string remote = rest.substr(0, slash);
      return Status::Conflict(
          "remote '" + remote + "' already has versions of " + branch + " that prune would " +
          "rewrite (" + rest + " is at " + Short(r.version.Hex()) + ", which shares version " +
          Short(OidHex(&base)) + " with " + branch + "); nothing was pruned. --force would " +
          "prune anyway: " + rest + " keeps the old history, a later `strata push` of " + branch +
          " to '" + remote + "' needs --force, and every clone that has the old history must " +
          "reset to the new one");
    }
    report.remotes_rewritten.push_back(rest);
  }

  // Tags and labels on every version involved.
  STRATA_ASSIGN_OR_RETURN(std::vector<PeeledRef> tags, RefsUnder(repo, kTagPrefix));
  std::unordered_map<ObjectId, std::vector<std::string>> tags_of;
  for (const PeeledRef& t : tags) {
    tags_of[t.version].push_back(t.name.substr(std::string(kTagPrefix).size()));
  }
  STRATA_ASSIGN_OR_RETURN(AddedLabelIndex added, AddedLabelIndex::Load(repo));

  // The removed versions, newest first: dropped side versions, then the
  // squashed ones (each list is parents first).
  std::vector<std::pair<ObjectId, bool>> removed_ids;
  for (auto it = dropped.rbegin(); it != dropped.rend(); ++it) removed_ids.push_back({*it, true});
  for (auto it = squashed.rbegin(); it != squashed.rend(); ++it) {
    removed_ids.push_back({*it, false});
  }
  std::unordered_set<ObjectId> removed_set;
  std::set<std::string> archive_refs;
  report.oldest_time = std::numeric_limits<std::int64_t>::max();
  report.newest_time = std::numeric_limits<std::int64_t>::min();
  for (const auto& [id, is_dropped] : removed_ids) {
    removed_set.insert(id);
    STRATA_ASSIGN_OR_RETURN(CommitPtr c, Lookup(repo, id));
    PrunedVersion v;
    v.id = id.Hex();
    v.time = AuthorTime(c.get());
    v.subject = Subject(c.get());
    v.dropped = is_dropped;
    if (auto t = tags_of.find(id); t != tags_of.end()) v.tags = t->second;
    std::string ignored;
    SplitMessage(git_commit_message(c.get()), &ignored, &v.labels);
    STRATA_ASSIGN_OR_RETURN(std::vector<std::string> later, added.Of(*impl_->store_, ToGit(id)));
    v.labels.insert(v.labels.end(), later.begin(), later.end());
    if (!v.tags.empty() || !v.labels.empty()) {
      v.archive_ref = PruneArchiveRef(branch, v.id);
      archive_refs.insert(v.archive_ref);
    }
    if (is_dropped) {
      ++report.dropped;
    } else {
      ++report.squashed;
      report.oldest_time = std::min(report.oldest_time, v.time);
      report.newest_time = std::max(report.newest_time, v.time);
    }
    report.removed.push_back(std::move(v));
  }
  report.cut = cut->Hex();

  // 3. The base version: the cut's state and metadata, from nothing.
  impl_->store_->Discard();
  struct DiscardOnExit {
    ObjectStore& store;
    ~DiscardOnExit() { store.Discard(); }
  } discard{*impl_->store_};
  STRATA_ASSIGN_OR_RETURN(CommitPtr cut_commit, Lookup(repo, *cut));
  STRATA_ASSIGN_OR_RETURN(VersionTrees cut_trees,
                          ReadVersionTrees(*impl_->store_, cut_commit.get()));
  report.base_state = cut_trees.state.Hex();
  strata::Patch delta;
  STRATA_RETURN_IF_ERROR(DiffStates(*impl_->store_, std::nullopt, cut_trees.state, delta));
  STRATA_ASSIGN_OR_RETURN(ObjectId delta_id, impl_->store_->WriteBlob(EncodeDelta(delta)));
  std::vector<TreeEntry> root = {{kDeltaEntry, delta_id, false},
                                 {kStateEntry, cut_trees.state, true}};
  if (cut_trees.meta) root.push_back({kMetaEntry, *cut_trees.meta, true});
  STRATA_ASSIGN_OR_RETURN(ObjectId root_id, impl_->store_->WriteTree(root));
  {
    const std::string oldest = squashed.front().Hex();  // parents first: a first version
    std::string m = "prune: " + std::to_string(report.squashed) + " versions of " + branch +
                    " squashed into one (" + Short(oldest) + ".." + Short(cut->Hex()) + ", " +
                    FormatUtcTime(report.oldest_time) + " to " + FormatUtcTime(report.newest_time) +
                    ")\n\nSquashed: " + std::to_string(report.squashed) + " versions, from " +
                    oldest + " to " + cut->Hex() + ".\nState: " + report.base_state + ".\n";
    if (report.dropped > 0) {
      m += "Dropped: " + std::to_string(report.dropped) +
           " side versions that forked before the cut (the merges after it keep their "
           "changes).\n";
    }
    if (archive_refs.empty()) {
      m += "Archived: none (no squashed version had a tag or a label).\n";
    } else {
      m += "Archived: " + std::to_string(archive_refs.size()) +
           " tagged or labelled versions, under " + kArchivePrefix + branch + "/.\n";
    }
    report.base_message = m;
  }
  STRATA_RETURN_IF_ERROR(ValidateMessage(report.base_message));
  git_tree* tree_raw = nullptr;
  STRATA_GIT(git_tree_lookup(&tree_raw, repo, AsGit(root_id)), "cannot read the base tree");
  TreePtr base_tree(tree_raw);
  // Dated as the cut, so the history stays in time order and the same
  // author gets the same base (a dry run shows the id a prune makes).
  STRATA_ASSIGN_OR_RETURN(SignaturePtr sig,
                          GitSignature(author, AuthorTime(cut_commit.get()), "author"));
  ObjectId base;
  {
    GitBuf buf;
    STRATA_GIT(git_commit_create_buffer(&buf.buf, repo, sig.get(), sig.get(), nullptr,
                                        report.base_message.c_str(), base_tree.get(), 0, nullptr),
               "cannot create the base version");
    STRATA_ASSIGN_OR_RETURN(
        base,
        impl_->store_->WriteObject(std::string_view(buf.buf.ptr, buf.buf.size), GIT_OBJECT_COMMIT));
  }
  report.base = base.Hex();

  // The copies, parents first.
  std::unordered_map<ObjectId, ObjectId> copy_of;
  for (const ObjectId& id : after) {
    if (!carried.count(id)) continue;
    STRATA_ASSIGN_OR_RETURN(CommitPtr c, Lookup(repo, id));
    std::vector<CommitPtr> parents;
    std::vector<ObjectId> parent_ids;
    for (unsigned i = 0; i < git_commit_parentcount(c.get()); ++i) {
      const ObjectId p = FromGit(*git_commit_parent_id(c.get(), i));
      std::optional<ObjectId> to;
      if (p == *cut) {
        to = base;
      } else if (auto m = copy_of.find(p); m != copy_of.end()) {
        to = m->second;
      }
      if (!to || std::find(parent_ids.begin(), parent_ids.end(), *to) != parent_ids.end()) {
        continue;  // squashed or dropped: its changes are in the base or the merge
      }
      parent_ids.push_back(*to);
      STRATA_ASSIGN_OR_RETURN(CommitPtr pc, Lookup(repo, *to));
      parents.push_back(std::move(pc));
    }
    std::vector<const git_commit*> raw_parents;
    for (const CommitPtr& p : parents) raw_parents.push_back(p.get());
    git_tree* t = nullptr;
    STRATA_GIT(git_commit_tree(&t, c.get()), "cannot read version " + id.Hex());
    TreePtr tree(t);
    GitBuf buf;
    STRATA_GIT(git_commit_create_buffer(
                   &buf.buf, repo, git_commit_author(c.get()), git_commit_committer(c.get()),
                   git_commit_message_encoding(c.get()), git_commit_message_raw(c.get()),
                   tree.get(), raw_parents.size(), raw_parents.data()),
               "cannot copy version " + id.Hex());
    STRATA_ASSIGN_OR_RETURN(
        ObjectId copy,
        impl_->store_->WriteObject(std::string_view(buf.buf.ptr, buf.buf.size), GIT_OBJECT_COMMIT));
    copy_of[id] = copy;
    report.rewritten.push_back({id.Hex(), copy.Hex()});
  }
  // With --before later than the head, every version is squashed: the base
  // is the new head.
  const ObjectId new_head = *cut == *head ? base : copy_of.at(*head);
  report.head_after = new_head.Hex();

  std::vector<const PeeledRef*> moved_tags;
  for (const PeeledRef& t : tags) {
    if (auto m = copy_of.find(t.version); m != copy_of.end()) {
      moved_tags.push_back(&t);
      report.tags_moved.push_back(
          {t.name.substr(std::string(kTagPrefix).size()), t.version.Hex(), m->second.Hex()});
    }
  }
  std::vector<std::pair<ObjectId, ObjectId>> notes_to_copy;
  for (const auto& [from, to] : copy_of) {
    if (added.Has(from)) notes_to_copy.push_back({from, to});
  }
  report.notes_copied = notes_to_copy.size();
  for (const auto& a : archive_refs) report.archived.push_back(a);
  if (options.on_plan) STRATA_RETURN_IF_ERROR(options.on_plan(report));
  if (options.dry_run) return report;

  // 4. Objects on disk (fsynced) before any ref names them.
  STRATA_RETURN_IF_ERROR(impl_->store_->Flush());
  StopPoint("written");
  std::vector<RefUpdate> updates;
  for (const PrunedVersion& v : report.removed) {
    if (v.archive_ref.empty()) continue;
    STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> existing, tx->Read(v.archive_ref));
    ObjectId id;
    STRATA_GIT(git_oid_fromstr(AsGit(id), v.id.c_str()), "cannot read version " + v.id);
    if (existing && *existing == id) continue;  // a previous prune archived it
    RefUpdate u;
    u.ref = v.archive_ref;
    u.expected = existing;
    u.target = id;
    u.reason = "strata: prune " + branch + ": archive " + Short(v.id);
    u.cause = RefCause::kInternal;
    updates.push_back(std::move(u));
  }
  std::optional<RepositoryPtr> writer;
  if (!notes_to_copy.empty() || !moved_tags.empty()) {
    STRATA_ASSIGN_OR_RETURN(RepositoryPtr w, OpenDirectWriter(impl_->path_));
    writer.emplace(std::move(w));
  }
  if (!notes_to_copy.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> notes_head, tx->Read(kLabelsNotesRef));
    STRATA_ASSIGN_OR_RETURN(SignaturePtr now_sig,
                            GitSignature(author, std::time(nullptr), "author"));
    std::sort(notes_to_copy.begin(), notes_to_copy.end());
    ObjectId at = *notes_head;
    for (const auto& [from, to] : notes_to_copy) {
      STRATA_ASSIGN_OR_RETURN(CommitPtr notes, Lookup(writer->get(), at));
      git_note* raw = nullptr;
      STRATA_GIT(git_note_commit_read(&raw, writer->get(), notes.get(), AsGit(from)),
                 "cannot read the added labels of " + from.Hex());
      NotePtr note(raw);
      git_oid next, blob;
      STRATA_GIT(git_note_commit_create(&next, &blob, writer->get(), notes.get(), now_sig.get(),
                                        now_sig.get(), AsGit(to), git_note_message(raw), 1),
                 "cannot copy the added labels of " + from.Hex());
      at = FromGit(next);
    }
    RefUpdate u;
    u.ref = kLabelsNotesRef;
    u.expected = notes_head;
    u.target = at;
    u.reason = "strata: prune " + branch + ": copy added labels";
    u.cause = RefCause::kLabels;
    updates.push_back(std::move(u));
  }
  {
    RefUpdate u;
    u.ref = target.ref;
    u.expected = head;
    u.target = new_head;
    u.reason = "strata: prune: " + std::to_string(report.squashed) + " versions squashed into " +
               Short(report.base);
    u.cause = RefCause::kBranch;
    updates.push_back(std::move(u));
  }
  for (const PeeledRef* t : moved_tags) {
    ObjectId to = copy_of.at(t->version);
    if (t->annotated) {
      git_tag* raw = nullptr;
      STRATA_GIT(git_tag_lookup(&raw, writer->get(), AsGit(t->target)), "cannot read " + t->name);
      TagPtr tag(raw);
      git_object* obj = nullptr;
      STRATA_GIT(git_object_lookup(&obj, writer->get(), AsGit(to), GIT_OBJECT_COMMIT),
                 "cannot read version " + to.Hex());
      ObjectPtr target_obj(obj);
      git_oid tag_id;
      STRATA_GIT(git_tag_annotation_create(&tag_id, writer->get(), git_tag_name(raw), obj,
                                           git_tag_tagger(raw), git_tag_message(raw)),
                 "cannot write " + t->name);
      to = FromGit(tag_id);
    }
    RefUpdate u;
    u.ref = t->name;
    u.expected = t->target;
    u.target = to;
    u.reason = "strata: prune " + branch + ": move tag to the copy of " + Short(t->version.Hex());
    u.cause = RefCause::kTag;
    updates.push_back(std::move(u));
  }
  for (RefUpdate& u : updates) tx->Update(std::move(u));
  STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx->Commit());
  if (outcome != CommitOutcome::kCommitted) {
    return Status::Conflict("a ref of " + branch +
                            " moved under another program while prune ran; nothing was pruned");
  }

  // 5. The reflogs, still under the write lock.
  StopPoint("moved");
  STRATA_RETURN_IF_ERROR(RewriteReflog(repo, target.ref, copy_of, removed_set));
  STRATA_RETURN_IF_ERROR(RewriteReflog(repo, "HEAD", copy_of, removed_set));
  // The projection cache names source versions, which gc keeps: drop the
  // removed ones and the originals of the copies (they are projected again
  // when a push through a perspective needs them).
  std::unordered_set<ObjectId> gone = removed_set;
  for (const auto& [from, to] : copy_of) {
    if (!(from == to)) gone.insert(from);
  }
  STRATA_RETURN_IF_ERROR(DropCacheLines(impl_->path_ + "/projections", gone));
  StopPoint("done");
  return report;
} catch (...) {
  return CaughtStatus("Repository::Prune");
}

}  // namespace strata
