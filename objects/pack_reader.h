// PackReader: objects read straight from this repository's packs, for a
// walk that reads many (a push's list of objects).
//
// libgit2 sets up a zlib stream for every object it reads (inflateInit
// allocates ~40 KiB), which was two thirds of a push's own CPU. This
// reader keeps one stream, resolves delta chains itself (git's delta
// format) and keeps the objects it resolved, up to a bound, since the next
// read's chain usually shares them. Each object it returns is checked
// against its id.
//
//   PackReader reader(objects_dir + "/pack");
//   STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RawObject> tree, reader.Read(id));
//   if (!tree) ...  // not packed here: ask libgit2
#pragma once

#include <zlib.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "objects/loose_object.h"
#include "objects/pack_file.h"
#include "strata/object_id.h"
#include "strata/status.h"

namespace strata {

// Applies a git delta (pack-format.txt, "Deltified representation") to
// `base`; Corruption if the delta does not fit it.
Result<std::string> ApplyGitDelta(std::string_view base, std::string_view delta);

class PackReader {
 public:
  // The packs in `pack_dir` as they are now (a pack added later is not
  // seen: Read answers nullopt for its objects).
  explicit PackReader(const std::string& pack_dir, std::size_t cache_bytes = 2u << 20);
  // The packs `bases` (paths without ".pack"), in that order.
  explicit PackReader(const std::vector<std::string>& bases, std::size_t cache_bytes = 2u << 20);
  ~PackReader();
  PackReader(const PackReader&) = delete;
  PackReader& operator=(const PackReader&) = delete;

  // The object `id`, if one of the packs holds it; nullptr if none does
  // or a delta's base is not in them. Corruption when its bytes are
  // damaged or do not hash to `id`. Shared with the reader's cache: no copy.
  Result<std::shared_ptr<const RawObject>> Read(const ObjectId& id);

  // The size and type of `id` if one of the packs holds it, from entry
  // headers alone: a delta's size from the first bytes of its data, its
  // type from its chain's base; nothing is resolved. nullopt as for Read.
  struct ObjectHeader {
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
  };
  Result<std::optional<ObjectHeader>> Header(const ObjectId& id);

  // Gives back the pages of the packs read so far (MappedPack::ReleasePages):
  // a reader that goes through hundreds of MB of packs once need not keep
  // them resident.
  void ReleasePages() const {
    for (const auto& pack : packs_) pack->ReleasePages();
  }

  // The packs read, newest first (mapped as they are first read).
  std::vector<std::unique_ptr<MappedPack>>& packs() { return packs_; }

 private:
  using Resolved = RawObject;
  using Key = std::pair<std::size_t, std::uint64_t>;  // pack, offset
  Result<std::shared_ptr<const Resolved>> At(std::size_t pack, std::uint64_t offset);
  // One entry, parsed: its header, where its (compressed) data starts, and
  // for a delta where its base is (nullopt: in none of the packs).
  struct Step {
    EntryHeader header;
    const unsigned char* bytes = nullptr;  // the entry, mapped
    std::size_t size = 0;
    std::size_t data = 0;
    bool delta = false;
    std::optional<Key> base;
  };
  Result<Step> Parse(const Key& at);
  // The pack holding `id` and its entry ({packs_.size(), nullptr} if none),
  // asking the pack of the last hit first: a reader that goes through
  // objects written together (an import's blobs, read back in order for its
  // delta) finds each in one index search, not one per pack (an import of
  // 1,000,000 documents writes ~34).
  std::pair<std::size_t, const PackedEntry*> Locate(const ObjectId& id);
  std::string Where(const Key& at) const;  // for errors
  Status Inflate(const MappedPack& pack, std::uint64_t offset, std::size_t header,
                 std::uint64_t size, std::string& out);
  void Keep(const Key& key, std::shared_ptr<const Resolved> value);

  std::vector<std::unique_ptr<MappedPack>> packs_;
  std::size_t last_pack_ = 0;  // where Locate found the last object
  z_stream zs_{};
  bool zs_ready_ = false;
  struct Cached {
    std::shared_ptr<const Resolved> object;
    bool verified = false;  // hashed to the id Read was asked for
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return k.second * 31 + k.first; }
  };
  std::unordered_map<Key, Cached, KeyHash> cache_;
  std::deque<Key> order_;  // oldest first
  std::size_t cache_bytes_ = 0;
  std::size_t cache_limit_;
};

}  // namespace strata
