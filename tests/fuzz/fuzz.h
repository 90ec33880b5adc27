// Shared by the fuzz targets (tests/fuzz/README.md).
//
// Each target defines LLVMFuzzerTestOneInput. Built with STRATA_FUZZ (clang,
// -fsanitize=fuzzer) it is a libFuzzer binary; otherwise it is linked with
// replay_main.cc and replays its corpus, so every input that once crashed a
// target stays a regression test in every build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "strata/json.h"

namespace strata::fuzz {

// An oracle that failed: the input is a finding. Prints what broke and aborts
// (libFuzzer then saves the input as crash-*).
[[noreturn]] inline void Fail(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "fuzz oracle failed: %s\n%s\n", what, detail.c_str());
  std::abort();
}

#define FUZZ_CHECK(cond, detail)                        \
  do {                                                  \
    if (!(cond)) ::strata::fuzz::Fail(#cond, (detail)); \
  } while (0)

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Inputs made of several JSON values are one JSON array of them: the
// elements when the input parses as an array of exactly `n` values.
inline bool SplitArray(const std::uint8_t* data, std::size_t size, std::size_t n,
                       json::array& out) {
  auto parsed = ParseJson(AsText(data, size));
  if (!parsed.ok() || !parsed->is_array() || parsed->as_array().size() != n) return false;
  out = std::move(parsed->as_array());
  return true;
}

// Reads bytes off the front of an input; zero once it runs out.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  std::uint8_t Byte() { return p_ == end_ ? 0 : *p_++; }
  std::string_view Take(std::size_t n) {
    std::size_t left = static_cast<std::size_t>(end_ - p_);
    if (n > left) n = left;
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

}  // namespace strata::fuzz
