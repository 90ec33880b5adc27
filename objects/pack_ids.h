// PackIds: which objects the packs in objects/pack hold, answered from
// their indexes (git's pack-format.txt, version 2) by strata itself.
//
// ObjectStore asks before staging each object whether it is stored
// (ObjectStore::Stored). libgit2's pack backend answers by searching every
// pack in turn, and formats an error message for each pack the id is not
// in (git_error_set and vsnprintf): with the 50 packs automatic gc allows,
// that cost a new object about 50 formatted messages, more than the rest of
// a one-field write. Here each index is mapped once and searched through its
// fan-out table; a miss costs one binary search a pack and no message.
// An index asked about kFilterAfter times (a process that stores many
// objects: an import writes a pack every 16 MiB, and each new object is
// looked for in every one) gets a Bloom filter of its ids, so that a miss
// there costs four bit tests, not a binary search over a mapped file.
//
// The listing is read at the first question and again at each Refresh
// (ObjectStore refreshes it where it rescans libgit2's packs): new indexes
// are mapped, removed ones unmapped, the rest kept. Between refreshes it is
// as stale as libgit2's own listing, and both err the same way: an object
// in a pack written since by another process is staged again (a duplicate
// across packs, which git allows). An index that is not a whole version 2
// index (a pack being written) is left out, and Contains then answers only
// for the others: `complete()` says whether every index was read, so a
// caller asks libgit2 when it was not.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "objects/git.h"

namespace strata {

class PackIds {
 public:
  explicit PackIds(std::string pack_dir) : dir_(std::move(pack_dir)) {}
  ~PackIds();
  PackIds(const PackIds&) = delete;
  PackIds& operator=(const PackIds&) = delete;

  // Whether an index lists `id`. Lists the folder first if it never was.
  bool Contains(const ObjectId& id);
  // Where an index lists `id`: the index's name (pack-HEX.idx) and the
  // offset of the object's entry in its pack; nullopt if none lists it (or
  // the one that does names an offset past its own tables). Lists the folder
  // first if it never was.
  struct Location {
    std::string index;
    std::uint64_t offset = 0;
  };
  std::optional<Location> Locate(const ObjectId& id);
  // Lists objects/pack again if it changed (its mtime) since the last
  // listing.
  void Refresh();
  // Adds index `name` (pack-HEX.idx), which this process just renamed into
  // the folder, without listing the folder again: only when nothing else
  // changed the folder since the last listing, which `folder_before` (its
  // mtime before the pack's temporary files were made in it) tells. False
  // when it did not (the listing is not whole, the folder changed, the
  // index cannot be read): the caller calls Refresh. (A writer holds the
  // write lock as it installs its pack: no other strata process adds or
  // removes one meanwhile.)
  bool AddOwn(const std::string& name, const struct timespec& folder_before);
  // Whether every index in the listing was read.
  bool complete() const { return complete_; }
  // Why the last listing left an index out when the system refused to open,
  // read or map it (too many open files, no memory): "cannot open PATH:
  // REASON". Empty when none was refused; an index removed meanwhile or not
  // yet whole (a pack being written) is no refusal.
  const std::string& refused() const { return refused_; }
  std::size_t packs() const { return indexes_.size(); }
  // How many indexes the listings dropped, since this was made: those of
  // packs removed (by gc) since the listing before.
  std::uint64_t removed() const { return removed_; }
  // Indexes with a filter now (for tests).
  std::size_t filtered() const;

  // Lookups of one index before it gets a filter, and the fewest ids an
  // index needs for one (a small index is searched in the cache anyway).
  static constexpr std::uint32_t kFilterAfter = 4096;
  static constexpr std::uint32_t kFilterMinIds = 4096;

 private:
  // An index of kCopyMax bytes or less is read into memory (one read, its
  // size not asked first); a larger one is mapped. Only a small one is ever rewritten in place (a
  // power loss may tear it, and RepairPackIndexes rebuilds it: docs/format.md), and a mapping of a
  // file cut short faults on access; large indexes are fsynced before they are renamed into place,
  // and never change.
  static constexpr std::size_t kCopyMax = 64 << 10;
  struct Index {
    std::string name;                    // pack-HEX.idx
    std::string copy;                    // the bytes of a small index
    const unsigned char* map = nullptr;  // or the mapping of a large one
    std::size_t size = 0;
    std::uint32_t count = 0;
    std::uint32_t lookups = 0;
    // A Bloom filter of the ids (4 probes, 16 to 32 bits an id), once built.
    std::vector<std::uint64_t> filter;
    const unsigned char* data() const {
      return map ? map : reinterpret_cast<const unsigned char*>(copy.data());
    }
  };
  static void Release(Index& index);
  bool Load(const std::string& name, std::string& buffer, Index& index);
  // Records the first refusal of a listing (refused()); `error` is errno.
  void Refuse(const char* what, const std::string& path, int error);
  // The position of `id` among the index's sorted ids, if it lists it.
  static std::optional<std::uint32_t> Find(const Index& index, const ObjectId& id);
  // Whether `index` may list `id`: false when its filter rules it out.
  // Counts the lookup toward building one.
  static bool MaySearch(Index& index, const ObjectId& id);
  static void BuildFilter(Index& index);
  static bool MayContain(const Index& index, const ObjectId& id);

  std::string dir_;
  std::vector<Index> indexes_;  // sorted by name
  bool listed_ = false;
  bool complete_ = true;
  std::string refused_;
  std::uint64_t removed_ = 0;
  struct timespec listed_mtime_ {};  // of the folder, at the last listing
  std::string own_buffer_;           // what AddOwn reads an index into first
};

}  // namespace strata
