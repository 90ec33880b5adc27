// ObjectIdSet: a set of object ids in one flat, open-addressing table, for
// walks that meet every object of a repository once (gc's). Ids are SHA-1
// digests, so their first eight bytes are the hash; a lookup is one probe
// into contiguous memory where std::unordered_set follows a node pointer
// (perf put a third of `strata gc --keep-largest-pack` in unordered_set:
// docs/performance.md, "gc keeping the largest pack").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "strata/object_id.h"

namespace strata {

class ObjectIdSet {
 public:
  // Adds `id`: true if it was not there.
  bool insert(const ObjectId& id) {
    if (id.IsZero()) {
      const bool added = !has_zero_;
      has_zero_ = true;
      return added;
    }
    if ((count_ + 1) * 2 > slots_.size()) Grow(slots_.size() * 2);
    return Place(id);
  }
  bool contains(const ObjectId& id) const {
    if (id.IsZero()) return has_zero_;
    if (slots_.empty()) return false;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Hash(id) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == id) return true;
      if (slots_[i].IsZero()) return false;
    }
  }
  std::size_t size() const { return count_ + (has_zero_ ? 1 : 0); }
  // Room for `n` ids without growing.
  void reserve(std::size_t n) {
    if (n * 2 > slots_.size()) Grow(n * 2);
  }

 private:
  static std::size_t Hash(const ObjectId& id) {
    std::uint64_t h;
    std::memcpy(&h, id.bytes, sizeof h);
    return static_cast<std::size_t>(h);
  }
  bool Place(const ObjectId& id) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Hash(id) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == id) return false;
      if (slots_[i].IsZero()) {
        slots_[i] = id;
        ++count_;
        return true;
      }
    }
  }
  // To a power of two of at least `want` slots (and 1024).
  void Grow(std::size_t want) {
    std::size_t n = 1024;
    while (n < want) n *= 2;
    std::vector<ObjectId> old(n);
    old.swap(slots_);
    count_ = 0;
    for (const ObjectId& id : old) {
      if (!id.IsZero()) Place(id);
    }
  }

  std::vector<ObjectId> slots_;  // a power of two, at most half full; zero: empty
  std::size_t count_ = 0;        // non-zero ids in slots_
  bool has_zero_ = false;        // the zero id, kept apart (it marks an empty slot)
};

}  // namespace strata
