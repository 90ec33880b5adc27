// RefTransaction: the one way in. Every ref move (a write today; merge,
// revert, reset, pull and branch moves as they land) goes through one, as
// git's ref transactions do:
//
//   Result<RefTransaction> tx = RefTransaction::Begin(repo, hooks);  // takes the write lock
//   Result<std::optional<ObjectId>> head = tx->Read("refs/heads/main");
//   ... build a version on *head, its objects on disk ...
//   tx->Update({"refs/heads/main", *head, new_id, "strata: set ...", version, delta});
//   Result<CommitOutcome> done = tx->Commit();  // pre-commit, compare-and-swap, post-commit
//
// The write lock is .strata/strata.lock, held with flock(2) from Begin until
// the transaction is destroyed. The kernel releases it when its process
// dies, so a killed writer never leaves it behind; writers wait for it up
// to `strata.lockTimeout` seconds (git config; default 30), and the error
// names the lock and its holder. Compare-and-swap stays the guard against
// writers that do not take it (git itself): a ref moves only if it still
// has the id the transaction expects.
//
// A ref moves through git's own lock file, refs/heads/NAME.lock (and
// packed-refs.lock to delete one): strata takes it itself for a loose ref
// set by compare-and-swap (repo/loose_ref.h), libgit2 for every other move. A process killed at
// that moment leaves it behind, and git would refuse every later move of that ref until someone
// removed it. strata removes it itself: holding the write lock (so no strata
// process is moving a ref: they all do it under that lock, and the kernel
// released the lock of one that died), a git lock file that has existed for
// 2 seconds or more is stale (git holds its own for milliseconds), and is
// deleted before the move. A lock file younger than that which does not go
// away within 2 seconds fails the move with an error that names the file,
// its age and how to remove it safely.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "objects/git.h"
#include "repo/journal.h"
#include "strata/json_patch.h"
#include "strata/status.h"
#include "strata/version.h"

namespace strata {

// What a RefUpdate does to its ref.
enum class RefUpdateKind {
  kSet,       // point `ref` at `target` (create it when `expected` is nullopt)
  kDelete,    // remove `ref`, which must have the id `expected`
  kSymbolic,  // make `ref` (HEAD) name the ref `symbolic_target`
};

// Why a ref moves: what kind of event its move is (strata/events.h). Every
// site that makes a RefUpdate says it.
enum class RefCause {
  kOther,     // a site that did not say (an event of kind "other")
  kWrite,     // a version written: put, set, rm, patch, import, commit
  kMerge,     // merge (fast-forward included), cherry-pick, revert, merge --continue
  kBranch,    // branch create, force-move, delete; switch
  kTag,       // tag create, replace, delete
  kLabels,    // labels added or removed later (the notes ref)
  kFetch,     // fetch moved a remote-tracking ref or a tag
  kPull,      // the fetch of a pull
  kPush,      // push moved our remote-tracking ref
  kReceive,   // a push from elsewhere moved our branch (the receiving side)
  kInternal,  // strata's own bookkeeping refs (merge in progress, push landing): no event
};

// One ref move.
struct RefUpdate {
  std::string ref;                   // "refs/heads/main", or "HEAD" when detached
  std::optional<ObjectId> expected;  // its id now; nullopt: it must not exist yet
  ObjectId target;                   // its id after the move
  std::string reason;                // the reflog message
  // The version the move writes, and its delta, when it writes one (the
  // events and hooks layer hands them to pre-commit and post-commit).
  std::optional<VersionInfo> version;
  Patch delta;
  // The delta holds paths only (a large write's): events compute it again.
  bool delta_values_dropped = false;
  RefUpdateKind kind = RefUpdateKind::kSet;
  // kSymbolic: the ref `ref` will name ("refs/heads/NAME"), and the one it
  // must name now for the move to happen ("" : detached; nullopt: any). The
  // id check on `expected` does not apply to kSymbolic.
  std::string symbolic_target;
  std::optional<std::string> expected_symbolic;
  RefCause cause = RefCause::kOther;
};

// The hook points of a transaction; either may be empty.
struct TransactionHooks {
  // Runs before any ref moves, with the lock held. A non-ok status refuses
  // the whole transaction: nothing moves, and Commit returns that status.
  std::function<Status(const RefUpdate&)> pre_commit;
  // Runs after a ref moved. It cannot undo the move; what it does with a
  // failure of its own is its business, never the writer's.
  std::function<void(const RefUpdate&)> post_commit;
  // Run once per transaction, with every update: `prepare` before the first
  // pre_commit (a non-ok status refuses the transaction as pre_commit does),
  // `committed` after the last post_commit. The repository's events and
  // hooks (strata/events.h) live here.
  std::function<Status(const std::vector<RefUpdate>&)> prepare;
  std::function<void(const std::vector<RefUpdate>&)> committed;
};

// The repository-wide write lock (see above).
class WriteLock {
 public:
  // Waits up to `timeout_seconds` for the lock on `git_dir`/strata.lock.
  // Conflict when it times out, naming the lock file and its holder;
  // IOError when the file cannot be opened.
  static Result<WriteLock> Acquire(const std::string& git_dir, int timeout_seconds);
  WriteLock(WriteLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  WriteLock& operator=(WriteLock&& other) noexcept;
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;
  ~WriteLock();

  static constexpr int kDefaultTimeoutSeconds = 30;
  static constexpr const char* kFileName = "strata.lock";

 private:
  explicit WriteLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The objects of a write still staged when its transaction commits
// (Repository::WriteState): Commit makes them durable before any ref names
// them, with the transaction's one loose-ref move when it can.
struct StagedObjects {
  // Called with the move once the ref's lock file holds the new id: makes
  // the objects durable and returns true when the move is durable with them
  // (a journal record, repo/journal.h); false when only the objects are (a
  // fsynced pack), and the move is then fsynced as usual.
  std::function<Result<bool>(const JournalMove& move)> with_move;
  // The objects alone, as a fsynced pack (ObjectStore::Flush).
  std::function<Status()> alone;
  // The move with_move made durable did not happen (a later step failed):
  // void it, so that it does not come back after a restart.
  std::function<void()> void_move;
};

enum class CommitOutcome {
  kCommitted,  // every ref moved
  kRefMoved,   // a ref no longer had its expected id: nothing moved; read and retry
};

// A snapshot of a repository's config, shared by the steps of one write.
// Each snapshot copies every entry of every config file: a one-field
// `strata set` that took one a step took eight, ~8% of its instructions
// (callgrind). nullptr when the config cannot be read: readers then use
// their defaults, as when a key is unset.
using ConfigSnapshot = std::shared_ptr<git_config>;
ConfigSnapshot SnapshotConfig(git_repository* repo);
// What libgit2 1.5's git_signature_default gives, from a snapshot: user.name
// and user.email of `config`, at the current time. A negative libgit2 code
// when either is unset or `config` is null (the error cleared).
int SignatureFromConfig(git_signature** out, git_config* config);

class RefTransaction {
 public:
  // Takes the write lock of `repo` (borrowed; it must outlive the
  // transaction). `hooks` may be null. `config`: the snapshot to read
  // strata.lockTimeout, core.logAllRefUpdates and user.name/user.email
  // from; null: the transaction takes one.
  static Result<RefTransaction> Begin(git_repository* repo, const TransactionHooks* hooks,
                                      ConfigSnapshot config = nullptr);

  // The id `ref` has now (nullopt: absent), read under the lock.
  Result<std::optional<ObjectId>> Read(const std::string& ref);
  // The ref `ref` (HEAD) names now, e.g. "refs/heads/main"; "" if it is
  // detached (holds an id). NotFound if `ref` does not exist.
  Result<std::string> ReadSymbolic(const std::string& ref);

  // Adds a move to the transaction.
  void Update(RefUpdate update) { updates_.push_back(std::move(update)); }

  // Runs pre_commit for every update (a refusal stops everything), then
  // moves each ref by compare-and-swap, then runs post_commit for each.
  // kRefMoved when a ref no longer has its expected id (or, for kSymbolic,
  // no longer names expected_symbolic): then nothing moved. The updates
  // are consumed either way; the lock is kept until the transaction ends.
  Result<CommitOutcome> Commit();
  // Objects Commit must make durable first (borrowed; null: none).
  void set_staged(const StagedObjects* staged) { staged_ = staged; }

 private:
  Status MovedAnyway(const RefUpdate& u, const Status& failed);
  RefTransaction(git_repository* repo, const TransactionHooks* hooks, WriteLock lock,
                 ConfigSnapshot config)
      : repo_(repo), hooks_(hooks), lock_(std::move(lock)), config_(std::move(config)) {}

  git_repository* repo_;
  const TransactionHooks* hooks_;
  WriteLock lock_;
  ConfigSnapshot config_;
  std::vector<RefUpdate> updates_;
  const StagedObjects* staged_ = nullptr;
};

// Waits briefly for git's lock files of `ref` (its own, packed-refs') to go
// away; if one stays, takes the write lock and removes it when it is stale
// (see above). Conflict naming it (DescribeGitLock) if it stays and is not
// stale. A write checks this before any work. Call it without the write
// lock held (it takes that lock itself when a lock file stays).
Status CheckGitLock(git_repository* repo, const std::string& ref);

// strata.lockTimeout of `repo`'s config (seconds to wait for the write
// lock), else WriteLock::kDefaultTimeoutSeconds.
int LockTimeout(git_repository* repo);
// The same from a snapshot (null: the default).
int LockTimeout(git_config* config);

// "PATH exists (made 3 minutes ago): ..." with how to remove it safely, for
// a git lock file that blocks a ref update, or that verify finds.
std::string DescribeGitLock(const std::string& lock_path);

}  // namespace strata
