// Format 4's leaves (objects/tree_codec.h): the small members of a large
// object are held in blobs of up to kLeafMaxBytes, one per shard bucket,
// and every history of edits gives the ids a fresh encoding gives.
#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "objects/sha1.h"
#include "objects/state_editor.h"
#include "objects/tree_codec.h"
#include "objects/tree_diff.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::TempRepo;

// What the objects below a stored node are: trees, leaves (blobs named as
// buckets) and member blobs, with the largest leaf.
struct Census {
  std::size_t trees = 0, leaves = 0, blobs = 0, largest_leaf = 0, leaf_members = 0;
};

void Count(ObjectStore& store, const ObjectId& tree, Census& c) {
  ++c.trees;
  Result<std::vector<TreeEntry>> entries = store.ReadTree(tree);
  STRATA_CHECK_OK(entries);
  for (const TreeEntry& e : *entries) {
    if (e.is_tree) {
      Count(store, e.id, c);
    } else if (e.name[0] == '.') {
      ++c.leaves;
      std::string text = store.ReadBlob(e.id).value();
      c.largest_leaf = std::max(c.largest_leaf, text.size());
      c.leaf_members += ParseJson(text).value().get_object().size();
    } else {
      ++c.blobs;
    }
  }
}

// An object of `n` members of about 100 bytes each.
json::object Wide(int n, const std::string& tag = "") {
  json::object o;
  for (int i = 0; i < n; ++i) {
    o["key" + std::to_string(i)] =
        json::object{{"name", "member " + std::to_string(i) + tag},
                     {"n", i},
                     {"pad", "0123456789abcdef0123456789abcdef0123456789"}};
  }
  return o;
}

// The state {"doc": doc}.
json::object StateOf(json::object doc) {
  json::object state;
  state["doc"] = std::move(doc);
  return state;
}

// Applies `patch` with a new StateEditor on `root` and writes the result.
ObjectId Edit(ObjectStore& store, const ObjectId& root, const Patch& patch) {
  StateEditor editor(store, root);
  STRATA_CHECK_OK(ApplyPatch(editor, patch));
  Result<ObjectId> id = editor.Write();
  STRATA_CHECK_OK(id);
  return *id;
}

// WriteValueText's text of `ref`, or its error.
Result<std::string> Printed(ObjectStore& store, const ValueRef& ref, const FormatOptions& options) {
  std::string text;
  STRATA_RETURN_IF_ERROR(WriteValueText(store, ref, options, [&](std::string_view piece) {
    text += piece;
    return Status::Ok();
  }));
  return text;
}

// Checks that `ref` decodes to `expected` and prints, compact, indented and
// coloured, as FormatJson prints it.
void CheckPrints(ObjectStore& store, const ValueRef& ref, const json::value& expected) {
  const json::value back = DecodeValue(store, ref).value();
  BOOST_TEST(Equal(back, expected));
  for (const FormatOptions& options :
       {FormatOptions{0, false}, FormatOptions{2, false}, FormatOptions{0, true}}) {
    Result<std::string> text = Printed(store, ref, options);
    STRATA_CHECK_OK(text);
    BOOST_TEST(*text == FormatJson(back, options));
  }
}

// The ref of the document in state `state`.
ValueRef Doc(ObjectStore& store, const ObjectId& state) {
  Result<std::optional<ValueRef>> doc = FindMember(store, state, "doc");
  STRATA_CHECK_OK(doc);
  BOOST_TEST_REQUIRE(doc->has_value());
  return **doc;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(leaves)

BOOST_FIXTURE_TEST_CASE(a_wide_object_is_leaves_not_a_blob_per_member, TempRepo) {
  BOOST_TEST_REQUIRE(store().format() == 4);
  const json::object doc = Wide(20000);
  Result<ObjectId> state = EncodeState(store(), StateOf(doc));
  STRATA_CHECK_OK(state);
  const ValueRef ref = Doc(store(), *state);
  BOOST_TEST_REQUIRE(ref.is_tree);
  Census c;
  Count(store(), ref.id, c);
  // 20,000 members of ~100 bytes (2 MB) in leaves of at most 8 KiB: a few
  // hundred to a few thousand objects, none of them a member's own blob.
  BOOST_TEST(c.blobs == 0u);
  BOOST_TEST(c.leaf_members == 20000u);
  BOOST_TEST(c.largest_leaf <= kLeafMaxBytes);
  BOOST_TEST(c.leaves + c.trees < 5000u);
  BOOST_TEST(c.leaves * kLeafMaxBytes >= 2000000u);
  // It reads back, whole and a member at a time, with each member's ref
  // the id its value has as a blob.
  Result<json::value> back = DecodeValue(store(), ref);
  STRATA_CHECK_OK(back);
  BOOST_TEST(Equal(*back, json::value(doc)));
  for (int i : {0, 1, 777, 19999}) {
    const std::string key = "key" + std::to_string(i);
    Result<std::optional<ValueRef>> m = FindMember(store(), ref.id, key);
    STRATA_CHECK_OK(m);
    BOOST_TEST_REQUIRE(m->has_value());
    const std::string text = CanonicalJson(doc.at(key));
    BOOST_TEST((**m).id.Hex() == HashObject(text, GIT_OBJECT_BLOB).Hex());
    BOOST_TEST(Equal(DecodeValue(store(), **m).value(), doc.at(key)));
  }
  BOOST_TEST(!FindMember(store(), ref.id, "key20000").value().has_value());
  std::vector<Member> members;
  STRATA_CHECK_OK(ReadMembers(store(), ref.id, members));
  BOOST_TEST(members.size() == 20000u);
  for (const Member& m : members) {
    BOOST_TEST_REQUIRE(m.ref.carries_text());
    BOOST_TEST_REQUIRE(m.ref.id.Hex() == HashObject(m.ref.text(), GIT_OBJECT_BLOB).Hex());
  }
}

BOOST_FIXTURE_TEST_CASE(format_3_and_the_state_root_have_no_leaves, TempRepo) {
  json::object state;
  for (int i = 0; i < 2000; ++i) state["d" + std::to_string(i)] = i;
  Census root;
  Count(store(), EncodeState(store(), state).value(), root);
  BOOST_TEST(root.leaves == 0u);
  BOOST_TEST(root.blobs == 2000u);
  store().set_format(3);
  Census doc;
  Count(store(), Doc(store(), EncodeState(store(), StateOf(Wide(2000))).value()).id, doc);
  BOOST_TEST(doc.leaves == 0u);
  BOOST_TEST(doc.blobs == 2000u);
}

BOOST_FIXTURE_TEST_CASE(a_member_too_large_for_a_leaf_is_a_leaf_alone, TempRepo) {
  // Blob values larger than a leaf: strings, and objects nested too deep to
  // be trees are blobs too; a bucket splits until each is alone.
  json::object doc = Wide(300);
  doc["big1"] = std::string(kLeafMaxBytes + 10, 'x');
  doc["big2"] = std::string(3 * kLeafMaxBytes, 'y');
  const ObjectId state = EncodeState(store(), StateOf(doc)).value();
  Census c;
  Count(store(), Doc(store(), state).id, c);
  BOOST_TEST(c.blobs == 0u);
  BOOST_TEST(c.largest_leaf > 3 * kLeafMaxBytes);
  BOOST_TEST(c.leaf_members == 302u);
  BOOST_TEST(Equal(DecodeValue(store(), Doc(store(), state)).value(), json::value(doc)));
}

BOOST_FIXTURE_TEST_CASE(a_bucket_holding_an_object_node_is_a_tree, TempRepo) {
  json::object doc = Wide(400);
  doc["node"] = Wide(50, "inner");  // larger than a blob: an object node
  const ObjectId state = EncodeState(store(), StateOf(doc)).value();
  Census c;
  Count(store(), Doc(store(), state).id, c);
  // The node's 50 members are a flat tree of blobs (a node's top has no
  // leaves); the bucket that holds it is a tree, its other members blobs.
  BOOST_TEST(c.leaf_members + c.blobs == 450u);
  BOOST_TEST(c.blobs > 50u);
  BOOST_TEST(c.leaf_members > 300u);
  BOOST_TEST(Equal(DecodeValue(store(), Doc(store(), state)).value(), json::value(doc)));
}

// The central invariant, where leaves split, merge and turn into trees and
// back: after every edit the state's id is the one a fresh encoding gives.
BOOST_FIXTURE_TEST_CASE(every_history_of_edits_gives_the_fresh_ids, TempRepo) {
  std::mt19937 rng(42);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  json::object doc = Wide(600);
  ObjectId state = EncodeState(store(), StateOf(doc)).value();
  for (int round = 0; round < 120; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      Patch patch;
      const int ops = 1 + pick(round % 10 == 0 ? 400 : 8);
      for (int i = 0; i < ops; ++i) {
        const std::string key = "key" + std::to_string(pick(900));
        const JsonPointer path = JsonPointer::Parse("/doc/" + key).value();
        const bool present = doc.contains(key);
        json::value value;
        switch (pick(6)) {
          case 0:
            value = json::object{{"name", "changed " + std::to_string(round)}, {"n", round}};
            break;
          case 1:
            value = std::string(static_cast<std::size_t>(pick(3 * kLeafMaxBytes)), 'l');
            break;
          case 2:
            value = Wide(30 + pick(40), "node");  // an object node
            break;
          case 3:
            value = round;
            break;
          default:
            if (present) {
              patch.push_back(PatchOp{PatchOpKind::kRemove, path, {}, {}});
              doc.erase(key);
              continue;
            }
            value = "back";
        }
        patch.push_back(
            PatchOp{present ? PatchOpKind::kReplace : PatchOpKind::kAdd, path, {}, value});
        doc[key] = value;
      }
      // Rounds that empty most of the document, so nodes collapse.
      if (round == 60) {
        for (auto it = doc.begin(); it != doc.end();) {
          if (pick(10) < 9) {
            patch.push_back(PatchOp{PatchOpKind::kRemove,
                                    JsonPointer::Parse("/doc/" + std::string(it->key())).value(),
                                    {},
                                    {}});
            it = doc.erase(it);
          } else {
            ++it;
          }
        }
      }
      const ObjectId before = state;
      state = Edit(store(), state, patch);
      Result<ObjectId> fresh = EncodeState(store(), StateOf(doc));
      STRATA_CHECK_OK(fresh);
      BOOST_TEST_REQUIRE(state.Hex() == fresh->Hex());
      BOOST_TEST_REQUIRE(
          Equal(DecodeValue(store(), Doc(store(), state)).value(), json::value(doc)));
      // The diff from the state before is the patch's effect.
      Patch diff;
      STRATA_CHECK_OK(DiffStates(store(), before, state, diff));
      json::value replayed = DecodeValue(store(), ValueRef{before, true}).value();
      STRATA_CHECK_OK(ApplyPatch(replayed, diff));
      BOOST_TEST_REQUIRE(Equal(replayed, json::value(StateOf(doc))));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_one_field_change_rewrites_one_leaf_and_its_path, TempRepo) {
  json::object doc = Wide(100000);
  const ObjectId state = EncodeState(store(), StateOf(doc)).value();
  const std::uint64_t objects = store().written_objects();
  const std::uint64_t bytes = store().written_bytes();
  const ObjectId next =
      Edit(store(), state,
           Patch{PatchOp{PatchOpKind::kReplace, JsonPointer::Parse("/doc/key5/n").value(), {}, 6}});
  BOOST_TEST(!(next == state));
  // The leaf, the shard trees above it (4 levels at 100,000 members), the
  // document's top and the state's root: no more than 8 objects.
  BOOST_TEST(store().written_objects() - objects <= 8u);
  BOOST_TEST(store().written_bytes() - bytes <= 16384u);
  Patch diff;
  STRATA_CHECK_OK(DiffStates(store(), state, next, diff));
  BOOST_TEST_REQUIRE(diff.size() == 1u);
  BOOST_TEST(diff[0].path.ToString() == "/doc/key5/n");
}

BOOST_FIXTURE_TEST_CASE(leaves_print_as_format_json_prints_with_any_key, TempRepo) {
  // Keys JSON escapes (quotes, backslashes, control bytes), UTF-8, and
  // values of every kind, in leaves; printed whole, compactly and not.
  json::object doc;
  const std::vector<std::string> odd = {"q\"uote", "back\\slash", "new\nline", "ctl\x01",
                                        "tab\t",   "caf\xc3\xa9", "",          "%2E.git"};
  for (int i = 0; i < 3000; ++i) {
    std::string key = odd[static_cast<std::size_t>(i) % odd.size()] + std::to_string(i);
    switch (i % 5) {
      case 0:
        doc[key] = i;
        break;
      case 1:
        doc[key] = "s\"" + std::to_string(i);
        break;
      case 2:
        doc[key] = json::array{1.5, nullptr, true, json::object{{"k\n", "v"}}};
        break;
      case 3:
        doc[key] = json::object{{"nested", json::array{}}, {"x", -0.25}};
        break;
      default:
        doc[key] = 1e21;
    }
  }
  const ObjectId state = EncodeState(store(), StateOf(doc)).value();
  const ValueRef ref = Doc(store(), state);
  Census c;
  Count(store(), ref.id, c);
  BOOST_TEST(c.blobs == 0u);
  BOOST_TEST(c.leaf_members == 3000u);
  CheckPrints(store(), ref, json::value(doc));
  for (const std::string& key : {odd[0] + "0", odd[3] + "3", odd[5] + "2997"}) {
    BOOST_TEST_CONTEXT(key) {
      Result<std::optional<ValueRef>> m = FindMember(store(), ref.id, key);
      STRATA_CHECK_OK(m);
      BOOST_TEST_REQUIRE(m->has_value());
      BOOST_TEST(Equal(DecodeValue(store(), **m).value(), doc.at(key)));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_wide_object_prints_as_format_json_prints, TempRepo) {
  // 40,000 members, so that WriteValueText reads the leaves on one thread
  // while it splits them on another, sorts them by radix and copies them
  // out in two lanes: keys alike in their first 16 bytes, keys JSON
  // escapes, the object inside a document beside other members; then the
  // same with objects stored as trees among the members.
  json::object wide;
  for (int i = 0; i < 40000; ++i) {
    const std::string key = i % 7 == 0 ? "esc\"aped\\" + std::to_string(i)
                                       : "member_with_a_long_prefix_" + std::to_string(i * 13);
    wide[key] = i % 3 == 0 ? json::value(i) : json::value("v" + std::to_string(i));
  }
  json::object with_trees = wide;
  for (int i = 0; i < 20; ++i) {
    json::object big;
    for (int j = 0; j < 300; ++j) big["f" + std::to_string(j)] = "value " + std::to_string(j);
    with_trees["tree_" + std::to_string(i * 1000)] = std::move(big);
  }
  for (const json::object* object : {&wide, &with_trees}) {
    BOOST_TEST_CONTEXT((object == &wide ? "leaves only" : "trees among them")) {
      json::object doc{{"a", 1}, {"wide", *object}, {"z", json::array{1, 2}}};
      const ObjectId state = EncodeState(store(), StateOf(doc)).value();
      const ValueRef ref = Doc(store(), state);
      Result<std::optional<ValueRef>> inner = FindMember(store(), ref.id, "wide");
      STRATA_CHECK_OK(inner);
      Census c;
      Count(store(), (*inner)->id, c);
      BOOST_TEST(c.leaves >= 64u);
      // A bucket holding a tree keeps its other members as blobs.
      BOOST_TEST((c.blobs == 0) == (object == &wide));
      CheckPrints(store(), ref, json::value(doc));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_corrupt_leaf_is_corruption, TempRepo) {
  for (const char* text : {"{", "[1]", "{}", "3"}) {
    BOOST_TEST_CONTEXT(text) {
      const ObjectId leaf = store().WriteBlob(text).value();
      const ObjectId node = store().WriteTree({{".0", leaf, false}}).value();
      const ValueRef ref{node, true};
      BOOST_TEST((DecodeValue(store(), ref).status().code() == Code::kCorruption));
      std::vector<Member> members;
      BOOST_TEST((ReadMembers(store(), node, members).code() == Code::kCorruption));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(keys_that_share_their_first_bytes_print_in_order, TempRepo) {
  // WriteValueText sorts by the bytes past those every key shares, guessed
  // as the members come: all keys alike for 30 bytes; then the same with a
  // few keys that share less (one the shared bytes themselves), met
  // wherever their hash puts them.
  json::object shared;
  for (int i = 0; i < 30000; ++i) {
    shared["a_prefix_thirty_bytes_long____" + std::to_string(i * 7)] = i;
  }
  json::object fewer = shared;
  fewer["a_prefix_thirty_bytes_long____"] = "the shared bytes";
  fewer["a_prefix"] = "shorter";
  fewer["a_prefix_thirty_bytes_long___"] = "one byte short";
  fewer["b"] = "another first byte";
  for (const json::object* object : {&shared, &fewer}) {
    BOOST_TEST_CONTEXT((object == &shared ? "all share 30 bytes" : "some share fewer")) {
      const ObjectId state = EncodeState(store(), StateOf(*object)).value();
      const ValueRef ref = Doc(store(), state);
      CheckPrints(store(), ref, json::value(*object));
    }
  }
}

// Found in review: WriteValueText keeps each leaf in an arena of 64 KiB
// chunks and asked the arena where an empty leaf (a corrupt one) lay; after
// a leaf that filled a chunk exactly, that was past the last chunk (ASan:
// heap-buffer-overflow). It is a corrupt node, said so.
BOOST_FIXTURE_TEST_CASE(regression_an_empty_leaf_after_a_full_chunk_is_corruption, TempRepo) {
  const std::string full = "{\"k\":\"" + std::string(65536 - 8, 'x') + "\"}";
  BOOST_TEST_REQUIRE(full.size() == 65536u);
  const ObjectId first = store().WriteBlob(full).value();
  const ObjectId empty = store().WriteBlob("").value();
  const ObjectId node = store().WriteTree({{".0", first, false}, {".1", empty, false}}).value();
  Result<std::string> text = Printed(store(), ValueRef{node, true}, FormatOptions{0, false});
  BOOST_TEST((text.status().code() == Code::kCorruption));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
