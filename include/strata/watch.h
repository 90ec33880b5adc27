// Watcher: following a branch as it moves, this process's writes and any
// other's, exactly once and in history order (etcd's watch).
//
//   WatchOptions o;  o.docs = {"config/app1"};  o.since = last_id_seen;
//   auto w = Watcher::Make(*repo, o);
//   if (!w.ok()) ...
//   while (!done) {
//     auto batch = (*w)->Poll();          // the versions since the last Poll
//     if (!batch.ok()) ...
//     for (const LogEntry& e : *batch) ...  // save e.version.id to resume
//     (*w)->Wait(Watcher::kPollInterval);  // until the branch may have moved
//   }
//
// What counts as new: the watcher remembers the last tip of the branch it
// saw (at first: `since`, else the tip when it was made). When Poll finds
// the tip moved from OLD to NEW, the new versions are those reachable from
// NEW and not from OLD, oldest first: `git rev-list --reverse OLD..NEW`
// order, which is Repository::LogEntries("OLD..NEW") reversed, with its
// document and pointer filters. A ref that jumps several versions at once
// (a fast-forward, a pull) gives all of them, the versions a merge brings
// in included. Each version is given once: OLD..NEW and NEW..NEWER share
// none. A branch reset or forced backwards (NEW an ancestor of OLD) gives
// nothing: every version it reaches was given before; forced sideways, it
// gives the versions of NEW that OLD lacks. A branch that does not exist yet
// (or has no versions) gives nothing until it appears; then every version
// it reaches (since none was seen before). A deleted branch gives nothing
// and, once recreated, is compared with the last tip seen.
//
// Under a perspective (Repository::UsePerspective), a version that changed
// nothing its reader may see is left out, and changes are the view's.
//
// Other processes: the tip is read from disk at every Poll (never from a
// cache), and objects they wrote since (loose or in a new pack) are found
// by the object database's rescan on a miss. Wait uses inotify on the
// folders that hold the branch's ref, packed-refs and HEAD only as a
// wake-up: Poll is the source of truth, so the caller also polls after a
// short timeout (kPollInterval), which catches moves inotify cannot see
// (network file systems, a folder made after the watch was set).
//
// A Watcher borrows its Repository, which must outlive it; both are used
// from one thread (Wake may be called from any thread or a signal handler).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/repository.h"
#include "strata/status.h"

namespace strata {

struct WatchOptions {
  // The branch to follow ("main"); nullopt: the one HEAD names now.
  std::optional<std::string> branch;
  // Versions that changed one of these documents, or the value at one of
  // these pointers (or under it), from their first parent (as LogOptions);
  // none: every version.
  std::vector<std::string> docs;
  std::vector<LogOptions::PathFilter> paths;
  // A revision: the first Poll gives the versions after it (reachable from
  // the tip and not from it), then the watcher follows. nullopt: only
  // versions written after Make.
  std::optional<std::string> since;
  bool changes = false;  // fill LogEntry::changes (as log -p)
};

// "DOC:POINTER" as log --path and watch --path read it: split at the first
// ':' that starts the pointer ("/...") or ends the text (the whole
// document). InvalidArgument quotes the text and says what is wrong.
Result<LogOptions::PathFilter> ParsePathFilter(const std::string& text);

class Watcher {
 public:
  // How long Wait should block at most when the caller wants to be told
  // promptly even if inotify misses a move.
  static constexpr std::chrono::milliseconds kPollInterval{200};

  // NotFound / InvalidArgument name a `since` that names no version;
  // InvalidArgument for a branch name git refuses, or for no branch with
  // HEAD detached.
  static Result<std::unique_ptr<Watcher>> Make(Repository& repo, WatchOptions options);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // The versions on the branch that touch the selection, written since the
  // last Poll (the first: since `since` or Make), oldest first, each once.
  // On an error nothing is consumed: the next Poll tries the same range.
  Result<std::vector<LogEntry>> Poll();
  // Blocks until the branch may have moved (a file changed where its ref,
  // packed-refs or HEAD live), Wake() is called, a signal arrives, or
  // `timeout` passes. Returns nothing useful by design: Poll decides.
  Status Wait(std::chrono::milliseconds timeout);
  // Ends a Wait now (or the next one). Async-signal-safe.
  void Wake();

  const std::string& branch() const { return branch_; }
  // The last tip seen (or `since`); nullopt before the branch had a version.
  const std::optional<std::string>& last() const { return last_; }

 private:
  Watcher(Repository& repo, WatchOptions options, std::string branch);
  Status Arm();  // (re)adds inotify watches on the folders that exist now

  Repository& repo_;
  WatchOptions options_;
  std::string branch_;
  struct RefReader;  // repo/watch.cc: our own libgit2 handle, to read the ref from disk
  std::unique_ptr<RefReader> refs_;
  std::optional<std::string> last_;
  int inotify_fd_ = -1;  // -1: no inotify, Wait only sleeps
  int wake_fd_ = -1;     // an eventfd Wake writes to
};

}  // namespace strata
