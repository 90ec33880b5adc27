// Included first: proves the header is self-contained.
#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "strata/merge.h"

namespace strata {
namespace {

json::value J(const std::string& text) {
  Result<json::value> v = ParseJson(text, "test");
  BOOST_REQUIRE_MESSAGE(v.ok(), v.status().message());
  return std::move(v).value();
}

std::optional<json::value> MaybeJ(const char* text) {
  if (text == nullptr) return std::nullopt;
  return J(text);
}

const json::value* Ptr(const std::optional<json::value>& v) { return v ? &*v : nullptr; }

std::string Show(const std::optional<json::value>& v) { return v ? CanonicalJson(*v) : "<absent>"; }

// Boost.JSON's destructor recurses on depth; deep test values are torn down
// level by level instead so the test does not depend on the stack size.
void DestroyIteratively(json::value v) {
  std::vector<json::value> pending;
  pending.push_back(std::move(v));
  while (!pending.empty()) {
    json::value x = std::move(pending.back());
    pending.pop_back();
    if (x.is_object()) {
      for (auto& kv : x.get_object()) {
        if (kv.value().is_structured()) pending.push_back(std::move(kv.value()));
      }
    } else if (x.is_array()) {
      for (auto& e : x.get_array()) {
        if (e.is_structured()) pending.push_back(std::move(e));
      }
    }
  }
}

void DestroyIteratively(MergeResult& r) {
  if (r.merged) DestroyIteratively(std::move(*r.merged));
  for (Conflict& c : r.conflicts) {
    for (auto* v : {&c.base, &c.ours, &c.theirs}) {
      if (*v) DestroyIteratively(std::move(**v));
    }
  }
}

// {"n": {"n": ... leaf ...}} with `depth` objects above `leaf`.
json::value Nest(std::size_t depth, json::value leaf) {
  for (std::size_t i = 0; i < depth; ++i) {
    json::object o;
    o["n"] = std::move(leaf);
    leaf = std::move(o);
  }
  return leaf;
}

// The value `depth` levels down a Nest() chain.
const json::value& Descend(const json::value& v, std::size_t depth) {
  const json::value* p = &v;
  for (std::size_t i = 0; i < depth; ++i) p = &p->at("n");
  return *p;
}

struct ExpectedConflict {
  std::string path;
  ConflictKind kind;
};

struct Case {
  const char* name;
  const char* base;  // nullptr: absent
  const char* ours;
  const char* theirs;
  MergeStrategy strategy;
  const char* merged;  // nullptr: absent
  std::vector<ExpectedConflict> conflicts;
};

constexpr MergeStrategy kNormal = MergeStrategy::kNormal;
constexpr MergeStrategy kOurs = MergeStrategy::kOurs;
constexpr MergeStrategy kTheirs = MergeStrategy::kTheirs;
constexpr ConflictKind kBothModified = ConflictKind::kBothModified;
constexpr ConflictKind kBothAdded = ConflictKind::kBothAdded;
constexpr ConflictKind kDeletedByUs = ConflictKind::kDeletedByUs;
constexpr ConflictKind kDeletedByThem = ConflictKind::kDeletedByThem;

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      // Objects, member by member.
      {"unchanged", R"({"a":1})", R"({"a":1})", R"({"a":1})", kNormal, R"({"a":1})", {}},
      {"ours changes a member",
       R"({"a":1,"b":1})",
       R"({"a":2,"b":1})",
       R"({"a":1,"b":1})",
       kNormal,
       R"({"a":2,"b":1})",
       {}},
      {"theirs changes a member",
       R"({"a":1,"b":1})",
       R"({"a":1,"b":1})",
       R"({"a":1,"b":3})",
       kNormal,
       R"({"a":1,"b":3})",
       {}},
      {"each side changes a different member",
       R"({"a":1,"b":1})",
       R"({"a":2,"b":1})",
       R"({"a":1,"b":3})",
       kNormal,
       R"({"a":2,"b":3})",
       {}},
      {"both change a member identically",
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":2})",
       kNormal,
       R"({"a":2})",
       {}},
      {"both change a member differently",
       R"({"a":1,"b":1})",
       R"({"a":2,"b":1})",
       R"({"a":3,"b":5})",
       kNormal,
       R"({"a":2,"b":5})",
       {{"/a", kBothModified}}},
      {"each side adds a different member",
       R"({})",
       R"({"a":1})",
       R"({"b":2})",
       kNormal,
       R"({"a":1,"b":2})",
       {}},
      {"both add a member identically",
       R"({})",
       R"({"a":[1]})",
       R"({"a":[1]})",
       kNormal,
       R"({"a":[1]})",
       {}},
      {"both add a member differently",
       R"({})",
       R"({"a":1})",
       R"({"a":2})",
       kNormal,
       R"({"a":1})",
       {{"/a", kBothAdded}}},
      {"ours deletes, theirs unchanged",
       R"({"a":1,"b":1})",
       R"({"b":1})",
       R"({"a":1,"b":1})",
       kNormal,
       R"({"b":1})",
       {}},
      {"theirs deletes, ours unchanged",
       R"({"a":1,"b":1})",
       R"({"a":1,"b":1})",
       R"({"a":1})",
       kNormal,
       R"({"a":1})",
       {}},
      {"both delete", R"({"a":1,"b":1})", R"({"b":1})", R"({"b":1})", kNormal, R"({"b":1})", {}},
      {"ours deletes, theirs changes",
       R"({"a":1,"b":1})",
       R"({"b":1})",
       R"({"a":2,"b":1})",
       kNormal,
       R"({"b":1})",
       {{"/a", kDeletedByUs}}},
      {"ours changes, theirs deletes",
       R"({"a":1,"b":1})",
       R"({"a":2,"b":1})",
       R"({"b":1})",
       kNormal,
       R"({"a":2,"b":1})",
       {{"/a", kDeletedByThem}}},
      {"nested members merge recursively",
       R"({"a":{"x":1,"y":1}})",
       R"({"a":{"x":2,"y":1}})",
       R"({"a":{"x":1,"y":3}})",
       kNormal,
       R"({"a":{"x":2,"y":3}})",
       {}},
      {"nested conflict names the deep pointer",
       R"({"a":{"b":{"c":1}}})",
       R"({"a":{"b":{"c":2}}})",
       R"({"a":{"b":{"c":3}}})",
       kNormal,
       R"({"a":{"b":{"c":2}}})",
       {{"/a/b/c", kBothModified}}},
      {"deleting an object that the other side edited inside conflicts at the object",
       R"({"a":{"x":1},"b":1})",
       R"({"b":1})",
       R"({"a":{"x":2},"b":1})",
       kNormal,
       R"({"b":1})",
       {{"/a", kDeletedByUs}}},
      {"conflict pointers escape keys",
       R"({"a/b":{"~":1}})",
       R"({"a/b":{"~":2}})",
       R"({"a/b":{"~":3}})",
       kNormal,
       R"({"a/b":{"~":2}})",
       {{"/a~1b/~0", kBothModified}}},
      {"conflicts come sorted by path",
       R"({"b":1,"a":1})",
       R"({"b":2,"a":2})",
       R"({"b":3,"a":3})",
       kNormal,
       R"({"a":2,"b":2})",
       {{"/a", kBothModified}, {"/b", kBothModified}}},
      {"null is a value, not absence",
       R"({"a":null})",
       R"({})",
       R"({"a":1})",
       kNormal,
       R"({})",
       {{"/a", kDeletedByUs}}},
      {"member set to null on one side",
       R"({"a":1})",
       R"({"a":null})",
       R"({"a":1})",
       kNormal,
       R"({"a":null})",
       {}},

      // Arrays are atomic.
      {"ours changes an array",
       R"({"l":[1,2]})",
       R"({"l":[1,2,3]})",
       R"({"l":[1,2]})",
       kNormal,
       R"({"l":[1,2,3]})",
       {}},
      {"theirs changes an array",
       R"({"l":[1,2]})",
       R"({"l":[1,2]})",
       R"({"l":[2]})",
       kNormal,
       R"({"l":[2]})",
       {}},
      {"both change an array identically",
       R"({"l":[1]})",
       R"({"l":[1,2]})",
       R"({"l":[1,2]})",
       kNormal,
       R"({"l":[1,2]})",
       {}},
      // An index-wise merge would pair 0 with 1, 1 with 2, ...: refused.
      {"array edits at different indices still conflict",
       R"({"l":[1,2,3]})",
       R"({"l":[0,1,2,3]})",
       R"({"l":[1,2,3,4]})",
       kNormal,
       R"({"l":[0,1,2,3]})",
       {{"/l", kBothModified}}},
      {"objects inside arrays are not merged",
       R"([{"a":1}])",
       R"([{"a":2}])",
       R"([{"a":1,"b":1}])",
       kNormal,
       R"([{"a":2}])",
       {{"", kBothModified}}},

      // Scalars and type changes.
      {"root scalar changed by ours", "1", "2", "1", kNormal, "2", {}},
      {"root scalar changed by theirs", "\"x\"", "\"x\"", "\"y\"", kNormal, "\"y\"", {}},
      {"root scalar conflict", "1", "2", "3", kNormal, "2", {{"", kBothModified}}},
      {"1.0 equals 1: ours unchanged, theirs wins",
       R"({"a":1})",
       R"({"a":1.0})",
       R"({"a":2})",
       kNormal,
       R"({"a":2})",
       {}},
      {"1.0 equals 1: theirs unchanged, ours wins",
       R"({"a":1})",
       R"({"a":5})",
       R"({"a":1.0})",
       kNormal,
       R"({"a":5})",
       {}},
      {"2 and 2.0 are the same change",
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":2.0})",
       kNormal,
       R"({"a":2})",
       {}},
      {"object replaced by array on one side",
       R"({"a":{"x":1}})",
       R"({"a":[1]})",
       R"({"a":{"x":1}})",
       kNormal,
       R"({"a":[1]})",
       {}},
      {"object replaced by array vs object edited",
       R"({"a":{"x":1}})",
       R"({"a":[1]})",
       R"({"a":{"x":2}})",
       kNormal,
       R"({"a":[1]})",
       {{"/a", kBothModified}}},
      {"scalar turned into objects on both sides merges them",
       R"({"a":5})",
       R"({"a":{"x":1}})",
       R"({"a":{"y":2}})",
       kNormal,
       R"({"a":{"x":1,"y":2}})",
       {}},
      {"scalar turned into conflicting objects",
       R"({"a":5})",
       R"({"a":{"x":1}})",
       R"({"a":{"x":2}})",
       kNormal,
       R"({"a":{"x":1}})",
       {{"/a/x", kBothAdded}}},

      // Absent documents.
      {"all absent", nullptr, nullptr, nullptr, kNormal, nullptr, {}},
      {"added by theirs", nullptr, nullptr, R"({"a":1})", kNormal, R"({"a":1})", {}},
      {"added by ours", nullptr, R"([1])", nullptr, kNormal, R"([1])", {}},
      {"added identically", nullptr, R"({"a":1})", R"({"a":1})", kNormal, R"({"a":1})", {}},
      {"added as different scalars", nullptr, "1", "2", kNormal, "1", {{"", kBothAdded}}},
      {"added as objects merges members",
       nullptr,
       R"({"a":1,"c":1})",
       R"({"b":2,"c":1})",
       kNormal,
       R"({"a":1,"b":2,"c":1})",
       {}},
      {"added as objects with a conflicting member",
       nullptr,
       R"({"a":1})",
       R"({"a":2})",
       kNormal,
       R"({"a":1})",
       {{"/a", kBothAdded}}},
      {"deleted by ours, unchanged by theirs",
       R"({"a":1})",
       nullptr,
       R"({"a":1})",
       kNormal,
       nullptr,
       {}},
      {"deleted by theirs, unchanged by ours",
       R"({"a":1})",
       R"({"a":1})",
       nullptr,
       kNormal,
       nullptr,
       {}},
      {"deleted by both", R"({"a":1})", nullptr, nullptr, kNormal, nullptr, {}},
      {"deleted by ours, changed by theirs",
       R"({"a":1})",
       nullptr,
       R"({"a":2})",
       kNormal,
       nullptr,
       {{"", kDeletedByUs}}},
      {"changed by ours, deleted by theirs",
       R"({"a":1})",
       R"({"a":2})",
       nullptr,
       kNormal,
       R"({"a":2})",
       {{"", kDeletedByThem}}},

      // Strategies resolve conflicts only; other changes still merge.
      {"ours wins a conflict",
       R"({"a":1,"b":1})",
       R"({"a":2,"b":1})",
       R"({"a":3,"b":5})",
       kOurs,
       R"({"a":2,"b":5})",
       {}},
      {"theirs wins a conflict",
       R"({"a":1,"b":1})",
       R"({"a":2,"b":4})",
       R"({"a":3,"b":1})",
       kTheirs,
       R"({"a":3,"b":4})",
       {}},
      {"theirs wins: deleted by them",
       R"({"a":1,"b":1})",
       R"({"a":2,"b":1})",
       R"({"b":1})",
       kTheirs,
       R"({"b":1})",
       {}},
      {"ours wins: deleted by us",
       R"({"a":1,"b":1})",
       R"({"b":1})",
       R"({"a":2,"b":1})",
       kOurs,
       R"({"b":1})",
       {}},
      {"theirs wins: kept by them",
       R"({"a":1,"b":1})",
       R"({"b":1})",
       R"({"a":2,"b":1})",
       kTheirs,
       R"({"a":2,"b":1})",
       {}},
      {"theirs wins an array conflict",
       R"({"l":[1]})",
       R"({"l":[1,2]})",
       R"({"l":[0,1]})",
       kTheirs,
       R"({"l":[0,1]})",
       {}},
      {"theirs wins a whole-document conflict",
       R"({"a":1})",
       nullptr,
       R"({"a":2})",
       kTheirs,
       R"({"a":2})",
       {}},
      {"ours wins a whole-document conflict",
       R"({"a":1})",
       nullptr,
       R"({"a":2})",
       kOurs,
       nullptr,
       {}},
      {"strategies leave clean merges alone",
       R"({"a":1,"b":1})",
       R"({"a":2,"b":1})",
       R"({"a":1,"b":3})",
       kTheirs,
       R"({"a":2,"b":3})",
       {}},
  };
  return cases;
}

BOOST_AUTO_TEST_SUITE(merge)
BOOST_AUTO_TEST_SUITE(three_way)

BOOST_AUTO_TEST_CASE(table) {
  for (const Case& c : Cases()) {
    BOOST_TEST_CONTEXT(c.name) {
      std::optional<json::value> base = MaybeJ(c.base), ours = MaybeJ(c.ours),
                                 theirs = MaybeJ(c.theirs), want = MaybeJ(c.merged);
      MergeOptions options;
      options.strategy = c.strategy;
      Result<MergeResult> r = MergeValues(Ptr(base), Ptr(ours), Ptr(theirs), options);
      BOOST_REQUIRE(r.ok());
      BOOST_TEST(r->merged.has_value() == want.has_value());
      if (r->merged && want) {
        BOOST_TEST(Equal(*r->merged, *want), Show(r->merged) << " != " << Show(want));
      }
      BOOST_REQUIRE_EQUAL(r->conflicts.size(), c.conflicts.size());
      for (std::size_t i = 0; i < c.conflicts.size(); ++i) {
        const Conflict& got = r->conflicts[i];
        BOOST_TEST(got.path.ToString() == c.conflicts[i].path);
        BOOST_TEST(ConflictKindName(got.kind) == ConflictKindName(c.conflicts[i].kind));
        BOOST_TEST(!got.reason.empty());
        // The conflict carries the three sides' values at its path.
        auto at = [&](const std::optional<json::value>& root) -> std::optional<json::value> {
          if (!root) return std::nullopt;
          Result<const json::value*> v = ResolvePointer(*root, got.path);
          if (!v.ok()) return std::nullopt;
          return **v;
        };
        for (auto [side, want_side] :
             {std::pair{&got.base, at(base)}, std::pair{&got.ours, at(ours)},
              std::pair{&got.theirs, at(theirs)}}) {
          BOOST_TEST(side->has_value() == want_side.has_value());
          if (*side && want_side) BOOST_TEST(Equal(**side, *want_side));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(conflict_records_values_and_reason) {
  json::value base = J(R"({"a":{"x":1}})"), ours = J(R"({"a":{"x":2}})"),
              theirs = J(R"({"a":{"x":"two"}})");
  Result<MergeResult> r = MergeValues(base, ours, theirs);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE_EQUAL(r->conflicts.size(), 1u);
  const Conflict& c = r->conflicts[0];
  BOOST_TEST(c.path.ToString() == "/a/x");
  BOOST_TEST((c.kind == ConflictKind::kBothModified));
  BOOST_TEST(c.reason == "changed differently on both sides");
  BOOST_TEST(CanonicalJson(*c.base) == "1");
  BOOST_TEST(CanonicalJson(*c.ours) == "2");
  BOOST_TEST(CanonicalJson(*c.theirs) == "\"two\"");
  BOOST_TEST(CanonicalJson(*r->merged) == R"({"a":{"x":2}})");
}

BOOST_AUTO_TEST_CASE(inputs_are_not_modified) {
  json::value base = J(R"({"a":1,"b":{"c":[1]}})"), ours = J(R"({"a":2,"b":{"c":[1]}})"),
              theirs = J(R"({"b":{"c":[2]},"d":1})");
  const std::string before = CanonicalJson(base) + CanonicalJson(ours) + CanonicalJson(theirs);
  Result<MergeResult> r = MergeValues(base, ours, theirs);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(CanonicalJson(*r->merged) == R"({"a":2,"b":{"c":[2]},"d":1})");
  BOOST_TEST(CanonicalJson(base) + CanonicalJson(ours) + CanonicalJson(theirs) == before);
}

BOOST_AUTO_TEST_CASE(merged_keeps_ours_member_order) {
  Result<MergeResult> r =
      MergeValues(J(R"({"z":1,"a":1})"), J(R"({"z":2,"a":1,"m":1})"), J(R"({"z":1,"a":1,"b":1})"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(json::serialize(*r->merged) == R"({"z":2,"a":1,"m":1,"b":1})");
}

struct PolicyCase {
  const char* name;
  const char* policies;  // the `.merge` document
  const char* doc;       // MergeOptions::doc
  bool theirs_newer;
  const char* base;
  const char* ours;
  const char* theirs;
  MergeStrategy strategy;
  const char* merged;
  std::vector<ExpectedConflict> conflicts;
};

#define P(strategy_and_more) R"({"policies":[)" strategy_and_more "]}"

const std::vector<PolicyCase>& PolicyCases() {
  static const std::vector<PolicyCase> cases = {
      // ours, theirs, conflict; which policy applies.
      {"ours policy",
       P(R"({"doc":"**","path":"/a","strategy":"ours"})"),
       "d",
       false,
       R"({"a":1,"b":1})",
       R"({"a":2,"b":1})",
       R"({"a":3,"b":4})",
       kNormal,
       R"({"a":2,"b":4})",
       {}},
      {"theirs policy",
       P(R"({"doc":"**","path":"/a","strategy":"theirs"})"),
       "d",
       false,
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":3})",
       kNormal,
       R"({"a":3})",
       {}},
      {"a policy on another path does not apply",
       P(R"({"doc":"**","path":"/b","strategy":"theirs"})"),
       "d",
       false,
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":3})",
       kNormal,
       R"({"a":2})",
       {{"/a", kBothModified}}},
      {"a policy for other documents does not apply",
       P(R"({"doc":"config/*","path":"/a","strategy":"theirs"})"),
       "svc/x",
       false,
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":3})",
       kNormal,
       R"({"a":2})",
       {{"/a", kBothModified}}},
      {"the first matching policy wins",
       P(R"({"doc":"**","path":"/a","strategy":"theirs"},{"doc":"**","path":"/**","strategy":"ours"})"),
       "d",
       false,
       R"({"a":1,"b":1})",
       R"({"a":2,"b":2})",
       R"({"a":3,"b":3})",
       kNormal,
       R"({"a":3,"b":2})",
       {}},
      {"a conflict policy shadows later ones",
       P(R"({"doc":"**","path":"/a","strategy":"conflict"},{"doc":"**","path":"/a","strategy":"theirs"})"),
       "d",
       false,
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":3})",
       kNormal,
       R"({"a":2})",
       {{"/a", kBothModified}}},
      {"--strategy resolves what policies leave",
       P(R"({"doc":"**","path":"/a","strategy":"conflict"})"),
       "d",
       false,
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":3})",
       kTheirs,
       R"({"a":3})",
       {}},
      {"a policy on an object does not decide its members",
       P(R"({"doc":"**","path":"/o","strategy":"theirs"})"),
       "d",
       false,
       R"({"o":{"x":1}})",
       R"({"o":{"x":2}})",
       R"({"o":{"x":3}})",
       kNormal,
       R"({"o":{"x":2}})",
       {{"/o/x", kBothModified}}},
      {"** under a path decides every member below",
       P(R"({"doc":"**","path":"/audit/**","strategy":"theirs"})"),
       "d",
       false,
       R"({"audit":{"by":"a","n":{"m":1}},"k":1})",
       R"({"audit":{"by":"b","n":{"m":2}},"k":2})",
       R"({"audit":{"by":"c","n":{"m":3}},"k":3})",
       kNormal,
       R"({"audit":{"by":"c","n":{"m":3}},"k":2})",
       {{"/k", kBothModified}}},
      {"pointer patterns decode ~1 and ~0",
       P(R"({"doc":"**","path":"/a~1b/~0c","strategy":"theirs"})"),
       "d",
       false,
       R"({"a/b":{"~c":1}})",
       R"({"a/b":{"~c":2}})",
       R"({"a/b":{"~c":3}})",
       kNormal,
       R"({"a/b":{"~c":3}})",
       {}},
      {"a policy decides a delete against an edit",
       P(R"({"doc":"**","path":"/a","strategy":"theirs"})"),
       "d",
       false,
       R"({"a":1})",
       R"({})",
       R"({"a":3})",
       kNormal,
       R"({"a":3})",
       {}},
      // latest
      {"latest: theirs newer",
       P(R"({"doc":"**","path":"/a","strategy":"latest"})"),
       "d",
       true,
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":3})",
       kNormal,
       R"({"a":3})",
       {}},
      {"latest: ours newer",
       P(R"({"doc":"**","path":"/a","strategy":"latest"})"),
       "d",
       false,
       R"({"a":1})",
       R"({"a":2})",
       R"({"a":3})",
       kNormal,
       R"({"a":2})",
       {}},
      // max, min
      {"max",
       P(R"({"doc":"config/*","path":"/replicas","strategy":"max"})"),
       "config/app1",
       false,
       R"({"replicas":3})",
       R"({"replicas":4})",
       R"({"replicas":5})",
       kNormal,
       R"({"replicas":5})",
       {}},
      {"min",
       P(R"({"doc":"config/*","path":"/replicas","strategy":"min"})"),
       "config/app1",
       false,
       R"({"replicas":3})",
       R"({"replicas":4})",
       R"({"replicas":5})",
       kNormal,
       R"({"replicas":4})",
       {}},
      {"max across doubles and integers",
       P(R"({"doc":"**","path":"/n","strategy":"max"})"),
       "d",
       false,
       R"({"n":1})",
       R"({"n":2.5})",
       R"({"n":2})",
       kNormal,
       R"({"n":2.5})",
       {}},
      {"max across negative and unsigned integers",
       P(R"({"doc":"**","path":"/n","strategy":"max"})"),
       "d",
       false,
       R"({"n":1})",
       R"({"n":-1})",
       R"({"n":18446744073709551615})",
       kNormal,
       R"({"n":18446744073709551615})",
       {}},
      {"min across negative and unsigned integers",
       P(R"({"doc":"**","path":"/n","strategy":"min"})"),
       "d",
       false,
       R"({"n":1})",
       R"({"n":-1})",
       R"({"n":18446744073709551615})",
       kNormal,
       R"({"n":-1})",
       {}},
      {"max of a non-number conflicts",
       P(R"({"doc":"**","path":"/n","strategy":"max"})"),
       "d",
       false,
       R"({"n":1})",
       R"({"n":"2"})",
       R"({"n":3})",
       kNormal,
       R"({"n":"2"})",
       {{"/n", kBothModified}}},
      {"max of a deleted value conflicts",
       P(R"({"doc":"**","path":"/n","strategy":"max"})"),
       "d",
       false,
       R"({"n":1})",
       R"({})",
       R"({"n":3})",
       kNormal,
       R"({})",
       {{"/n", kDeletedByUs}}},
      // union
      {"union keeps both sides' additions",
       P(R"({"doc":"**","path":"/l","strategy":"union"})"),
       "d",
       false,
       R"({"l":[1,2]})",
       R"({"l":[1,2,3]})",
       R"({"l":[0,1,2]})",
       kNormal,
       R"({"l":[1,2,3,0]})",
       {}},
      {"union honours ours' removal",
       P(R"({"doc":"**","path":"/l","strategy":"union"})"),
       "d",
       false,
       R"({"l":["a","b","c"]})",
       R"({"l":["a","c","d"]})",
       R"({"l":["a","b","c","e"]})",
       kNormal,
       R"({"l":["a","c","d","e"]})",
       {}},
      {"union honours theirs' removal",
       P(R"({"doc":"**","path":"/l","strategy":"union"})"),
       "d",
       false,
       R"({"l":[1,2,3]})",
       R"({"l":[1,2,3,4]})",
       R"({"l":[1,3]})",
       kNormal,
       R"({"l":[1,3,4]})",
       {}},
      {"union: removed on both sides",
       P(R"({"doc":"**","path":"/l","strategy":"union"})"),
       "d",
       false,
       R"({"l":[1,2]})",
       R"({"l":[2,3]})",
       R"({"l":[2,4]})",
       kNormal,
       R"({"l":[2,3,4]})",
       {}},
      {"union of arrays both sides added",
       P(R"({"doc":"**","path":"/l","strategy":"union"})"),
       "d",
       false,
       R"({})",
       R"({"l":[1,"x",null]})",
       R"({"l":[true,1.0,"x"]})",
       kNormal,
       R"({"l":[1,"x",null,true]})",
       {}},
      {"union of objects conflicts",
       P(R"({"doc":"**","path":"/l","strategy":"union"})"),
       "d",
       false,
       R"({"l":[]})",
       R"({"l":[{"a":1}]})",
       R"({"l":[2]})",
       kNormal,
       R"({"l":[{"a":1}]})",
       {{"/l", kBothModified}}},
      // by-key
      {"by-key: inserts on both sides",
       P(R"({"doc":"svc/**","path":"/endpoints","strategy":"by-key","key":"id"})"),
       "svc/a/b",
       false,
       R"({"endpoints":[{"id":1,"w":1}]})",
       R"({"endpoints":[{"id":1,"w":1},{"id":2}]})",
       R"({"endpoints":[{"id":3},{"id":1,"w":1}]})",
       kNormal,
       R"({"endpoints":[{"id":1,"w":1},{"id":2},{"id":3}]})",
       {}},
      {"by-key: edits to different elements",
       P(R"({"doc":"**","path":"/l","strategy":"by-key","key":"id"})"),
       "d",
       false,
       R"({"l":[{"id":"a","w":1},{"id":"b","w":1}]})",
       R"({"l":[{"id":"a","w":2},{"id":"b","w":1}]})",
       R"({"l":[{"id":"a","w":1},{"id":"b","w":3}]})",
       kNormal,
       R"({"l":[{"id":"a","w":2},{"id":"b","w":3}]})",
       {}},
      {"by-key: edits to different members of one element",
       P(R"({"doc":"**","path":"/l","strategy":"by-key","key":"id"})"),
       "d",
       false,
       R"({"l":[{"id":"a","w":1,"v":1}]})",
       R"({"l":[{"id":"a","w":2,"v":1}]})",
       R"({"l":[{"id":"a","w":1,"v":3}]})",
       kNormal,
       R"({"l":[{"id":"a","w":2,"v":3}]})",
       {}},
      {"by-key: same member edited differently, pointer by merged index",
       P(R"({"doc":"**","path":"/l","strategy":"by-key","key":"id"})"),
       "d",
       false,
       R"({"l":[{"id":"a","w":1},{"id":"b","w":1}]})",
       R"({"l":[{"id":"b","w":2},{"id":"a","w":1}]})",
       R"({"l":[{"id":"a","w":1},{"id":"b","w":3}]})",
       kNormal,
       R"({"l":[{"id":"b","w":2},{"id":"a","w":1}]})",
       {{"/l/0/w", kBothModified}}},
      {"by-key: a deletion on one side, an insertion on the other",
       P(R"({"doc":"**","path":"/l","strategy":"by-key","key":"id"})"),
       "d",
       false,
       R"({"l":[{"id":"a"},{"id":"b"}]})",
       R"({"l":[{"id":"a"}]})",
       R"({"l":[{"id":"a"},{"id":"b"},{"id":"c"}]})",
       kNormal,
       R"({"l":[{"id":"a"},{"id":"c"}]})",
       {}},
      {"by-key: deleted by us, edited by them",
       P(R"({"doc":"**","path":"/l","strategy":"by-key","key":"id"})"),
       "d",
       false,
       R"({"l":[{"id":"a"},{"id":"b","w":1}]})",
       R"({"l":[{"id":"a"},{"id":"c"}]})",
       R"({"l":[{"id":"a"},{"id":"b","w":2}]})",
       kNormal,
       R"({"l":[{"id":"a"},{"id":"c"},{"id":"b","w":2}]})",
       {{"/l/2", kDeletedByUs}}},
      {"by-key: an element without the key conflicts on the array",
       P(R"({"doc":"**","path":"/l","strategy":"by-key","key":"id"})"),
       "d",
       false,
       R"({"l":[{"id":"a"}]})",
       R"({"l":[{"id":"a"},{"name":"x"}]})",
       R"({"l":[{"id":"a"},{"id":"b"}]})",
       kNormal,
       R"({"l":[{"id":"a"},{"name":"x"}]})",
       {{"/l", kBothModified}}},
      {"by-key: duplicate keys conflict on the array",
       P(R"({"doc":"**","path":"/l","strategy":"by-key","key":"id"})"),
       "d",
       false,
       R"({"l":[{"id":"a"}]})",
       R"({"l":[{"id":"a"},{"id":"a","x":1}]})",
       R"({"l":[{"id":"a"},{"id":"b"}]})",
       kNormal,
       R"({"l":[{"id":"a"},{"id":"a","x":1}]})",
       {{"/l", kBothModified}}},
      {"by-key elements take policies by index",
       P(R"({"doc":"**","path":"/l","strategy":"by-key","key":"id"},{"doc":"**","path":"/l/*/w","strategy":"max"})"),
       "d",
       false,
       R"({"l":[{"id":"a","w":1}]})",
       R"({"l":[{"id":"b"},{"id":"a","w":5}]})",
       R"({"l":[{"id":"a","w":3}]})",
       kNormal,
       R"({"l":[{"id":"b"},{"id":"a","w":5}]})",
       {}},
      // Whole states: the first token is the document id.
      {"state merge: policies match each document",
       P(R"({"doc":"config/*","path":"/replicas","strategy":"max"})"),
       "",
       false,
       R"({"config/app1":{"replicas":1},"svc/x":{"replicas":1}})",
       R"({"config/app1":{"replicas":2},"svc/x":{"replicas":2}})",
       R"({"config/app1":{"replicas":3},"svc/x":{"replicas":3}})",
       kNormal,
       R"({"config/app1":{"replicas":3},"svc/x":{"replicas":2}})",
       {{"/svc~1x/replicas", kBothModified}}},
      {"state merge: a whole document matches the path \"\"",
       P(R"({"doc":"a","path":"","strategy":"theirs"})"),
       "",
       false,
       R"({"a":1,"b":1})",
       R"({"b":2})",
       R"({"a":3,"b":3})",
       kNormal,
       R"({"b":2,"a":3})",
       {{"/b", kBothModified}}},
  };
  return cases;
}

#undef P

BOOST_AUTO_TEST_CASE(policy_table) {
  for (const PolicyCase& c : PolicyCases()) {
    BOOST_TEST_CONTEXT(c.name) {
      Result<MergePolicies> policies = MergePolicies::Parse(J(c.policies));
      BOOST_REQUIRE_MESSAGE(policies.ok(), policies.status().message());
      std::optional<json::value> base = MaybeJ(c.base), ours = MaybeJ(c.ours),
                                 theirs = MaybeJ(c.theirs), want = MaybeJ(c.merged);
      MergeOptions options;
      options.strategy = c.strategy;
      options.policies = &*policies;
      options.doc = c.doc;
      options.theirs_newer = c.theirs_newer;
      Result<MergeResult> r = MergeValues(Ptr(base), Ptr(ours), Ptr(theirs), options);
      BOOST_REQUIRE(r.ok());
      BOOST_TEST(r->merged.has_value() == want.has_value());
      if (r->merged && want) {
        BOOST_TEST(Equal(*r->merged, *want), Show(r->merged) << " != " << Show(want));
      }
      BOOST_REQUIRE_EQUAL(r->conflicts.size(), c.conflicts.size());
      for (std::size_t i = 0; i < c.conflicts.size(); ++i) {
        BOOST_TEST(r->conflicts[i].path.ToString() == c.conflicts[i].path);
        BOOST_TEST(ConflictKindName(r->conflicts[i].kind) == ConflictKindName(c.conflicts[i].kind));
      }
      // Without the policies, every case conflicts: the policy made the difference.
      options.policies = nullptr;
      options.strategy = MergeStrategy::kNormal;
      r = MergeValues(Ptr(base), Ptr(ours), Ptr(theirs), options);
      BOOST_REQUIRE(r.ok());
      BOOST_TEST(!r->conflicts.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(policy_conflicts_say_why) {
  Result<MergePolicies> policies = MergePolicies::Parse(J(
      R"({"policies":[{"doc":"**","path":"/n","strategy":"max"},{"doc":"**","path":"/l","strategy":"by-key","key":"id"}]})"));
  BOOST_REQUIRE(policies.ok());
  MergeOptions options;
  options.policies = &*policies;
  options.doc = "d";
  Result<MergeResult> r = MergeValues(J(R"({"n":1,"l":[]})"), J(R"({"n":"2","l":[{"id":1}]})"),
                                      J(R"({"n":3,"l":[{"x":1}]})"), options);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE_EQUAL(r->conflicts.size(), 2u);
  BOOST_TEST(r->conflicts[0].reason ==
             "changed differently on both sides (by-key: element 0 of theirs is an object "
             "without 'id')");
  BOOST_TEST(r->conflicts[1].reason ==
             "changed differently on both sides (max: ours is a string, not a number)");
}

BOOST_AUTO_TEST_CASE(type_change_against_an_edit_inside) {
  // An object replaced by a scalar on one side, a member edited on the
  // other: one conflict at the object, not at the member.
  for (bool swap : {false, true}) {
    json::value base = J(R"({"a":{"x":1,"y":1}})"), replaced = J(R"({"a":5})"),
                edited = J(R"({"a":{"x":2,"y":1}})");
    Result<MergeResult> r =
        swap ? MergeValues(base, edited, replaced) : MergeValues(base, replaced, edited);
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE_EQUAL(r->conflicts.size(), 1u);
    const Conflict& c = r->conflicts[0];
    BOOST_TEST(c.path.ToString() == "/a");
    BOOST_TEST((c.kind == ConflictKind::kBothModified));
    BOOST_TEST(c.reason == (swap ? "theirs replaced an object with a number, ours changed it"
                                 : "ours replaced an object with a number, theirs changed it"));
    BOOST_TEST(CanonicalJson(*r->merged) == (swap ? R"({"a":{"x":2,"y":1}})" : R"({"a":5})"));
  }
}

BOOST_AUTO_TEST_CASE(strategy_names) {
  for (MergeStrategy s : {MergeStrategy::kNormal, MergeStrategy::kOurs, MergeStrategy::kTheirs}) {
    Result<MergeStrategy> parsed = ParseMergeStrategy(MergeStrategyName(s));
    BOOST_REQUIRE(parsed.ok());
    BOOST_TEST(static_cast<int>(*parsed) == static_cast<int>(s));
  }
  BOOST_TEST(MergeStrategyName(MergeStrategy::kTheirs) == "theirs");
  Result<MergeStrategy> bad = ParseMergeStrategy("recursive");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST((bad.status().code() == Code::kInvalidArgument));
  BOOST_TEST(bad.status().message().find("recursive") != std::string::npos);
}

// Deeper than any recursive merge could go on a default stack. The parser's
// limit is the deepest value strata can hold.
constexpr std::size_t kDeep = kMaxJsonDepth;
static_assert(kDeep >= 10000);

BOOST_AUTO_TEST_CASE(deep_values_merge_without_recursion) {
  json::value base = Nest(kDeep, J(R"({"v":0})"));
  json::value ours = Nest(kDeep, J(R"({"v":1})"));
  json::value theirs = Nest(kDeep, J(R"({"v":0,"w":2})"));
  Result<MergeResult> r = MergeValues(base, ours, theirs);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->conflicts.empty());
  BOOST_TEST(CanonicalJson(Descend(*r->merged, kDeep)) == R"({"v":1,"w":2})");
  DestroyIteratively(*r);

  // A conflict at the bottom names the full pointer.
  DestroyIteratively(std::move(theirs));
  theirs = Nest(kDeep, J(R"({"v":2})"));
  r = MergeValues(base, ours, theirs);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE_EQUAL(r->conflicts.size(), 1u);
  const JsonPointer& path = r->conflicts[0].path;
  BOOST_TEST(path.tokens().size() == kDeep + 1);
  BOOST_TEST(path.Back() == "v");
  BOOST_TEST(CanonicalJson(Descend(*r->merged, kDeep)) == R"({"v":1})");
  DestroyIteratively(*r);
  for (json::value* v : {&base, &ours, &theirs}) DestroyIteratively(std::move(*v));
}

BOOST_AUTO_TEST_CASE(deep_values_are_copied_without_recursion) {
  // Theirs adds a deep object and replaces a member with deep arrays: both
  // are copied whole into the result; the conflict copies them again.
  json::value deep_array = json::array{};
  for (std::size_t i = 0; i < kDeep; ++i) {
    json::array a;
    a.push_back(std::move(deep_array));
    deep_array = std::move(a);
  }
  json::value base = J(R"({"a":1,"c":1})");
  json::value ours = J(R"({"a":1,"c":2})");
  json::object t;
  t["a"] = std::move(deep_array);
  t["b"] = Nest(kDeep, J("true"));
  t["c"] = Nest(kDeep, J("3"));
  json::value theirs = std::move(t);

  Result<MergeResult> r = MergeValues(base, ours, theirs);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE_EQUAL(r->conflicts.size(), 1u);
  BOOST_TEST(r->conflicts[0].path.ToString() == "/c");
  BOOST_TEST(Equal(r->conflicts[0].theirs.value(), theirs.at("c")));
  BOOST_TEST(Equal(r->merged->at("a"), theirs.at("a")));
  BOOST_TEST(Equal(r->merged->at("b"), theirs.at("b")));
  BOOST_TEST(r->merged->at("c") == json::value(2));
  DestroyIteratively(*r);
  DestroyIteratively(std::move(theirs));
}

// Random values over a small alphabet of keys and scalars, so that edits on
// the two sides often touch the same members.
class Random {
 public:
  explicit Random(unsigned seed) : rng_(seed) {}

  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool OneIn(int n) { return Below(n) == 0; }

  json::value Scalar() {
    switch (Below(6)) {
      case 0:
        return nullptr;
      case 1:
        return Below(2) == 0;
      case 2:
        return Below(3);
      case 3:
        return Below(3) + 0.0;  // the same numbers as doubles: 1 == 1.0
      case 4:
        return 0.5;
      default:
        return json::string(1, static_cast<char>('x' + Below(3)));
    }
  }

  std::string Key() { return std::string(1, static_cast<char>('a' + Below(4))); }

  json::value Value(int depth) {
    int pick = depth <= 0 ? 0 : Below(5);
    if (pick <= 1) return Scalar();
    if (pick == 2) {
      json::array a;
      for (int n = Below(3); n > 0; --n) a.push_back(Value(depth - 1));
      return a;
    }
    json::object o;
    for (int n = Below(4); n > 0; --n) o[Key()] = Value(depth - 1);
    return o;
  }

  // A copy of `v` with a few random edits: members changed, added or
  // deleted at any level, values replaced whole (occasionally the root).
  json::value Mutate(const json::value& v, int depth) {
    if (OneIn(8)) return Value(depth);
    if (!v.is_object()) return OneIn(2) ? v : Value(depth);
    json::object o = v.get_object();
    for (int n = Below(3); n > 0; --n) {
      std::string key = Key();
      json::value* member = o.if_contains(key);
      if (member == nullptr) {
        o[key] = Value(depth - 1);
      } else if (OneIn(3)) {
        o.erase(key);
      } else {
        *member = Mutate(*member, depth - 1);
      }
    }
    return o;
  }

  // Like Mutate, but may also make a present value absent or an absent one
  // present.
  std::optional<json::value> MutateDoc(const std::optional<json::value>& v) {
    if (OneIn(10)) return v ? std::nullopt : std::optional<json::value>(Value(3));
    if (!v) return std::nullopt;
    return Mutate(*v, 3);
  }

 private:
  std::mt19937 rng_;
};

bool SameDoc(const std::optional<json::value>& a, const std::optional<json::value>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return Equal(*a, *b);
}

MergeResult Merge(const std::optional<json::value>& b, const std::optional<json::value>& o,
                  const std::optional<json::value>& t, MergeStrategy strategy) {
  MergeOptions options;
  options.strategy = strategy;
  Result<MergeResult> r = MergeValues(Ptr(b), Ptr(o), Ptr(t), options);
  BOOST_REQUIRE(r.ok());
  return std::move(r).value();
}

ConflictKind Mirror(ConflictKind k) {
  if (k == ConflictKind::kDeletedByUs) return ConflictKind::kDeletedByThem;
  if (k == ConflictKind::kDeletedByThem) return ConflictKind::kDeletedByUs;
  return k;
}

BOOST_AUTO_TEST_CASE(random_properties) {
  constexpr unsigned kSeed = 20240611;
  constexpr int kIterations = 3000;
  Random random(kSeed);
  int conflicted = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::optional<json::value> base;
    if (!random.OneIn(10)) base = random.Value(4);
    std::optional<json::value> ours = random.MutateDoc(base);
    std::optional<json::value> theirs = random.MutateDoc(base);
    BOOST_TEST_CONTEXT("seed " << kSeed << " iteration " << i << ": base " << Show(base) << " ours "
                               << Show(ours) << " theirs " << Show(theirs)) {
      for (MergeStrategy s :
           {MergeStrategy::kNormal, MergeStrategy::kOurs, MergeStrategy::kTheirs}) {
        // Theirs unchanged: the result is ours.
        MergeResult r = Merge(base, ours, base, s);
        BOOST_TEST(r.conflicts.empty());
        BOOST_TEST(SameDoc(r.merged, ours));
        // Ours unchanged: the result is theirs.
        r = Merge(base, base, theirs, s);
        BOOST_TEST(r.conflicts.empty());
        BOOST_TEST(SameDoc(r.merged, theirs));
        // The same change on both sides: the result is that change.
        r = Merge(base, theirs, theirs, s);
        BOOST_TEST(r.conflicts.empty());
        BOOST_TEST(SameDoc(r.merged, theirs));
      }

      // Swapping the sides mirrors the conflicts, and a clean merge is
      // the same either way.
      MergeResult forward = Merge(base, ours, theirs, MergeStrategy::kNormal);
      MergeResult backward = Merge(base, theirs, ours, MergeStrategy::kNormal);
      BOOST_REQUIRE_EQUAL(forward.conflicts.size(), backward.conflicts.size());
      for (std::size_t k = 0; k < forward.conflicts.size(); ++k) {
        BOOST_TEST(forward.conflicts[k].path.ToString() == backward.conflicts[k].path.ToString());
        BOOST_TEST((Mirror(forward.conflicts[k].kind) == backward.conflicts[k].kind));
      }
      if (forward.conflicts.empty()) {
        BOOST_TEST(SameDoc(forward.merged, backward.merged));
      } else {
        ++conflicted;
      }
      // kNormal keeps ours where it conflicts, which is what kOurs does.
      MergeResult with_ours = Merge(base, ours, theirs, MergeStrategy::kOurs);
      BOOST_TEST(with_ours.conflicts.empty());
      BOOST_TEST(SameDoc(with_ours.merged, forward.merged));
      // "Ours wins" from one side is "theirs wins" from the other.
      MergeResult with_theirs = Merge(base, theirs, ours, MergeStrategy::kTheirs);
      BOOST_TEST(with_theirs.conflicts.empty());
      BOOST_TEST(SameDoc(with_ours.merged, with_theirs.merged));
      // A policy on every path ("/**") acts as the matching --strategy;
      // "conflict" as none; "latest" as the newer side.
      for (auto [policy, strategy, newer] : {std::tuple{"ours", MergeStrategy::kOurs, false},
                                             std::tuple{"theirs", MergeStrategy::kTheirs, false},
                                             std::tuple{"conflict", MergeStrategy::kNormal, false},
                                             std::tuple{"latest", MergeStrategy::kTheirs, true},
                                             std::tuple{"latest", MergeStrategy::kOurs, false}}) {
        MergePolicies policies =
            MergePolicies::Parse(J(std::string(R"({"policies":[{"doc":"**","path":"/**",)") +
                                   R"("strategy":")" + policy + R"("}]})"))
                .value();
        MergeOptions options;
        options.policies = &policies;
        options.doc = "d";
        options.theirs_newer = newer;
        MergeResult by_policy = MergeValues(Ptr(base), Ptr(ours), Ptr(theirs), options).value();
        MergeResult by_strategy = Merge(base, ours, theirs, strategy);
        BOOST_TEST(SameDoc(by_policy.merged, by_strategy.merged), policy);
        BOOST_TEST(by_policy.conflicts.size() == by_strategy.conflicts.size(), policy);
      }
      // Conflicts name places where both sides hold what they were given.
      for (const Conflict& c : forward.conflicts) {
        BOOST_TEST(!SameDoc(c.ours, c.theirs));
        BOOST_TEST(!SameDoc(c.base, c.ours));
        BOOST_TEST(!SameDoc(c.base, c.theirs));
      }
    }
  }
  // The generator must exercise both outcomes, or the properties prove little.
  BOOST_TEST(conflicted > kIterations / 20);
  BOOST_TEST(conflicted < kIterations * 19 / 20);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
