// SortByKey: a million members of a document put in key order, as JSON is
// printed, by their keys' bytes.
//
// A format-4 document's members lie in its leaves by key hash
// (docs/format.md, "Leaves"), so printing it sorts them all. std::sort of
// 16-byte entries (a key's first 8 bytes and its place) took a fifth of
// `strata get` of a 1M-key document. Here the entries are sorted by a
// radix sort of those 8 bytes, least significant digit first, on only the
// bits that differ: each byte's values are ranked and packed into as few
// bits as they need ("k0000000".."k0999999" differ in 6 bytes of 10
// values each: 24 bits, two passes), then each run of one prefix by the
// next 8 bytes of its keys, and so on. A run of at most kSmallRun, or
// whose keys all end within the bytes compared, is sorted by std::sort on
// whole keys. Equal keys stay in the order of their indexes, the later
// ones marked kRepeat.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

// One entry to sort: its key's first 8 bytes big-endian, zero-padded
// (KeyPrefix), its index (the order of equal keys), and the caller's data,
// of which SortByKey owns the top bit (kRepeat). After the sort `prefix`
// is unspecified.
struct KeySortEntry {
  std::uint64_t prefix;
  std::uint32_t index;
  std::uint32_t data;
};
inline constexpr std::uint32_t kRepeat = std::uint32_t{1} << 31;

inline std::uint64_t KeyPrefix(std::string_view key, std::size_t offset = 0) {
  std::uint64_t prefix = 0;
  for (std::size_t i = offset; i < offset + 8; ++i) {
    prefix = prefix << 8 | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0);
  }
  return prefix;
}

namespace key_sort_internal {

inline constexpr std::size_t kSmallRun = 32;

// Sorts [first, last) by prefix (not stably); `scratch` has room for as
// many entries.
void RadixByPrefix(KeySortEntry* first, KeySortEntry* last, KeySortEntry* scratch);

}  // namespace key_sort_internal

// Sorts [first, last), whose prefixes are KeyPrefix(key_of(entry),
// `shared`), by key bytes (unsigned; a key before the longer keys it
// begins), equal keys by index, setting kRepeat in the data of each entry
// whose key is the one before it's and clearing it in the others. Every key
// begins with the same `shared` bytes (keys "user_1".."user_900000" share
// 5, and their next 8 bytes tell them apart). `scratch` has room for
// last - first entries; what it holds after is unspecified.
template <typename KeyOf>
void SortByKey(KeySortEntry* first, KeySortEntry* last, KeySortEntry* scratch, const KeyOf& key_of,
               std::size_t shared = 0) {
  using key_sort_internal::kSmallRun;
  auto exact = [&](const KeySortEntry& a, const KeySortEntry& b) {
    const int c = key_of(a).compare(key_of(b));
    return c != 0 ? c < 0 : a.index < b.index;
  };
  // Sorts a run whole, marking its repeated keys.
  auto sort_whole = [&](KeySortEntry* a, KeySortEntry* b) {
    if (b - a < 2) return;  // none (perhaps no array at all) or one
    std::sort(a, b, exact);
    for (KeySortEntry* e = a + 1; e < b; ++e) {
      if (key_of(*e) == key_of(e[-1])) e->data |= kRepeat;
    }
  };
  for (KeySortEntry* e = first; e < last; ++e) e->data &= ~kRepeat;
  struct Run {
    KeySortEntry* first;
    KeySortEntry* last;
    std::size_t offset;  // of the key bytes the prefixes hold
  };
  std::vector<Run> todo{{first, last, shared}};
  while (!todo.empty()) {
    const Run run = todo.back();
    todo.pop_back();
    if (static_cast<std::size_t>(run.last - run.first) <= kSmallRun) {
      sort_whole(run.first, run.last);
      continue;
    }
    if (run.offset > shared) {
      for (KeySortEntry* e = run.first; e < run.last; ++e) {
        e->prefix = KeyPrefix(key_of(*e), run.offset);
      }
    }
    key_sort_internal::RadixByPrefix(run.first, run.last, scratch);
    for (KeySortEntry* a = run.first; a < run.last;) {
      KeySortEntry* b = a + 1;
      while (b < run.last && b->prefix == a->prefix) ++b;
      if (b - a > 1) {
        // Keys alike in every byte so far: by their next 8 bytes if some
        // go on and the run is long, else whole.
        bool longer = false;
        if (static_cast<std::size_t>(b - a) > kSmallRun) {
          for (const KeySortEntry* e = a; e < b && !longer; ++e) {
            longer = key_of(*e).size() > run.offset + 8;
          }
        }
        if (longer) {
          todo.push_back({a, b, run.offset + 8});
        } else {
          sort_whole(a, b);
        }
      }
      a = b;
    }
  }
}

}  // namespace strata
