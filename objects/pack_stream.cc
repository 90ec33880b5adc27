// ObjectStore::StreamPack: the pack a push sends, made from the entries
// already in this repository's packs (objects/object_store.h).
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "objects/file_io.h"
#include "objects/object_store.h"
#include "objects/pack_file.h"
#include "objects/sha1.h"

namespace strata {
namespace {

constexpr unsigned kOfsDelta = 6;  // pack entry types (pack-format.txt)
constexpr unsigned kRefDelta = 7;
constexpr std::size_t kPiece = std::size_t{64} << 10;  // handed to the sink at a time

// A pack of this repository, mapped, with its index's entries.
struct MappedPack {
  SourcePack pack;
  // (offset, entry) sorted by offset: where each entry ends, and which
  // entry an OFS_DELTA's base offset names.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_offset;
  const unsigned char* map = nullptr;
  std::size_t size = 0;

  MappedPack() = default;
  MappedPack(const MappedPack&) = delete;
  MappedPack& operator=(const MappedPack&) = delete;
  ~MappedPack() {
    if (map) ::munmap(const_cast<unsigned char*>(map), size);
  }

  // The entry of `id`, or nullptr.
  const PackedEntry* Find(const ObjectId& id) const {
    auto it = std::lower_bound(pack.entries.begin(), pack.entries.end(), id,
                               [](const PackedEntry& e, const ObjectId& x) {
                                 return std::memcmp(e.id.bytes, x.bytes, GIT_OID_RAWSZ) < 0;
                               });
    if (it == pack.entries.end() || !(it->id == id)) return nullptr;
    return &*it;
  }

  Status Map() {
    Fd fd(::open(pack.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.fd < 0) return Status::IOError("cannot open " + pack.path + ": " + Errno());
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0)
      return Status::IOError("cannot stat " + pack.path + ": " + Errno());
    if (static_cast<std::uint64_t>(st.st_size) != pack.size) {
      return Status::Corruption(pack.path + " changed size while it was read");
    }
    void* m = ::mmap(nullptr, pack.size, PROT_READ, MAP_PRIVATE, fd.fd, 0);
    if (m == MAP_FAILED) return Status::IOError("cannot map " + pack.path + ": " + Errno());
    map = static_cast<const unsigned char*>(m);
    size = pack.size;
    by_offset.reserve(pack.entries.size());
    for (std::uint32_t i = 0; i < pack.entries.size(); ++i) {
      by_offset.emplace_back(pack.entries[i].offset, i);
    }
    std::sort(by_offset.begin(), by_offset.end());
    return Status::Ok();
  }

  // The end of the entry starting at `offset`.
  std::uint64_t EndOf(std::uint64_t offset) const {
    auto it = std::upper_bound(by_offset.begin(), by_offset.end(),
                               std::make_pair(offset, std::uint32_t{0xffffffffu}));
    return it == by_offset.end() ? size - 20 : it->first;
  }

  // The entry at `offset` exactly, or nullptr.
  const PackedEntry* At(std::uint64_t offset) const {
    auto it = std::lower_bound(by_offset.begin(), by_offset.end(),
                               std::make_pair(offset, std::uint32_t{0}));
    if (it == by_offset.end() || it->first != offset) return nullptr;
    return &pack.entries[it->second];
  }
};

// The packs in `pack_dir`, newest index first; a pack whose index cannot be
// read is left out (its objects are then read through libgit2, which says
// what is wrong if they cannot be).
std::vector<std::unique_ptr<MappedPack>> ListPacks(const std::string& pack_dir) {
  std::vector<std::pair<std::int64_t, std::string>> bases;
  if (DIR* d = ::opendir(pack_dir.c_str())) {
    while (const dirent* entry = ::readdir(d)) {
      const std::string name = entry->d_name;
      if (name.size() != 5 + 40 + 4 || name.rfind("pack-", 0) != 0 ||
          name.compare(45, 4, ".idx") != 0) {
        continue;
      }
      struct stat st {};
      const std::string path = pack_dir + "/" + name;
      if (::stat(path.c_str(), &st) != 0) continue;
      bases.emplace_back(-static_cast<std::int64_t>(st.st_mtime), path.substr(0, path.size() - 4));
    }
    ::closedir(d);
  }
  std::sort(bases.begin(), bases.end());
  std::vector<std::unique_ptr<MappedPack>> packs;
  for (const auto& [mtime, base] : bases) {
    Result<SourcePack> source = ReadSourcePack(base);
    if (!source.ok()) continue;
    auto pack = std::make_unique<MappedPack>();
    pack->pack = std::move(*source);
    packs.push_back(std::move(pack));
  }
  return packs;
}

// An entry's header: its type and the size of the object (or delta) it holds.
struct EntryHeader {
  unsigned type = 0;
  std::uint64_t size = 0;
  std::size_t length = 0;  // bytes of the header
};

bool ParseEntryHeader(const unsigned char* p, std::size_t n, EntryHeader& out) {
  std::size_t i = 0;
  if (n == 0) return false;
  unsigned char c = p[i++];
  out.type = (c >> 4) & 7;
  out.size = c & 15;
  for (int shift = 4; c & 0x80; shift += 7) {
    if (i >= n || shift > 57) return false;
    c = p[i++];
    out.size |= std::uint64_t{c & 0x7fu} << shift;
  }
  out.length = i;
  return true;
}

// An OFS_DELTA's distance back to its base, as pack-format.txt encodes it.
bool ParseOffset(const unsigned char* p, std::size_t n, std::uint64_t& distance,
                 std::size_t& length) {
  std::size_t i = 0;
  if (n == 0) return false;
  unsigned char c = p[i++];
  distance = c & 127;
  while (c & 128) {
    if (i >= n || distance >= (std::uint64_t{1} << 56)) return false;
    c = p[i++];
    distance = ((distance + 1) << 7) | (c & 127);
  }
  length = i;
  return true;
}

void AppendOffset(std::string& out, std::uint64_t distance) {
  unsigned char bytes[10];
  std::size_t pos = sizeof bytes - 1;
  bytes[pos] = distance & 127;
  while (distance >>= 7) bytes[--pos] = 128 | (--distance & 127);
  out.append(reinterpret_cast<const char*>(bytes + pos), sizeof bytes - pos);
}

}  // namespace

Result<ObjectStore::PackStreamStats> ObjectStore::StreamPack(
    const std::vector<ObjectId>& ids_in, const PackStreamOptions& options,
    const std::function<Status(std::string_view)>& sink) {
  std::vector<ObjectId> ids;
  std::unordered_set<ObjectId> sent;
  ids.reserve(ids_in.size());
  sent.reserve(ids_in.size());
  for (const ObjectId& id : ids_in) {
    if (sent.insert(id).second) ids.push_back(id);
  }
  if (ids.size() > 0xffffffffu) return Status::InvalidArgument("too many objects for one pack");

  // Where each object is stored: the first pack that holds it, else nowhere
  // we can copy from.
  std::vector<std::unique_ptr<MappedPack>> packs = ListPacks(objects_dir_ + "/pack");
  struct Item {
    std::size_t pack;  // packs.size(): not packed here
    std::uint64_t offset = 0;
    const PackedEntry* entry = nullptr;
    const ObjectId* id = nullptr;
  };
  std::vector<Item> items;
  items.reserve(ids.size());
  std::vector<bool> used(packs.size(), false);
  for (const ObjectId& id : ids) {
    Item item{packs.size()};
    item.id = &id;
    for (std::size_t p = 0; p < packs.size(); ++p) {
      if (const PackedEntry* e = packs[p]->Find(id)) {
        item = Item{p, e->offset, e, &id};
        used[p] = true;
        break;
      }
    }
    items.push_back(item);
  }
  for (std::size_t p = 0; p < packs.size(); ++p) {
    if (used[p]) STRATA_RETURN_IF_ERROR(packs[p]->Map());
  }
  // Pack by pack, in stored order: an OFS_DELTA's base is stored before it.
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.pack != b.pack ? a.pack < b.pack : a.offset < b.offset;
  });

  PackStreamStats stats;
  Sha1 sha;
  std::string out;
  out.reserve(kPiece * 2);
  auto hand_over = [&]() -> Status {
    if (out.empty()) return Status::Ok();
    sha.Update(out);
    stats.bytes += out.size();
    STRATA_RETURN_IF_ERROR(sink(out));
    out.clear();
    if (options.progress) return options.progress(stats.objects, ids.size(), stats.bytes);
    return Status::Ok();
  };
  // Appends `bytes`, handing over whole pieces as they fill.
  auto emit = [&](std::string_view bytes) -> Status {
    while (!bytes.empty()) {
      const std::size_t n = std::min(bytes.size(), kPiece - std::min(kPiece, out.size()));
      out.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      if (out.size() >= kPiece) STRATA_RETURN_IF_ERROR(hand_over());
    }
    return Status::Ok();
  };

  out += "PACK";
  PutBe32(out, 2);
  PutBe32(out, static_cast<std::uint32_t>(ids.size()));
  std::unordered_map<ObjectId, std::uint64_t> written;  // where each sent object starts
  written.reserve(ids.size());
  std::string head;
  std::string compressed;
  for (const Item& item : items) {
    const std::uint64_t at = stats.bytes + out.size();
    const ObjectId& id = *item.id;
    bool done = false;
    if (item.entry) {
      const MappedPack& pack = *packs[item.pack];
      const std::uint64_t end = pack.EndOf(item.offset);
      const unsigned char* p = pack.map + item.offset;
      const std::size_t n = static_cast<std::size_t>(end - item.offset);
      const std::string where = pack.pack.path + " at " + std::to_string(item.offset);
      if (crc32(crc32(0, nullptr, 0), p, static_cast<uInt>(n)) != item.entry->crc) {
        return Status::Corruption(where + " (object " + id.Hex() +
                                  ") does not match its index's CRC-32");
      }
      EntryHeader h;
      if (!ParseEntryHeader(p, n, h)) return Status::Corruption(where + ": a damaged entry header");
      if (h.type >= GIT_OBJECT_COMMIT && h.type <= GIT_OBJECT_TAG) {
        STRATA_RETURN_IF_ERROR(emit(std::string_view(reinterpret_cast<const char*>(p), n)));
        done = true;
      } else if (h.type == kOfsDelta || h.type == kRefDelta) {
        std::optional<ObjectId> base;
        std::size_t data = h.length;
        if (h.type == kOfsDelta) {
          std::uint64_t distance = 0;
          std::size_t length = 0;
          if (!ParseOffset(p + h.length, n - h.length, distance, length) ||
              distance > item.offset) {
            return Status::Corruption(where + ": a damaged delta offset");
          }
          const PackedEntry* b = pack.At(item.offset - distance);
          if (!b) return Status::Corruption(where + ": a delta whose base is not an entry");
          base = b->id;
          data += length;
        } else {
          if (n < h.length + GIT_OID_RAWSZ) return Status::Corruption(where + ": a short entry");
          ObjectId b;
          std::memcpy(b.bytes, p + h.length, GIT_OID_RAWSZ);
          base = b;
          data += GIT_OID_RAWSZ;
        }
        if (sent.count(*base)) {
          head.clear();
          auto w = written.find(*base);
          if (options.ofs_delta && w != written.end()) {
            AppendEntryHeader(head, kOfsDelta, h.size);
            AppendOffset(head, at - w->second);
          } else {
            // A base sent later (it is stored in another pack) or a
            // receiver without ofs-delta: name it by id.
            AppendEntryHeader(head, kRefDelta, h.size);
            head.append(reinterpret_cast<const char*>(base->bytes), GIT_OID_RAWSZ);
          }
          STRATA_RETURN_IF_ERROR(emit(head));
          STRATA_RETURN_IF_ERROR(
              emit(std::string_view(reinterpret_cast<const char*>(p + data), n - data)));
          ++stats.reused_deltas;
          done = true;
        }
      } else {
        return Status::Corruption(where + ": an entry of unknown type");
      }
    }
    if (!done) {
      // Whole: a delta against what is not sent, or not packed here.
      Result<RawObject> raw = Read(id, "object");
      if (!raw.ok()) {
        return Status::NotFound("cannot send object " + id.Hex() + ": " + raw.status().message());
      }
      head.clear();
      AppendEntryHeader(head, static_cast<unsigned>(raw->type), raw->data.size());
      uLongf bound = compressBound(static_cast<uLong>(raw->data.size()));
      compressed.resize(bound);
      if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &bound,
                    reinterpret_cast<const Bytef*>(raw->data.data()),
                    static_cast<uLong>(raw->data.size()), Z_DEFAULT_COMPRESSION) != Z_OK) {
        return Status::IOError("cannot compress object " + id.Hex());
      }
      compressed.resize(bound);
      STRATA_RETURN_IF_ERROR(emit(head));
      STRATA_RETURN_IF_ERROR(emit(compressed));
      ++stats.whole;
    }
    written.emplace(id, at);
    ++stats.objects;
  }
  // The trailer: the SHA-1 of every byte before it.
  sha.Update(out);
  out += sha.Finish();
  STRATA_RETURN_IF_ERROR(sink(out));
  stats.bytes += out.size();
  out.clear();
  if (options.progress)
    STRATA_RETURN_IF_ERROR(options.progress(stats.objects, ids.size(), stats.bytes));
  return stats;
}

}  // namespace strata
