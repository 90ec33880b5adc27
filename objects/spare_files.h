// Spare files: empty files made ahead of time in GITDIR/spare, which a
// write renames to the name of a file it would otherwise create (a new
// pack's and its index's temporary files, a ref's lock file), and retired
// files: the refs a write replaced, kept linked in GITDIR/spare/retired
// until the next gc instead of being freed by the rename that replaces
// them (docs/format.md, "Spare files").
//
// Why: a one-field version creates three files and replaces one. Renaming
// a file costs about the same on any file system; creating one does not:
// ext4 without a journal skips, one by one, the inodes freed in the last
// half minute or so when it picks one for a new file (recently_deleted()),
// reading the inode table to do it, so for minutes after a removal (a gc's,
// a working tree's) a create took 0.3-1.6 ms instead of 0.03 ms; and on a
// file system mounted with `discard`, freeing a file's blocks trims them
// synchronously (0.2-0.45 ms for a ref the rename replaced). Databases
// recycle their log files for the same reason (PostgreSQL's WAL segments).
// gc and large writes make the spares (TopUpSpareFiles), gc removes the
// retired files after its journal checkpoint (so no record names their
// inodes any more; automatic gc on another thread, SpareKeeper, with the
// packs it replaced); a write that finds no spare creates its files as before.
//
// A spare is claimed by renameat2(RENAME_NOREPLACE), which never replaces
// a file (a ref's lock stays exclusive: git and libgit2 create it with
// O_EXCL), then opened without following links and used only if it is
// still an empty regular file with one link; otherwise it is set aside and
// the caller creates its file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "strata/status.h"

namespace strata {

// How many spares gc keeps: three a version for two rounds of
// strata.gcAutoPackLimit's 50 versions, and some. Two, because automatic
// gc makes them on another thread (SpareKeeper) while the next writes
// claim what the last round left.
inline constexpr std::size_t kSpareFiles = 320;

// A random number for a file's name, from a generator each thread seeds
// once from the kernel.
std::uint64_t SpareRandom();

// GITDIR/spare for the pack folder GITDIR/objects/pack (`pack_dir`); empty
// when `pack_dir` is not named so (an alternate layout: no spares).
std::string SpareDirOfPackDir(const std::string& pack_dir);

// A spare of `spare_dir` renamed to `path` and opened for writing, mode
// unchanged (0666 less the umask of the process that made it). Returns the
// descriptor; -1 with errno EEXIST when `path` exists (nothing claimed);
// -1 with errno 0 when there is no spare to claim: the caller creates
// `path` itself.
int ClaimSpareFile(const std::string& spare_dir, const std::string& path);

// Links the file `path` names into `spare_dir`/retired, so that the rename
// about to replace `path` frees nothing. Best effort: a failure leaves the
// rename to free it as before.
void RetireFile(const std::string& spare_dir, const std::string& path);

// Makes `spare_dir` (and its retired and making folders) hold `count`
// spares, each created in the making folder and renamed in. gc calls
// it, and the writer of a pack of kSparesAfterPackBytes or more (an
// import): operations that take long anyway; `strata init` makes none, so
// a repository that only ever takes a few small writes never pays for them.
Status TopUpSpareFiles(const std::string& spare_dir, std::size_t count = kSpareFiles);
inline constexpr std::uint64_t kSparesAfterPackBytes = std::uint64_t{4} << 20;

// Removes the retired files. Only gc calls it, after its journal
// checkpoint (no record names their inodes then), under the write lock.
Status RemoveRetiredFiles(const std::string& spare_dir);

// The retired files there now, as paths: what a gc may remove after its
// journal checkpoint, on another thread (files retired later stay).
std::vector<std::string> RetiredFiles(const std::string& spare_dir);

// Renames `path` into `spare_dir`/retired and returns its new path, so that
// removing it, which frees its inode and its blocks (slow on this kind of
// file system: see above), can happen later, on another thread. Empty when
// it cannot (no spare folder, `path` gone, another file system): the
// caller removes `path` itself. Only gc calls it, for the packs its new
// pack replaces, once that pack is durable.
std::string MoveToRetired(const std::string& spare_dir, const std::string& path);

// What automatic gc leaves to another thread, so that the write that ran
// it returns sooner: topping up the spares, then removing retired files
// gc listed (before the removals: creating a file is slow for a while
// after them). Start waits for the work it started before; Wait and the
// destructor wait for it. Best effort, as gc's own top-up: what it could
// not do, the next gc does (it removes every retired file).
class SpareKeeper {
 public:
  SpareKeeper() = default;
  SpareKeeper(const SpareKeeper&) = delete;
  SpareKeeper& operator=(const SpareKeeper&) = delete;
  ~SpareKeeper() { Wait(); }

  void Start(std::string spare_dir, std::vector<std::string> remove);
  void Wait();

 private:
  std::thread thread_;
};

// The spares and retired files in `spare_dir` (tests, `strata gc` report).
struct SpareCount {
  std::size_t spares = 0;
  std::size_t retired = 0;
};
SpareCount CountSpareFiles(const std::string& spare_dir);

}  // namespace strata
