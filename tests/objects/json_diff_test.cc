#include "objects/json_diff.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::J;

// DiffValues(a, b) applied to a gives b; returns the patch.
Patch CheckDiff(const json::value& a, const json::value& b) {
  Patch patch = DiffValues(a, b);
  json::value applied = a;
  Status s = ApplyPatch(applied, patch);
  BOOST_TEST(s.ok(), s.message());
  BOOST_TEST(Equal(applied, b), CanonicalJson(PatchToJson(patch)));
  // And through its JSON form, as a delta stores it.
  Result<Patch> reparsed = ParsePatch(PatchToJson(patch));
  STRATA_CHECK_OK(reparsed);
  json::value again = a;
  STRATA_CHECK_OK(ApplyPatch(again, *reparsed));
  BOOST_TEST(Equal(again, b));
  return patch;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(json_diff)

BOOST_AUTO_TEST_CASE(exact_operations_for_simple_changes) {
  struct Case {
    std::string a, b, patch;
  };
  const std::vector<Case> cases = {
      {R"({"a":1})", R"({"a":1})", "[]"},
      {R"({"a":1})", R"({"a":1.0})", "[]"},
      {R"({"a":1})", R"({"a":2})", R"([{"op":"replace","path":"/a","value":2}])"},
      {R"({"a":1})", R"({"a":1,"b":2})", R"([{"op":"add","path":"/b","value":2}])"},
      {R"({"a":1,"b":2})", R"({"a":1})", R"([{"op":"remove","path":"/b"}])"},
      {R"({"b":1,"a":1})", R"({"b":2,"a":2})",
       R"([{"op":"replace","path":"/a","value":2},{"op":"replace","path":"/b","value":2}])"},
      {R"({"a/b":{"c~d":1}})", R"({"a/b":{"c~d":2}})",
       R"([{"op":"replace","path":"/a~1b/c~0d","value":2}])"},
      {R"({"a":{"b":[1,{"c":1}]}})", R"({"a":{"b":[1,{"c":2}]}})",
       R"([{"op":"replace","path":"/a/b/1/c","value":2}])"},
      {"[1,2,3]", "[1,2]", R"([{"op":"remove","path":"/2"}])"},
      {"[1,2,3]", "[1]", R"([{"op":"remove","path":"/2"},{"op":"remove","path":"/1"}])"},
      {"[1]", "[1,2,3]",
       R"([{"op":"add","path":"/1","value":2},{"op":"add","path":"/2","value":3}])"},
      {"[1,2]", "[3,2,4]",
       R"([{"op":"replace","path":"/0","value":3},{"op":"add","path":"/2","value":4}])"},
      // One element inserted or removed anywhere is one operation.
      {"[1,2,3,4]", "[0,1,2,3,4]", R"([{"op":"add","path":"/0","value":0}])"},
      {"[1,2,3,4]", "[1,2,9,3,4]", R"([{"op":"add","path":"/2","value":9}])"},
      {"[1,2,3,4]", "[2,3,4]", R"([{"op":"remove","path":"/0"}])"},
      {"[1,2,3,4]", "[1,3,4]", R"([{"op":"remove","path":"/1"}])"},
      {"[1,1,1]", "[1,1]", R"([{"op":"remove","path":"/2"}])"},
      {R"([{"a":1},{"b":2}])", R"([{"a":1},{"b":3},{"b":2}])",
       R"([{"op":"add","path":"/1","value":{"b":3}}])"},
      {"[1,2,3,4]", "[1,7,8,4]",
       R"([{"op":"replace","path":"/1","value":7},{"op":"replace","path":"/2","value":8}])"},
      {"[1,2,3,4]", "[1,9,4]",
       R"([{"op":"replace","path":"/1","value":9},{"op":"remove","path":"/2"}])"},
      // Nothing in common at the ends, more operations than elements: whole.
      {"[1,2,3,4]", "[5,6]", R"([{"op":"replace","path":"","value":[5,6]}])"},
      {"1", "\"1\"", R"([{"op":"replace","path":"","value":"1"}])"},
      {"{}", "[]", R"([{"op":"replace","path":"","value":[]}])"},
      {R"({"a":{"x":1}})", R"({"a":[1]})", R"([{"op":"replace","path":"/a","value":[1]}])"},
      {R"({"a":null})", R"({"a":false})", R"([{"op":"replace","path":"/a","value":false}])"},
      {R"({"":1})", R"({"":2})", R"([{"op":"replace","path":"/","value":2}])"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.a << " -> " << c.b) {
      Patch patch = CheckDiff(J(c.a), J(c.b));
      BOOST_TEST(CanonicalJson(PatchToJson(patch)) == CanonicalJson(J(c.patch)));
    }
  }
}

BOOST_AUTO_TEST_CASE(pairs_apply_to_give_the_target) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"null", "{}"},
      {R"({"a":[1,2,3],"b":{"c":"d"}})", R"({"a":[3],"b":{"c":"d","e":[]},"f":1})"},
      {R"([[1,[2,[3]]],{"a":[]}])", R"([[1,[2,[4,5]]],{"a":[{}]},7])"},
      {R"({"x":{"y":{"z":[1,2,3]}}})", R"({"x":{"y":null}})"},
      {R"({"1e0":1,"01":2})", R"({"1e0":2,"-":3})"},
      {R"(["a","b","c","d"])", R"(["d","c","b","a"])"},
      {R"({"a":1e19})", R"({"a":10000000000000000000})"},
      {R"({"a":[{"b":1},{"b":2}]})", R"({"a":[{"b":2}]})"},
  };
  for (const auto& [a, b] : pairs) {
    BOOST_TEST_CONTEXT(a << " -> " << b) {
      CheckDiff(J(a), J(b));
      CheckDiff(J(b), J(a));
      BOOST_TEST(DiffValues(J(a), J(a)).empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(base_pointer_prefixes_every_path) {
  Patch out;
  DiffValues(J(R"({"a":1})"), J(R"({"a":2,"b":3})"), JsonPointer({"doc", "x/y"}), out);
  BOOST_TEST(CanonicalJson(PatchToJson(out)) ==
             CanonicalJson(J(R"([{"op":"replace","path":"/doc/x~1y/a","value":2},
                                 {"op":"add","path":"/doc/x~1y/b","value":3}])")));
}

BOOST_AUTO_TEST_CASE(a_change_10000_levels_deep) {
  constexpr int kDepth = 10000;
  json::value a = 1, b = 2;
  for (int i = 0; i < kDepth; ++i) {
    a = json::object{{"k", std::move(a)}};
    b = json::object{{"k", std::move(b)}};
  }
  Patch patch = CheckDiff(a, b);
  BOOST_TEST_REQUIRE(patch.size() == 1u);
  BOOST_TEST(patch[0].path.tokens().size() == static_cast<std::size_t>(kDepth));
  BOOST_TEST((patch[0].kind == PatchOpKind::kReplace));

  json::value arr_a = 1, arr_b = json::array{};
  for (int i = 0; i < kDepth; ++i) {
    arr_a = json::array{std::move(arr_a)};
    arr_b = json::array{std::move(arr_b)};
  }
  BOOST_TEST(CheckDiff(arr_a, arr_b).size() == 1u);
}

// Random documents and random mutations of them, both ways.
BOOST_AUTO_TEST_CASE(random_pairs_round_trip) {
  testing::RandomJson gen(2026);
  testing::RandomPatches patches(gen);
  int changed = 0;
  for (int i = 0; i < 300; ++i) {
    BOOST_TEST_CONTEXT("document " << i) {
      json::value a = json::object{{"doc", gen.Value(5)}, {"other", gen.Value(3)}};
      json::value b = a;
      int mutations = gen.Int(0, 6);
      for (int m = 0; m < mutations; ++m) {
        (void)ApplyPatch(b, Patch{patches.Op(b)});  // failed operations change nothing
      }
      Patch forward = CheckDiff(a, b);
      CheckDiff(b, a);
      BOOST_TEST(forward.empty() == Equal(a, b));
      if (!forward.empty()) ++changed;
      // Random unrelated pairs too.
      CheckDiff(gen.Value(4), gen.Value(4));
    }
  }
  BOOST_TEST(changed > 150);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
