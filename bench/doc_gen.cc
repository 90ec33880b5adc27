#include "bench/doc_gen.h"

#include <cstdio>

namespace strata::bench {
namespace {

// Names in the order of the value types MakeObject cycles through
// (string, integer, boolean, decimal, array).
constexpr const char* kFieldNames[] = {"name",  "age",    "active",   "score",   "tags",
                                       "email", "limit",  "verified", "weight",  "roles",
                                       "city",  "visits", "admin",    "balance", "groups"};
constexpr std::size_t kFieldCount = sizeof(kFieldNames) / sizeof(kFieldNames[0]);

std::string Word(Rng& rng, std::size_t min_len, std::size_t max_len) {
  std::size_t len = min_len + rng.Below(max_len - min_len + 1);
  std::string s(len, 'a');
  for (auto& c : s) c = static_cast<char>('a' + rng.Below(26));
  return s;
}

json::object MakeObject(Rng& rng, std::size_t size, int depth, std::size_t keys) {
  json::object o;
  if (keys > 0) {
    o.reserve(keys);
    for (std::size_t i = 0; i < keys; ++i) o.emplace(KeyName(i), MakeScalar(rng));
    return o;
  }
  o["n"] = 0;
  std::size_t approx = 7;  // {"n":0}
  if (depth > 1 && size > 120) {
    std::size_t nested_size = size / 3;
    o["nested"] = MakeObject(rng, nested_size, depth - 1, 0);
    approx += nested_size + 10;
  }
  for (std::size_t i = 0; approx < size; ++i) {
    std::string key = i < kFieldCount ? kFieldNames[i] : "f" + std::to_string(i);
    json::value v;
    switch (i % 5) {
      case 0:
        v = Word(rng, 4, 16);
        break;
      case 1:
        v = static_cast<std::int64_t>(rng.Below(1000000));
        break;
      case 2:
        v = rng.Below(2) == 1;
        break;
      case 3:
        v = static_cast<double>(rng.Below(100000)) / 100.0;
        break;
      default:
        v = json::array{Word(rng, 3, 8), Word(rng, 3, 8)};
        break;
    }
    approx += key.size() + 4 + (v.is_string() ? v.get_string().size() + 2 : 8);
    o[key] = std::move(v);
  }
  return o;
}

}  // namespace

std::uint64_t Rng::Next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string DocId(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "doc/%07zu", i);
  return buf;
}

std::string KeyName(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "k%07zu", i);
  return buf;
}

json::value MakeScalar(Rng& rng) {
  switch (rng.Below(3)) {
    case 0:
      return static_cast<std::int64_t>(rng.Below(1000000));
    case 1:
      return json::value(Word(rng, 4, 10));
    default:
      return static_cast<double>(rng.Below(100000)) / 100.0;
  }
}

json::value MakeDocument(std::uint64_t seed, std::size_t index, const DocShape& shape) {
  // One stream per document, so documents are independent of one another.
  Rng rng(seed * 0x100000001b3ULL + index);
  rng.Next();
  return MakeObject(rng, shape.size, shape.depth, shape.keys);
}

}  // namespace strata::bench
