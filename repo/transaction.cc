#include "repo/transaction.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <thread>
#include <vector>

#include "repo/loose_ref.h"
#include "repo/refs.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

// How long a ref update waits for git's own lock file (refs/heads/NAME.lock)
// to go away before it calls the file stale: git holds it for milliseconds.
constexpr auto kGitLockWait = std::chrono::seconds(2);
// How often a ref update tries again after meeting that lock.
constexpr int kGitLockTries = 50;

std::string Age(std::time_t since) {
  std::int64_t s = static_cast<std::int64_t>(std::time(nullptr) - since);
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + " seconds";
  if (s < 7200) return std::to_string(s / 60) + " minutes";
  if (s < 172800) return std::to_string(s / 3600) + " hours";
  return std::to_string(s / 86400) + " days";
}

// What the holder wrote into the lock file: "pid 1234, since 2026-...".
std::string Holder(int fd) {
  char buf[256];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  buf[n] = '\0';
  long pid = 0;
  long long since = 0;
  if (std::sscanf(buf, "pid %ld since %lld", &pid, &since) != 2) return "";
  // Left by a holder that was killed (the kernel released its lock, and
  // another process, not strata, holds it now).
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return "";
  return "held by process " + std::to_string(pid) + " for " + Age(static_cast<std::time_t>(since));
}

std::string GitLockPath(git_repository* repo, const std::string& ref) {
  return std::string(git_repository_path(repo)) + ref + ".lock";
}

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// The git lock files that block a move of `ref`: its own, and packed-refs'
// (a delete rewrites packed-refs).
std::vector<std::string> GitLockPaths(git_repository* repo, const std::string& ref) {
  return {GitLockPath(repo, ref), std::string(git_repository_path(repo)) + "packed-refs.lock"};
}

// The first of `locks` that exists, or "".
std::string FirstExisting(const std::vector<std::string>& locks) {
  for (const std::string& lock : locks) {
    if (Exists(lock)) return lock;
  }
  return "";
}

// Waits up to kGitLockWait for every lock of `ref` to go away; the one that
// stayed, or "".
std::string WaitForGitLocks(git_repository* repo, const std::string& ref) {
  const std::vector<std::string> locks = GitLockPaths(repo, ref);
  const auto deadline = Clock::now() + kGitLockWait;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    std::string left = FirstExisting(locks);
    if (left.empty() || Clock::now() >= deadline) return left;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

// Whether `lock` was made kGitLockWait or more ago.
bool OldEnough(const std::string& lock) {
  struct stat st {};
  if (stat(lock.c_str(), &st) != 0) return false;
  const auto made = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
  return std::chrono::system_clock::now() - made >= kGitLockWait;
}

// With strata's write lock held (no strata process is moving a ref: they
// all move refs under it, and the kernel released the lock of any that
// died), a git lock file made kGitLockWait or more ago was left by a process
// that was killed while it held it: git holds its own for milliseconds.
// Removes `lock` if so; true if it is gone.
bool RemoveStaleGitLock(const std::string& lock) {
  if (!Exists(lock)) return true;
  if (!OldEnough(lock)) return false;
  return unlink(lock.c_str()) == 0 || errno == ENOENT;
}

// Under the write lock: removes the stale locks of `ref`, and waits for the
// others to go away. Conflict naming a lock that stays without being stale.
Status ClearGitLocksLocked(git_repository* repo, const std::string& ref) {
  for (int round = 0; round < 8; ++round) {
    std::string left = FirstExisting(GitLockPaths(repo, ref));
    if (left.empty()) return Status::Ok();
    if (RemoveStaleGitLock(left)) continue;
    left = WaitForGitLocks(repo, ref);
    if (left.empty()) return Status::Ok();
    if (!RemoveStaleGitLock(left)) {
      return Status::Conflict("cannot move " + ref + ": " + DescribeGitLock(left));
    }
  }
  std::string left = FirstExisting(GitLockPaths(repo, ref));
  if (left.empty()) return Status::Ok();
  return Status::Conflict("cannot move " + ref + ": " + DescribeGitLock(left));
}

}  // namespace

Status CheckGitLock(git_repository* repo, const std::string& ref) {
  const std::string left = FirstExisting(GitLockPaths(repo, ref));
  if (left.empty()) return Status::Ok();
  // A lock that is not old yet may be a live git process's: wait for it.
  if (!OldEnough(left) && WaitForGitLocks(repo, ref).empty()) return Status::Ok();
  // It stayed. Take the write lock, so that no strata writer is moving a
  // ref, and remove the lock file if it is stale.
  STRATA_ASSIGN_OR_RETURN(WriteLock lock,
                          WriteLock::Acquire(git_repository_path(repo), LockTimeout(repo)));
  return ClearGitLocksLocked(repo, ref);
}

ConfigSnapshot SnapshotConfig(git_repository* repo) {
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo) < 0) {
    git_error_clear();
    return nullptr;
  }
  return ConfigSnapshot(raw, git_config_free);
}

int SignatureFromConfig(git_signature** out, git_config* config) {
  if (config == nullptr) return GIT_ENOTFOUND;
  const char* name = nullptr;
  const char* email = nullptr;
  int rc = git_config_get_string(&name, config, "user.name");
  if (rc == 0) rc = git_config_get_string(&email, config, "user.email");
  if (rc == 0) rc = git_signature_now(out, name, email);
  if (rc < 0) git_error_clear();
  return rc;
}

int LockTimeout(git_config* config) {
  if (config == nullptr) return WriteLock::kDefaultTimeoutSeconds;
  int32_t value = 0;
  if (git_config_get_int32(&value, config, "strata.lockTimeout") < 0 || value < 0) {
    git_error_clear();
    return WriteLock::kDefaultTimeoutSeconds;
  }
  return value;
}

int LockTimeout(git_repository* repo) { return LockTimeout(SnapshotConfig(repo).get()); }

std::string DescribeGitLock(const std::string& lock_path) {
  struct stat st {};
  std::string age = stat(lock_path.c_str(), &st) == 0 ? " (made " + Age(st.st_mtime) + " ago)" : "";
  return lock_path + " exists" + age +
         ": another git process may be updating that ref; if none is running, a process "
         "was killed while it held the lock, and it is safe to remove it: rm '" +
         lock_path + "'";
}

Result<WriteLock> WriteLock::Acquire(const std::string& git_dir, int timeout_seconds) {
  std::string path = (std::filesystem::path(git_dir) / kFileName).string();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IOError("cannot open the write lock " + path + ": " + std::strerror(errno));
  }
  WriteLock lock(fd);
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  auto pause = std::chrono::microseconds(200);
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return Status::IOError("cannot lock " + path + ": " + std::strerror(errno));
    }
    if (Clock::now() >= deadline) {
      std::string holder = Holder(fd);
      return Status::Conflict("timed out after " + std::to_string(timeout_seconds) +
                              " seconds waiting for the write lock " + path +
                              (holder.empty() ? "" : ", " + holder) +
                              "; another strata writer is still working (the lock is released "
                              "when it ends; raise strata.lockTimeout to wait longer)");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
  char info[96];
  int n = std::snprintf(info, sizeof info, "pid %ld since %lld\n", static_cast<long>(getpid()),
                        static_cast<long long>(std::time(nullptr)));
  if (ftruncate(fd, 0) == 0 && pwrite(fd, info, static_cast<std::size_t>(n), 0) < 0) {
    // The holder's description is for messages only; the lock holds without it.
  }
  return lock;
}

WriteLock& WriteLock::operator=(WriteLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

WriteLock::~WriteLock() {
  if (fd_ < 0) return;
  // Forget the holder first, so waiters never name a process that is gone.
  if (ftruncate(fd_, 0) != 0) {
    // Only the description is stale; the lock is released all the same.
  }
  close(fd_);  // releases the flock
}

Result<RefTransaction> RefTransaction::Begin(git_repository* repo, const TransactionHooks* hooks,
                                             ConfigSnapshot config) {
  if (!config) config = SnapshotConfig(repo);
  STRATA_ASSIGN_OR_RETURN(WriteLock lock,
                          WriteLock::Acquire(git_repository_path(repo), LockTimeout(config.get())));
  return RefTransaction(repo, hooks, std::move(lock), std::move(config));
}

Result<std::optional<ObjectId>> RefTransaction::Read(const std::string& ref) {
  return ReadRef(repo_, ref);
}

Result<std::string> RefTransaction::ReadSymbolic(const std::string& ref) {
  git_reference* raw = nullptr;
  int rc = git_reference_lookup(&raw, repo_, ref.c_str());
  ReferencePtr found(raw);
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return Status::NotFound("no ref " + ref);
  }
  if (rc < 0) return GitError(rc, "cannot read " + ref);
  if (git_reference_type(found.get()) != GIT_REFERENCE_SYMBOLIC) return std::string();
  return std::string(git_reference_symbolic_target(found.get()));
}

namespace {

// Deletes `u.ref` if it still has the id u.expected.
int DeleteRef(git_repository* repo, const RefUpdate& u) {
  git_reference* raw = nullptr;
  int rc = git_reference_lookup(&raw, repo, u.ref.c_str());
  ReferencePtr ref(raw);
  if (rc == GIT_ENOTFOUND) return GIT_EMODIFIED;
  if (rc < 0) return rc;
  const git_oid* now = git_reference_target(ref.get());
  if (now == nullptr || !u.expected || git_oid_cmp(now, AsGit(*u.expected)) != 0) {
    return GIT_EMODIFIED;
  }
  return git_reference_delete(ref.get());  // libgit2 checks the id again under git's lock
}

}  // namespace

// libgit2 renames the ref's lock file into place and then fsyncs the folder;
// when that fsync fails it reports an error although the ref has moved. Then
// the error must not say "cannot move": it says the ref moved and that the
// move may not survive a crash. `failed` otherwise.
Status RefTransaction::MovedAnyway(const RefUpdate& u, const Status& failed) {
  if (u.kind != RefUpdateKind::kSet) return failed;
  git_oid now;
  if (git_reference_name_to_id(&now, repo_, u.ref.c_str()) < 0) {
    git_error_clear();
    return failed;
  }
  if (!(FromGit(now) == u.target)) return failed;
  std::string why = failed.message();
  const std::string prefix = "cannot move " + u.ref + ": ";
  if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
  return Status::IOError(u.ref + " moved to " + u.target.Hex().substr(0, 12) + ", but " + why +
                         ": the move may not survive a crash");
}

Result<CommitOutcome> RefTransaction::Commit() {
  std::vector<RefUpdate> updates = std::move(updates_);
  updates_.clear();
  // Every ref must still have its expected id before anything runs.
  for (const RefUpdate& u : updates) {
    if (u.kind == RefUpdateKind::kSymbolic) {
      if (!u.expected_symbolic) continue;
      Result<std::string> names = ReadSymbolic(u.ref);
      if (!names.ok() && names.status().code() != Code::kNotFound) return names.status();
      if (!names.ok() || *names != *u.expected_symbolic) return CommitOutcome::kRefMoved;
      continue;
    }
    STRATA_ASSIGN_OR_RETURN(std::optional<ObjectId> now, Read(u.ref));
    if (now.has_value() != u.expected.has_value() || (now && !(*now == *u.expected))) {
      return CommitOutcome::kRefMoved;
    }
  }
  if (hooks_ && hooks_->prepare) STRATA_RETURN_IF_ERROR(hooks_->prepare(updates));
  if (hooks_ && hooks_->pre_commit) {
    for (const RefUpdate& u : updates) STRATA_RETURN_IF_ERROR(hooks_->pre_commit(u));
  }
  // Staged objects reach the disk before any ref names them: with the move
  // (one loose ref: SetLooseRef's `durable`), else alone first.
  bool staged_left = staged_ != nullptr;
  auto flush_staged = [&]() -> Status {
    if (!staged_left) return Status::Ok();
    STRATA_RETURN_IF_ERROR(staged_->alone());
    staged_left = false;
    return Status::Ok();
  };
  for (const RefUpdate& u : updates) {
    // A git process may hold the ref's own lock for a moment: wait for it,
    // a bounded number of times; a lock left by a killed process is removed
    // (ClearGitLocksLocked: we hold the write lock).
    for (int tries = 0;; ++tries) {
      // The common case, a loose ref set by compare-and-swap, strata moves
      // itself: git's lock protocol with 2 fsync calls, reflogs appended
      // without fsync as git does (repo/loose_ref.h). The rest, libgit2.
      if (u.kind == RefUpdateKind::kSet && u.expected) {
        DurableMove durable;
        bool journaled = false;
        if (staged_left && updates.size() == 1) {
          durable = [&](std::uint64_t ref_inode, std::uint64_t lock_inode) -> Result<bool> {
            STRATA_ASSIGN_OR_RETURN(
                journaled, staged_->with_move(
                               JournalMove{u.ref, *u.expected, u.target, ref_inode, lock_inode}));
            staged_left = false;
            return journaled;
          };
        } else {
          STRATA_RETURN_IF_ERROR(flush_staged());
        }
        Result<LooseRefOutcome> moved =
            SetLooseRef(repo_, u.ref, *u.expected, u.target, u.reason, durable, config_.get());
        if (!moved.ok()) {
          // Nothing moved (a journaled move has no fsync left to fail).
          if (journaled && staged_->void_move) staged_->void_move();
          return moved.status();
        }
        const LooseRefOutcome outcome = *moved;
        if (outcome == LooseRefOutcome::kMoved) break;
        if (outcome == LooseRefOutcome::kRefMoved) return CommitOutcome::kRefMoved;
        if (outcome == LooseRefOutcome::kLocked) {
          if (tries == kGitLockTries) {
            return Status::Conflict("cannot move " + u.ref + ": " +
                                    DescribeGitLock(GitLockPath(repo_, u.ref)));
          }
          STRATA_RETURN_IF_ERROR(ClearGitLocksLocked(repo_, u.ref));
          continue;
        }
      }
      STRATA_RETURN_IF_ERROR(flush_staged());
      git_reference* raw = nullptr;
      int rc = 0;
      if (u.kind == RefUpdateKind::kDelete) {
        rc = DeleteRef(repo_, u);
      } else if (u.kind == RefUpdateKind::kSymbolic) {
        rc = git_reference_symbolic_create(&raw, repo_, u.ref.c_str(), u.symbolic_target.c_str(), 1,
                                           u.reason.c_str());
      } else {
        rc = u.expected ? git_reference_create_matching(&raw, repo_, u.ref.c_str(), AsGit(u.target),
                                                        1, AsGit(*u.expected), u.reason.c_str())
                        : git_reference_create(&raw, repo_, u.ref.c_str(), AsGit(u.target), 0,
                                               u.reason.c_str());
      }
      ReferencePtr moved(raw);
      if (rc == 0) break;
      if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
        git_error_clear();
        return CommitOutcome::kRefMoved;
      }
      if (rc != GIT_ELOCKED || tries == kGitLockTries) {
        Status failed = GitError(rc, "cannot move " + u.ref);
        return MovedAnyway(u, failed);
      }
      git_error_clear();
      STRATA_RETURN_IF_ERROR(ClearGitLocksLocked(repo_, u.ref));
    }
  }

  if (hooks_ && hooks_->post_commit) {
    for (const RefUpdate& u : updates) hooks_->post_commit(u);
  }
  if (hooks_ && hooks_->committed) hooks_->committed(updates);
  return CommitOutcome::kCommitted;
}

}  // namespace strata
