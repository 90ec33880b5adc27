// History: walking versions. A walk that meets a missing or damaged commit
// fails naming it; a partial history is never returned as if it were whole.
//
// Log's document and pointer filters, History and Blame ask one question of
// each version: did the value at DOC/POINTER change from the first parent?
// They answer it by comparing ids along the path (repo/value_walk.h), so a
// version that did not touch the document costs a few tree reads.
//
// With the version index (repo/version_index.h), a single revision's walk
// and History do not even read those: the index gives each version's
// parents, time and changed documents, and only the versions it cannot rule
// out are read and checked as above.
#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <unordered_set>

#include "objects/guard.h"
#include "repo/labels.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/value_walk.h"
#include "repo/version_index.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

// The error for a walk that stopped before its end.
Status WalkError(int rc, const std::string& rev) {
  if (GitErrorIsSystem()) return GitError(rc, "cannot read the history of " + rev);
  return GitError(rc, "cannot read the history of " + rev +
                          " whole (a version is missing or "
                          "damaged; run 'strata verify')");
}

// The error for a version whose parent cannot be read.
Status MissingParent(const ObjectId& version, const ObjectId& parent, const std::string& rev) {
  return Status::Corruption("version " + version.Hex() + ": its parent " + parent.Hex() +
                            " is missing or damaged; the history of " + rev +
                            " cannot be read whole (run 'strata verify')");
}

// The error for a version that is missing or damaged itself.
Status DamagedVersion(const ObjectId& version, const std::string& rev) {
  return Status::Corruption("version " + version.Hex() + " is missing or damaged; the history of " +
                            rev + " cannot be read whole (run 'strata verify')");
}

// What to say when version `id` cannot be read (`denied`: the store's
// Exists denied it; else libgit2 failed to read it): the system's reason
// when it refused the read (ObjectStore::Refusal), for the version may be
// whole and 'strata verify' would find nothing; else `damaged`.
Status Unreadable(ObjectStore& store, bool denied, const ObjectId& id, const std::string& rev,
                  Status damaged) {
  Status refused = store.Refusal(denied);
  if (refused.ok()) return damaged;
  return Status(refused.code(), "cannot read version " + id.Hex() + " of the history of " + rev +
                                    ": " + refused.message());
}

Result<std::regex> CompileRegex(const std::string& pattern, const char* what) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument(std::string("invalid regular expression for ") + what + " '" +
                                   pattern + "': " + e.what());
  }
}

// The filters on a version's metadata, compiled once.
class MetadataFilter {
 public:
  static Result<MetadataFilter> Make(const LogOptions& o) {
    MetadataFilter f(o);
    if (o.author) {
      // Text that is no regular expression ("a(b") is still a substring.
      Result<std::regex> re = CompileRegex(*o.author, "--author");
      if (re.ok()) f.author_ = std::move(re).value();
    }
    if (o.grep) {
      STRATA_ASSIGN_OR_RETURN(std::regex re, CompileRegex(*o.grep, "--grep"));
      f.grep_ = std::move(re);
    }
    return f;
  }

  bool Matches(const VersionInfo& v) const {
    if (o_.since && v.time < *o_.since) return false;
    if (o_.until && v.time > *o_.until) return false;
    if (o_.author) {
      const std::string& pattern = *o_.author;
      bool hit = false;
      for (const std::string* s : {&v.author.name, &v.author.email}) {
        if (s->find(pattern) != std::string::npos || (author_ && std::regex_search(*s, *author_)))
          hit = true;
      }
      if (!hit) return false;
    }
    if (grep_ && !std::regex_search(v.message, *grep_)) return false;
    if (!o_.labels.empty()) {
      auto has = [&](const std::string& l) {
        return std::find(v.labels.begin(), v.labels.end(), l) != v.labels.end() ||
               std::find(v.added_labels.begin(), v.added_labels.end(), l) != v.added_labels.end();
      };
      bool any = false, all = true;
      for (const auto& l : o_.labels) {
        bool h = has(l);
        any = any || h;
        all = all && h;
      }
      if (o_.all_labels ? !all : !any) return false;
    }
    return true;
  }

 private:
  explicit MetadataFilter(const LogOptions& o) : o_(o) {}
  const LogOptions& o_;
  std::optional<std::regex> author_, grep_;
};

}  // namespace

Result<std::vector<VersionInfo>> Repository::Log(const std::string& rev,
                                                 const LogOptions& options) try {
  LogOptions o = options;
  o.changes = false;
  STRATA_ASSIGN_OR_RETURN(std::vector<LogEntry> entries, LogEntries(rev, o));
  std::vector<VersionInfo> out;
  out.reserve(entries.size());
  for (LogEntry& e : entries) out.push_back(std::move(e.version));
  return out;
} catch (...) {
  return CaughtStatus("Repository::Log");
}

namespace {

// Where a log's versions come from, newest first: Next gives the next
// commit, or nullptr at the end.
class CommitSource {
 public:
  virtual ~CommitSource() = default;
  virtual Result<CommitPtr> Next() = 0;
};

// The versions reachable from one commit, by commit time, newest first
// (git log's default order; with a linear history, also its topological
// order). Reads each commit once: the parents of a version are read when
// it is given out, so a missing or damaged parent fails the walk there,
// naming it.
class DateOrderWalk : public CommitSource {
 public:
  DateOrderWalk(ObjectStore& store, std::string rev, CommitPtr start)
      : store_(store), rev_(std::move(rev)) {
    seen_.insert(FromGit(*git_commit_id(start.get())));
    Push(std::move(start));
  }

  Result<CommitPtr> Next() override {
    if (heap_.empty()) return CommitPtr();
    std::pop_heap(heap_.begin(), heap_.end(), Older);
    CommitPtr c = std::move(heap_.back());
    heap_.pop_back();
    for (unsigned i = 0; i < git_commit_parentcount(c.get()); ++i) {
      ObjectId id = FromGit(*git_commit_parent_id(c.get(), i));
      if (!seen_.insert(id).second) continue;
      git_commit* p = nullptr;
      // Asked of the store, not libgit2's cache, which may keep a commit
      // this process wrote or read whose file is gone.
      const bool denied = !store_.Exists(id);
      if (denied || git_commit_parent(&p, c.get(), i) < 0) {
        return Unreadable(store_, denied, id, rev_,
                          MissingParent(FromGit(*git_commit_id(c.get())), id, rev_));
      }
      Push(CommitPtr(p));
    }
    return c;
  }

 private:
  static bool Older(const CommitPtr& a, const CommitPtr& b) {
    git_time_t ta = git_commit_time(a.get()), tb = git_commit_time(b.get());
    if (ta != tb) return ta < tb;
    return git_oid_cmp(git_commit_id(a.get()), git_commit_id(b.get())) < 0;
  }
  void Push(CommitPtr c) {
    heap_.push_back(std::move(c));
    std::push_heap(heap_.begin(), heap_.end(), Older);
  }

  ObjectStore& store_;
  std::string rev_;
  std::vector<CommitPtr> heap_;
  std::unordered_set<ObjectId> seen_;
};

// A range, through libgit2's walk (which hides what A reaches).
class RangeWalk : public CommitSource {
 public:
  static Result<std::unique_ptr<RangeWalk>> Make(git_repository* repo, ObjectStore& store,
                                                 const RevisionRange& range,
                                                 const std::string& rev) {
    git_revwalk* raw = nullptr;
    STRATA_GIT(git_revwalk_new(&raw, repo), "cannot walk history");
    std::unique_ptr<RangeWalk> w(new RangeWalk(repo, store, rev, RevwalkPtr(raw)));
    STRATA_GIT(git_revwalk_sorting(raw, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME),
               "cannot walk history");
    STRATA_ASSIGN_OR_RETURN(CommitPtr a, LookupCommit(repo, range.from));
    STRATA_ASSIGN_OR_RETURN(CommitPtr b, LookupCommit(repo, range.to));
    STRATA_GIT(git_revwalk_push(raw, git_commit_id(b.get())), "cannot walk history");
    if (range.kind == RevisionRange::Kind::kTwoDot) {
      STRATA_GIT(git_revwalk_hide(raw, git_commit_id(a.get())), "cannot walk history");
      return w;
    }
    STRATA_GIT(git_revwalk_push(raw, git_commit_id(a.get())), "cannot walk history");
    git_oidarray bases{};
    int rc = git_merge_bases(&bases, repo, git_commit_id(a.get()), git_commit_id(b.get()));
    if (rc < 0 && rc != GIT_ENOTFOUND) return GitError(rc, "cannot find the merge base of " + rev);
    if (rc == GIT_ENOTFOUND) git_error_clear();
    for (std::size_t i = 0; rc == 0 && i < bases.count; ++i) {
      rc = git_revwalk_hide(raw, &bases.ids[i]);
    }
    if (bases.ids) git_oidarray_dispose(&bases);
    if (rc < 0 && rc != GIT_ENOTFOUND) return GitError(rc, "cannot walk history");
    return w;
  }

  Result<CommitPtr> Next() override {
    git_oid oid;
    int rc = git_revwalk_next(&oid, walk_.get());
    if (rc == GIT_ITEROVER) return CommitPtr();
    if (rc < 0) return WalkError(rc, rev_);
    git_commit* c_raw = nullptr;
    STRATA_GIT(git_commit_lookup(&c_raw, repo_, &oid), "cannot read version " + OidHex(&oid));
    CommitPtr c(c_raw);
    // Every parent must be there, or the history shown would look whole
    // while it is not (the walk itself skips what it cannot find).
    for (unsigned i = 0; i < git_commit_parentcount(c_raw); ++i) {
      const git_oid* parent = git_commit_parent_id(c_raw, i);
      if (!store_.Exists(FromGit(*parent))) {
        return Unreadable(store_, true, FromGit(*parent), rev_,
                          Status::Corruption("version " + OidHex(&oid) + ": its parent " +
                                             OidHex(parent) + " is missing; the history of " +
                                             rev_ + " cannot be read whole (run 'strata verify')"));
      }
    }
    return c;
  }

 private:
  RangeWalk(git_repository* repo, ObjectStore& store, std::string rev, RevwalkPtr walk)
      : repo_(repo), store_(store), rev_(std::move(rev)), walk_(std::move(walk)) {}
  git_repository* repo_;
  ObjectStore& store_;
  std::string rev_;
  RevwalkPtr walk_;
};

// The version index of a walk (repo/version_index.h): records from the file,
// and those it lacks computed from their commits as the walk meets them,
// saved when the walk ends, whatever its outcome (failing to save is no
// reader's problem).
class WalkIndex {
 public:
  WalkIndex(git_repository* repo, ObjectStore& store, const std::string& git_dir, std::string rev)
      : repo_(repo),
        store_(store),
        rev_(std::move(rev)),
        index_((std::filesystem::path(git_dir) / "version-index").string()) {}
  // A destructor must not throw (it would end the process): saving
  // allocates, and out of memory here only costs the next walk the records.
  ~WalkIndex() {
    try {
      (void)index_.Save();
    } catch (...) {
    }
  }

  const VersionRecord* Find(const ObjectId& id) const { return index_.Find(id); }

  // The record of `id` (`commit`: the version, when already read).
  Result<const VersionRecord*> Get(const ObjectId& id, const git_commit* commit = nullptr) {
    if (const VersionRecord* r = index_.Find(id)) return r;
    CommitPtr own;
    if (!commit) {
      git_commit* raw = nullptr;
      if (git_commit_lookup(&raw, repo_, AsGit(id)) < 0) {
        return Unreadable(store_, false, id, rev_, DamagedVersion(id, rev_));
      }
      own.reset(raw);
      commit = raw;
    }
    std::optional<ObjectId> parent_state;
    if (git_commit_parentcount(commit) > 0) {
      ObjectId parent = FromGit(*git_commit_parent_id(commit, 0));
      if (const VersionRecord* known = index_.Find(parent)) {
        parent_state = known->state;
      } else {
        git_commit* p_raw = nullptr;
        const bool denied = !store_.Exists(parent);
        if (denied || git_commit_lookup(&p_raw, repo_, AsGit(parent)) < 0) {
          return Unreadable(store_, denied, parent, rev_, MissingParent(id, parent, rev_));
        }
        CommitPtr p(p_raw);
        STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(store_, p_raw));
        parent_state = trees.state;
      }
    }
    // The state read as the previous version's parent is this one's, often.
    std::optional<ObjectId> state;
    if (last_parent_ && last_parent_->first == id) state = last_parent_->second;
    STRATA_ASSIGN_OR_RETURN(VersionRecord r,
                            ComputeVersionRecord(store_, commit, parent_state, state, &cache_));
    if (parent_state) {
      last_parent_.emplace(FromGit(*git_commit_parent_id(commit, 0)), *parent_state);
    }
    return &index_.Add(std::move(r));
  }

 private:
  git_repository* repo_;
  ObjectStore& store_;
  std::string rev_;
  VersionIndex index_;
  std::optional<std::pair<ObjectId, ObjectId>> last_parent_;
  VersionRecordCache cache_;
};

// DateOrderWalk's order through the version index: no commit is read for a
// version the index has. Every parent's existence is still asked of the
// store, so a missing one fails the walk as it does without the index.
class IndexedDateWalk {
 public:
  IndexedDateWalk(ObjectStore& store, WalkIndex& index, std::string rev)
      : store_(store), index_(index), rev_(std::move(rev)) {}

  Status Start(const git_commit* start) {
    ObjectId id = FromGit(*git_commit_id(start));
    STRATA_ASSIGN_OR_RETURN(const VersionRecord* r, index_.Get(id, start));
    seen_.insert(id);
    Push(r);
    return Status::Ok();
  }

  // The next version's record, or nullptr at the end.
  Result<const VersionRecord*> Next() {
    if (heap_.empty()) return nullptr;
    std::pop_heap(heap_.begin(), heap_.end(), Older);
    const VersionRecord* r = heap_.back().second;
    heap_.pop_back();
    for (const ObjectId& p : r->parents) {
      if (!seen_.insert(p).second) continue;
      if (!store_.Exists(p)) {
        return Unreadable(store_, true, p, rev_, MissingParent(r->id, p, rev_));
      }
      Result<const VersionRecord*> pr = index_.Get(p);
      if (!pr.ok()) {
        const Code code = pr.status().code();
        const bool refused = code == Code::kIOError || code == Code::kResourceExhausted;
        return refused ? pr.status() : MissingParent(r->id, p, rev_);
      }
      Push(*pr);
    }
    return r;
  }

 private:
  using Item = std::pair<std::int64_t, const VersionRecord*>;
  static bool Older(const Item& a, const Item& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second->id < b.second->id;
  }
  void Push(const VersionRecord* r) {
    heap_.emplace_back(r->time, r);
    std::push_heap(heap_.begin(), heap_.end(), Older);
  }

  ObjectStore& store_;
  WalkIndex& index_;
  std::string rev_;
  std::vector<Item> heap_;
  std::unordered_set<ObjectId> seen_;
};

// What the index tells of a version against a log's filters: false when it
// certainly fails them (labels, documents); true when it must be checked.
class IndexFilter {
 public:
  IndexFilter(const LogOptions& o, const AddedLabelIndex& added) : o_(o), added_(added) {
    for (const std::string& l : o.labels) labels_.push_back(IndexHash(l));
    for (const std::string& d : o.docs) docs_.push_back(IndexHash(d));
    for (const LogOptions::PathFilter& p : o.paths) docs_.push_back(IndexHash(p.doc));
  }

  bool MayMatch(const VersionRecord& r) const {
    if (!labels_.empty() && !added_.Has(r.id)) {
      bool any = false, all = true;
      for (std::uint64_t h : labels_) {
        bool has = r.HasLabel(h);
        any = any || has;
        all = all && has;
      }
      if (o_.all_labels ? !all : !any) return false;
    }
    if (!docs_.empty()) {
      // The root version's documents changed from nothing: listed too.
      bool any = false;
      for (std::uint64_t h : docs_) any = any || r.MayHaveChanged(h);
      if (!any) return false;
    }
    return true;
  }

 private:
  const LogOptions& o_;
  const AddedLabelIndex& added_;
  std::vector<std::uint64_t> labels_, docs_;
};

}  // namespace

Result<std::vector<LogEntry>> Repository::LogEntries(const std::string& rev,
                                                     const LogOptions& options) try {
  STRATA_ASSIGN_OR_RETURN(MetadataFilter filter, MetadataFilter::Make(options));
  const RevisionRange range = ParseRevisionRange(rev);
  const bool by_content = !options.docs.empty() || !options.paths.empty();
  // The version index orders a single revision's walk and skips versions
  // that cannot match; a range's walk (libgit2's) only consults it.
  std::optional<WalkIndex> index;
  const bool single = range.kind == RevisionRange::Kind::kSingle;
  if (VersionIndexEnabled() && (single || by_content || !options.labels.empty())) {
    index.emplace(impl_->repo_.get(), *impl_->store_, impl_->path_, rev);
  }
  std::unique_ptr<CommitSource> source;
  std::optional<IndexedDateWalk> indexed;
  if (single) {
    STRATA_ASSIGN_OR_RETURN(CommitPtr start, LookupCommit(impl_->repo_.get(), range.from));
    if (index) {
      indexed.emplace(*impl_->store_, *index, rev);
      STRATA_RETURN_IF_ERROR(indexed->Start(start.get()));
    } else {
      source = std::make_unique<DateOrderWalk>(*impl_->store_, rev, std::move(start));
    }
  } else {
    STRATA_ASSIGN_OR_RETURN(source,
                            RangeWalk::Make(impl_->repo_.get(), *impl_->store_, range, rev));
  }
  // The notes tree (labels added later) is read once here, not once per version.
  STRATA_ASSIGN_OR_RETURN(AddedLabelIndex added, AddedLabelIndex::Load(impl_->repo_.get()));
  const IndexFilter index_filter(options, added);
  // State trees of versions met as parents, until the walk reaches them
  // (topological order: every child comes before its parent).
  std::map<ObjectId, ObjectId> states;
  std::vector<LogEntry> out;
  // Checks version `c_raw` against every filter, exactly, and keeps it if it passes.
  auto consider = [&](git_commit* c_raw) -> Status {
    const git_oid& oid = *git_commit_id(c_raw);
    std::optional<ObjectId> state;
    if (auto it = states.find(FromGit(oid)); it != states.end()) {
      state = it->second;
      states.erase(it);
    }
    // Metadata first: it needs no tree.
    VersionInfo v = DescribeCommit(c_raw, ObjectId());
    STRATA_RETURN_IF_ERROR(impl_->SeeMessageThrough(v, c_raw));
    STRATA_ASSIGN_OR_RETURN(v.added_labels, added.Of(*impl_->store_, oid));
    if (!filter.Matches(v)) return Status::Ok();
    if (!state) {
      STRATA_ASSIGN_OR_RETURN(VersionTrees trees, impl_->ReadTrees(c_raw));
      state = trees.state;
    }
    v.state_id = state->Hex();
    if (by_content) {
      std::optional<ObjectId> parent_state;
      if (git_commit_parentcount(c_raw) > 0) {
        ObjectId parent = FromGit(*git_commit_parent_id(c_raw, 0));
        if (auto it = states.find(parent); it != states.end()) {
          parent_state = it->second;
        } else {
          git_commit* p_raw = nullptr;
          STRATA_GIT(git_commit_parent(&p_raw, c_raw, 0), "cannot read the parent of " + v.id);
          CommitPtr p(p_raw);
          STRATA_ASSIGN_OR_RETURN(VersionTrees trees, impl_->ReadTrees(p_raw));
          parent_state = trees.state;
          states.emplace(parent, trees.state);
        }
      }
      bool changed = false;
      for (const std::string& doc : options.docs) {
        if (changed) break;
        STRATA_ASSIGN_OR_RETURN(
            changed, ValueChanged(*impl_->store_, parent_state, state, doc, JsonPointer()));
      }
      for (const LogOptions::PathFilter& p : options.paths) {
        if (changed) break;
        STRATA_ASSIGN_OR_RETURN(
            changed, ValueChanged(*impl_->store_, parent_state, state, p.doc, p.pointer));
      }
      if (!changed) return Status::Ok();
    }
    LogEntry e;
    if (options.changes) {
      STRATA_ASSIGN_OR_RETURN(Snapshot snap, impl_->SnapshotOf(c_raw, v.id));
      STRATA_ASSIGN_OR_RETURN(e.changes, snap.Changes());
    }
    e.version = std::move(v);
    out.push_back(std::move(e));
    return Status::Ok();
  };
  while (!options.max_count || out.size() < *options.max_count) {
    if (indexed) {
      STRATA_ASSIGN_OR_RETURN(const VersionRecord* r, indexed->Next());
      if (!r) break;
      if (!index_filter.MayMatch(*r)) continue;
      git_commit* c_raw = nullptr;
      if (git_commit_lookup(&c_raw, impl_->repo_.get(), AsGit(r->id)) < 0) {
        return Unreadable(*impl_->store_, false, r->id, rev, DamagedVersion(r->id, rev));
      }
      CommitPtr c(c_raw);
      STRATA_RETURN_IF_ERROR(consider(c_raw));
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(CommitPtr c, source->Next());
    if (!c) break;
    if (index) {
      // A range's walk read the commit already; the index may still spare its trees.
      const VersionRecord* r = index->Find(FromGit(*git_commit_id(c.get())));
      if (r && !index_filter.MayMatch(*r)) continue;
    }
    STRATA_RETURN_IF_ERROR(consider(c.get()));
  }
  if (options.reverse) std::reverse(out.begin(), out.end());
  return out;
} catch (...) {
  return CaughtStatus("Repository::LogEntries");
}

Result<std::vector<LogEntry>> Repository::History(const std::string& doc,
                                                  const JsonPointer& pointer,
                                                  const HistoryOptions& options) try {
  STRATA_ASSIGN_OR_RETURN(CommitPtr c, LookupCommit(impl_->repo_.get(), options.rev));
  STRATA_ASSIGN_OR_RETURN(VersionTrees trees, impl_->ReadTrees(c.get()));
  std::optional<ObjectId> state = trees.state;
  STRATA_ASSIGN_OR_RETURN(Located doc_at, Locate(*impl_->store_, state, doc));
  STRATA_ASSIGN_OR_RETURN(Located value_at, Locate(*impl_->store_, state, doc, pointer));
  STRATA_ASSIGN_OR_RETURN(AddedLabelIndex added, AddedLabelIndex::Load(impl_->repo_.get()));
  std::vector<LogEntry> out;
  std::size_t doc_changes = 0;  // versions that changed the document, so far
  // The version index skips the versions whose records say the document did
  // not change from their first parent: for them, neither their commit nor
  // their trees are read.
  std::optional<WalkIndex> index;
  if (VersionIndexEnabled())
    index.emplace(impl_->repo_.get(), *impl_->store_, impl_->path_, options.rev);
  const std::uint64_t doc_hash = IndexHash(doc);
  ObjectId id = FromGit(*git_commit_id(c.get()));
  // Along the first-parent line: `c` and its document/value, then its parent.
  while (c) {
    if (index) {
      bool skipped = false;
      while (true) {
        STRATA_ASSIGN_OR_RETURN(const VersionRecord* r, index->Get(id, c.get()));
        if (r->parents.empty() || r->MayHaveChanged(doc_hash)) break;
        const ObjectId parent = r->parents[0];
        if (!impl_->store_->Exists(parent)) {
          return Unreadable(*impl_->store_, true, parent, options.rev,
                            MissingParent(id, parent, options.rev));
        }
        // The document, and so the value, is the parent's: doc_at and value_at stay.
        c.reset();
        id = parent;
        skipped = true;
      }
      if (skipped) {
        // A version the document may have changed in: read as without the index.
        git_commit* raw = nullptr;
        if (git_commit_lookup(&raw, impl_->repo_.get(), AsGit(id)) < 0) {
          return Unreadable(*impl_->store_, false, id, options.rev,
                            DamagedVersion(id, options.rev));
        }
        c.reset(raw);
        STRATA_ASSIGN_OR_RETURN(VersionTrees t, impl_->ReadTrees(raw));
        state = t.state;
        STRATA_ASSIGN_OR_RETURN(doc_at, Locate(*impl_->store_, state, doc));
        STRATA_ASSIGN_OR_RETURN(value_at, Locate(*impl_->store_, state, doc, pointer));
      }
    }
    std::optional<ObjectId> parent_state;
    CommitPtr parent;
    if (git_commit_parentcount(c.get()) > 0) {
      // Asked of the store first: libgit2's cache may keep a commit whose file is gone.
      const ObjectId parent_id = FromGit(*git_commit_parent_id(c.get(), 0));
      if (!impl_->store_->Exists(parent_id)) {
        return Unreadable(*impl_->store_, true, parent_id, options.rev,
                          MissingParent(id, parent_id, options.rev));
      }
      git_commit* p_raw = nullptr;
      int rc = git_commit_parent(&p_raw, c.get(), 0);
      if (rc < 0) return WalkError(rc, options.rev);
      parent.reset(p_raw);
      STRATA_ASSIGN_OR_RETURN(VersionTrees pt, impl_->ReadTrees(p_raw));
      parent_state = pt.state;
    }
    Located parent_doc, parent_value;
    bool doc_changed = false;
    if (!(parent_state && *parent_state == *state)) {
      STRATA_ASSIGN_OR_RETURN(parent_doc, Locate(*impl_->store_, parent_state, doc));
      STRATA_ASSIGN_OR_RETURN(doc_changed, Differs(*impl_->store_, parent_doc, doc_at));
    } else {
      parent_doc = doc_at;
    }
    bool value_changed = false;
    if (doc_changed) {
      ++doc_changes;
      parent_value = parent_doc;
      for (const std::string& token : pointer.tokens()) {
        STRATA_RETURN_IF_ERROR(Descend(*impl_->store_, parent_value, token));
      }
      STRATA_ASSIGN_OR_RETURN(value_changed, Differs(*impl_->store_, parent_value, value_at));
    } else {
      parent_value = value_at;
    }
    if (value_changed && (!options.max_count || out.size() < *options.max_count)) {
      LogEntry e;
      e.version = DescribeCommit(c.get(), *state);
      STRATA_RETURN_IF_ERROR(impl_->SeeMessageThrough(e.version, c.get()));
      STRATA_ASSIGN_OR_RETURN(e.version.added_labels,
                              added.Of(*impl_->store_, *git_commit_id(c.get())));
      e.doc_version = doc_changes;  // counted from the top for now
      if (options.changes) {
        STRATA_ASSIGN_OR_RETURN(e.changes,
                                ChangesAt(*impl_->store_, parent_value, value_at, doc, pointer));
      }
      out.push_back(std::move(e));
    }
    c = std::move(parent);
    if (c) id = FromGit(*git_commit_id(c.get()));
    state = parent_state;
    doc_at = std::move(parent_doc);
    value_at = std::move(parent_value);
  }
  if (doc_changes == 0) {
    return Status::NotFound("document '" + doc + "' was never on " + options.rev);
  }
  // Number the document's versions from its creation.
  for (LogEntry& e : out) e.doc_version = doc_changes - e.doc_version + 1;
  return out;
} catch (...) {
  return CaughtStatus("Repository::History");
}

Result<Snapshot> Repository::ReadAt(const std::string& rev, std::int64_t time) try {
  STRATA_ASSIGN_OR_RETURN(CommitPtr start, LookupCommit(impl_->repo_.get(), rev));
  CommitPtr c = std::move(start);
  while (true) {
    if (git_commit_author(c.get())->when.time <= time) {
      return impl_->SnapshotOf(c.get(), OidHex(git_commit_id(c.get())));
    }
    if (git_commit_parentcount(c.get()) == 0) break;
    git_commit* parent = nullptr;
    int rc = git_commit_parent(&parent, c.get(), 0);
    if (rc < 0) return WalkError(rc, rev);
    c.reset(parent);
  }
  return Status::NotFound("no version on " + rev + " is as old as " + FormatUtcTime(time));
} catch (...) {
  return CaughtStatus("Repository::ReadAt");
}

}  // namespace strata
