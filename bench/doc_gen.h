// Reproducible JSON documents for benchmarks.
//
// Every byte depends on the seed and the parameters alone: the generator uses
// its own PRNG (SplitMix64) and never a std:: distribution, whose output is
// implementation-defined. Documents are objects; each holds an integer member
// "n" (a counter the benchmarks change for one-field versions).
#pragma once

#include <cstdint>
#include <string>

#include "strata/json.h"

namespace strata::bench {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next();
  // Uniform in [0, n); n > 0.
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

 private:
  std::uint64_t state_;
};

struct DocShape {
  std::size_t size = 200;  // approximate canonical JSON bytes of each document
  int depth = 2;           // nesting levels of objects (1: flat)
  std::size_t keys = 0;    // > 0: exactly this many top-level members
};

// The id of document i: "doc/0000042".
std::string DocId(std::size_t i);
// The name of key i of a keyed document: "k0000042".
std::string KeyName(std::size_t i);

// Document `index` of a data set made from `seed`: the same arguments give
// the same document, so documents can be made one at a time, in any order.
json::value MakeDocument(std::uint64_t seed, std::size_t index, const DocShape& shape);

// A small value for member `key` of a keyed document, distinct per (seed, i).
json::value MakeScalar(Rng& rng);

}  // namespace strata::bench
