// Repository's private half (the pimpl of strata/repository.h): the libgit2
// handle, the object store, the perspective in use, the transaction hooks
// and the subscribers, and the private steps whose arguments are libgit2
// types. Every repo/*.cc that implements Repository includes this header;
// no public header does.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "objects/git.h"
#include "objects/object_store.h"
#include "objects/spare_files.h"
#include "repo/document_meta.h"
#include "repo/event_hub.h"
#include "repo/journal.h"
#include "repo/schemas.h"
#include "repo/transaction.h"
#include "strata/repository.h"

namespace strata {

class ViewCache;      // repo/views.h
struct VersionTrees;  // repo/version_tree.h

// strata.formatVersion from the repository's config (1 when unset).
Result<int> ReadFormatVersion(git_repository* repo);
// The same from a snapshot of it.
Result<int> ReadFormatVersion(git_config* config);

struct Repository::Impl {
  Impl(std::string path, RepositoryPtr repo, std::unique_ptr<ObjectStore> store);
  ~Impl();

  // The private steps that take libgit2 types (self: the Repository this
  // is the Impl of).
  // The Snapshot of `commit`, read through the perspective in use.
  Result<Snapshot> SnapshotOf(const git_commit* commit, const std::string& rev);
  // A version's trees, its state seen through the perspective in use. Every
  // read of a state goes through here.
  Result<VersionTrees> ReadTrees(const git_commit* commit);
  // Under a perspective: the version's message with every document id and
  // pointer its change touched that the reader may not see replaced by
  // "(hidden)" (composed messages name what they changed).
  Status SeeMessageThrough(VersionInfo& v, const git_commit* commit);
  // The git signature of `who` (empty: as ResolveAuthor) at `time` (empty:
  // now), for tags and notes; `role` names it in errors.
  Result<SignaturePtr> SignatureNow(const std::optional<Signature>& who,
                                    const std::optional<std::int64_t>& time, const char* role);
  // Writes a notes commit that gives `commit` the added labels `labels`
  // (none: removes its note) and moves the notes ref.
  Result<VersionLabels> WriteAddedLabels(const git_oid& commit, const LabelOptions& options,
                                         const std::function<Result<std::vector<std::string>>(
                                             const std::vector<std::string>& current)>& change);

  Repository* self = nullptr;
  std::string path_;
  RepositoryPtr repo_;
  std::unique_ptr<ObjectStore> store_;
  TransactionHooks hooks_;
  std::optional<Perspective> perspective_;
  std::unique_ptr<ViewCache> view_cache_;
  std::unique_ptr<EventHub> events_;
  EventReporter reporter_;
  bool run_hooks_ = true;
  bool hooks_dir_ = false;  // .strata/hooks exists (seen by the transaction now committing)
  RefCause fetch_cause_ = RefCause::kFetch;  // kPull during a pull's fetch
  // The write journal (repo/journal.h), opened by the first write that may
  // use it: null when there is none (strata.journal = false, or no boot id).
  Journal* WriteJournal();
  std::unique_ptr<Journal> journal_;
  bool journal_checked_ = false;

  // The config snapshot of the write in progress (WriteState sets it for
  // the write's duration), which every step of the write reads its
  // settings from: author, journal, lock timeout, reflogs, automatic gc.
  // Config() gives that one during a write, else a new snapshot.
  ConfigSnapshot Config() { return write_config_ ? write_config_ : SnapshotConfig(repo_.get()); }
  ConfigSnapshot write_config_;
  // What automatic gc left to another thread (objects/spare_files.h):
  // waited for by the next gc and when the repository is closed.
  SpareKeeper spare_keeper_;
};

}  // namespace strata
