// The version index: what history walks need to know of each version, kept
// beside the repository in .strata/version-index, so that a walk orders and
// skips versions without asking libgit2 for them (git's commit-graph file
// with changed-path filters does the same for git log).
//
// Per version (commit id): its parents, its commit time (the walk's order),
// its stored state tree, the hashes of its trailer labels, and the hashes of
// the documents its state changed from its first parent's (found with the
// pruned walk of objects/tree_diff.h; "many" past kMaxIndexedDocs). The
// index is only a pre-filter: a walk still checks every version it keeps
// exactly as without it, so a hash collision only costs a check. A version
// it lacks is read through libgit2 and its record appended (lazily, by
// reads; writes never touch the index). A record is keyed by a commit id, so
// it never goes stale.
//
// docs/format.md describes the file. Internal to repo/.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "objects/git.h"
#include "objects/object_store.h"
#include "objects/tree_codec.h"
#include "strata/status.h"

namespace strata {

// Past this many changed documents a record says "many" (a candidate for
// every document filter) instead of listing them.
inline constexpr std::size_t kMaxIndexedDocs = 256;

// FNV-1a, 64 bits: the hash of document ids and labels in records.
std::uint64_t IndexHash(std::string_view text);

// One version, as the index keeps it.
struct VersionRecord {
  ObjectId id;
  std::int64_t time = 0;  // git_commit_time
  ObjectId state;         // the stored state tree (never a view)
  std::vector<ObjectId> parents;
  std::vector<std::uint64_t> labels;  // IndexHash of each trailer label, sorted, unique
  bool many_docs = false;             // changed more than kMaxIndexedDocs documents
  std::vector<std::uint64_t> docs;    // IndexHash of each changed document, sorted, unique

  bool HasLabel(std::uint64_t h) const;
  // Whether the document with hash `h` may have changed (certainly not if false).
  bool MayHaveChanged(std::uint64_t h) const;
  friend bool operator==(const VersionRecord& a, const VersionRecord& b);
};

// State tree nodes read for one record that the next one often reads again
// (a version's state is its child's parent state).
struct VersionRecordCache {
  std::array<std::pair<ObjectId, std::vector<TreeEntry>>, 4> nodes;
  std::size_t next = 0;
};

// The record of `commit`, whose first parent's stored state is
// `parent_state` (nullopt: none, the empty state). Reads its root tree
// (unless its stored state `state` is given) and the trees the pruned walk
// needs (objects/tree_diff.h's, joining entries by name), through `cache`.
Result<VersionRecord> ComputeVersionRecord(ObjectStore& store, const git_commit* commit,
                                           const std::optional<ObjectId>& parent_state,
                                           const std::optional<ObjectId>& state = std::nullopt,
                                           VersionRecordCache* cache = nullptr);

// A record as the file stores it (docs/format.md), checksum included.
std::string EncodeVersionRecord(const VersionRecord& r);

class VersionIndex {
 public:
  // Reads `file` (.strata/version-index) at once. A missing, unreadable or
  // damaged file is never an error: what cannot be read is left out (and
  // rewritten by the next Save).
  explicit VersionIndex(std::string file);

  const VersionRecord* Find(const ObjectId& id) const;
  // Remembers a record; a duplicate of one known is ignored. Save() writes
  // what was added since the last Save().
  const VersionRecord& Add(VersionRecord r);
  // Appends the pending records with one write() on an O_APPEND descriptor
  // (concurrent appenders never interleave; a duplicate record is harmless).
  // When the file was damaged, writes it whole again instead (a new file
  // renamed over it), even with nothing pending. A failure is for tests to see: readers ignore it.
  Status Save();

  std::size_t size() const { return records_.size(); }
  // Records stay where they are as others are added.
  const std::deque<VersionRecord>& records() const { return records_; }
  // Bytes skipped as torn or damaged when the file was read.
  std::size_t damaged_bytes() const { return damaged_bytes_; }
  std::size_t pending() const { return pending_.size(); }

 private:
  void Parse(std::string_view data);

  std::string file_;
  std::deque<VersionRecord> records_;
  std::unordered_map<ObjectId, std::uint32_t> by_id_;
  std::vector<std::uint32_t> pending_;
  std::size_t damaged_bytes_ = 0;
};

// Whether walks use the index: yes unless STRATA_VERSION_INDEX is "off"
// (for comparing the two; the results are the same).
bool VersionIndexEnabled();

}  // namespace strata
