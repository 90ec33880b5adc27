// The write journal, GITDIR/journal: one fdatasync makes a small version
// durable, its pack and its branch's move together, where fsyncing the
// pack, objects/pack, the ref's lock file and refs/heads costs four
// (docs/format.md, "The write journal"; issue 11, "Small versions").
//
// A journaled write, under the write lock (RefTransaction::Commit):
//   1. the staged objects become a pack under temporary names, unsynced
//      (ObjectStore::PreparePack): no reader sees it yet;
//   2. the ref's lock file gets the new id, unsynced (repo/loose_ref.h);
//   3. one record holding the pack's bytes and the move (ref, old and new
//      id, the inodes of the ref file and of the lock file) is written into
//      the journal, and one fdatasync makes it durable: the version is
//      committed;
//   4. the pack is renamed into objects/pack and the lock file over the
//      ref, neither synced.
//
// The file is kBytes long, written whole (zeros) when it is made and
// fsynced with its folder, so writing a record changes no metadata and
// fdatasync flushes the record alone:
//   file    := header hint zeros record* zeros
//   header  := "strata-journal1\n" u64(generation) boot_id[36] u32(crc)     at 0
//   hint    := u64(end) u64(generation) u32(crc)                             at 512
//   record  := u32(magic) u32(size) u64(generation) u32(crc) u32(0) body    8-aligned, from 4096
//   body    := u32(n) (u8[20](pack name) u32(size) pack-bytes){n}
//              u32(m) (u16(size) ref u8[20](old) u8[20](new) u64(old inode) u64(new inode)){m}
// little-endian; each crc is zlib's crc32 of what precedes it (a record's:
// its first 16 bytes and its body). The records of the header's generation
// run from 4096 to the first one that is not whole. The hint says where the
// next goes; recovery reads the records, not the hint.
//
// Checkpoint (when a record does not fit, and at the start of gc): replay
// (below), syncfs(2) (every pack and ref the records name is on disk, and
// their names), then a new generation with this boot's id: the records are
// void.
//
// Recovery. What a power loss can take is in the page cache until then, so
// the journal is replayed only when the system has restarted since its
// records were written: the header's boot id (/proc/sys/kernel/random/
// boot_id) is not this boot's. Every open compares the two (one read); on a
// restart it takes the write lock and checkpoints, replaying:
//   - each record's pack, when objects/pack lacks it or holds other bytes
//     under its name, and its index;
//   - each ref the records moved, to the last record's new id, when the ref
//     file is one of theirs (its inode is the first record's old inode or a
//     record's new one) and holds one of their ids or cannot be read (a
//     torn write). A ref another program replaced since is left as it is.
// A writer killed after its record (before its renames) has committed: the
// next checkpoint or recovery finishes its move.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "objects/object_store.h"
#include "strata/status.h"

namespace strata {

// One ref move a journal record makes durable.
struct JournalMove {
  std::string ref;  // refs/heads/main
  ObjectId old_id;
  ObjectId new_id;
  std::uint64_t old_inode = 0;  // the ref's file before the move
  std::uint64_t new_inode = 0;  // the lock file renamed over it
};

class Journal {
 public:
  static constexpr std::uint64_t kBytes = std::uint64_t{1} << 20;
  static constexpr std::uint64_t kRecordsStart = 4096;
  static constexpr const char* kFileName = "journal";

  // The journal of `git_dir` (its path, ending in '/') for a writer, made on
  // the first Append. nullptr where the system gives no boot id: recovery
  // could not tell a restart, so writes fsync as they did.
  static std::unique_ptr<Journal> ForWriter(const std::string& git_dir);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one record of `pack` (null: none) and `move`; the caller holds
  // the write lock. true: durable (fsynced) when it returns. false: the
  // record is larger than an empty journal holds, and nothing was written.
  // A full journal is checkpointed first. IOError, naming the file, when a
  // write or the fdatasync fails; the record is then void.
  Result<bool> Append(const ObjectStore::PreparedPack* pack, const JournalMove& move);

  // Voids the record the last Append of this object wrote (one fdatasync):
  // for a write that failed after its record, before its ref moved.
  Status VoidLast();

  // Replays the records, syncs the file system, and voids them (above); the
  // caller holds the write lock. Nothing to do when there is no journal.
  Status Checkpoint();

  // What Open does first: when the journal holds records written before the
  // system last restarted, takes the write lock (waiting up to
  // `lock_timeout` seconds) and checkpoints. One read otherwise.
  //
  // true when the journal's header names this boot: it was made or
  // checkpointed since the system last started, by a process whose own open
  // ran after that start (so it repaired what a power loss may have torn:
  // ObjectStore::RepairPackIndexes). Files written since cannot have been
  // torn by a power loss, so Open need not check the small pack indexes
  // again. false when there is no journal, or another boot's.
  static Result<bool> RecoverAtOpen(const std::string& git_dir, int lock_timeout);

  // This boot's id ("" when the system gives none); for tests, the
  // environment's STRATA_JOURNAL_TEST_BOOT_ID when set.
  static std::string BootId();

 private:
  Journal(std::string git_dir, std::string boot_id)
      : git_dir_(std::move(git_dir)), path_(git_dir_ + kFileName), boot_id_(std::move(boot_id)) {}
  Status OpenOrCreate();
  Status Replay(bool restarted);
  void RecordRecoveredMove(const std::string& ref, const std::optional<ObjectId>& from,
                           const ObjectId& to);

  std::string git_dir_;
  std::string path_;
  std::string boot_id_;
  int fd_ = -1;                    // open from the first Append or Checkpoint
  std::uint64_t last_offset_ = 0;  // of the last record appended, 0: none
  std::uint64_t last_generation_ = 0;
};

}  // namespace strata
