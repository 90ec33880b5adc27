#include "objects/tree_diff.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "objects/state_editor.h"
#include "objects/tree_codec.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::J;
using testing::P;
using testing::TempRepo;

ObjectId Encode(ObjectStore& store, const json::value& state) {
  Result<ObjectId> id = EncodeState(store, state.get_object());
  STRATA_CHECK_OK(id);
  return *id;
}

json::value Decode(ObjectStore& store, const std::optional<ObjectId>& id) {
  if (!id) return json::object();
  Result<json::value> v = DecodeValue(store, ValueRef{*id, true});
  STRATA_CHECK_OK(v);
  return *v;
}

// DiffStates(a, b) applied to a's state gives b's; returns the patch.
Patch CheckDiff(ObjectStore& store, const std::optional<ObjectId>& a,
                const std::optional<ObjectId>& b) {
  Patch patch;
  STRATA_CHECK_OK(DiffStates(store, a, b, patch));
  json::value state = Decode(store, a);
  Status s = ApplyPatch(state, patch);
  BOOST_TEST(s.ok(), s.message());
  BOOST_TEST(Equal(state, Decode(store, b)));
  // Operations come sorted by document id.
  for (std::size_t i = 1; i < patch.size(); ++i) {
    BOOST_TEST((patch[i - 1].path.tokens()[0] <= patch[i].path.tokens()[0]),
               patch[i - 1].path.ToString() << " before " << patch[i].path.ToString());
  }
  return patch;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(tree_diff)

BOOST_FIXTURE_TEST_CASE(equal_states_give_an_empty_patch, TempRepo) {
  json::value state = J(R"({"a":{"x":1},"b":[1,2]})");
  state.as_object()["wide"] = testing::RandomJson::Wide(800);
  ObjectId id = Encode(store(), state);
  BOOST_TEST(CheckDiff(store(), id, id).empty());
  BOOST_TEST(CheckDiff(store(), std::nullopt, std::nullopt).empty());
  ObjectId empty = Encode(store(), J("{}"));
  BOOST_TEST(CheckDiff(store(), empty, std::nullopt).empty());
}

BOOST_FIXTURE_TEST_CASE(from_and_to_the_empty_state, TempRepo) {
  json::value state = J(R"({"b":{"x":1},"a":[1,2],"c":null})");
  ObjectId id = Encode(store(), state);
  Patch added = CheckDiff(store(), std::nullopt, id);
  BOOST_TEST(CanonicalJson(PatchToJson(added)) ==
             CanonicalJson(J(R"([{"op":"add","path":"/a","value":[1,2]},
                                 {"op":"add","path":"/b","value":{"x":1}},
                                 {"op":"add","path":"/c","value":null}])")));
  Patch removed = CheckDiff(store(), id, std::nullopt);
  BOOST_TEST(CanonicalJson(PatchToJson(removed)) ==
             CanonicalJson(J(R"([{"op":"remove","path":"/a"},{"op":"remove","path":"/b"},
                                 {"op":"remove","path":"/c"}])")));
}

BOOST_FIXTURE_TEST_CASE(changes_inside_tree_stored_documents_are_field_level, TempRepo) {
  json::value a = json::object{{"doc", testing::RandomJson::Wide(600)}};
  json::value b = a;
  STRATA_CHECK_OK(ApplyPatch(b, P(R"([{"op":"replace","path":"/doc/k5","value":"x"},
                                      {"op":"remove","path":"/doc/k6"},
                                      {"op":"add","path":"/doc/new","value":{"n":1}}])")));
  Patch patch = CheckDiff(store(), Encode(store(), a), Encode(store(), b));
  BOOST_TEST(CanonicalJson(PatchToJson(patch)) ==
             CanonicalJson(J(R"([{"op":"replace","path":"/doc/k5","value":"x"},
                                 {"op":"remove","path":"/doc/k6"},
                                 {"op":"add","path":"/doc/new","value":{"n":1}}])")));
}

// Flat against sharded roots, blobs against trees, and back.
BOOST_FIXTURE_TEST_CASE(across_the_thresholds, TempRepo) {
  std::vector<json::value> states;
  for (int docs : {0, 3, 400, 512, 513, 900}) {
    json::object s;
    for (int i = 0; i < docs; ++i) s["d" + std::to_string(i)] = i;
    states.push_back(s);
  }
  json::value trees = states[2];
  trees.as_object()["d1"] = testing::RandomJson::Wide(600);
  trees.as_object()["d2"] = json::object{{"s", std::string(3000, 's')}};
  states.push_back(trees);
  for (std::size_t i = 0; i < states.size(); ++i) {
    for (std::size_t j = 0; j < states.size(); ++j) {
      BOOST_TEST_CONTEXT(i << " -> " << j) {
        CheckDiff(store(), Encode(store(), states[i]), Encode(store(), states[j]));
      }
    }
  }
}

// Two 20,000-document states that differ in three documents give three
// operations.
BOOST_FIXTURE_TEST_CASE(large_states_differing_in_three_documents, TempRepo) {
  json::object a;
  for (int i = 0; i < 20000; ++i) {
    a["doc" + std::to_string(i)] = json::object{{"v", i}, {"tag", "t" + std::to_string(i % 7)}};
  }
  json::value b = a;
  STRATA_CHECK_OK(ApplyPatch(b, P(R"([{"op":"replace","path":"/doc777/v","value":-1},
                                      {"op":"remove","path":"/doc15000"},
                                      {"op":"add","path":"/doc20000","value":{"v":20000}}])")));
  ObjectId id_a = Encode(store(), json::value(a));
  StateEditor editor(store(), id_a);
  STRATA_CHECK_OK(ApplyPatch(editor, P(R"([{"op":"replace","path":"/doc777/v","value":-1},
                                           {"op":"remove","path":"/doc15000"},
                                           {"op":"add","path":"/doc20000","value":{"v":20000}}])")));
  ObjectId id_b = editor.Write().value();
  BOOST_TEST(id_b.Hex() == Encode(store(), b).Hex());
  Patch patch;
  STRATA_CHECK_OK(DiffStates(store(), id_a, id_b, patch));
  BOOST_TEST(CanonicalJson(PatchToJson(patch)) ==
             CanonicalJson(J(R"([{"op":"remove","path":"/doc15000"},
                                 {"op":"add","path":"/doc20000","value":{"v":20000}},
                                 {"op":"replace","path":"/doc777/v","value":-1}])")));
  json::value applied = a;
  STRATA_CHECK_OK(ApplyPatch(applied, patch));
  BOOST_TEST(Equal(applied, b));
}

BOOST_FIXTURE_TEST_CASE(diff_stored_values_prefixes_the_base, TempRepo) {
  ValueRef a = EncodeValue(store(), testing::RandomJson::Wide(600), 1).value();
  ValueRef b = EncodeValue(store(), J(R"({"k1":1})"), 1).value();
  Patch patch;
  STRATA_CHECK_OK(DiffStoredValues(store(), a, b, JsonPointer({"x"}), patch));
  json::value state = json::object{{"x", testing::RandomJson::Wide(600)}};
  STRATA_CHECK_OK(ApplyPatch(state, patch));
  BOOST_TEST(Equal(state, J(R"({"x":{"k1":1}})")));
  for (const PatchOp& op : patch) BOOST_TEST(op.path.tokens()[0] == "x");
}

// A member that turns from a blob into an array node and back changes its
// entry name ("k" <-> "k%["): UpdateObject finds it under either name, the
// result has the id of the same state encoded afresh, and ChangedMembers
// pairs the two names as one changed member. In a flat state root and in a
// sharded one (past kFlatMaxEntries documents).
BOOST_AUTO_TEST_CASE(members_becoming_array_nodes_and_back) {
  for (int docs : {3, static_cast<int>(kFlatMaxEntries) + 40}) {
    BOOST_TEST_CONTEXT(docs << " documents") {
      TempRepo repo;
      ObjectStore& store = repo.store();
      json::object state;
      for (int i = 0; i < docs; ++i) state["d" + std::to_string(i)] = i;
      json::array large;
      for (int i = 0; i < 1000; ++i) large.push_back(i);  // > kBlobMaxBytes
      const ObjectId start = Encode(store, state);
      auto update = [&](const ObjectId& base, const std::string& key,
                        const std::optional<json::value>& value) {
        MemberChanges changes;
        std::optional<ValueRef> ref;
        if (value) ref = EncodeValue(store, *value, 1).value();
        changes[key] = ref;
        Result<ValueRef> root = UpdateObject(store, base, changes, true);
        STRATA_CHECK_OK(root);
        if (value)
          state[key] = *value;
        else
          state.erase(key);
        BOOST_TEST(root->id.Hex() == Encode(store, state).Hex());
        std::vector<MemberDiff> changed;
        STRATA_CHECK_OK(ChangedMembers(store, base, root->id, changed));
        BOOST_TEST_REQUIRE(changed.size() == 1u);
        BOOST_TEST(changed[0].key == key);
        BOOST_TEST((changed[0].a == FindMember(store, base, key).value()));
        BOOST_TEST((changed[0].b == FindMember(store, root->id, key).value()));
        CheckDiff(store, base, root->id);
        CheckDiff(store, root->id, base);
        return root->id;
      };
      ObjectId v1 = update(start, "d1", json::value(large));  // blob -> array node
      std::vector<MemberDiff> changed;
      STRATA_CHECK_OK(ChangedMembers(store, start, v1, changed));
      BOOST_TEST_REQUIRE(changed.size() == 1u);
      BOOST_TEST((changed[0].a && !changed[0].a->is_array));
      BOOST_TEST((changed[0].b && changed[0].b->is_array));
      ObjectId v2 = update(v1, "d1", json::value(7));       // array node -> blob
      ObjectId v3 = update(v2, "new", json::value(large));  // an array node added
      ObjectId v4 = update(v3, "new", std::nullopt);        // and removed
      BOOST_TEST(v4.Hex() == v2.Hex());
      ObjectId v5 = update(v4, "d0", std::nullopt);  // a blob removed
      changed.clear();
      STRATA_CHECK_OK(ChangedMembers(store, v5, v3, changed));
      BOOST_TEST_REQUIRE(changed.size() == 2u);
      BOOST_TEST(changed[0].key == "d0");
      BOOST_TEST((!changed[0].a && changed[0].b));
      BOOST_TEST(changed[1].key == "new");
      BOOST_TEST((!changed[1].a && changed[1].b && changed[1].b->is_array));
    }
  }
}

// Random edit histories: the diff between any two versions applies.
BOOST_AUTO_TEST_CASE(random_edits) {
  for (std::uint32_t seed : {31u, 32u, 33u}) {
    TempRepo repo;
    ObjectStore& store = repo.store();
    testing::RandomJson gen(seed);
    testing::RandomPatches patches(gen);
    json::value state = json::object();
    for (int i = 0; i < 15; ++i) state.as_object()[gen.Key()] = gen.AnyValue();
    std::vector<ObjectId> versions{Encode(store, state)};
    for (int round = 0; round < 20; ++round) {
      BOOST_TEST_CONTEXT("seed " << seed << " round " << round) {
        Patch patch;
        for (int i = gen.Int(1, 6); i > 0; --i) {
          PatchOp op = patches.Op(state);
          if (ApplyPatch(state, Patch{op}).ok()) patch.push_back(std::move(op));
        }
        StateEditor editor(store, versions.back());
        STRATA_CHECK_OK(ApplyPatch(editor, patch));
        versions.push_back(editor.Write().value());
        CheckDiff(store, versions[versions.size() - 2], versions.back());
        CheckDiff(store, versions.back(), versions[versions.size() - 2]);
        std::size_t other =
            static_cast<std::size_t>(gen.Int(0, static_cast<int>(versions.size()) - 1));
        CheckDiff(store, versions[other], versions.back());
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
