#include "objects/pack_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "objects/file_io.h"
#include "objects/git.h"
#include "objects/sha1.h"

namespace strata {

std::uint32_t Be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void PutBe32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string PackIndex(std::vector<PackedEntry> entries, const std::string& pack_checksum) {
  std::sort(entries.begin(), entries.end(), [](const PackedEntry& a, const PackedEntry& b) {
    return git_oid_cmp(AsGit(a.id), AsGit(b.id)) < 0;
  });
  std::string out;
  out.reserve(8 + 1024 + entries.size() * 28 + 40);
  out += "\377tOc";
  PutBe32(out, 2);
  std::uint32_t count = 0;
  std::size_t next = 0;
  for (int byte = 0; byte < 256; ++byte) {
    while (next < entries.size() && entries[next].id.bytes[0] == byte) {
      ++next;
      ++count;
    }
    PutBe32(out, count);
  }
  for (const PackedEntry& e : entries) {
    out.append(reinterpret_cast<const char*>(e.id.bytes), GIT_OID_RAWSZ);
  }
  for (const PackedEntry& e : entries) PutBe32(out, e.crc);
  std::vector<std::uint64_t> large;
  for (const PackedEntry& e : entries) {
    if (e.offset < 0x80000000ull) {
      PutBe32(out, static_cast<std::uint32_t>(e.offset));
    } else {
      PutBe32(out, 0x80000000u | static_cast<std::uint32_t>(large.size()));
      large.push_back(e.offset);
    }
  }
  for (std::uint64_t v : large) {
    PutBe32(out, static_cast<std::uint32_t>(v >> 32));
    PutBe32(out, static_cast<std::uint32_t>(v & 0xffffffffu));
  }
  out += pack_checksum;
  Sha1 sha;
  sha.Update(out);
  out += sha.Finish();
  return out;
}

void AppendEntryHeader(std::string& out, unsigned type, std::size_t size) {
  unsigned char byte = static_cast<unsigned char>((type << 4) | (size & 15));
  std::size_t rest = size >> 4;
  while (rest) {
    out.push_back(static_cast<char>(byte | 0x80));
    byte = static_cast<unsigned char>(rest & 0x7f);
    rest >>= 7;
  }
  out.push_back(static_cast<char>(byte));
}

bool ValidPackIndex(std::string_view idx) {
  constexpr std::size_t kHeader = 8 + 256 * 4;
  if (idx.size() < kHeader + 40 || idx.substr(0, 4) != "\377tOc") return false;
  const auto* b = reinterpret_cast<const unsigned char*>(idx.data());
  if (Be32(b + 4) != 2) return false;
  const std::uint64_t n = Be32(b + 8 + 255 * 4);
  const std::uint64_t small = kHeader + n * 28 + 40;
  if (small > idx.size()) return false;
  std::uint64_t large = 0;
  const unsigned char* offsets = b + kHeader + n * 24;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (offsets[i * 4] & 0x80) ++large;
  }
  if (idx.size() != small + large * 8) return false;
  Sha1 sha;
  sha.Update(idx.substr(0, idx.size() - 20));
  return sha.Finish() == idx.substr(idx.size() - 20);
}

Status ReadAt(int fd, char* out, std::size_t size, std::uint64_t offset, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read " + path + ": " + Errno());
    if (n == 0) return Status::Corruption(path + " ends early");
    out += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return Status::Ok();
}

Result<SourcePack> ReadSourcePack(const std::string& base) {
  SourcePack source;
  source.path = base + ".pack";
  const std::string idx_path = base + ".idx";
  std::optional<std::string> idx = ReadFile(idx_path);
  if (!idx) return Status::IOError("cannot read " + idx_path + ": " + Errno());
  if (!ValidPackIndex(*idx)) return Status::Corruption(idx_path + " is not a valid pack index");
  const auto* b = reinterpret_cast<const unsigned char*>(idx->data());
  constexpr std::size_t kHeader = 8 + 256 * 4;
  const std::size_t n = Be32(b + 8 + 255 * 4);
  const unsigned char* ids = b + kHeader;
  const unsigned char* crcs = ids + n * GIT_OID_RAWSZ;
  const unsigned char* offsets = crcs + n * 4;
  const unsigned char* large = offsets + n * 4;
  struct stat st {};
  if (::stat(source.path.c_str(), &st) != 0) {
    return Status::IOError("cannot read " + source.path + ": " + Errno());
  }
  source.size = static_cast<std::uint64_t>(st.st_size);
  if (source.size < 12 + 20) return Status::Corruption(source.path + " is too short for a pack");
  source.entries.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    PackedEntry e;
    std::memcpy(e.id.bytes, ids + i * GIT_OID_RAWSZ, GIT_OID_RAWSZ);
    e.crc = Be32(crcs + i * 4);
    const std::uint32_t small = Be32(offsets + i * 4);
    if (small & 0x80000000u) {
      const unsigned char* at = large + std::size_t{small & 0x7fffffffu} * 8;
      e.offset = (std::uint64_t{Be32(at)} << 32) | Be32(at + 4);
    } else {
      e.offset = small;
    }
    if (e.offset < 12 || e.offset >= source.size - 20) {
      return Status::Corruption(idx_path + " names an offset outside its pack");
    }
    source.entries.push_back(e);
  }
  source.checksum = idx->substr(idx->size() - 40, GIT_OID_RAWSZ);
  return source;
}

MappedPack::~MappedPack() {
  if (map) ::munmap(const_cast<unsigned char*>(map), size);
}

void MappedPack::IndexFanout() {
  std::size_t next = 0;
  for (int byte = 0; byte < 256; ++byte) {
    fanout[byte] = static_cast<std::uint32_t>(next);
    while (next < pack.entries.size() && pack.entries[next].id.bytes[0] == byte) ++next;
  }
  fanout[256] = static_cast<std::uint32_t>(next);
}

const PackedEntry* MappedPack::Find(const ObjectId& id) const {
  const auto begin = pack.entries.begin() + fanout[id.bytes[0]];
  const auto end = pack.entries.begin() + fanout[id.bytes[0] + 1];
  auto it = std::lower_bound(begin, end, id, [](const PackedEntry& e, const ObjectId& x) {
    return std::memcmp(e.id.bytes + 1, x.bytes + 1, GIT_OID_RAWSZ - 1) < 0;
  });
  if (it == end || !(it->id == id)) return nullptr;
  return &*it;
}

Status MappedPack::Map() {
  if (map) return Status::Ok();
  Fd fd(::open(pack.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) return Status::IOError("cannot open " + pack.path + ": " + Errno());
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) return Status::IOError("cannot stat " + pack.path + ": " + Errno());
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

void MappedPack::ReleasePages() const {
  // Read-only and private: the pages hold the file's bytes, which a later
  // read faults in again from the page cache.
  if (map) ::madvise(const_cast<unsigned char*>(map), size, MADV_DONTNEED);
}

std::uint64_t MappedPack::EndOf(std::uint64_t offset) const {
  auto it = std::upper_bound(by_offset.begin(), by_offset.end(),
                             std::make_pair(offset, std::uint32_t{0xffffffffu}));
  return it == by_offset.end() ? size - 20 : it->first;
}

const PackedEntry* MappedPack::At(std::uint64_t offset) const {
  auto it = std::lower_bound(by_offset.begin(), by_offset.end(),
                             std::make_pair(offset, std::uint32_t{0}));
  if (it == by_offset.end() || it->first != offset) return nullptr;
  return &pack.entries[it->second];
}

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
  std::vector<std::string> names;
  names.reserve(bases.size());
  for (auto& [mtime, base] : bases) names.push_back(std::move(base));
  return OpenPacks(names);
}

std::vector<std::unique_ptr<MappedPack>> OpenPacks(const std::vector<std::string>& bases) {
  std::vector<std::unique_ptr<MappedPack>> packs;
  for (const std::string& base : bases) {
    Result<SourcePack> source = ReadSourcePack(base);
    if (!source.ok()) continue;
    auto pack = std::make_unique<MappedPack>();
    pack->pack = std::move(*source);
    pack->IndexFanout();
    packs.push_back(std::move(pack));
  }
  return packs;
}

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

}  // namespace strata
