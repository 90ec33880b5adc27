// The files of a git pack on disk, as git's pack-format.txt describes them:
// the version 2 index (.idx) and the entries of a pack (.pack). Shared by
// the writers of packs (ObjectStore::WritePack, CombinePacks, StreamPack)
// and the readers of indexes (PackIds, RepairPackIndexes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/object_id.h"
#include "strata/status.h"

namespace strata {

// Big-endian 32-bit integers, as packs and their indexes store them.
std::uint32_t Be32(const unsigned char* p);
void PutBe32(std::string& out, std::uint32_t v);

// One object of a pack being written: its id, where its entry starts, and
// the CRC-32 of the entry's bytes (header and compressed data), for the index.
struct PackedEntry {
  ObjectId id;
  std::uint64_t offset = 0;
  std::uint32_t crc = 0;
};

// The version 2 index of a pack (git's pack-format.txt):
//   idx := "\377tOc" be32(2) be32(fanout)[256] id[n] be32(crc)[n] be32(offset)[n]
//          be64(large offset)* pack-checksum sha1(every byte before it)
// Entries sorted by id; an offset of 2^31 or more goes to the large table.
std::string PackIndex(std::vector<PackedEntry> entries, const std::string& pack_checksum);

// Whether `idx` is a whole, valid version 2 pack index: its size agrees
// with its object count and its own SHA-1 trailer matches (a torn, short
// or zeroed file fails one or the other).
bool ValidPackIndex(std::string_view idx);

// A pack entry's header: the object's type and size.
void AppendEntryHeader(std::string& out, unsigned type, std::size_t size);

// Reads exactly `size` bytes at `offset` of `fd` into `out`.
Status ReadAt(int fd, char* out, std::size_t size, std::uint64_t offset, const std::string& path);

// A pack on disk as its index describes it: its entries (sorted by id) and
// its checksum.
struct SourcePack {
  std::string path;  // the .pack
  std::uint64_t size = 0;
  std::string checksum;  // the pack's SHA-1, as its index records it
  std::vector<PackedEntry> entries;
};

// The pack `base`.pack as `base`.idx describes it; Corruption if the index
// is not valid or names an offset outside its pack.
Result<SourcePack> ReadSourcePack(const std::string& base);

// Pack entry types that are not object types (pack-format.txt).
constexpr unsigned kOfsDelta = 6;
constexpr unsigned kRefDelta = 7;

// A pack of this repository, mapped, with its index's entries.
struct MappedPack {
  SourcePack pack;
  // fanout[b]: the first entry whose id starts with a byte >= b.
  std::array<std::uint32_t, 257> fanout{};
  // (offset, entry) sorted by offset: where each entry ends, and which
  // entry an OFS_DELTA's base offset names.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_offset;
  const unsigned char* map = nullptr;
  std::size_t size = 0;

  MappedPack() = default;
  MappedPack(const MappedPack&) = delete;
  MappedPack& operator=(const MappedPack&) = delete;
  ~MappedPack();

  // Sets `fanout` from the entries (ListPacks does).
  void IndexFanout();
  // The entry of `id`, or nullptr.
  const PackedEntry* Find(const ObjectId& id) const;
  // Maps the pack (once); Corruption if it is not the size its index was
  // read against.
  Status Map();
  // Gives back the pages of the mapping read so far (they count in the
  // process's resident memory until then); a later read maps them again.
  void ReleasePages() const;
  // The end of the entry starting at `offset` (mapped).
  std::uint64_t EndOf(std::uint64_t offset) const;
  // The entry at `offset` exactly, or nullptr (mapped).
  const PackedEntry* At(std::uint64_t offset) const;
};

// The packs in `pack_dir`, newest index first, not yet mapped; a pack whose
// index cannot be read is left out (its objects are then read through
// libgit2, which says what is wrong if they cannot be).
std::vector<std::unique_ptr<MappedPack>> ListPacks(const std::string& pack_dir);
// The packs `bases` (paths without ".pack"), in that order, not yet mapped;
// one whose index cannot be read is left out, as by ListPacks.
std::vector<std::unique_ptr<MappedPack>> OpenPacks(const std::vector<std::string>& bases);

// An entry's header: its type and the size of the object (or delta) it holds.
struct EntryHeader {
  unsigned type = 0;
  std::uint64_t size = 0;
  std::size_t length = 0;  // bytes of the header
};
bool ParseEntryHeader(const unsigned char* p, std::size_t n, EntryHeader& out);

// An OFS_DELTA's distance back to its base, as pack-format.txt encodes it.
bool ParseOffset(const unsigned char* p, std::size_t n, std::uint64_t& distance,
                 std::size_t& length);

}  // namespace strata
