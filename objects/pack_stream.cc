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
#include "objects/pack_reader.h"
#include "objects/sha1.h"

namespace strata {
namespace {

constexpr std::size_t kPiece = std::size_t{64} << 10;  // handed to the sink at a time

// The CRC-32 of an entry written as `head` then `n` bytes at `data`.
std::uint32_t EntryCrc(const std::string& head, const unsigned char* data, std::size_t n) {
  const uLong crc = crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(head.data()),
                          static_cast<uInt>(head.size()));
  return static_cast<std::uint32_t>(crc32(crc, data, static_cast<uInt>(n)));
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
  std::optional<PackReader> own;
  if (!options.reader) own.emplace(objects_dir_ + "/pack");
  PackReader& reader = options.reader ? *options.reader : *own;
  std::vector<std::unique_ptr<MappedPack>>& packs = reader.packs();
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
  stats.reused_deltas_by_pack.assign(packs.size(), 0);
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
  if (options.entries) options.entries->reserve(options.entries->size() + ids.size());
  std::string head;
  std::string compressed;
  for (const Item& item : items) {
    const std::uint64_t at = stats.bytes + out.size();
    const ObjectId& id = *item.id;
    bool done = false;
    std::uint32_t crc = 0;
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
        crc = item.entry->crc;  // the same bytes
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
          if (options.entries) crc = EntryCrc(head, p + data, n - data);
          ++stats.reused_deltas;
          ++stats.reused_deltas_by_pack[item.pack];
          done = true;
        }
      } else {
        return Status::Corruption(where + ": an entry of unknown type");
      }
    }
    if (!done) {
      // Whole: a delta against what is not sent, or not packed here.
      Result<RawObject> raw = [&]() -> Result<RawObject> {
        STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RawObject> packed, reader.Read(id));
        if (packed) return *packed;
        return Read(id, "object");
      }();
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
      if (options.entries) {
        crc = EntryCrc(head, reinterpret_cast<const unsigned char*>(compressed.data()),
                       compressed.size());
      }
      ++stats.whole;
    }
    if (options.entries) options.entries->push_back(PackedEntry{id, at, crc});
    written.emplace(id, at);
    ++stats.objects;
  }
  // The trailer: the SHA-1 of every byte before it.
  sha.Update(out);
  stats.checksum = sha.Finish();
  out += stats.checksum;
  STRATA_RETURN_IF_ERROR(sink(out));
  stats.bytes += out.size();
  out.clear();
  if (options.progress)
    STRATA_RETURN_IF_ERROR(options.progress(stats.objects, ids.size(), stats.bytes));
  return stats;
}

}  // namespace strata
