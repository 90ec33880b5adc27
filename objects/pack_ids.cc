#include "objects/pack_ids.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "objects/file_io.h"
#include "objects/pack_file.h"

namespace strata {
namespace {

constexpr std::size_t kHeader = 8 + 256 * 4;  // magic, version, fan-out

bool IsIndexName(const char* name) {
  const std::size_t n = std::strlen(name);
  return n == 5 + 40 + 4 && std::strncmp(name, "pack-", 5) == 0 &&
         std::strcmp(name + 45, ".idx") == 0;
}

}  // namespace

void PackIds::Release(Index& index) {
  if (index.map) ::munmap(const_cast<unsigned char*>(index.map), index.size);
  index.map = nullptr;
}

PackIds::~PackIds() {
  for (Index& index : indexes_) Release(index);
}

void PackIds::Refuse(const char* what, const std::string& path, int error) {
  // A pack removed since the listing (by gc) is gone, not refused.
  if (error == ENOENT || !refused_.empty()) return;
  refused_ = std::string("cannot ") + what + " " + path + ": " + std::strerror(error);
}

void PackIds::Refresh() {
  struct stat folder {};
  const bool dated = ::stat(dir_.c_str(), &folder) == 0;
  if (listed_ && complete_ && dated && folder.st_mtim.tv_sec == listed_mtime_.tv_sec &&
      folder.st_mtim.tv_nsec == listed_mtime_.tv_nsec) {
    return;
  }
  listed_mtime_ = dated ? folder.st_mtim : timespec{};
  listed_ = true;
  complete_ = true;
  refused_.clear();
  // An exception (no memory) leaves nothing listed, so the next question
  // lists again, and nothing mapped or open.
  std::vector<Index> kept;
  try {
    std::vector<std::string> names;
    {
      std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir_.c_str()), &::closedir);
      if (!d && errno != ENOENT) {
        // Refused (too many open files): the indexes listed before stay, as
        // no pack was seen to go; the next question lists again.
        complete_ = false;
        Refuse("list", dir_, errno);
        return;
      }
      while (d) {
        const dirent* e = ::readdir(d.get());
        if (e == nullptr) break;
        if (IsIndexName(e->d_name)) names.emplace_back(e->d_name);
      }
    }
    std::sort(names.begin(), names.end());
    kept.reserve(names.size());
    std::string buffer;  // what each new index reads into first
    auto old = indexes_.begin();
    for (const std::string& name : names) {
      while (old != indexes_.end() && old->name < name) {
        Release(*old++);
        ++removed_;
      }
      if (old != indexes_.end() && old->name == name) {
        kept.push_back(std::move(*old));
        old->map = nullptr;  // kept owns it now
        ++old;
        continue;
      }
      Index index;
      if (Load(name, buffer, index)) kept.push_back(std::move(index));
    }
    for (; old != indexes_.end(); ++old) {
      Release(*old);
      ++removed_;
    }
    indexes_ = std::move(kept);
  } catch (...) {
    for (Index& index : kept) Release(index);
    for (Index& index : indexes_) Release(index);
    kept.clear();
    indexes_.clear();
    listed_ = false;
    throw;
  }
}

// Reads index `name` of the folder into `index`: false when it is left out
// (removed meanwhile, not whole, or refused: complete_ and refused_ say so).
// `buffer`: where a new index is read first, reused from one to the next.
bool PackIds::Load(const std::string& name, std::string& buffer, Index& index) {
  const std::string path = dir_ + "/" + name;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    complete_ = false;  // removed meanwhile, or unreadable
    Refuse("open", path, errno);
    return false;
  }
  // A small index (most: each small version's pack has one) is read
  // whole at once, without asking its size first: a read that stops
  // short of kCopyMax + 1 bytes has reached the end.
  index.name = name;
  if (buffer.empty()) buffer.resize(kCopyMax + 1);
  std::size_t got = 0;
  int error = 0;
  while (got < buffer.size()) {
    const std::size_t want = buffer.size() - got;
    const ssize_t n = ::pread(fd.fd, buffer.data() + got, want, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = errno;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
    // A regular file reads short only at its end. (Were it otherwise,
    // the copy would lack its tail: the large offsets, which Locate
    // checks against the size, and the trailer, which is not read.)
    if (static_cast<std::size_t>(n) < want) break;
  }
  if (error != 0) {
    complete_ = false;  // unreadable
    Refuse("read", path, error);
    return false;
  }
  std::size_t size = got;
  if (got <= kCopyMax) {
    index.copy.assign(buffer.data(), got);
  } else {
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) {
      complete_ = false;
      Refuse("open", path, errno);
      return false;
    }
    size = static_cast<std::size_t>(st.st_size);
  }
  if (size < kHeader + 40) {
    complete_ = false;  // cut short, or being written
    return false;
  }
  index.size = size;
  if (size > kCopyMax) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.fd, 0);
    if (map == MAP_FAILED) {
      complete_ = false;
      Refuse("map", path, errno);
      return false;
    }
    index.map = static_cast<const unsigned char*>(map);
  }
  const unsigned char* data = index.data();
  index.count = Be32(data + kHeader - 4);
  // A version 2 index, long enough for its ids and fan-out in order (the
  // search relies on both).
  bool valid = std::memcmp(data, "\377tOc", 4) == 0 && Be32(data + 4) == 2 &&
               size >= kHeader + std::size_t{index.count} * 28 + 40;
  for (int i = 1; valid && i < 256; ++i) {
    valid = Be32(data + 8 + (i - 1) * 4) <= Be32(data + 8 + i * 4);
  }
  if (!valid) {
    Release(index);
    complete_ = false;
    return false;
  }
  return true;
}

bool PackIds::AddOwn(const std::string& name, const struct timespec& folder_before) {
  if (!listed_ || !complete_ || folder_before.tv_sec != listed_mtime_.tv_sec ||
      folder_before.tv_nsec != listed_mtime_.tv_nsec) {
    return false;
  }
  struct stat folder {};
  if (::stat(dir_.c_str(), &folder) != 0) return false;
  Index index;
  try {
    if (!Load(name, own_buffer_, index)) {
      Release(index);
      return false;
    }
    const auto at = std::lower_bound(
        indexes_.begin(), indexes_.end(), name,
        [](const Index& listed, const std::string& wanted) { return listed.name < wanted; });
    if (at != indexes_.end() && at->name == name) {
      Release(index);  // listed already: the same objects in the same order
    } else {
      indexes_.insert(at, std::move(index));
      index.map = nullptr;  // indexes_ owns it now
    }
  } catch (...) {  // no memory: the caller lists the folder again
    Release(index);
    return false;
  }
  listed_mtime_ = folder.st_mtim;
  return true;
}

std::optional<std::uint32_t> PackIds::Find(const Index& index, const ObjectId& id) {
  const unsigned char* fanout = index.data() + 8;
  const unsigned first = id.bytes[0];
  std::uint32_t lo = first == 0 ? 0 : Be32(fanout + (first - 1) * 4);
  std::uint32_t hi = Be32(fanout + first * 4);
  const unsigned char* ids = index.data() + kHeader;
  while (lo < hi) {
    const std::uint32_t mid = lo + (hi - lo) / 2;
    const int c = std::memcmp(ids + std::size_t{mid} * ObjectId::kSize, id.bytes, ObjectId::kSize);
    if (c == 0) return mid;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return std::nullopt;
}

namespace {

// The filter's probes of `id`: ids are SHA-1 digests, so two of their
// 64-bit words serve as the two hashes of double hashing.
template <typename Probe>
void ForEachProbe(const unsigned char* id, std::uint64_t mask, const Probe& probe) {
  std::uint64_t h1 = 0, h2 = 0;
  std::memcpy(&h1, id + 4, 8);
  std::memcpy(&h2, id + 12, 8);
  h2 |= 1;
  for (int i = 0; i < 4; ++i) probe((h1 + static_cast<std::uint64_t>(i) * h2) & mask);
}

}  // namespace

void PackIds::BuildFilter(Index& index) {
  std::uint64_t bits = 64;
  while (bits < std::uint64_t{index.count} * 16) bits <<= 1;
  try {
    index.filter.assign(bits / 64, 0);
  } catch (...) {  // std::bad_alloc: searched without one
    index.filter.clear();
    return;
  }
  const unsigned char* ids = index.data() + kHeader;
  for (std::uint32_t i = 0; i < index.count; ++i) {
    ForEachProbe(ids + std::size_t{i} * ObjectId::kSize, bits - 1, [&](std::uint64_t bit) {
      index.filter[bit >> 6] |= std::uint64_t{1} << (bit & 63);
    });
  }
}

bool PackIds::MayContain(const Index& index, const ObjectId& id) {
  const std::uint64_t mask = index.filter.size() * 64 - 1;
  bool all = true;
  ForEachProbe(id.bytes, mask, [&](std::uint64_t bit) {
    all = all && (index.filter[bit >> 6] >> (bit & 63) & 1) != 0;
  });
  return all;
}

bool PackIds::MaySearch(Index& index, const ObjectId& id) {
  if (index.filter.empty()) {
    if (++index.lookups == kFilterAfter && index.count >= kFilterMinIds) BuildFilter(index);
  }
  return index.filter.empty() || MayContain(index, id);
}

bool PackIds::Contains(const ObjectId& id) {
  if (!listed_) Refresh();
  for (Index& index : indexes_) {
    if (MaySearch(index, id) && Find(index, id)) return true;
  }
  return false;
}

std::optional<PackIds::Location> PackIds::Locate(const ObjectId& id) {
  if (!listed_) Refresh();
  for (Index& index : indexes_) {
    if (!MaySearch(index, id)) continue;
    const std::optional<std::uint32_t> at = Find(index, id);
    if (!at) continue;
    // After the ids, a CRC-32 and a 32-bit offset for each; an offset with
    // its top bit set is a position in the table of 64-bit ones that follows
    // (Refresh checked that the file holds the 32-bit table).
    const unsigned char* data = index.data();
    const std::size_t n = index.count;
    const std::uint32_t small = Be32(data + kHeader + n * 24 + std::size_t{*at} * 4);
    if (!(small & 0x80000000u)) return Location{index.name, small};
    const std::size_t large = kHeader + n * 28 + std::size_t{small & 0x7fffffffu} * 8;
    if (large + 8 > index.size - 40) return std::nullopt;  // past the table: damaged
    return Location{index.name, std::uint64_t{Be32(data + large)} << 32 | Be32(data + large + 4)};
  }
  return std::nullopt;
}

std::size_t PackIds::filtered() const {
  return static_cast<std::size_t>(std::count_if(
      indexes_.begin(), indexes_.end(), [](const Index& index) { return !index.filter.empty(); }));
}

}  // namespace strata
