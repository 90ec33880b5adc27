// Helpers shared by the objects/ tests: parsing literals, checking statuses,
// and random JSON for property tests.
#pragma once

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "objects/json.h"
#include "objects/json_patch.h"
#include "objects/status.h"

namespace strata::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  static const Status kOk;
  return r.ok() ? kOk : r.status();
}

// Checks that `expr` (a Status or Result) is ok, printing its message if not.
#define STRATA_CHECK_OK(expr)                                      \
  do {                                                             \
    const ::strata::Status _s = ::strata::testing::StatusOf(expr); \
    BOOST_TEST_REQUIRE(_s.ok(), "not ok: " << _s.message());       \
  } while (0)

// Parses JSON written in a test; the test stops if it is invalid.
inline json::value J(std::string_view text) {
  Result<json::value> v = ParseJson(text, "test");
  BOOST_TEST_REQUIRE(v.ok(), v.status().message());
  return std::move(v).value();
}

inline Patch P(std::string_view text) {
  Result<Patch> p = ParsePatch(J(text));
  BOOST_TEST_REQUIRE(p.ok(), p.status().message());
  return std::move(p).value();
}

// The JSON Patch conformance cases (data/README.md), both files, in order;
// each is an object with "doc", "patch" and "expected" or "error" (or only
// a "comment"), possibly "disabled".
inline std::vector<json::object> LoadPatchConformanceCases() {
  std::vector<json::object> cases;
  for (const char* file : {"tests.json", "spec_tests.json"}) {
    std::string path = std::string(STRATA_TEST_DATA) + "/" + file;
    std::ifstream in(path, std::ios::binary);
    BOOST_TEST_REQUIRE(in.good(), "cannot open " << path);
    std::stringstream text;
    text << in.rdbuf();
    Result<json::value> v = ParseJson(text.str(), path);
    BOOST_TEST_REQUIRE(v.ok(), v.status().message());
    BOOST_TEST_REQUIRE(v->is_array());
    for (auto& c : v->get_array()) {
      BOOST_TEST_REQUIRE(c.is_object());
      cases.push_back(c.get_object());
    }
  }
  return cases;
}

inline bool IsDisabled(const json::object& c) {
  const json::value* d = c.if_contains("disabled");
  return d && d->is_bool() && d->get_bool();
}

inline std::string CaseName(const json::object& c, std::size_t index) {
  const json::value* comment = c.if_contains("comment");
  std::string name = "case " + std::to_string(index);
  if (comment && comment->is_string()) name += " (" + std::string(comment->get_string()) + ")";
  return name;
}

// Keys that stress escaping and ordering: git-hostile names, pointer
// syntax, percent signs, control bytes and non-ASCII.
inline const std::vector<std::string>& TrickyKeys() {
  static const std::vector<std::string> keys = {"",
                                                ".",
                                                "..",
                                                ".git",
                                                "a/b",
                                                "%",
                                                "%2E",
                                                "~",
                                                "~0",
                                                "~1",
                                                "\x01",
                                                "\x7f",
                                                "git~1",
                                                "a\\.git",
                                                "\xe2\x80\x8c.git",
                                                "\xc3\xa9t\xc3\xa9",
                                                "-",
                                                "0",
                                                "10",
                                                " ",
                                                "a b"};
  return keys;
}

// Random JSON for property tests. Objects sometimes grow past the blob and
// shard thresholds so the tree codec's paths are all exercised.
class RandomJson {
 public:
  explicit RandomJson(std::uint32_t seed) : rng_(seed) {}

  std::mt19937& rng() { return rng_; }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(1, 100) <= percent; }

  std::string Key() {
    if (Chance(15))
      return TrickyKeys()[static_cast<std::size_t>(
          Int(0, static_cast<int>(TrickyKeys().size()) - 1))];
    std::string k;
    int n = Int(1, 6);
    for (int i = 0; i < n; ++i) k.push_back(static_cast<char>('a' + Int(0, 5)));
    return k;
  }

  json::value Scalar() {
    switch (Int(0, 6)) {
      case 0:
        return nullptr;
      case 1:
        return Chance(50);
      case 2:
        return Int(-1000, 1000);
      case 3:
        return Int(-1000, 1000) / 8.0;
      case 4:
        return json::value(
            std::string(static_cast<std::size_t>(Int(0, 40)), static_cast<char>('a' + Int(0, 25))));
      case 5:
        return json::value(Key());
      default:
        return static_cast<std::uint64_t>(1) << 63;
    }
  }

  // A value at most `depth` containers deep.
  json::value Value(int depth) {
    int pick = depth <= 0 ? 0 : Int(0, 9);
    if (pick < 5) return Scalar();
    if (pick < 7) {
      json::array a;
      int n = Int(0, 5);
      for (int i = 0; i < n; ++i) a.push_back(Value(depth - 1));
      return a;
    }
    json::object o;
    int n = Chance(10) ? Int(20, 120) : Int(0, 6);
    for (int i = 0; i < n; ++i) o[Key()] = Value(depth - 1);
    return o;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace strata::testing
