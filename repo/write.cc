// Writes: every write builds one version and moves its branch through one
// RefTransaction (repo/transaction.h).
//
//   1. Build on the head as it is, without the lock: run the edit, write the
//      state, its delta, the metadata and the commit, objects fsynced, or
//      staged, to be made durable with the branch's move by one journal
//      record (repo/journal.h).
//   2. Take the write lock and read the head again. If it moved, run the
//      edit again on the new head (step 1 under the lock), then move the
//      branch by compare-and-swap. Holding the lock, no strata writer can
//      move the head between the read and the swap; the swap guards against
//      the writers that do not take it.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <future>
#include <memory>
#include <span>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "objects/blob_prefetch.h"
#include "objects/delta_codec.h"
#include "objects/guard.h"
#include "objects/state_editor.h"
#include "objects/tree_codec.h"
#include "objects/tree_diff.h"
#include "repo/hooks.h"
#include "repo/id_hashes.h"
#include "repo/journal.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/schemas.h"
#include "repo/version_tree.h"
#include "repo/views.h"
#include "strata/document_id.h"
#include "strata/repository.h"

namespace strata {

namespace {

// Moves of a branch by writers that do not take strata's lock (git) before
// a write gives up.
constexpr int kMaxAttempts = 16;
// The most staged bytes a write makes durable through the journal; a larger
// one writes a fsynced pack, as before (a journal record holds its pack,
// and the journal is Journal::kBytes).
constexpr std::uint64_t kJournalStagedMax = std::uint64_t{256} << 10;
constexpr std::size_t kMaxDefaultMessage = 100;
// A version's delta keeps its values in memory (for hooks and events) up to
// this many bytes of canonical JSON; past it, paths only.
constexpr std::size_t kKeptDeltaBytes = std::size_t{1} << 20;
// The fewest documents added whole that a write reads back on a thread of
// its own (objects/blob_prefetch.h): fewer cost less than starting one.
constexpr std::ptrdiff_t kPrefetchedBlobsMin = 4096;
// Version times: libgit2 1.5 writes a commit's time as 32 unsigned bits, so
// the last one it can record is 2106-02-07T06:28:15Z.
constexpr std::int64_t kMaxTime = 4294967295;

// What import.prune removes: the documents a reader of `branch`'s head sees
// now (a Snapshot, so a perspective holds) that `given` does not name. Read
// once, before the write: if another writer moves the branch meanwhile, the
// documents it adds were never seen here, and stay.
Result<std::vector<std::string>> DocumentsNotGiven(
    Repository& repo, git_repository* git, const std::optional<std::string>& branch,
    const std::function<bool(std::string_view)>& given) {
  std::vector<std::string> out;
  STRATA_ASSIGN_OR_RETURN(WriteTarget target, ResolveWriteTarget(git, branch));
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, ReadRef(git, target.ref));
  if (!head) return out;
  STRATA_ASSIGN_OR_RETURN(Snapshot snapshot, repo.Read(head->Hex()));
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> present, snapshot.Ids());
  for (std::string& id : present) {
    if (!given(id)) out.push_back(std::move(id));
  }
  return out;
}

// The editor's diff of document `doc` from `a` to `b`, if it made one.
DiffHint* HintFor(DiffHints* hints, const std::string& doc, const ValueRef& a, const ValueRef& b) {
  if (!hints) return nullptr;
  auto it = hints->docs.find(doc);
  if (it == hints->docs.end() || !(it->second.a == a) || !(it->second.b == b)) return nullptr;
  return &it->second;
}

}  // namespace

Result<Signature> Repository::ResolveAuthor(const CommitOptions& options) {
  if (options.author) return *options.author;
  if (const char* env = std::getenv("STRATA_AUTHOR"); env && *env) {
    Result<Signature> s = Signature::Parse(env);
    if (!s.ok()) return s.status().WithContext("STRATA_AUTHOR");
    return s;
  }
  git_signature* raw = nullptr;
  if (SignatureFromConfig(&raw, impl_->Config().get()) == 0) {
    SignaturePtr sig(raw);
    return Signature{raw->name, raw->email};
  }
  return Signature{"strata", "strata@localhost"};
}

Result<SignaturePtr> Repository::Impl::SignatureNow(const std::optional<Signature>& who,
                                                    const std::optional<std::int64_t>& time,
                                                    const char* role) {
  CommitOptions options;
  options.author = who;
  STRATA_ASSIGN_OR_RETURN(Signature resolved, self->ResolveAuthor(options));
  return GitSignature(resolved, time ? *time : static_cast<std::int64_t>(std::time(nullptr)), role);
}

Journal* Repository::Impl::WriteJournal() {
  if (!journal_checked_) {
    journal_checked_ = true;
    int on = 1;
    const ConfigSnapshot config = Config();
    if (!config || git_config_get_bool(&on, config.get(), "strata.journal") < 0) on = 1;
    git_error_clear();
    if (on) journal_ = Journal::ForWriter(path_ + "/");
  }
  return journal_.get();
}

Result<Repository::Built> Repository::Build(const std::optional<ObjectId>& head,
                                            const StateFn& make_state, const MessageFn& describe,
                                            const CommitOptions& options, const Signature& author,
                                            std::int64_t time,
                                            const std::optional<Snapshot>& expected,
                                            const std::vector<ObjectId>& extra_parents,
                                            DiffHints* hints, bool stage_only) {
  impl_->store_->Discard();
  // Whatever fails below leaves nothing staged.
  struct DiscardOnExit {
    ObjectStore& store;
    bool armed = true;
    ~DiscardOnExit() {
      if (armed) store.Discard();
    }
  } discard{*impl_->store_};
  // What this version writes, counted across any flush on the way (an
  // import's flush threshold writes its trees in batches).
  const std::uint64_t objects_before = impl_->store_->written_objects();
  const std::uint64_t bytes_before = impl_->store_->written_bytes();

  CommitPtr parent;
  std::optional<ObjectId> base_state, base_meta;
  if (head) {
    git_commit* raw = nullptr;
    STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(*head)),
               "cannot read " + head->Hex());
    parent.reset(raw);
    STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(*impl_->store_, raw));
    base_state = trees.state;
    base_meta = trees.meta;
  }

  STRATA_ASSIGN_OR_RETURN(ObjectId new_state, make_state(base_state));
  Built out;
  // The delta, a document at a time (the order DiffStates gives): each
  // document's operations go to the stored delta as they are found, and
  // are kept in out.delta; past kKeptDeltaBytes of values, only their paths
  // are (an import's delta holds every value it writes).
  std::vector<MemberDiff> changed;
  STRATA_RETURN_IF_ERROR(ChangedMembers(*impl_->store_, base_state, new_state, changed));
  DeltaWriter delta_writer;
  // Each document added whole (one blob) is read back for the delta; when
  // there are many (an import's, packed by now), a thread reads them ahead.
  auto added_blob = [](const MemberDiff& m) { return !m.a && m.b && !m.b->is_tree; };
  std::optional<BlobPrefetch> ahead;
  if (std::count_if(changed.begin(), changed.end(), added_blob) >= kPrefetchedBlobsMin) {
    std::vector<ObjectId> ids;
    for (const MemberDiff& m : changed) {
      if (added_blob(m)) ids.push_back(m.b->id);
    }
    ahead.emplace(impl_->store_->objects_dir() + "/pack", std::move(ids));
  }
  std::size_t kept = 0;
  out.delta.reserve(changed.size());  // a document's operations: one, mostly
  for (MemberDiff& m : changed) {
    JsonPointer path({m.key});
    std::string().swap(m.key);
    std::size_t first = out.delta.size();
    std::shared_ptr<const RawObject> read_ahead;
    if (ahead && added_blob(m)) read_ahead = ahead->Next();  // one per id, in order
    if (!m.b) {
      out.delta.push_back(PatchOp{PatchOpKind::kRemove, std::move(path), {}, {}});
    } else if (!m.a && !m.b->is_tree && out.delta_values_dropped) {
      // Past kKeptDeltaBytes no value is kept, and a document stored as one
      // blob is its canonical JSON: the blob goes into the delta as it is,
      // not parsed and printed again (an import's delta holds every document).
      std::string read_here;
      if (!read_ahead) {
        STRATA_ASSIGN_OR_RETURN(read_here, impl_->store_->ReadBlob(m.b->id));
      }
      std::string_view text = read_ahead ? std::string_view(read_ahead->data) : read_here;
      STRATA_RETURN_IF_ERROR(delta_writer.AddCanonical(PatchOpKind::kAdd, path, text));
      out.delta.push_back(PatchOp{PatchOpKind::kAdd, std::move(path), {}, nullptr});
      continue;
    } else if (!m.a && m.b->is_tree) {
      // A document stored as trees (past a blob's size) goes into the delta
      // as its trees give its text, never decoded whole nor held as one
      // string: a document of 100 MB costs what one of its nodes does. It is
      // decoded to be kept only if it fits in what out.delta keeps.
      std::size_t size = 0;
      STRATA_RETURN_IF_ERROR(
          delta_writer.AddStreamed(PatchOpKind::kAdd, path, [&](const TextSink& sink) {
            return WriteValueText(*impl_->store_, *m.b, FormatOptions{0, false},
                                  [&](std::string_view piece) {
                                    size += piece.size();
                                    return sink(piece);
                                  });
          }));
      json::value v = nullptr;
      if (!out.delta_values_dropped && kept + size <= kKeptDeltaBytes) {
        STRATA_ASSIGN_OR_RETURN(v, DecodeValue(*impl_->store_, *m.b));
        kept += size;
      } else if (!out.delta_values_dropped) {
        out.delta_values_dropped = true;
        for (PatchOp& op : out.delta) op.value = nullptr;
      }
      out.delta.push_back(PatchOp{PatchOpKind::kAdd, std::move(path), {}, std::move(v)});
      continue;
    } else if (!m.a) {
      STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(*impl_->store_, *m.b));
      out.delta.push_back(PatchOp{PatchOpKind::kAdd, std::move(path), {}, std::move(v)});
    } else if (DiffHint* hint = HintFor(hints, path.tokens()[0], *m.a, *m.b)) {
      // The editor diffed this document as it stored it.
      out.delta.insert(out.delta.end(), std::make_move_iterator(hint->ops.begin()),
                       std::make_move_iterator(hint->ops.end()));
    } else {
      STRATA_RETURN_IF_ERROR(DiffStoredValues(*impl_->store_, *m.a, *m.b, path, out.delta));
    }
    for (std::size_t i = first; i < out.delta.size(); ++i) {
      STRATA_RETURN_IF_ERROR(delta_writer.Add(out.delta[i]));
      if (!out.delta_values_dropped) {
        kept += CanonicalSize(out.delta[i].value, kKeptDeltaBytes);
        if (kept > kKeptDeltaBytes) {
          out.delta_values_dropped = true;
          for (std::size_t j = 0; j < i; ++j) out.delta[j].value = nullptr;
        }
      }
      if (out.delta_values_dropped) out.delta[i].value = nullptr;
    }
  }
  std::vector<MemberDiff>().swap(changed);  // not needed past here
  // A merge version records that theirs is merged, even with nothing to change.
  if (out.delta.empty() && extra_parents.empty()) {
    return Status::Unchanged("nothing changed; no version written");
  }
  ahead.reset();
  // A large delta (an import's) is compressed on a thread of its own while
  // the checks and the metadata below run, into a temporary file that
  // WriteBlobFile stores: it is never in memory whole. A small one is
  // compressed in place and staged.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> delta_file(nullptr, std::fclose);
  std::future<Status> delta_done;
  if (delta_writer.spilled()) {
    delta_file.reset(std::tmpfile());
    if (!delta_file) return Status::IOError("cannot make a temporary file for a delta");
    try {
      delta_done =
          std::async(std::launch::async, [&] { return delta_writer.FinishTo(delta_file.get()); });
    } catch (const std::system_error&) {  // no thread
    }
  }

  const std::vector<std::string> touched = TouchedDocuments(out.delta);
  for (const auto& op : out.delta) {
    if (op.path.tokens().size() == 1 && op.kind == PatchOpKind::kAdd) {
      STRATA_RETURN_IF_ERROR(ValidateDocumentId(op.path.tokens()[0]));
    }
  }
  // A settings document must keep to its own format.
  for (const std::string& doc : touched) {
    if (!IsSettingsDocumentId(doc)) continue;
    STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref,
                            FindMember(*impl_->store_, new_state, doc));
    if (!ref) continue;  // removed
    STRATA_ASSIGN_OR_RETURN(json::value value, DecodeValue(*impl_->store_, *ref));
    STRATA_RETURN_IF_ERROR(ValidateSettingsDocument(doc, value));
  }
  // Through a perspective, nothing it hides may change.
  STRATA_RETURN_IF_ERROR(CheckPerspectiveWrite(base_state, new_state, touched));
  // The documents it changes (all of them, when .schemas changes) must
  // satisfy the new state's .schemas (repo/schemas.h).
  STRATA_RETURN_IF_ERROR(CheckSchemasOnWrite(*impl_->store_, new_state, touched, options.force));
  // A caller that named its base: every document it changes must be as it
  // was there. Ids compare values (content addressing), so this reads no
  // document.
  if (expected && expected->state_tree() != base_state) {
    for (const std::string& doc : touched) {
      std::optional<ValueRef> then, now;
      if (expected->state_tree()) {
        STRATA_ASSIGN_OR_RETURN(then, FindMember(*impl_->store_, *expected->state_tree(), doc));
      }
      if (base_state) {
        STRATA_ASSIGN_OR_RETURN(now, FindMember(*impl_->store_, *base_state, doc));
      }
      if (then == now) continue;
      std::string since = expected->version() ? "version " + expected->version_id().substr(0, 12)
                                              : "the branch's first version";
      std::string who;
      if (now) {
        STRATA_ASSIGN_OR_RETURN(DocumentInfo info,
                                ReadDocumentInfo(*impl_->store_, base_meta, doc));
        if (!info.updated_by.empty()) {
          who = " by " + info.updated_by + " at " + FormatUtcTime(info.updated_at);
        }
      }
      return Status::Conflict("document '" + doc + "' was " + (now ? "changed" : "removed") + who +
                              " since " + since + " (now at version " + head->Hex().substr(0, 12) +
                              "); nothing was written: read it again and redo the change");
    }
  }

  // A default message is one summary line: a 10,000-token pointer is cut,
  // and a key holding newlines cannot add lines (or forge a label).
  std::string message = options.message.empty()
                            ? SummaryLine(describe(out.delta), kMaxDefaultMessage)
                            : options.message;
  STRATA_RETURN_IF_ERROR(ValidateMessage(message));

  STRATA_ASSIGN_OR_RETURN(ObjectId meta_id, UpdateDocumentMeta(*impl_->store_, base_meta, out.delta,
                                                               touched, author.ToString(), time));
  ObjectId delta_id;
  if (delta_file) {
    STRATA_RETURN_IF_ERROR(delta_done.valid() ? delta_done.get()
                                              : delta_writer.FinishTo(delta_file.get()));
    STRATA_ASSIGN_OR_RETURN(delta_id, impl_->store_->WriteBlobFile(delta_file.get()));
  } else {
    STRATA_ASSIGN_OR_RETURN(std::string bytes, delta_writer.Finish());
    STRATA_ASSIGN_OR_RETURN(delta_id, impl_->store_->WriteBlob(std::move(bytes)));
  }
  STRATA_ASSIGN_OR_RETURN(ObjectId root_id,
                          impl_->store_->WriteTree({{kDeltaEntry, delta_id, false},
                                                    {kMetaEntry, meta_id, true},
                                                    {kStateEntry, new_state, true}}));
  git_tree* tree_raw = nullptr;
  STRATA_GIT(git_tree_lookup(&tree_raw, impl_->repo_.get(), AsGit(root_id)),
             "cannot read the new tree");
  TreePtr tree(tree_raw);
  STRATA_ASSIGN_OR_RETURN(SignaturePtr sig, GitSignature(author, time, "author"));
  std::vector<CommitPtr> others;
  std::vector<const git_commit*> parents;
  if (parent) parents.push_back(parent.get());
  for (const ObjectId& id : extra_parents) {
    git_commit* raw = nullptr;
    STRATA_GIT(git_commit_lookup(&raw, impl_->repo_.get(), AsGit(id)), "cannot read " + id.Hex());
    others.emplace_back(raw);
    parents.push_back(raw);
  }
  GitBuf commit_buf;
  STRATA_GIT(git_commit_create_buffer(&commit_buf.buf, impl_->repo_.get(), sig.get(), sig.get(),
                                      nullptr, ComposeMessage(message, options.labels).c_str(),
                                      tree.get(), parents.size(), parents.data()),
             "cannot create the version");
  STRATA_ASSIGN_OR_RETURN(out.commit, impl_->store_->WriteObject(
                                          std::string_view(commit_buf.buf.ptr, commit_buf.buf.size),
                                          GIT_OBJECT_COMMIT));
  out.objects = impl_->store_->written_objects() - objects_before;
  out.bytes = impl_->store_->written_bytes() - bytes_before;
  // Objects reach the disk (fsynced) before any ref names them: here, or,
  // `stage_only`, when the transaction moves the ref (RefTransaction's
  // StagedObjects); until then they are read from the stage.
  if (stage_only) {
    discard.armed = false;
  } else {
    STRATA_RETURN_IF_ERROR(impl_->store_->Flush());
  }

  git_commit* c_raw = nullptr;
  STRATA_GIT(git_commit_lookup(&c_raw, impl_->repo_.get(), AsGit(out.commit)),
             "cannot read the new version");
  CommitPtr commit(c_raw);
  out.version = DescribeCommit(c_raw, new_state);
  return out;
}

Result<WriteResult> Repository::Write(const std::function<Status(PatchTarget&)>& edit,
                                      const std::string& default_message,
                                      const CommitOptions& options) try {
  return Write(
      edit, [&](const strata::Patch&) { return default_message; }, options);
} catch (...) {
  return CaughtStatus("Repository::Write");
}

Status Repository::CheckCommitOptions(const CommitOptions& options) {
  for (const auto& label : options.labels) STRATA_RETURN_IF_ERROR(ValidateLabel(label));
  STRATA_RETURN_IF_ERROR(ValidateMessage(options.message));
  if (options.time && (*options.time < 0 || *options.time > kMaxTime)) {
    return Status::InvalidArgument("version time " + std::to_string(*options.time) +
                                   " is out of range (0 to " + std::to_string(kMaxTime) +
                                   ", which is 2106-02-07T06:28:15Z)");
  }
  return Status::Ok();
}

Result<WriteResult> Repository::Write(const std::function<Status(PatchTarget&)>& edit,
                                      const MessageFn& describe, const CommitOptions& options) try {
  DiffHints hints;
  const StateFn make_state = [&](const std::optional<ObjectId>& base) -> Result<ObjectId> {
    hints.docs.clear();  // a replay edits another head
    StateEditor editor(*impl_->store_, base, &hints);
    if (impl_->perspective_) {
      // The edit sees and changes the reader's view; what it hides is put back.
      PerspectiveTarget view(editor, *impl_->perspective_);
      STRATA_RETURN_IF_ERROR(edit(view));
      STRATA_RETURN_IF_ERROR(view.Finish());
    } else {
      STRATA_RETURN_IF_ERROR(edit(editor));
    }
    return editor.Write();
  };
  return WriteState(make_state, describe, options, &hints);
} catch (...) {
  return CaughtStatus("Repository::Write");
}

Result<WriteResult> Repository::WriteState(const StateFn& make_state, const MessageFn& describe,
                                           const CommitOptions& options, DiffHints* hints) try {
  // Everything about the options is checked before any work.
  STRATA_RETURN_IF_ERROR(CheckCommitOptions(options));
  // The config as this write reads it: author, journal, lock timeout,
  // reflogs and automatic gc from one snapshot (Impl::Config).
  const ConfigSnapshot config = SnapshotConfig(impl_->repo_.get());
  struct ConfigForTheWrite {
    Impl& impl;
    ConfigSnapshot before;
    ~ConfigForTheWrite() { impl.write_config_ = std::move(before); }
  } config_for_the_write{*impl_, std::exchange(impl_->write_config_, config)};
  STRATA_ASSIGN_OR_RETURN(Signature author, ResolveAuthor(options));
  const std::int64_t time =
      options.time ? *options.time : static_cast<std::int64_t>(std::time(nullptr));
  STRATA_ASSIGN_OR_RETURN(WriteTarget target,
                          ResolveWriteTarget(impl_->repo_.get(), options.branch));
  STRATA_RETURN_IF_ERROR(CheckNoMergeInProgress(target.ref, target.name));
  std::optional<Snapshot> expected;
  if (options.expected) {
    if (*options.expected == CommitOptions::kNoVersion) {
      expected = Snapshot(this, *options.expected);
    } else {
      // The stored state, not a view: it is compared with the branch's.
      std::optional<Perspective> saved = std::exchange(impl_->perspective_, std::nullopt);
      Result<Snapshot> base = Read(*options.expected);
      impl_->perspective_ = std::move(saved);
      if (!base.ok()) return base.status().WithContext("the expected version");
      expected = std::move(base).value();
    }
  }

  STRATA_RETURN_IF_ERROR(CheckGitLock(impl_->repo_.get(), target.ref));

  // A version's objects stay staged until its branch moves, when one
  // journal record makes both durable (repo/journal.h). Not when a
  // pre-commit hook may run: it reads the new version from the disk.
  struct stat hook_st {};
  Journal* journal =
      impl_->run_hooks_ && ::stat(HookPath(impl_->path_, "pre-commit").c_str(), &hook_st) == 0
          ? nullptr
          : impl_->WriteJournal();
  const bool stage_only = journal != nullptr;

  // 1. Build on the head as it is now, without the lock.
  STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> head, ReadRef(impl_->repo_.get(), target.ref));
  if (!head && options.branch && *options.branch != CurrentBranch()) {
    return Status::NotFound("no branch '" + *options.branch + "'");
  }
  STRATA_ASSIGN_OR_RETURN(Built built, Build(head, make_state, describe, options, author, time,
                                             expected, {}, hints, stage_only));
  // Whatever ends the write, nothing stays staged (committed, the stage is
  // empty already): a failed write's objects must not wait for another
  // write's flush, nor keep gc from running.
  struct DiscardOnExit {
    ObjectStore& store;
    ~DiscardOnExit() { store.Discard(); }
  } discard_staged{*impl_->store_};

  // 2. Under the lock: move the branch, or apply the write again on the
  // head another writer left.
  STRATA_ASSIGN_OR_RETURN(RefTransaction tx,
                          RefTransaction::Begin(impl_->repo_.get(), &impl_->hooks_, config));
  ObjectStore& store = *impl_->store_;
  StagedObjects staged;
  staged.with_move = [&](const JournalMove& move) -> Result<bool> {
    if (store.staged_bytes() > kJournalStagedMax) {
      STRATA_RETURN_IF_ERROR(store.Flush());
      return false;
    }
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore::PreparedPack> pack, store.PreparePack());
    STRATA_ASSIGN_OR_RETURN(bool journaled, journal->Append(pack.get(), move));
    Status installed = pack ? store.Install(*pack, !journaled) : Status::Ok();
    if (!installed.ok()) {
      if (journaled) static_cast<void>(journal->VoidLast());
      return installed;
    }
    return journaled;
  };
  staged.alone = [&]() { return store.Flush(); };
  staged.void_move = [&]() { static_cast<void>(journal->VoidLast()); };
  if (stage_only) tx.set_staged(&staged);
  bool replayed = false;
  // A merge that stopped on conflicts may have begun while this write was built.
  STRATA_RETURN_IF_ERROR(CheckNoMergeInProgress(target.ref, target.name));
  // The delta moves into the update (no copy: an import's holds every value
  // it writes), so a retry builds the version again.
  bool delta_moved = false;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, tx.Read(target.ref));
    if (now.has_value() != head.has_value() || (now && !(*now == *head)) || delta_moved) {
      replayed = replayed || now.has_value() != head.has_value() || (now && !(*now == *head));
      head = now;
      STRATA_ASSIGN_OR_RETURN(built, Build(head, make_state, describe, options, author, time,
                                           expected, {}, hints, stage_only));
    }
    const std::size_t operations = built.delta.size();
    RefUpdate update;
    update.ref = target.ref;
    update.expected = head;
    update.target = built.commit;
    update.reason = "strata: " + built.version.message.substr(0, built.version.message.find('\n'));
    update.cause = RefCause::kWrite;
    update.version = built.version;
    update.delta = std::move(built.delta);
    update.delta_values_dropped = built.delta_values_dropped;
    delta_moved = true;
    tx.Update(std::move(update));
    STRATA_ASSIGN_OR_RETURN(CommitOutcome outcome, tx.Commit());
    if (outcome == CommitOutcome::kCommitted) {
      WriteResult result;
      result.version = std::move(built.version);
      result.branch = target.name;
      result.objects_written = built.objects;
      result.bytes_written = built.bytes;
      result.operations = operations;
      result.replayed = replayed;
      // Automatic gc runs once the ref moved and the write lock is released
      // (gc takes it); its failure is reported, never the write's.
      { RefTransaction done = std::move(tx); }
      if (Result<GcReport> gc = Gc(GcOptions::Auto()); !gc.ok()) {
        Report("automatic gc failed (the version was written; run `strata gc`): " +
               gc.status().message());
      }
      return result;
    }
    // kRefMoved: a writer outside strata moved the branch under the lock.
  }
  return Status::Conflict("the branch " + target.name + " kept moving under another program (" +
                          std::to_string(kMaxAttempts) +
                          " tries, though strata's writers wait for each other); nothing was "
                          "written");
} catch (...) {
  return CaughtStatus("Repository::Write");
}

Result<VersionInfo> Repository::WriteDetached(const std::string& base,
                                              const std::function<Status(PatchTarget&)>& edit,
                                              const MessageFn& describe,
                                              const CommitOptions& options) try {
  STRATA_RETURN_IF_ERROR(CheckCommitOptions(options));
  STRATA_ASSIGN_OR_RETURN(Signature author, ResolveAuthor(options));
  const std::int64_t time =
      options.time ? *options.time : static_cast<std::int64_t>(std::time(nullptr));
  STRATA_ASSIGN_OR_RETURN(std::string base_id, ResolveRevision(base));
  ObjectId head;
  STRATA_GIT(git_oid_fromstr(AsGit(head), base_id.c_str()), "cannot read version " + base_id);
  const StateFn make_state = [&](const std::optional<ObjectId>& state) -> Result<ObjectId> {
    StateEditor editor(*impl_->store_, state);
    if (impl_->perspective_) {
      PerspectiveTarget view(editor, *impl_->perspective_);
      STRATA_RETURN_IF_ERROR(edit(view));
      STRATA_RETURN_IF_ERROR(view.Finish());
    } else {
      STRATA_RETURN_IF_ERROR(edit(editor));
    }
    return editor.Write();
  };
  STRATA_ASSIGN_OR_RETURN(Built built,
                          Build(head, make_state, describe, options, author, time, std::nullopt));
  return built.version;
} catch (...) {
  return CaughtStatus("Repository::WriteDetached");
}

Result<WriteResult> Repository::Put(const std::string& doc, json::value value,
                                    const CommitOptions& options) try {
  STRATA_RETURN_IF_ERROR(ValidateDocumentId(doc));
  return Write([&](PatchTarget& e) { return e.Add(JsonPointer({doc}), value); }, "put " + doc,
               options);
} catch (...) {
  return CaughtStatus("Repository::Put");
}

Result<WriteResult> Repository::Set(const std::string& doc, const JsonPointer& pointer,
                                    json::value value, const CommitOptions& options) try {
  STRATA_RETURN_IF_ERROR(ValidateDocumentId(doc));
  std::vector<std::string> tokens{doc};
  tokens.insert(tokens.end(), pointer.tokens().begin(), pointer.tokens().end());
  const JsonPointer full(std::move(tokens));
  return Write(
      [&](PatchTarget& e) -> Status {
        // Like mkdir -p: find the deepest existing parent (binary search, so
        // a 10,000-token pointer costs a few lookups, not 10,000), then add
        // the missing objects and the value as one nested value.
        std::size_t lo = 0, hi = full.tokens().size() - 1;  // the prefix of `lo` tokens exists
        while (lo < hi) {
          std::size_t mid = (lo + hi + 1) / 2;
          STRATA_ASSIGN_OR_RETURN(bool exists, e.Exists(full.Slice(0, mid)));
          if (exists)
            lo = mid;
          else
            hi = mid - 1;
        }
        json::value nested = value;
        for (std::size_t i = full.tokens().size() - 1; i > lo; --i) {
          json::object o;
          o.emplace(full.tokens()[i], std::move(nested));
          nested = std::move(o);
        }
        return e.Add(full.Slice(0, lo + 1), std::move(nested));
      },
      "set " + doc + " " + pointer.ToString(), options);
} catch (...) {
  return CaughtStatus("Repository::Set");
}

Result<WriteResult> Repository::Remove(const std::string& doc,
                                       const std::optional<JsonPointer>& pointer,
                                       const CommitOptions& options) try {
  JsonPointer full({doc});
  if (pointer) {
    if (pointer->IsRoot())
      return Status::InvalidArgument("to remove a whole document, give no pointer");
    for (const auto& t : pointer->tokens()) full = full.Child(t);
  }
  std::string what = "rm " + doc + (pointer ? " " + pointer->ToString() : "");
  return Write([&](PatchTarget& e) { return e.Remove(full); }, what, options);
} catch (...) {
  return CaughtStatus("Repository::Remove");
}

Result<WriteResult> Repository::Patch(const std::optional<std::string>& doc,
                                      const strata::Patch& patch,
                                      const CommitOptions& options) try {
  strata::Patch scoped = patch;
  if (doc) {
    STRATA_RETURN_IF_ERROR(ValidateDocumentId(*doc));
    auto prefix = [&](const JsonPointer& p) {
      std::vector<std::string> t{*doc};
      t.insert(t.end(), p.tokens().begin(), p.tokens().end());
      return JsonPointer(std::move(t));
    };
    for (auto& op : scoped) {
      op.path = prefix(op.path);
      if (op.kind == PatchOpKind::kMove || op.kind == PatchOpKind::kCopy) op.from = prefix(op.from);
    }
  }
  // "patch config/app1", or "patch 3 documents", counted from what changed.
  MessageFn describe = [&](const strata::Patch& delta) {
    std::vector<std::string> docs = TouchedDocuments(delta);
    if (docs.size() == 1) return "patch " + docs.front();
    return "patch " + std::to_string(docs.size()) + " documents";
  };
  return Write(
      [&](PatchTarget& e) -> Status {
        if (doc) {
          STRATA_ASSIGN_OR_RETURN(bool exists, e.Exists(JsonPointer({*doc})));
          if (!exists) return Status::NotFound("no document '" + *doc + "'");
        }
        return ApplyPatch(e, scoped);
      },
      describe, options);
} catch (...) {
  return CaughtStatus("Repository::Patch");
}

namespace {

// "import 3 documents", "import 100 documents (2 changed)", "..., remove 1":
// counted from what changed, never from values.
Repository::MessageFn DescribeImport(std::size_t count) {
  return [count](const strata::Patch& delta) {
    std::size_t removed = 0, changed = 0;
    for (const auto& op : delta) {
      if (op.kind == PatchOpKind::kRemove && op.path.tokens().size() == 1) ++removed;
    }
    changed = TouchedDocuments(delta).size() - removed;
    std::string what = "import " + std::to_string(count) + " document" + (count == 1 ? "" : "s");
    if (changed != count) what += " (" + std::to_string(changed) + " changed)";
    if (removed > 0) what += ", remove " + std::to_string(removed);
    return what;
  };
}

// A member list with each key once: where a key was given twice, its last
// member, as a parsed object keeps it.
void KeepLastOfEachKey(std::vector<Member>& members) {
  std::stable_sort(members.begin(), members.end(),
                   [](const Member& a, const Member& b) { return a.key < b.key; });
  auto kept = members.begin();
  for (auto run = members.begin(); run != members.end();) {
    auto next = run + 1;
    while (next != members.end() && next->key == run->key) ++next;
    if (kept != next - 1) *kept = std::move(*(next - 1));
    ++kept;
    run = next;
  }
  members.erase(kept, members.end());
}

}  // namespace

Result<WriteResult> Repository::Import(std::vector<std::pair<std::string, json::value>> docs,
                                       const CommitOptions& options) try {
  return Import(std::move(docs), options, ImportOptions());
} catch (...) {
  return CaughtStatus("Repository::Import");
}

Result<WriteResult> Repository::Import(std::vector<std::pair<std::string, json::value>> docs,
                                       const CommitOptions& options,
                                       const ImportOptions& import) try {
  for (const auto& [id, value] : docs) STRATA_RETURN_IF_ERROR(ValidateDocumentId(id));
  // The documents to prune, read before the write (DocumentsNotGiven).
  std::vector<std::string> prune;
  if (import.prune) {
    std::unordered_set<std::string_view> given;
    for (const auto& [id, value] : docs) given.insert(id);
    STRATA_ASSIGN_OR_RETURN(
        prune, DocumentsNotGiven(*this, impl_->repo_.get(), options.branch,
                                 [&](std::string_view id) { return given.count(id) > 0; }));
  }
  MessageFn describe = DescribeImport(docs.size());
  return Write(
      [&](PatchTarget& e) -> Status {
        for (auto& [id, value] : docs) STRATA_RETURN_IF_ERROR(e.Add(JsonPointer({id}), value));
        for (const std::string& id : prune) {
          JsonPointer doc({id});
          STRATA_ASSIGN_OR_RETURN(bool exists, e.Exists(doc));  // removed meanwhile?
          if (exists) STRATA_RETURN_IF_ERROR(e.Remove(doc));
        }
        return Status::Ok();
      },
      describe, options);
} catch (...) {
  return CaughtStatus("Repository::Import");
}

Result<WriteResult> Repository::ImportFrom(const DocumentSource& source,
                                           const CommitOptions& options,
                                           const ImportOptions& import) try {
  return ImportFrom(MemberDocumentSource([&](const DocumentSink& sink, const MemberVisitor&) {
                      return source(sink);
                    }),
                    options, import);
} catch (...) {
  return CaughtStatus("Repository::ImportFrom");
}

Result<WriteResult> Repository::ImportFrom(const MemberDocumentSource& source,
                                           const CommitOptions& options,
                                           const ImportOptions& import) try {
  STRATA_RETURN_IF_ERROR(CheckCommitOptions(options));
  if (impl_->perspective_) {
    // The edit goes through the reader's view (PerspectiveTarget), which
    // takes values: the documents are kept, as Import does, and one given a
    // member at a time is put together (a key given twice keeps its last).
    std::vector<std::pair<std::string, json::value>> docs;
    json::object building;
    std::string building_id;
    const MemberVisitor whole{[&](const std::string& id) {
                                building_id = id;
                                building = json::object();
                                return Status::Ok();
                              },
                              [&](std::string key, json::value value) {
                                building[key] = std::move(value);
                                return Status::Ok();
                              },
                              [&] {
                                docs.emplace_back(std::move(building_id),
                                                  json::value(std::move(building)));
                                return Status::Ok();
                              }};
    STRATA_RETURN_IF_ERROR(source(
        [&](std::string id, json::value doc) {
          docs.emplace_back(std::move(id), std::move(doc));
          return Status::Ok();
        },
        whole));
    if (docs.empty()) return Status::InvalidArgument("no documents to import");
    return Import(std::move(docs), options, import);
  }

  // 1. Store each document as it comes, and keep only its id and object id.
  // Batches reach the disk (fsynced packs) as they fill: no ref names them
  // until the version does.
  ObjectStore& store = *impl_->store_;
  store.Discard();
  struct Unstage {
    ObjectStore& store;
    ~Unstage() {
      store.set_flush_threshold(0);
      store.Discard();
    }
  } unstage{store};
  store.set_flush_threshold(import.batch_bytes > 0 ? import.batch_bytes : kImportBatchBytes);
  const std::uint64_t objects_before = store.written_objects();
  const std::uint64_t bytes_before = store.written_bytes();
  // A vector, not a map: an id and object id take 56 bytes in it, 96 as a
  // std::map's node, and they are kept until the version is written. IdHashes is the duplicate
  // check; a hash seen before is confirmed against the ids given.
  std::vector<MemberChange> changes;
  IdHashes given;
  const auto check_id = [&](const std::string& id) -> Status {
    STRATA_RETURN_IF_ERROR(ValidateDocumentId(id));
    if (!given.Insert(id) && std::any_of(changes.begin(), changes.end(),
                                         [&](const MemberChange& c) { return c.first == id; })) {
      return Status::InvalidArgument("document '" + id + "' given twice");
    }
    return Status::Ok();
  };
  // A document given a member at a time: each member stored as it comes, at
  // the depth EncodeValue stores a document's members, and the document
  // built from their ids at its end (EncodeMembers decides blob or node
  // exactly as EncodeValue does for the whole value).
  std::string member_doc;
  std::vector<Member> doc_members;
  const MemberVisitor by_member{
      [&](const std::string& id) -> Status {
        STRATA_RETURN_IF_ERROR(check_id(id));
        member_doc = id;
        doc_members.clear();
        return Status::Ok();
      },
      [&](std::string key, json::value value) -> Status {
        // Checked where it sits in its document, for the pointer to name it.
        json::value one = json::object();
        json::value& member = one.get_object()[key] = std::move(value);
        STRATA_RETURN_IF_ERROR(
            CheckStorable(one).WithContext("in '/" + EscapePointerToken(member_doc) + "'"));
        STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeMember(store, std::move(member), 2));
        doc_members.push_back(Member{std::move(key), ref});
        return Status::Ok();
      },
      [&]() -> Status {
        KeepLastOfEachKey(doc_members);
        STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeMembers(store, std::move(doc_members), false));
        doc_members = {};
        changes.emplace_back(std::move(member_doc), ref);
        return Status::Ok();
      }};
  STRATA_RETURN_IF_ERROR(source(
      [&](std::string id, json::value doc) -> Status {
        STRATA_RETURN_IF_ERROR(check_id(id));
        STRATA_RETURN_IF_ERROR(
            CheckStorable(doc).WithContext("in '/" + EscapePointerToken(id) + "'"));
        // Freed as it is stored: a large document's values are gone before
        // its member list is written as nodes.
        STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeValue(store, std::move(doc), 1));
        changes.emplace_back(std::move(id), ref);
        return Status::Ok();
      },
      by_member));
  if (changes.empty()) return Status::InvalidArgument("no documents to import");
  STRATA_RETURN_IF_ERROR(store.Flush());
  const std::uint64_t document_objects = store.written_objects() - objects_before;
  const std::uint64_t document_bytes = store.written_bytes() - bytes_before;

  // 2. The documents to prune, as Import finds them (DocumentsNotGiven).
  std::vector<std::string> prune;
  if (import.prune) {
    const auto by_id = [](const MemberChange& a, const MemberChange& b) {
      return a.first < b.first;
    };
    std::sort(changes.begin(), changes.end(), by_id);
    STRATA_ASSIGN_OR_RETURN(
        prune,
        DocumentsNotGiven(*this, impl_->repo_.get(), options.branch, [&](std::string_view id) {
          auto it = std::lower_bound(
              changes.begin(), changes.end(), id,
              [](const MemberChange& c, std::string_view key) { return c.first < key; });
          return it != changes.end() && it->first == id;
        }));
  }

  // 3. The version: the head's state with the stored documents set, and the
  // pruned ones that are still there removed. Only the shards of the state
  // tree that change are read and rewritten. The removals are appended to
  // `changes` for this attempt only (WriteState may call it again).
  const std::size_t given_count = changes.size();
  const StateFn make_state = [&](const std::optional<ObjectId>& base) -> Result<ObjectId> {
    struct Restore {
      std::vector<MemberChange>& changes;
      std::size_t size;
      ~Restore() { changes.resize(size); }
    } restore{changes, given_count};
    for (const std::string& id : prune) {
      if (!base) break;
      STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> there, FindMember(store, *base, id));
      if (!there) continue;  // removed meanwhile
      changes.emplace_back(id, std::nullopt);
    }
    STRATA_ASSIGN_OR_RETURN(
        ValueRef state, UpdateObject(store, base, std::span<const MemberChange>(changes), true));
    return state.id;
  };
  // The flush threshold stays: the version's trees (two for each document,
  // state and metadata) go to disk in batches as they are built, not all at
  // its end.
  STRATA_ASSIGN_OR_RETURN(WriteResult written,
                          WriteState(make_state, DescribeImport(given_count), options));
  written.objects_written += document_objects;
  written.bytes_written += document_bytes;
  return written;
} catch (...) {
  return CaughtStatus("Repository::ImportFrom");
}

}  // namespace strata
