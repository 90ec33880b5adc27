#ifndef STRATA_REPO_ID_HASHES_H_
#define STRATA_REPO_ID_HASHES_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace strata {

// The 64-bit hashes of the ids a large write has been given, for its
// duplicate check: 8-16 bytes an id in an open-addressing table, where a set
// of the ids themselves takes ~80 (80 MB for a million documents). Insert
// returning false means "maybe seen": the caller confirms against the ids it
// keeps anyway (or can read again), which only a duplicate, or a collision
// (among a million ids, one import in 4 x 10^7), pays for.
class IdHashes {
 public:
  // Adds the hash of `id`: false if it was there already.
  bool Insert(std::string_view id) {
    if ((count_ + 1) * 2 > slots_.size()) Grow();
    return Place(Hash(id));
  }

 private:
  static std::uint64_t Hash(std::string_view id) {
    const std::uint64_t h = std::hash<std::string_view>{}(id);
    return h == 0 ? 1 : h;  // 0 marks an empty slot
  }
  bool Place(std::uint64_t h) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return false;
      if (slots_[i] == 0) {
        slots_[i] = h;
        ++count_;
        return true;
      }
    }
  }
  void Grow() {
    std::vector<std::uint64_t> old(std::max<std::size_t>(1024, slots_.size() * 2), 0);
    old.swap(slots_);
    count_ = 0;
    for (std::uint64_t h : old) {
      if (h != 0) Place(h);
    }
  }

  std::vector<std::uint64_t> slots_;  // a power of two, at most half full
  std::size_t count_ = 0;
};

}  // namespace strata

#endif  // STRATA_REPO_ID_HASHES_H_
