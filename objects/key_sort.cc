#include "objects/key_sort.h"

#include <cstring>

namespace strata::key_sort_internal {

namespace {

// Digits of at most kDigitBits: 4,096 counters, which stay in cache.
constexpr int kDigitBits = 12;
constexpr std::size_t kRadixMin = 1024;

}  // namespace

void RadixByPrefix(KeySortEntry* first, KeySortEntry* last, KeySortEntry* scratch) {
  const std::size_t n = static_cast<std::size_t>(last - first);
  // Below kRadixMin, setting up the digits costs more than comparing: a
  // document's keys that share 8 bytes come in many such runs.
  if (n < kRadixMin) {
    std::sort(first, last,
              [](const KeySortEntry& a, const KeySortEntry& b) { return a.prefix < b.prefix; });
    return;
  }
  // Which values each byte takes.
  std::vector<std::uint8_t> seen(8 * 256, 0);
  for (const KeySortEntry* e = first; e < last; ++e) {
    std::uint64_t p = e->prefix;
    for (int b = 0; b < 8; ++b, p >>= 8) seen[b * 256 + (p & 255)] = 1;
  }
  // Each byte's values ranked, in the fewest bits that hold its ranks; the
  // prefix becomes the ranks packed, most significant byte first, which
  // orders entries as the prefix did.
  std::vector<std::uint64_t> rank(8 * 256, 0);
  int bits = 0;
  for (int b = 7; b >= 0; --b) {
    int values = 0;
    for (int v = 0; v < 256; ++v) {
      if (seen[b * 256 + v]) rank[b * 256 + v] = values++;
    }
    int width = 0;
    while ((1 << width) < values) ++width;
    if (width == 0) continue;  // one value: no bits
    for (int v = 0; v < 256; ++v) rank[b * 256 + v] <<= 64 - bits - width;
    bits += width;
  }
  if (bits == 0) return;  // one prefix
  // Digits from the least significant packed bit up.
  const int passes = (bits + kDigitBits - 1) / kDigitBits;
  const int digit = (bits + passes - 1) / passes;
  const int low = 64 - bits;  // packed bits start here
  const std::size_t radix = std::size_t{1} << digit;
  const std::uint64_t mask = radix - 1;
  std::vector<std::uint32_t> all_counts(passes * radix, 0);  // n < 2^32, as indexes are
  for (KeySortEntry* e = first; e < last; ++e) {
    std::uint64_t p = e->prefix, packed = 0;
    for (int b = 0; b < 8; ++b, p >>= 8) packed |= rank[b * 256 + (p & 255)];
    packed >>= low;
    e->prefix = packed;
    for (int pass = 0; pass < passes; ++pass)
      ++all_counts[pass * radix + ((packed >> (pass * digit)) & mask)];
  }
  KeySortEntry* from = first;
  KeySortEntry* to = scratch;
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = pass * digit;
    std::uint32_t* counts = &all_counts[pass * radix];
    // A digit every entry has alike moves nothing.
    if (counts[(first->prefix >> shift) & mask] == n) continue;
    std::uint32_t at = 0;
    for (std::size_t v = 0; v < radix; ++v) at += std::exchange(counts[v], at);
    for (const KeySortEntry* e = from; e < from + n; ++e)
      to[counts[(e->prefix >> shift) & mask]++] = *e;
    std::swap(from, to);
  }
  if (from != first) std::memcpy(first, from, n * sizeof(KeySortEntry));
}

}  // namespace strata::key_sort_internal
