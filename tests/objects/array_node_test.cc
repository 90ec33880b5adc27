// Array nodes (format 2, objects/tree_codec.h): large arrays stored in runs
// cut by content, canonical whatever the edit history, and a one-element
// change writing a few small objects.
#include <boost/test/unit_test.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "objects/state_editor.h"
#include "objects/tree_codec.h"
#include "objects/tree_diff.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::J;
using testing::TempRepo;

// An array of `n` small distinct values, as people store them.
json::array Numbers(std::size_t n, std::size_t offset = 0) {
  json::array a;
  a.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    json::object o;
    o["id"] = static_cast<std::int64_t>(i + offset);
    a.push_back(json::value(std::move(o)));
  }
  return a;
}

ValueRef Store(ObjectStore& store, const json::value& v) {
  Result<ValueRef> ref = EncodeValue(store, v, 1);
  STRATA_CHECK_OK(ref);
  return *ref;
}

void CheckRoundTrip(ObjectStore& store, const json::value& v) {
  ValueRef ref = Store(store, v);
  Result<json::value> back = DecodeValue(store, ref);
  STRATA_CHECK_OK(back);
  BOOST_TEST(Equal(*back, v));
}

// Every object below `id` (the tree itself included), counted once.
std::size_t CountObjects(ObjectStore& store, const ObjectId& id, bool is_tree) {
  std::set<std::string> seen;
  std::vector<std::pair<ObjectId, bool>> stack{{id, is_tree}};
  while (!stack.empty()) {
    auto [oid, tree] = stack.back();
    stack.pop_back();
    if (!seen.insert(oid.Hex()).second || !tree) continue;
    const std::vector<TreeEntry> entries = store.ReadTree(oid).value();
    for (const TreeEntry& e : entries) stack.emplace_back(e.id, e.is_tree);
  }
  return seen.size();
}

// The state {"doc": v} with `patch` applied by a StateEditor on `base`.
ObjectId Edit(ObjectStore& store, const ObjectId& base, const std::string& patch) {
  StateEditor editor(store, base);
  STRATA_CHECK_OK(ApplyPatch(editor, testing::P(patch)));
  Result<ObjectId> id = editor.Write();
  STRATA_CHECK_OK(id);
  return *id;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(array_node)

BOOST_FIXTURE_TEST_CASE(round_trips, TempRepo) {
  // Exactly at the threshold: "[" + 1 string + "]" of kBlobMaxBytes bytes.
  json::value at_limit = json::array{json::string(std::string(kBlobMaxBytes - 4, 'x'))};
  json::value past_limit = json::array{json::string(std::string(kBlobMaxBytes - 3, 'x'))};
  BOOST_TEST(CanonicalJson(at_limit).size() == kBlobMaxBytes);
  BOOST_TEST(!Store(store(), at_limit).is_tree);
  ValueRef past = Store(store(), past_limit);
  BOOST_TEST((past.is_tree && past.is_array));
  BOOST_TEST(!Store(store(), J("[]")).is_tree);

  json::value wide_object = testing::RandomJson::Wide(300);
  json::array of_objects;  // elements that are object nodes, among small ones
  for (int i = 0; i < 5; ++i) {
    of_objects.push_back(wide_object);
    of_objects.push_back(i);
  }
  json::array nested;  // arrays of arrays, each an array node
  for (int i = 0; i < 3; ++i) nested.push_back(json::value(Numbers(400, i)));
  json::array deep = Numbers(300);  // an array node inside an object inside one
  json::object holder;
  holder["list"] = json::value(deep);
  holder["pad"] = std::string(3000, 'p');
  deep.push_back(json::value(holder));
  const std::vector<json::value> cases = {
      at_limit,
      past_limit,
      json::value(Numbers(200)),
      json::value(of_objects),
      json::value(nested),
      json::value(deep),
      json::value(json::array(5000, json::value(0))),  // every element equal
      json::value(Numbers(100000)),
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    BOOST_TEST_CONTEXT("case " << i) { CheckRoundTrip(store(), cases[i]); }
  }
  // Nested arrays are array nodes at every level (entries marked '[').
  ValueRef n = Store(store(), json::value(nested));
  std::vector<TreeEntry> items = store().ReadTree(n.id).value();
  BOOST_TEST_REQUIRE(items.size() == 3u);
  for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(items[i].name == "00" + std::to_string(i) + "[");
  ValueRef o = Store(store(), json::value(of_objects));
  items = store().ReadTree(o.id).value();
  BOOST_TEST_REQUIRE(items.size() == 10u);
  BOOST_TEST(items[0].name == "000{");
  BOOST_TEST(!items[1].is_tree);
  BOOST_TEST(store().ReadBlob(items[1].id).value() == "[0]");
}

BOOST_FIXTURE_TEST_CASE(format_one_stores_arrays_as_blobs, TempRepo) {
  json::value big(Numbers(1000));
  store().set_format(1);
  ValueRef v1 = Store(store(), big);
  BOOST_TEST(!v1.is_tree);
  store().set_format(ObjectStore::kNewestFormat);
  ValueRef v2 = Store(store(), big);
  BOOST_TEST((v2.is_tree && v2.is_array));
  // Both read back, and a diff between them is empty (same value).
  BOOST_TEST(Equal(DecodeValue(store(), v1).value(), big));
  Patch patch;
  STRATA_CHECK_OK(DiffStoredValues(store(), v1, v2, JsonPointer(), patch));
  BOOST_TEST(patch.empty());
}

BOOST_FIXTURE_TEST_CASE(member_names_carry_the_array_mark, TempRepo) {
  json::object state;
  state["list"] = json::value(Numbers(500));
  state[""] = json::value(Numbers(500));
  state["small"] = json::array{1, 2};
  ObjectId root = EncodeState(store(), state).value();
  std::vector<std::string> names;
  const std::vector<TreeEntry> entries = store().ReadTree(root).value();
  for (const TreeEntry& e : entries) names.push_back(e.name);
  BOOST_TEST((names == std::vector<std::string>{"%%[", "list%[", "small"}));
  std::optional<ValueRef> list = FindMember(store(), root, "list").value();
  BOOST_TEST_REQUIRE(list.has_value());
  BOOST_TEST(list->is_array);
  BOOST_TEST(FindMember(store(), root, "").value()->is_array);
  BOOST_TEST(!FindMember(store(), root, "small").value()->is_tree);
  BOOST_TEST(!FindMember(store(), root, "list%[").value().has_value());
  std::vector<Member> members;
  STRATA_CHECK_OK(ReadMembers(store(), root, members));
  BOOST_TEST(members.size() == 3u);
  // A blob marked as an array node is corruption, as is a bad item name.
  ObjectId blob = store().WriteBlob("[1]").value();
  ObjectId bad = store().WriteTree({{"k%[", blob, false}}).value();
  BOOST_TEST((DecodeValue(store(), ValueRef{bad, true}).status().code() == Code::kCorruption));
  for (const char* name : {"0", "001", "000x", "abc"}) {
    BOOST_TEST_CONTEXT(name) {
      ObjectId node = store().WriteTree({{name, blob, false}}).value();
      Result<json::value> v = DecodeValue(store(), ValueRef{node, true, true});
      BOOST_TEST((v.status().code() == Code::kCorruption), v.status().message());
    }
  }
  ObjectId not_run = store().WriteBlob("{}").value();
  ObjectId node = store().WriteTree({{"000", not_run, false}}).value();
  BOOST_TEST(
      (DecodeValue(store(), ValueRef{node, true, true}).status().code() == Code::kCorruption));
  // An inner level nested past kMaxArrayLevels.
  ObjectId deep = store().WriteTree({{"000", blob, false}}).value();
  for (int i = 0; i < kMaxArrayLevels + 2; ++i)
    deep = store().WriteTree({{"000", deep, true}}).value();
  BOOST_TEST(
      (DecodeValue(store(), ValueRef{deep, true, true}).status().code() == Code::kCorruption));
}

// Random inserts, deletes and replaces through the StateEditor, then the
// same array encoded fresh: the same id (canonical whatever the history).
BOOST_FIXTURE_TEST_CASE(canonical_under_random_edit_histories, TempRepo) {
  std::mt19937 rng(20261130);
  json::array model = Numbers(3000);
  json::object state;
  state["doc"] = json::value(model);
  ObjectId root = EncodeState(store(), state).value();
  for (int step = 0; step < 60; ++step) {
    const std::size_t size = model.size();
    const int kind = std::uniform_int_distribution<int>(0, 2)(rng);
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, size - 1)(rng);
    const std::string v = std::to_string(std::uniform_int_distribution<int>(0, 1 << 30)(rng));
    std::string patch;
    if (kind == 0) {
      patch = R"([{"op":"add","path":"/doc/)" + std::to_string(at) + R"(","value":)" + v + "}]";
      model.insert(model.begin() + at, json::value(std::stoll(v)));
    } else if (kind == 1) {
      patch = R"([{"op":"remove","path":"/doc/)" + std::to_string(at) + R"("}])";
      model.erase(model.begin() + at);
    } else {
      patch = R"([{"op":"replace","path":"/doc/)" + std::to_string(at) + R"(","value":)" + v + "}]";
      model[at] = json::value(std::stoll(v));
    }
    root = Edit(store(), root, patch);
    if (step % 10 == 9) {
      json::object fresh;
      fresh["doc"] = json::value(model);
      BOOST_TEST_CONTEXT("step " << step) {
        BOOST_TEST(root.Hex() == EncodeState(store(), fresh).value().Hex());
        BOOST_TEST(Equal(DecodeValue(store(), ValueRef{root, true}).value(), json::value(fresh)));
      }
    }
  }
}

// The issue's bound: one element changed, inserted or deleted in a
// 100,000-element array writes at most 32 new objects and 256 KiB.
BOOST_FIXTURE_TEST_CASE(one_element_edits_write_few_objects, TempRepo) {
  json::object state;
  state["doc"] = json::value(Numbers(100000));
  ObjectId base = EncodeState(store(), state).value();
  STRATA_CHECK_OK(store().Flush());
  // The whole array is many objects, so a small change counted below is
  // not small merely because the array is.
  const std::size_t all = CountObjects(store(), base, true);
  BOOST_TEST(all > 500u);
  const std::vector<std::string> patches = {
      R"([{"op":"replace","path":"/doc/50000/id","value":-1}])",
      R"([{"op":"add","path":"/doc/50000","value":{"id":-1}}])",
      R"([{"op":"remove","path":"/doc/50000"}])",
      R"([{"op":"add","path":"/doc/0","value":{"id":-1}}])",
      R"([{"op":"add","path":"/doc/-","value":{"id":-1}}])",
  };
  for (const std::string& patch : patches) {
    BOOST_TEST_CONTEXT(patch) {
      store().Discard();
      Edit(store(), base, patch);
      BOOST_TEST(store().staged_objects() >= 3u);  // a run, its node(s), the state
      BOOST_TEST(store().staged_objects() <= 8u);
      BOOST_TEST(store().staged_bytes() <= 32u * 1024);
    }
  }
  store().Discard();
}

BOOST_FIXTURE_TEST_CASE(git_fsck_accepts_array_nodes, TempRepo) {
  json::object state;
  state["list"] = json::value(Numbers(20000));
  json::array mixed;
  for (int i = 0; i < 3; ++i) {
    mixed.push_back(testing::RandomJson::Wide(200));
    mixed.push_back(json::value(Numbers(300)));
    mixed.push_back(i);
  }
  state[""] = json::value(mixed);
  state["%[x"] = json::value(Numbers(400));
  EncodeState(store(), state).value();
  STRATA_CHECK_OK(store().Flush());
  std::string output;
  int status = Fsck(output);
  BOOST_TEST(status == 0, output);
  BOOST_TEST(output.find("error") == std::string::npos, output);
  BOOST_TEST(output.find("warning") == std::string::npos, output);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
