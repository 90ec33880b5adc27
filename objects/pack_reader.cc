#include "objects/pack_reader.h"

#include <climits>
#include <cstring>

#include "objects/sha1.h"

namespace strata {

Result<std::string> ApplyGitDelta(std::string_view base, std::string_view delta) {
  const auto* p = reinterpret_cast<const unsigned char*>(delta.data());
  const unsigned char* end = p + delta.size();
  auto bad = [](const char* why) { return Status::Corruption(std::string("a delta ") + why); };
  auto varint = [&](std::uint64_t& v) {
    v = 0;
    for (int shift = 0; p < end; shift += 7) {
      if (shift > 63) return false;
      const unsigned char c = *p++;
      v |= std::uint64_t{c & 0x7fu} << shift;
      if (!(c & 0x80)) return true;
    }
    return false;
  };
  std::uint64_t source = 0, target = 0;
  if (!varint(source) || !varint(target)) return bad("header is damaged");
  if (source != base.size()) return bad("does not fit its base's size");
  if (target > (std::uint64_t{1} << 40)) return bad("makes an object too large");
  std::string out;
  out.reserve(static_cast<std::size_t>(target));
  while (p < end) {
    const unsigned char op = *p++;
    if (op & 0x80) {
      std::uint64_t offset = 0, size = 0;
      for (int i = 0; i < 4; ++i) {
        if (op & (1u << i)) {
          if (p == end) return bad("copy is cut short");
          offset |= std::uint64_t{*p++} << (8 * i);
        }
      }
      for (int i = 0; i < 3; ++i) {
        if (op & (0x10u << i)) {
          if (p == end) return bad("copy is cut short");
          size |= std::uint64_t{*p++} << (8 * i);
        }
      }
      if (size == 0) size = 0x10000;
      if (offset + size > base.size()) return bad("copies from outside its base");
      out.append(base.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(size)));
    } else if (op != 0) {
      if (static_cast<std::size_t>(end - p) < op) return bad("insert is cut short");
      out.append(reinterpret_cast<const char*>(p), op);
      p += op;
    } else {
      return bad("has a reserved instruction");
    }
    if (out.size() > target) return bad("makes more than it says");
  }
  if (out.size() != target) return bad("makes less than it says");
  return out;
}

PackReader::PackReader(const std::string& pack_dir, std::size_t cache_bytes)
    : packs_(ListPacks(pack_dir)), cache_limit_(cache_bytes) {}

PackReader::PackReader(const std::vector<std::string>& bases, std::size_t cache_bytes)
    : packs_(OpenPacks(bases)), cache_limit_(cache_bytes) {}

PackReader::~PackReader() {
  if (zs_ready_) inflateEnd(&zs_);
}

Status PackReader::Inflate(const MappedPack& pack, std::uint64_t offset, std::size_t header,
                           std::uint64_t size, std::string& out) {
  if (!zs_ready_) {
    if (inflateInit(&zs_) != Z_OK) return Status::IOError("cannot start zlib");
    zs_ready_ = true;
  } else {
    inflateReset(&zs_);
  }
  const std::uint64_t begin = offset + header;
  const std::uint64_t end = pack.EndOf(offset);
  if (begin > end || size > (std::uint64_t{1} << 40)) {
    return Status::Corruption(pack.pack.path + " at " + std::to_string(offset) +
                              ": a damaged entry");
  }
  out.resize(static_cast<std::size_t>(size));
  char none = 0;
  zs_.next_in = const_cast<Bytef*>(pack.map + begin);
  zs_.avail_in = static_cast<uInt>(std::min<std::uint64_t>(end - begin, UINT_MAX));
  zs_.next_out = reinterpret_cast<Bytef*>(size ? out.data() : &none);
  zs_.avail_out = static_cast<uInt>(size ? size : 1);
  const int rc = inflate(&zs_, Z_FINISH);
  if (rc != Z_STREAM_END || zs_.total_out != size) {
    return Status::Corruption(pack.pack.path + " at " + std::to_string(offset) +
                              ": an entry does not inflate");
  }
  return Status::Ok();
}

void PackReader::Keep(const Key& key, std::shared_ptr<const Resolved> value) {
  const std::size_t bytes = value->data.size() + 64;
  if (bytes > cache_limit_ / 4) return;
  if (!cache_.emplace(key, Cached{std::move(value), false}).second) return;
  order_.push_back(key);
  cache_bytes_ += bytes;
  while (cache_bytes_ > cache_limit_ && !order_.empty()) {
    auto it = cache_.find(order_.front());
    order_.pop_front();
    if (it == cache_.end()) continue;
    cache_bytes_ -= it->second.object->data.size() + 64;
    cache_.erase(it);
  }
}

std::string PackReader::Where(const Key& at) const {
  return packs_[at.first]->pack.path + " at " + std::to_string(at.second);
}

Result<PackReader::Step> PackReader::Parse(const Key& at) {
  MappedPack& pack = *packs_[at.first];
  STRATA_RETURN_IF_ERROR(pack.Map());
  Step step;
  step.bytes = pack.map + at.second;
  step.size = static_cast<std::size_t>(pack.EndOf(at.second) - at.second);
  const unsigned char* b = step.bytes;
  const std::size_t n = step.size;
  EntryHeader& h = step.header;
  if (!ParseEntryHeader(b, n, h)) return Status::Corruption(Where(at) + ": a damaged entry header");
  step.data = h.length;
  if (h.type >= GIT_OBJECT_COMMIT && h.type <= GIT_OBJECT_TAG) return step;
  step.delta = true;
  if (h.type == kOfsDelta) {
    std::uint64_t distance = 0;
    std::size_t length = 0;
    if (!ParseOffset(b + h.length, n - h.length, distance, length) || distance == 0 ||
        distance > at.second || !pack.At(at.second - distance)) {
      return Status::Corruption(Where(at) + ": a damaged delta offset");
    }
    step.data += length;
    step.base = Key{at.first, at.second - distance};
  } else if (h.type == kRefDelta) {
    if (n < h.length + GIT_OID_RAWSZ) return Status::Corruption(Where(at) + ": a short entry");
    ObjectId base_id;
    std::memcpy(base_id.bytes, b + h.length, GIT_OID_RAWSZ);
    step.data += GIT_OID_RAWSZ;
    for (std::size_t p = 0; p < packs_.size() && !step.base; ++p) {
      if (const PackedEntry* e = packs_[p]->Find(base_id)) step.base = Key{p, e->offset};
    }
  } else {
    return Status::Corruption(Where(at) + ": an entry of unknown type");
  }
  return step;
}

Result<std::shared_ptr<const PackReader::Resolved>> PackReader::At(std::size_t pack_index,
                                                                   std::uint64_t offset) {
  struct Link {
    Key key;
    std::size_t header;  // bytes before the delta's data
    std::uint64_t size;  // of the delta
  };
  std::vector<Link> chain;
  std::shared_ptr<const Resolved> base;
  Key at{pack_index, offset};
  for (;;) {
    if (chain.size() > 10000) return Status::Corruption("a delta chain longer than 10,000");
    if (auto hit = cache_.find(at); hit != cache_.end()) {
      base = hit->second.object;
      break;
    }
    STRATA_ASSIGN_OR_RETURN(Step step, Parse(at));
    if (!step.delta) {
      auto whole = std::make_shared<Resolved>();
      whole->type = static_cast<git_object_t>(step.header.type);
      STRATA_RETURN_IF_ERROR(
          Inflate(*packs_[at.first], at.second, step.data, step.header.size, whole->data));
      base = whole;
      Keep(at, base);
      break;
    }
    if (!step.base) return std::shared_ptr<const Resolved>();  // the base is elsewhere
    chain.push_back({at, step.data, step.header.size});
    at = *step.base;
  }
  std::string delta;
  for (auto link = chain.rbegin(); link != chain.rend(); ++link) {
    const MappedPack& pack = *packs_[link->key.first];
    STRATA_RETURN_IF_ERROR(Inflate(pack, link->key.second, link->header, link->size, delta));
    auto next = std::make_shared<Resolved>();
    next->type = base->type;
    Result<std::string> data = ApplyGitDelta(base->data, delta);
    if (!data.ok()) {
      return Status::Corruption(pack.pack.path + " at " + std::to_string(link->key.second) + ": " +
                                data.status().message());
    }
    next->data = std::move(*data);
    base = next;
    Keep(link->key, base);
  }
  return base;
}

std::pair<std::size_t, const PackedEntry*> PackReader::Locate(const ObjectId& id) {
  if (last_pack_ < packs_.size()) {
    if (const PackedEntry* e = packs_[last_pack_]->Find(id)) return {last_pack_, e};
  }
  for (std::size_t p = 0; p < packs_.size(); ++p) {
    if (p == last_pack_) continue;
    if (const PackedEntry* e = packs_[p]->Find(id)) {
      last_pack_ = p;
      return {p, e};
    }
  }
  return {packs_.size(), nullptr};
}

Result<std::shared_ptr<const RawObject>> PackReader::Read(const ObjectId& id) {
  const auto [p, e] = Locate(id);
  if (!e) return std::shared_ptr<const RawObject>();
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const Resolved> object, At(p, e->offset));
  if (!object) return object;
  auto cached = cache_.find(Key{p, e->offset});
  if (cached != cache_.end() && cached->second.verified) return object;
  if (!(HashObject(object->data, object->type) == id)) {
    return Status::Corruption("object " + id.Hex() + " in " + packs_[p]->pack.path +
                              " does not match its id");
  }
  if (cached != cache_.end()) cached->second.verified = true;
  return object;
}

Result<std::optional<PackReader::ObjectHeader>> PackReader::Header(const ObjectId& id) {
  const auto [p, entry] = Locate(id);
  if (!entry) return std::optional<ObjectHeader>();
  ObjectHeader out;
  bool sized = false;
  Key at{p, entry->offset};
  for (std::size_t depth = 0;; ++depth) {
    if (depth > 10000) return Status::Corruption("a delta chain longer than 10,000");
    if (auto hit = cache_.find(at); hit != cache_.end()) {
      out.type = hit->second.object->type;
      if (!sized) out.size = hit->second.object->data.size();
      return std::optional<ObjectHeader>(out);
    }
    STRATA_ASSIGN_OR_RETURN(Step step, Parse(at));
    const EntryHeader& h = step.header;
    if (!step.delta) {
      out.type = static_cast<git_object_t>(h.type);
      if (!sized) out.size = static_cast<std::size_t>(h.size);
      return std::optional<ObjectHeader>(out);
    }
    if (!step.base) return std::optional<ObjectHeader>();
    const unsigned char* b = step.bytes;
    const std::size_t n = step.size;
    const std::size_t data = step.data;
    if (!sized) {
      // The delta's first bytes: its base's size, then the object's.
      if (!zs_ready_) {
        if (inflateInit(&zs_) != Z_OK) return Status::IOError("cannot start zlib");
        zs_ready_ = true;
      } else {
        inflateReset(&zs_);
      }
      unsigned char head[32];
      zs_.next_in = const_cast<Bytef*>(b + data);
      zs_.avail_in = static_cast<uInt>(std::min<std::uint64_t>(n - data, UINT_MAX));
      zs_.next_out = head;
      const uInt want = static_cast<uInt>(std::min<std::uint64_t>(sizeof head, h.size));
      zs_.avail_out = want;
      const int rc = inflate(&zs_, Z_SYNC_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        return Status::Corruption(Where(at) + ": an entry does not inflate");
      }
      const std::size_t got = want - zs_.avail_out;
      std::size_t i = 0;
      std::uint64_t sizes[2] = {0, 0};
      for (std::uint64_t& v : sizes) {
        bool ended = false;
        for (int shift = 0; i < got && shift <= 63; shift += 7) {
          const unsigned char c = head[i++];
          v |= std::uint64_t{c & 0x7fu} << shift;
          if (!(c & 0x80)) {
            ended = true;
            break;
          }
        }
        if (!ended) return Status::Corruption(Where(at) + ": a delta header is damaged");
      }
      out.size = static_cast<std::size_t>(sizes[1]);
      sized = true;
    }
    at = *step.base;
  }
}

}  // namespace strata
