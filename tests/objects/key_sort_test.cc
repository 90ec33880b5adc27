// SortByKey (objects/key_sort.h) against std::stable_sort of the same keys,
// on the shapes a document's keys take: numbered, sharing long prefixes,
// binary with NULs, repeated, one alone.
#include "objects/key_sort.h"

#include <boost/test/unit_test.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace strata {
namespace {

using namespace std::string_literals;

// Sorts `keys`, which all begin with the same `shared` bytes, with
// SortByKey and checks the order, the repeats and that the caller's data is
// kept.
void CheckSorts(const std::vector<std::string>& keys, std::size_t shared = 0) {
  const std::size_t n = keys.size();
  std::vector<KeySortEntry> entries(n);
  for (std::size_t i = 0; i < n; ++i) {
    // The caller's bits, and a stale kRepeat, which the sort clears.
    entries[i] = {KeyPrefix(keys[i], shared), static_cast<std::uint32_t>(i),
                  static_cast<std::uint32_t>(i % 1000) | (i % 3 == 0 ? kRepeat : 0)};
  }
  std::vector<KeySortEntry> scratch(n);
  SortByKey(
      entries.data(), entries.data() + n, scratch.data(),
      [&](const KeySortEntry& e) -> std::string_view { return keys[e.index]; }, shared);
  std::vector<std::uint32_t> expect(n);
  std::iota(expect.begin(), expect.end(), 0);
  std::stable_sort(expect.begin(), expect.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool repeat = i > 0 && keys[expect[i]] == keys[expect[i - 1]];
    if (entries[i].index != expect[i] || ((entries[i].data & kRepeat) != 0) != repeat ||
        (entries[i].data & ~kRepeat) != entries[i].index % 1000) {
      ++wrong;
    }
  }
  BOOST_TEST(wrong == 0u);
}

std::string Numbered(const char* head, std::size_t i, int width) {
  std::string digits = std::to_string(i);
  return head + std::string(width - std::min<std::size_t>(width, digits.size()), '0') + digits;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(key_sort)

BOOST_AUTO_TEST_CASE(sorts_as_std_sort_on_every_shape_of_keys) {
  std::mt19937 rng(7);
  auto shuffled = [&](std::vector<std::string> keys) {
    std::shuffle(keys.begin(), keys.end(), rng);
    return keys;
  };
  struct Case {
    const char* name;
    std::vector<std::string> keys;
    std::size_t shared = 0;  // bytes every key begins with, given to SortByKey
  };
  std::vector<Case> cases;
  cases.push_back({"none", {}});
  cases.push_back({"one", {"k"}});
  cases.push_back({"a few", {"b", "a", "", "a\0"s, "ab", "a", "\xff", "\x01"}});
  {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < 100000; ++i) keys.push_back(Numbered("k", i, 7));
    cases.push_back({"k0000000..k0099999", shuffled(keys)});
    cases.push_back({"k0000000..k0099999 past their shared k0", shuffled(keys), 2});
  }
  {
    // Alike in their first 8 bytes and more: sorted by later bytes.
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < 50000; ++i) keys.push_back(Numbered("customer_record_", i * 7, 8));
    cases.push_back({"a long shared prefix", shuffled(keys)});
    cases.push_back({"past a long shared prefix", shuffled(keys), 16});
    // Keys that end where the shared bytes do, or go on with NULs.
    keys.push_back("customer_record_");
    keys.push_back("customer_record_\0"s);
    keys.push_back("customer_record_\0\0\0\0\0\0\0\0\0"s);
    cases.push_back({"a key that is the shared bytes", shuffled(keys), 16});
  }
  {
    // Bytes of every value, NULs among them: a key before the keys it
    // begins, even those that go on with NUL.
    std::vector<std::string> keys;
    std::uniform_int_distribution<int> length(0, 20), byte(0, 255), small(0, 3);
    for (std::size_t i = 0; i < 20000; ++i) {
      std::string key;
      const int l = length(rng);
      for (int j = 0; j < l; ++j) key.push_back(static_cast<char>(small(rng) == 0 ? 0 : byte(rng)));
      keys.push_back(key);
      keys.push_back(key + '\0');
      if (i % 10 == 0) keys.push_back(std::string(12, '\0') + key);
    }
    cases.push_back({"binary", shuffled(keys)});
  }
  {
    // Repeated keys, in runs short and long, some past 8 bytes.
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < 30000; ++i) {
      keys.push_back(i % 5 == 0 ? "the same long key" : Numbered("r", i % 997, 3));
    }
    cases.push_back({"repeats", shuffled(keys)});
  }
  {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < 5000; ++i) keys.push_back("caf\xc3\xa9" + std::to_string(i));
    for (std::size_t i = 0; i < 5000; ++i) keys.push_back("cafe" + std::to_string(i));
    cases.push_back({"UTF-8 after ASCII", shuffled(keys)});
  }
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) { CheckSorts(c.keys, c.shared); }
  }
}

// Found by fuzz_tree: an object node with no members gives SortByKey an
// empty PodArray, whose data is null, and sorting it added 1 to null
// (undefined behaviour; UBSan stops the sanitizer build there).
BOOST_AUTO_TEST_CASE(regression_an_empty_range_of_null_pointers) {
  const std::vector<std::string> keys = {"only"};
  auto key_of = [&](const KeySortEntry& e) -> std::string_view { return keys.at(e.index); };
  SortByKey(nullptr, nullptr, nullptr, key_of);
  // And one entry: kept, its stale kRepeat cleared.
  KeySortEntry one{KeyPrefix(keys[0]), 0, kRepeat | 5};
  SortByKey(&one, &one + 1, nullptr, key_of);
  BOOST_TEST(one.index == 0u);
  BOOST_TEST(one.data == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
