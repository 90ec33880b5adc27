// Sync between sites: remotes, fetch, push, clone, pull and sync.
//
// Every transfer goes through libgit2's transports (a local path, file://,
// git://, http(s)://, ssh://), so any git server is a strata remote; strata
// runs no server of its own. A remote is git's: `remote.NAME.url` and
// `remote.NAME.fetch = +refs/heads/*:refs/remotes/NAME/*` in .strata/config,
// so `git --git-dir .strata fetch NAME` works too.
//
// Fetch never trusts what arrives (docs/sync.md): objects land in a
// quarantine (.strata/incoming/<tmp>, a bare repository that borrows ours
// as its alternate), are checked there (repo/incoming.h: ref names,
// document ids, version shape, size), and only then are their packs moved
// into .strata/objects and the remote-tracking refs moved, in one
// RefTransaction. An interrupted or refused fetch leaves the repository
// as it was (and the next one cleans the quarantine up).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata {

struct RemoteInfo {
  std::string name;  // "origin"
  std::string url;   // as configured
};

// One ref a transfer moved (or would move), old and new ids in hex;
// nullopt: absent before / deleted.
struct RefChange {
  std::string ref;  // "refs/remotes/origin/main", "refs/heads/main" (on the remote, for push)
  std::optional<std::string> old_id, new_id;
  bool forced = false;  // not a fast-forward
};

struct TransferStats {
  std::size_t objects = 0;        // objects received / sent
  std::uint64_t bytes = 0;        // bytes received / sent on the wire
  std::size_t local_objects = 0;  // fetch: objects the pack used from our store (thin packs)
};

struct FetchOptions {
  bool progress = false;  // draw progress on stderr (the CLI sets it when stderr is a terminal)
  bool tags = true;       // also fetch tags that point into what is fetched
};

struct FetchResult {
  std::string remote;  // "origin"
  std::string url;
  std::vector<RefChange> changes;  // remote-tracking refs (and tags) that moved
  TransferStats stats;
  // The branch the remote's HEAD names ("main"); nullopt if it names none.
  std::optional<std::string> default_branch;
  // Remote tags that were not taken because a local tag of that name names
  // another version (as git's "would clobber existing tag").
  std::vector<std::string> skipped_tags;
};

struct PushOptions {
  bool progress = false;
  bool force = false;    // allow a push that is not a fast-forward
  bool tags = false;     // also push every tag
  bool dry_run = false;  // say what would move; send nothing
};

struct PushResult {
  std::string remote;  // name, or the URL when pushed to a URL
  std::string url;
  std::vector<RefChange> changes;  // refs on the remote, as they moved
  TransferStats stats;
  // Under a perspective: the projected version pushed (strata/repository.h, Project).
  std::optional<std::string> projected;
};

// A summary of one direction of a sync, in DiffSync's terms: documents
// created, updated and deleted on the receiving side, and how many of its
// documents stayed as they were.
struct SyncDirection {
  std::vector<std::string> created, updated, deleted;  // sorted document ids
  std::size_t unchanged = 0;
};

struct SyncResult {
  SyncDirection incoming;  // what the remote brought to our branch
  SyncDirection outgoing;  // what our branch brought to the remote
  bool dry_run = false;
  std::optional<FetchResult> fetched;
  std::optional<PushResult> pushed;
  // The merge step's outcome kind, as MergeOutcome::Kind ("up to date",
  // "fast-forward", "merged", "conflicts").
  std::string merge;
  std::vector<std::string> conflicts;  // "DOC POINTER" of each conflict, when it stopped
};

// Transfers (clone, fetch, pull, push, sync) stop cleanly when interrupted.
// InstallInterruptHandler() makes SIGINT and SIGTERM set a flag
// (Interrupted()) instead of ending the process, so a transfer in progress
// ends with an error and leaves nothing half-done; a second signal ends the
// process as usual. For programs (the CLI) that own their signal handling.
void InstallInterruptHandler();
bool Interrupted();

}  // namespace strata
