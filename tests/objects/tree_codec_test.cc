#include "objects/tree_codec.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "objects/state_editor.h"
#include "objects/tree_diff.h"
#include "tests/objects/temp_repo.h"
#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::J;
using testing::P;
using testing::TempRepo;

// The central invariant: the state `expected` is stored as exactly the tree
// EncodeState gives for it, whatever history produced `id`, and reads back.
void CheckState(ObjectStore& store, const ObjectId& id, const json::value& expected) {
  Result<ObjectId> fresh = EncodeState(store, expected.get_object());
  STRATA_CHECK_OK(fresh);
  BOOST_TEST(id.Hex() == fresh->Hex());
  Result<json::value> back = DecodeValue(store, ValueRef{id, true});
  STRATA_CHECK_OK(back);
  BOOST_TEST(Equal(*back, expected));
}

// Applies `patch` with a new StateEditor on `root` and writes the result.
ObjectId Edit(ObjectStore& store, std::optional<ObjectId> root, const Patch& patch) {
  StateEditor editor(store, root);
  STRATA_CHECK_OK(ApplyPatch(editor, patch));
  Result<ObjectId> id = editor.Write();
  STRATA_CHECK_OK(id);
  return *id;
}

ObjectId Encode(ObjectStore& store, const json::value& state) {
  Result<ObjectId> id = EncodeState(store, state.get_object());
  STRATA_CHECK_OK(id);
  return *id;
}

std::vector<TreeEntry> Entries(ObjectStore& store, const ObjectId& id) {
  Result<std::vector<TreeEntry>> e = store.ReadTree(id);
  STRATA_CHECK_OK(e);
  return *e;
}

bool IsShard(const std::vector<TreeEntry>& entries) {
  return !entries.empty() && entries.front().name[0] == '.';
}

// The entry for `key` in the root tree of `state`, which must be sharded.
TreeEntry Bucket(ObjectStore& store, const ObjectId& state, const std::string& key) {
  std::string name = BucketName(KeyHash(key), 0, WriteShape(store));
  for (const TreeEntry& e : Entries(store, state)) {
    if (e.name == name) return e;
  }
  BOOST_FAIL("no bucket " << name);
  return {};
}

std::vector<std::string> EscapeCases() {
  std::vector<std::string> keys = testing::TrickyKeys();
  for (int c = 0; c < 256; ++c) {
    keys.push_back(std::string(1, static_cast<char>(c)));
    keys.push_back("a" + std::string(1, static_cast<char>(c)) + "b");
  }
  for (std::string k : {"%25", "%2E.", "a.b", "..a", "\xef\xbb\xbf.git", "\xe2\x81\xaf.git",
                        "\xe2\x80\xaa\xe2\x80\x8c.git", "x\xe2\x80\x8c.git", "GIT~1", ".GIT"}) {
    keys.push_back(k);
  }
  return keys;
}

bool StartsWithHfsIgnorable(const std::string& s) {
  for (std::string p : {"\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x80\x8e", "\xe2\x80\x8f",
                        "\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad",
                        "\xe2\x80\xae", "\xe2\x81\xaa", "\xe2\x81\xab", "\xe2\x81\xac",
                        "\xe2\x81\xad", "\xe2\x81\xae", "\xe2\x81\xaf", "\xef\xbb\xbf"}) {
    if (s.rfind(p, 0) == 0) return true;
  }
  return false;
}

// An object of `n` members, "m0".."m{n-1}", each a short string.
json::value RandomJsonWide(int n) {
  json::object o;
  for (int i = 0; i < n; ++i) o["m" + std::to_string(i)] = "member " + std::to_string(i);
  return o;
}

// [0, 1, ..., n-1]
json::array Numbers(int n) {
  json::array a;
  for (int i = 0; i < n; ++i) a.push_back(i);
  return a;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(tree_codec)

BOOST_AUTO_TEST_CASE(escape_examples) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "%"},
      {".", "%2E"},
      {"..", "%2E."},
      {".git", "%2Egit"},
      {"a.b", "a.b"},
      {"a/b", "a%2Fb"},
      {"%", "%25"},
      {"~", "%7E"},
      {"\x01", "%01"},
      {"\x7f", "%7F"},
      {"git~1", "git%7E1"},
      {"a\\.git", "a%5C.git"},
      {"\xe2\x80\x8c.git", "%E2%80%8C.git"},
      {"x\xe2\x80\x8c", "x\xe2\x80\x8c"},
      {"\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"},
      {"config app", "config app"},
  };
  for (const auto& [key, name] : cases) {
    BOOST_TEST(EscapeKey(key) == name);
  }
}

BOOST_AUTO_TEST_CASE(escape_round_trips_and_is_injective) {
  std::set<std::string> names;
  std::vector<std::string> keys = EscapeCases();
  std::set<std::string> distinct(keys.begin(), keys.end());
  for (const std::string& key : distinct) {
    std::string name = EscapeKey(key);
    Result<std::string> back = UnescapeKey(name);
    STRATA_CHECK_OK(back);
    BOOST_TEST(*back == key, "key of " << key.size() << " bytes, name " << name);
    names.insert(name);
  }
  BOOST_TEST(names.size() == distinct.size());
}

BOOST_AUTO_TEST_CASE(escaped_names_are_valid_git_entry_names) {
  for (const std::string& key : EscapeCases()) {
    std::string name = EscapeKey(key);
    BOOST_TEST_CONTEXT("name " << name) {
      BOOST_TEST(!name.empty());
      BOOST_TEST(name.find('/') == std::string::npos);
      BOOST_TEST(name.find('\0') == std::string::npos);
      BOOST_TEST(name.find('\\') == std::string::npos);
      BOOST_TEST(name.find('~') == std::string::npos);
      BOOST_TEST(name[0] != '.');
      BOOST_TEST(!StartsWithHfsIgnorable(name));
    }
  }
}

BOOST_AUTO_TEST_CASE(unescape_refuses_names_strata_never_writes) {
  for (std::string name : {"", ".x", ".ab", "%4", "%G1", "ab%", "a%2", "%%"}) {
    Result<std::string> key = UnescapeKey(name);
    BOOST_TEST_CONTEXT("name '" << name << "'") {
      BOOST_TEST_REQUIRE(!key.ok());
      BOOST_TEST((key.status().code() == Code::kCorruption));
    }
  }
}

// Regression: keys like "a\\.git" and "\u200c.git" made trees that
// `git fsck --strict` refuses (hasDotgit).
BOOST_FIXTURE_TEST_CASE(git_fsck_accepts_every_key, TempRepo) {
  json::object state;
  json::object wide;  // a document stored as a tree, one entry per key
  int i = 0;
  for (const std::string& key : EscapeCases()) {
    if (!ParseJson(CanonicalJson(json::value(json::string(key)))).ok()) continue;  // not UTF-8
    state[key] = i;
    wide[key] = std::string(20, 'x') + std::to_string(i++);
  }
  state["wide"] = wide;
  ObjectId id = Encode(store(), json::value(state));
  std::vector<Member> members;
  STRATA_CHECK_OK(ReadMembers(store(), id, members));
  BOOST_TEST(members.size() > 100u);
  STRATA_CHECK_OK(store().Flush());
  std::string output;
  int status = Fsck(output);
  BOOST_TEST(status == 0, output);
  BOOST_TEST(output.find("error") == std::string::npos, output);
  BOOST_TEST(output.find("warning") == std::string::npos, output);
}

BOOST_AUTO_TEST_CASE(key_hash_is_pinned) {
  // Part of the on-disk format: these values must never change.
  BOOST_TEST(KeyHash("") == 0xefd01f60ba992926u);
  BOOST_TEST(KeyHash("a") == 0x82a2a958a9bece5bu);
  BOOST_TEST(KeyHash("config/app1") == 0x81bc63f93eb61723u);
  BOOST_TEST(KeyHash("\xc3\xa9") == 0x9d55ccb9ba86763bu);
  BOOST_TEST(BucketName(0x12ab000000000000u, 0, kByteShards) == ".12");
  BOOST_TEST(BucketName(0x12ab000000000000u, 1, kByteShards) == ".ab");
  BOOST_TEST(BucketName(0x00000000000000f0u, 7, kByteShards) == ".f0");
  BOOST_TEST(BucketName(0x12ab000000000000u, 0, kNibbleShards) == ".1");
  BOOST_TEST(BucketName(0x12ab000000000000u, 3, kNibbleShards) == ".b");
  BOOST_TEST(BucketName(0x00000000000000f0u, 14, kNibbleShards) == ".f");
  BOOST_TEST(BucketName(0x00000000000000f0u, 15, kNibbleShards) == ".0");
  BOOST_TEST((ShapeOfBucket(".a") == kNibbleShards));
  BOOST_TEST((ShapeOfBucket(".0f") == kByteShards));
  for (const char* bad : {".", ".g", ".A", ".abc", "a", ".0F", ""}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!ShapeOfBucket(bad).has_value()); }
  }
}

BOOST_FIXTURE_TEST_CASE(the_store_format_chooses_the_shard_shape, TempRepo) {
  BOOST_TEST(store().format() == ObjectStore::kNewestFormat);
  BOOST_TEST((WriteShape(store()) == kNibbleShards));
  for (int format : {1, 2}) {
    store().set_format(format);
    BOOST_TEST((WriteShape(store()) == kByteShards));
  }
  store().set_format(3);
  BOOST_TEST((WriteShape(store()) == kNibbleShards));
}

BOOST_FIXTURE_TEST_CASE(small_object_is_a_blob_of_canonical_json, TempRepo) {
  Result<ValueRef> ref = EncodeValue(store(), J(R"({"b":1,"a":[1.0,-0.0,{"y":2,"x":1}]})"), 1);
  STRATA_CHECK_OK(ref);
  BOOST_TEST(!ref->is_tree);
  BOOST_TEST(store().ReadBlob(ref->id).value() == R"({"a":[1,0,{"x":1,"y":2}],"b":1})");
}

BOOST_FIXTURE_TEST_CASE(objects_become_trees_just_past_kblobmaxbytes, TempRepo) {
  // {"a":"xx..."} is 8 bytes plus the string.
  json::object at_limit{{"a", std::string(kBlobMaxBytes - 8, 'x')}};
  json::object past_limit{{"a", std::string(kBlobMaxBytes - 7, 'x')}};
  BOOST_TEST_REQUIRE(CanonicalJson(json::value(at_limit)).size() == kBlobMaxBytes);
  Result<ValueRef> blob = EncodeValue(store(), json::value(at_limit), 1);
  Result<ValueRef> tree = EncodeValue(store(), json::value(past_limit), 1);
  STRATA_CHECK_OK(blob);
  STRATA_CHECK_OK(tree);
  BOOST_TEST(!blob->is_tree);
  BOOST_TEST(tree->is_tree);
  std::vector<TreeEntry> entries = Entries(store(), tree->id);
  BOOST_TEST_REQUIRE(entries.size() == 1u);
  BOOST_TEST(entries[0].name == "a");
  BOOST_TEST(!entries[0].is_tree);
  BOOST_TEST(store().ReadBlob(entries[0].id).value() ==
             "\"" + std::string(kBlobMaxBytes - 7, 'x') + "\"");
}

BOOST_FIXTURE_TEST_CASE(large_non_objects_and_deep_objects_stay_blobs, TempRepo) {
  json::value long_string(std::string(10000, 's'));
  json::value long_array(json::array(4000, json::value(12345)));
  json::value big = testing::RandomJson::Wide(300);
  BOOST_TEST(!EncodeValue(store(), long_string, 1).value().is_tree);
  // Format 2 stores a large array as an array node (array_node_test.cc).
  BOOST_TEST(EncodeValue(store(), long_array, 1).value().is_array);
  BOOST_TEST(!EncodeValue(store(), long_array, kMaxTreeDepth).value().is_tree);
  store().set_format(1);
  BOOST_TEST(!EncodeValue(store(), long_array, 1).value().is_tree);
  store().set_format(ObjectStore::kNewestFormat);
  BOOST_TEST(EncodeValue(store(), big, kMaxTreeDepth - 1).value().is_tree);
  BOOST_TEST(!EncodeValue(store(), big, kMaxTreeDepth).value().is_tree);
}

BOOST_FIXTURE_TEST_CASE(wide_objects_are_sharded_past_flat_max, TempRepo) {
  for (int format : {2, 3}) {
    store().set_format(format);
    const ShardShape shape = WriteShape(store());
    BOOST_TEST_CONTEXT("format " << format) {
      // Members of ~30 bytes: both objects are past kBlobMaxBytes.
      const std::string prefix(20, 'w');
      const int flat_max = static_cast<int>(shape.flat_max);
      json::value flat = testing::RandomJson::Wide(flat_max, prefix);
      json::value sharded = testing::RandomJson::Wide(flat_max + 1, prefix);
      Result<ValueRef> flat_ref = EncodeValue(store(), flat, 1);
      Result<ValueRef> shard_ref = EncodeValue(store(), sharded, 1);
      STRATA_CHECK_OK(flat_ref);
      STRATA_CHECK_OK(shard_ref);
      BOOST_TEST_REQUIRE(flat_ref->is_tree);
      BOOST_TEST_REQUIRE(shard_ref->is_tree);

      std::vector<TreeEntry> flat_entries = Entries(store(), flat_ref->id);
      BOOST_TEST(flat_entries.size() == shape.flat_max);
      for (const TreeEntry& e : flat_entries) BOOST_TEST(e.name[0] != '.');

      std::vector<TreeEntry> buckets = Entries(store(), shard_ref->id);
      const std::size_t fan_out = std::size_t{1} << shape.bits;
      BOOST_TEST(buckets.size() > fan_out * 2 / 5);
      BOOST_TEST(buckets.size() <= fan_out);
      std::size_t members = 0;
      for (const TreeEntry& bucket : buckets) {
        BOOST_TEST_CONTEXT("bucket " << bucket.name) {
          BOOST_TEST(bucket.is_tree);
          BOOST_TEST_REQUIRE(bucket.name.size() == (shape.bits == 4 ? 2u : 3u));
          BOOST_TEST(bucket.name[0] == '.');
          for (const TreeEntry& e : Entries(store(), bucket.id)) {
            std::string key = UnescapeKey(e.name).value();
            BOOST_TEST(BucketName(KeyHash(key), 0, shape) == bucket.name);
            ++members;
          }
        }
      }
      BOOST_TEST(members == shape.flat_max + 1);

      // ReadMembers flattens the shards; FindMember walks them.
      std::vector<Member> all;
      STRATA_CHECK_OK(ReadMembers(store(), shard_ref->id, all));
      BOOST_TEST(all.size() == shape.flat_max + 1);
      for (const Member& m : all) {
        Result<std::optional<ValueRef>> found = FindMember(store(), shard_ref->id, m.key);
        STRATA_CHECK_OK(found);
        BOOST_TEST_REQUIRE(found->has_value());
        BOOST_TEST(((**found) == m.ref));
        BOOST_TEST(store().ReadBlob(m.ref.id).value() == m.key.substr(prefix.size()));
      }
      BOOST_TEST(!FindMember(store(), shard_ref->id, prefix + "99999").value().has_value());
      BOOST_TEST(!FindMember(store(), flat_ref->id, prefix + "99999").value().has_value());
      BOOST_TEST(FindMember(store(), flat_ref->id, prefix + "7").value().has_value());
    }
  }
}

// Format 3 shards past 128 members, where an object may still be small
// enough for a blob: the encoding decides by size first, and an edit that
// shrinks a sharded object below kBlobMaxBytes makes it a blob, as
// EncodeValue would.
BOOST_FIXTURE_TEST_CASE(a_small_object_of_many_members_is_a_blob_however_edited, TempRepo) {
  json::object small;
  for (int i = 0; i < 200; ++i) small["k" + std::to_string(i)] = i % 10;  // ~1.6 KB
  BOOST_TEST_REQUIRE(CanonicalJson(json::value(small)).size() <= kBlobMaxBytes);
  BOOST_TEST(!EncodeValue(store(), json::value(small), 1).value().is_tree);
  json::value expected = json::object{{"doc", small}};
  expected.as_object()["doc"].as_object()["pad"] = std::string(1000, 'p');
  std::optional<ObjectId> id = Encode(store(), expected);
  BOOST_TEST_REQUIRE(IsShard(Entries(store(), FindMember(store(), *id, "doc").value()->id)));
  Patch patch{PatchOp{PatchOpKind::kRemove, JsonPointer({"doc", "pad"}), {}, {}}};
  id = Edit(store(), id, patch);
  STRATA_CHECK_OK(ApplyPatch(expected, patch));
  CheckState(store(), *id, expected);
  BOOST_TEST(!FindMember(store(), *id, "doc").value()->is_tree);
}

BOOST_FIXTURE_TEST_CASE(encode_decode_round_trips, TempRepo) {
  std::vector<json::value> values = {
      J("null"),
      J("true"),
      J("-0.0"),
      J("1e100"),
      J("18446744073709551615"),
      J("\"\\u0000\""),
      J("[]"),
      J("{}"),
      J(R"({"a":[1,{"b":null}],"":{"":""}})"),
      testing::RandomJson::Wide(3000),
      testing::RandomJson::Wide(40000),
  };
  json::object tricky;
  for (const std::string& key : testing::TrickyKeys()) {
    tricky[key] = json::object{{key, std::string(200, 'v')}};
  }
  values.push_back(tricky);
  // 2000-deep nesting, large enough at every level that the top 31 levels
  // are trees.
  json::value deep(std::string(100, 'z'));
  for (int i = 0; i < 2000; ++i) deep = json::object{{"k", deep}, {"p", std::string(i % 7, 'p')}};
  values.push_back(deep);
  json::value deep_array = 1;
  for (int i = 0; i < 2000; ++i) deep_array = json::array{deep_array};
  values.push_back(json::object{{"a", deep_array}, {"pad", std::string(3000, 'q')}});
  testing::RandomJson gen(11);
  for (int i = 0; i < 50; ++i) values.push_back(gen.AnyValue());

  for (std::size_t i = 0; i < values.size(); ++i) {
    BOOST_TEST_CONTEXT("value " << i) {
      Result<ValueRef> ref = EncodeValue(store(), values[i], 1);
      STRATA_CHECK_OK(ref);
      Result<json::value> back = DecodeValue(store(), *ref);
      STRATA_CHECK_OK(back);
      BOOST_TEST(Equal(*back, values[i]));
      BOOST_TEST(CanonicalJson(*back) == CanonicalJson(values[i]));
      // Encoding again stages nothing new.
      std::size_t staged = store().staged_objects();
      BOOST_TEST((EncodeValue(store(), *back, 1).value() == *ref));
      BOOST_TEST(store().staged_objects() == staged);
    }
  }
}

// A repository holding objects strata did not write reads as Corruption,
// never as a wrong value.
BOOST_FIXTURE_TEST_CASE(foreign_objects_are_corruption, TempRepo) {
  ObjectId good = store().WriteBlob("1").value();
  ObjectId bad_json = store().WriteBlob("{\"a\":").value();
  ObjectId bucket = store().WriteTree({{"k", good, false}}).value();
  std::string symlink_tree = "120000 link";
  symlink_tree.push_back('\0');
  symlink_tree.append(reinterpret_cast<const char*>(good.bytes), GIT_OID_RAWSZ);
  struct Case {
    std::string what;
    ValueRef ref;
  };
  const std::vector<Case> cases = {
      {"a blob that is not JSON", {bad_json, false}},
      {"a tree holding a blob that is not JSON",
       {store().WriteTree({{"a", bad_json, false}}).value(), true}},
      {"a blob read as a tree", {good, true}},
      {"a tree read as a blob", {bucket, false}},
      {"a name with a bad escape", {store().WriteTree({{"%G0", good, false}}).value(), true}},
      {"a bucket beside members",
       {store().WriteTree({{".ab", bucket, true}, {"x", good, false}}).value(), true}},
      {"a bucket that is a blob", {store().WriteTree({{".ab", good, false}}).value(), true}},
      {"a symlink entry", {store().WriteObject(symlink_tree, GIT_OBJECT_TREE).value(), true}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      Result<json::value> v = DecodeValue(store(), c.ref);
      BOOST_TEST_REQUIRE(!v.ok());
      BOOST_TEST((v.status().code() == Code::kCorruption), v.status().message());
    }
  }
  // A tree nested deeper than strata ever writes.
  ObjectId deep = store().WriteTree({{"a", good, false}}).value();
  for (int i = 0; i < kMaxTreeDepth + 2; ++i) deep = store().WriteTree({{"a", deep, true}}).value();
  BOOST_TEST((DecodeValue(store(), ValueRef{deep, true}).status().code() == Code::kCorruption));
}

BOOST_FIXTURE_TEST_CASE(equal_states_give_equal_ids, TempRepo) {
  json::object a, b;
  a["x"] = J(R"({"n":1,"m":[1.0,2]})");
  a["y"] = testing::RandomJson::Wide(600);
  a["z"] = 1e19;
  b["z"] = std::uint64_t{10000000000000000000u};
  b["y"] = testing::RandomJson::Wide(600);
  b["x"] = J(R"({"m":[1,2.0],"n":1.0})");
  BOOST_TEST(Encode(store(), json::value(a)).Hex() == Encode(store(), json::value(b)).Hex());
  b["x"].as_object()["n"] = 2;
  BOOST_TEST(Encode(store(), json::value(a)).Hex() != Encode(store(), json::value(b)).Hex());
  BOOST_TEST(Encode(store(), J("{}")).Hex() == "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
}

BOOST_FIXTURE_TEST_CASE(op_order_does_not_change_the_id, TempRepo) {
  Patch forward = P(R"([
    {"op":"add","path":"/a","value":{"x":1}},
    {"op":"add","path":"/b","value":[1,2]},
    {"op":"add","path":"/a/y","value":"s"},
    {"op":"add","path":"/c","value":null}])");
  Patch backward = P(R"([
    {"op":"add","path":"/c","value":null},
    {"op":"add","path":"/b","value":[1]},
    {"op":"add","path":"/b/-","value":2},
    {"op":"add","path":"/a","value":{"y":"s"}},
    {"op":"add","path":"/a/x","value":1.0}])");
  ObjectId one = Edit(store(), std::nullopt, forward);
  ObjectId two = Edit(store(), std::nullopt, backward);
  BOOST_TEST(one.Hex() == two.Hex());
  CheckState(store(), one, J(R"({"a":{"x":1,"y":"s"},"b":[1,2],"c":null})"));
}

BOOST_FIXTURE_TEST_CASE(adding_then_removing_restores_the_id, TempRepo) {
  json::value state = J(R"({"doc":{"a":1}})");
  state.as_object()["big"] = testing::RandomJson::Wide(700);
  ObjectId base = Encode(store(), state);
  ObjectId added = Edit(store(), base, P(R"([
    {"op":"add","path":"/new","value":{"q":1}},
    {"op":"add","path":"/doc/b","value":2},
    {"op":"add","path":"/big/extra","value":[1]}])"));
  BOOST_TEST(added.Hex() != base.Hex());
  ObjectId removed = Edit(store(), added, P(R"([
    {"op":"remove","path":"/big/extra"},
    {"op":"remove","path":"/doc/b"},
    {"op":"remove","path":"/new"}])"));
  BOOST_TEST(removed.Hex() == base.Hex());
  // In one editor too.
  ObjectId same = Edit(store(), base, P(R"([
    {"op":"add","path":"/big/k1","value":"changed"},
    {"op":"add","path":"/tmp","value":1},
    {"op":"remove","path":"/tmp"},
    {"op":"replace","path":"/big/k1","value":1}])"));
  BOOST_TEST(same.Hex() == base.Hex());
}

// Grows one document member by member past kBlobMaxBytes and then past
// the flat limit of each shard shape, then shrinks it back, one editor per
// round.
BOOST_FIXTURE_TEST_CASE(growing_past_the_thresholds_and_back, TempRepo) {
  for (int format : {2, 3}) {
    store().set_format(format);
    json::value expected = J(R"({"doc":{},"other":1})");
    std::optional<ObjectId> id = Encode(store(), expected);
    auto round = [&](const Patch& patch) {
      id = Edit(store(), id, patch);
      STRATA_CHECK_OK(ApplyPatch(expected, patch));
      CheckState(store(), *id, expected);
    };
    const int kMax = static_cast<int>(WriteShape(store()).flat_max) + 90;
    for (int n = 0; n < kMax; n += 30) {
      Patch patch;
      for (int i = n; i < n + 30 && i < kMax; ++i) {
        patch.push_back(PatchOp{
            PatchOpKind::kAdd, JsonPointer({"doc", "m" + std::to_string(i)}), {}, json::value(i)});
      }
      round(patch);
    }
    BOOST_TEST(IsShard(Entries(store(), FindMember(store(), *id, "doc").value()->id)));
    for (int n = kMax; n > 0; n -= 45) {
      Patch patch;
      for (int i = n - 1; i >= n - 45 && i >= 0; --i) {
        patch.push_back(
            PatchOp{PatchOpKind::kRemove, JsonPointer({"doc", "m" + std::to_string(i)}), {}, {}});
      }
      round(patch);
    }
    BOOST_TEST(id->Hex() == Encode(store(), J(R"({"doc":{},"other":1})")).Hex());
  }
}

BOOST_FIXTURE_TEST_CASE(growing_a_string_past_kblobmaxbytes_and_back, TempRepo) {
  json::value expected = J(R"({"doc":{"s":"","inner":{"t":""}}})");
  std::optional<ObjectId> id = Encode(store(), expected);
  auto round = [&](const Patch& patch) {
    id = Edit(store(), id, patch);
    STRATA_CHECK_OK(ApplyPatch(expected, patch));
    CheckState(store(), *id, expected);
  };
  for (int len : {1000, 2000, 2030, 2040, 2041, 2050, 3000, 500, 2041, 0}) {
    round(Patch{PatchOp{PatchOpKind::kReplace,
                        JsonPointer({"doc", "s"}),
                        {},
                        json::value(std::string(static_cast<std::size_t>(len), 'a'))}});
  }
  // The inner object grows into a tree inside a tree, then shrinks, so the
  // document becomes a blob again.
  for (int len : {1500, 2500, 4000, 100, 0}) {
    round(Patch{PatchOp{PatchOpKind::kReplace,
                        JsonPointer({"doc", "inner", "t"}),
                        {},
                        json::value(std::string(static_cast<std::size_t>(len), 'b'))}});
  }
  BOOST_TEST(!FindMember(store(), *id, "doc").value()->is_tree);
}

BOOST_FIXTURE_TEST_CASE(the_state_root_grows_shards_and_shrinks, TempRepo) {
  json::value expected = json::object();
  std::optional<ObjectId> id;
  auto round = [&](const Patch& patch) {
    id = Edit(store(), id, patch);
    STRATA_CHECK_OK(ApplyPatch(expected, patch));
    CheckState(store(), *id, expected);
  };
  for (int n = 0; n < 700; n += 100) {
    Patch patch;
    for (int i = n; i < n + 100; ++i) {
      patch.push_back(
          PatchOp{PatchOpKind::kAdd, JsonPointer({"d" + std::to_string(i)}), {}, J(R"({"v":1})")});
    }
    round(patch);
  }
  BOOST_TEST(IsShard(Entries(store(), *id)));
  for (int n = 700; n > 0; n -= 150) {
    Patch patch;
    for (int i = n - 1; i >= n - 150 && i >= 0; --i) {
      patch.push_back(
          PatchOp{PatchOpKind::kRemove, JsonPointer({"d" + std::to_string(i)}), {}, {}});
    }
    round(patch);
  }
  BOOST_TEST(Entries(store(), *id).empty());
}

BOOST_FIXTURE_TEST_CASE(replacing_documents_between_trees_and_blobs, TempRepo) {
  json::value expected = json::object();
  expected.as_object()["d"] = testing::RandomJson::Wide(600);
  std::optional<ObjectId> id = Encode(store(), expected);
  const std::vector<json::value> values = {J("1"),           testing::RandomJson::Wide(100),
                                           J("[]"),          testing::RandomJson::Wide(513, "q"),
                                           J(R"({"a":{}})"), testing::RandomJson::Wide(600)};
  for (const json::value& v : values) {
    Patch patch{PatchOp{PatchOpKind::kReplace, JsonPointer({"d"}), {}, v}};
    id = Edit(store(), id, patch);
    STRATA_CHECK_OK(ApplyPatch(expected, patch));
    CheckState(store(), *id, expected);
  }
  // Nested member replaced by a large value, then by a small one.
  for (const json::value& v : values) {
    Patch patch{PatchOp{PatchOpKind::kAdd, JsonPointer({"d", "k5"}), {}, v}};
    id = Edit(store(), id, patch);
    STRATA_CHECK_OK(ApplyPatch(expected, patch));
    CheckState(store(), *id, expected);
  }
}

BOOST_FIXTURE_TEST_CASE(edits_at_and_below_kmaxtreedepth, TempRepo) {
  // Every level is large, so levels up to kMaxTreeDepth - 1 are trees and
  // the rest is one blob.
  json::value doc(std::string(50, 'z'));
  for (int i = 0; i < kMaxTreeDepth + 8; ++i) {
    doc = json::object{{"k", doc}, {"pad", std::string(2100, 'p')}};
  }
  json::value expected = json::object{{"doc", doc}};
  std::optional<ObjectId> id = Encode(store(), expected);
  for (int depth : {3, kMaxTreeDepth - 2, kMaxTreeDepth - 1, kMaxTreeDepth, kMaxTreeDepth + 4}) {
    std::vector<std::string> tokens{"doc"};
    for (int i = 1; i < depth; ++i) tokens.push_back("k");
    tokens.push_back("pad");
    Patch patch{PatchOp{PatchOpKind::kReplace, JsonPointer(tokens), {}, json::value(depth)}};
    BOOST_TEST_CONTEXT("depth " << depth) {
      id = Edit(store(), id, patch);
      STRATA_CHECK_OK(ApplyPatch(expected, patch));
      CheckState(store(), *id, expected);
    }
  }
}

// A state big enough that root buckets are sharded again (level 1): a
// bucket shrinks to the flat limit and becomes flat, then grows back; a
// flat bucket grows past the limit. For each shard shape.
BOOST_FIXTURE_TEST_CASE(second_level_shards_split_and_collapse, TempRepo) {
  for (int format : {2, 3}) {
    store().set_format(format);
    const ShardShape shape = WriteShape(store());
    BOOST_TEST_CONTEXT("format " << format) {
      // About 3% past the limit per root bucket: 135,000 documents (format
      // 2: 256 buckets of ~527) or 2,110 (format 3: 16 of ~132).
      const int docs =
          static_cast<int>(shape.flat_max * (std::size_t{1} << shape.bits) * 103 / 100);
      json::value expected = json::object();
      std::map<std::string, std::vector<std::string>> by_bucket;
      for (int i = 0; i < docs; ++i) {
        std::string key = "d" + std::to_string(i);
        expected.as_object()[key] = i;
        by_bucket[BucketName(KeyHash(key), 0, shape)].push_back(key);
      }
      std::string sharded, flat;
      for (const auto& [name, keys] : by_bucket) {
        if (keys.size() > shape.flat_max + 2 && sharded.empty()) sharded = name;
        if (keys.size() < shape.flat_max - 2 && flat.empty()) flat = name;
      }
      BOOST_TEST_REQUIRE(!sharded.empty());
      BOOST_TEST_REQUIRE(!flat.empty());
      std::optional<ObjectId> id = Encode(store(), expected);
      const std::vector<std::string>& big = by_bucket[sharded];
      BOOST_TEST(IsShard(Entries(store(), Bucket(store(), *id, big[0]).id)));
      BOOST_TEST(!IsShard(Entries(store(), Bucket(store(), *id, by_bucket[flat][0]).id)));

      auto round = [&](const Patch& patch) {
        id = Edit(store(), id, patch);
        STRATA_CHECK_OK(ApplyPatch(expected, patch));
        CheckState(store(), *id, expected);
      };
      // Shrink the sharded bucket to exactly the limit: it becomes flat.
      Patch shrink;
      for (std::size_t i = shape.flat_max; i < big.size(); ++i) {
        shrink.push_back(PatchOp{PatchOpKind::kRemove, JsonPointer({big[i]}), {}, {}});
      }
      round(shrink);
      BOOST_TEST(!IsShard(Entries(store(), Bucket(store(), *id, big[0]).id)));
      // One more member: sharded again.
      round(Patch{PatchOp{PatchOpKind::kAdd, JsonPointer({big.back()}), {}, json::value("back")}});
      BOOST_TEST(IsShard(Entries(store(), Bucket(store(), *id, big[0]).id)));
      // Grow the flat bucket past the limit with new keys that hash to it.
      Patch grow;
      std::size_t have = by_bucket[flat].size();
      for (int i = 0; have <= shape.flat_max; ++i) {
        std::string key = "n" + std::to_string(i);
        if (BucketName(KeyHash(key), 0, shape) != flat) continue;
        grow.push_back(PatchOp{PatchOpKind::kAdd, JsonPointer({key}), {}, json::value(i)});
        ++have;
      }
      round(grow);
      BOOST_TEST(IsShard(Entries(store(), Bucket(store(), *id, by_bucket[flat][0]).id)));
    }
  }
}

// A state written by format 2 (256-way shards) and edited by format 3: the
// edit re-shards the node it touches, so the result is what format 3 encodes
// for the same state, and diffs across the two shapes report the documents
// that changed, not every document.
BOOST_FIXTURE_TEST_CASE(format_3_edits_and_diffs_a_format_2_state, TempRepo) {
  json::value expected = json::object();
  for (int i = 0; i < 1500; ++i) expected.as_object()["d" + std::to_string(i)] = i;
  store().set_format(2);
  const ObjectId old_id = Encode(store(), expected);
  BOOST_TEST_REQUIRE(Entries(store(), old_id).front().name.size() == 3u);
  store().set_format(3);
  Patch patch{PatchOp{PatchOpKind::kReplace, JsonPointer({"d7"}), {}, json::value("seven")}};
  std::optional<ObjectId> id = Edit(store(), old_id, patch);
  STRATA_CHECK_OK(ApplyPatch(expected, patch));
  CheckState(store(), *id, expected);
  BOOST_TEST(Entries(store(), *id).front().name.size() == 2u);
  std::vector<MemberDiff> changed;
  STRATA_CHECK_OK(ChangedMembers(store(), old_id, *id, changed));
  BOOST_TEST_REQUIRE(changed.size() == 1u);
  BOOST_TEST(changed[0].key == "d7");
  Patch diff;
  STRATA_CHECK_OK(DiffStates(store(), old_id, *id, diff));
  BOOST_TEST(diff.size() == 1u);
}

// The node for `members`, built the plain way (each level's buckets in a
// map): the reference UpdateObject's and EncodeMembers' sorted build must match.
ObjectId ReferenceNode(ObjectStore& store, const std::vector<Member>& members, int level,
                       const ShardShape& shape) {
  if (members.size() <= shape.flat_max || level >= shape.levels()) {
    std::vector<TreeEntry> entries;
    for (const Member& m : members) {
      entries.push_back({MemberEntryName(m.key, m.ref), m.ref.id, m.ref.is_tree});
    }
    return store.WriteTree(std::move(entries)).value();
  }
  std::map<std::string, std::vector<Member>> buckets;
  for (const Member& m : members) buckets[BucketName(KeyHash(m.key), level, shape)].push_back(m);
  std::vector<TreeEntry> entries;
  for (const auto& [name, sub] : buckets) {
    entries.push_back({name, ReferenceNode(store, sub, level + 1, shape), true});
  }
  return store.WriteTree(std::move(entries)).value();
}

// A large object written from nothing (an import's state and metadata) is
// built from its members sorted by key hash: the same node, in both shard
// shapes, whichever way the changes are given, as the plain build.
BOOST_FIXTURE_TEST_CASE(a_large_object_built_from_nothing_is_the_canonical_node, TempRepo) {
  testing::RandomJson gen(7);
  for (int format : {1, 3}) {
    store().set_format(format);
    const ShardShape shape = WriteShape(store());
    for (std::size_t n : {shape.flat_max + 1, std::size_t{700}, std::size_t{5000}}) {
      BOOST_TEST_CONTEXT("format " << format << ", " << n << " members") {
        std::vector<Member> members;
        MemberChanges as_map;
        std::vector<MemberChange> as_list;
        std::set<std::string> keys(testing::TrickyKeys().begin(), testing::TrickyKeys().end());
        for (std::size_t i = 0; keys.size() < n; ++i) keys.insert("k" + std::to_string(i * 7919));
        std::size_t i = 0;
        for (const std::string& key : keys) {
          // Blobs, object nodes and array nodes, as documents are.
          json::value v = i % 97 == 0   ? json::value(testing::RandomJson::Wide(300))
                          : i % 89 == 0 ? json::value(json::array(900, json::value(i)))
                                        : gen.AnyValue();
          ++i;
          ValueRef ref = EncodeValue(store(), v, 1).value();
          members.push_back({key, ref});
          as_map.emplace(key, ref);
          as_list.emplace_back(key, ref);
        }
        // A removal of a key that is not there changes nothing.
        as_map.emplace("absent", std::nullopt);
        as_list.emplace_back("absent", std::nullopt);
        std::reverse(as_list.begin(), as_list.end());  // any order
        const ObjectId expected = ReferenceNode(store(), members, 0, shape);
        Result<ValueRef> from_map = UpdateObject(store(), std::nullopt, as_map, true);
        Result<ValueRef> from_list = UpdateObject(store(), std::nullopt, as_list, true);
        Result<ValueRef> encoded = EncodeMembers(store(), members, true);
        STRATA_CHECK_OK(from_map);
        STRATA_CHECK_OK(from_list);
        STRATA_CHECK_OK(encoded);
        BOOST_TEST(from_map->id.Hex() == expected.Hex());
        BOOST_TEST(from_list->id.Hex() == expected.Hex());
        BOOST_TEST(encoded->id.Hex() == expected.Hex());
        std::vector<Member> back;
        STRATA_CHECK_OK(ReadMembers(store(), expected, back));
        BOOST_TEST(back.size() == n);
      }
    }
  }
}

// Random edits through StateEditor, one editor per round on the id the
// last one wrote: after every round the id is the one EncodeState gives.
BOOST_AUTO_TEST_CASE(random_histories_give_canonical_ids) {
  for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    TempRepo repo;
    ObjectStore& store = repo.store();
    testing::RandomJson gen(seed);
    testing::RandomPatches patches(gen);
    json::value expected = json::object();
    for (int i = 0; i < 12; ++i) expected.as_object()[gen.Key()] = gen.AnyValue();
    std::optional<ObjectId> id = Encode(store, expected);
    for (int round = 0; round < 25; ++round) {
      BOOST_TEST_CONTEXT("seed " << seed << " round " << round) {
        Patch patch;
        json::value next = expected;
        int ops = gen.Int(1, 10);
        for (int i = 0; i < ops; ++i) {
          PatchOp op = patches.Op(next);
          if (ApplyPatch(next, Patch{op}).ok()) patch.push_back(std::move(op));
        }
        id = Edit(store, id, patch);
        expected = std::move(next);
        CheckState(store, *id, expected);
      }
    }
  }
}

// The text WriteValueText gives for `ref`, checked against FormatJson of
// the value decoded whole for each way of printing; every piece but the last
// is at least 64 KiB and none far past it unless one blob's text is.
void CheckValueText(ObjectStore& store, const ValueRef& ref) {
  Result<json::value> value = DecodeValue(store, ref);
  STRATA_CHECK_OK(value);
  for (const FormatOptions& options : {FormatOptions{0, false}, FormatOptions{2, false},
                                       FormatOptions{2, true}, FormatOptions{4, false}}) {
    BOOST_TEST_CONTEXT("indent " << options.indent << " color " << options.color) {
      std::vector<std::string> pieces;
      Status s = WriteValueText(store, ref, options, [&](std::string_view piece) {
        pieces.emplace_back(piece);
        return Status::Ok();
      });
      STRATA_CHECK_OK(s);
      std::string text;
      for (const std::string& piece : pieces) text += piece;
      BOOST_TEST(text == FormatJson(*value, options));
      for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
        BOOST_TEST(pieces[i].size() >= std::size_t{64} << 10);
        BOOST_TEST(pieces[i].size() <= std::size_t{80} << 10);
      }
    }
  }
}

BOOST_FIXTURE_TEST_CASE(value_text_is_what_format_json_prints, TempRepo) {
  // Object nodes flat and sharded, array nodes with runs, element nodes and
  // inner levels, values nested in both, empty containers in blobs, keys
  // that need escapes in git and in JSON.
  json::object big;
  for (int i = 0; i < 5000; ++i) big["key" + std::to_string(i)] = "v" + std::to_string(i * 7);
  json::array items;
  for (int i = 0; i < 20000; ++i) {
    items.push_back(json::object{{"id", i}, {"name", "item" + std::to_string(i)}});
    if (i % 997 == 0) items.push_back(RandomJsonWide(300));
    if (i % 1999 == 0) items.push_back(json::array{json::array(), json::value(Numbers(700))});
  }
  json::object nested;
  nested["%/.x\n\"q\""] = json::value(big);
  nested["items"] = json::value(items);
  nested["empty"] = json::object{{"o", json::object()}, {"a", json::array()}};
  nested[""] = json::value(std::string(3000, 'z'));
  nested["num"] = 1e21;
  const json::value doc(std::move(nested));
  Result<ValueRef> ref = EncodeValue(store(), doc, 1);
  STRATA_CHECK_OK(ref);
  BOOST_TEST(ref->is_tree);
  CheckValueText(store(), *ref);
  // Stored values of every kind the random generator makes.
  testing::RandomJson gen(7);
  for (int i = 0; i < 60; ++i) {
    BOOST_TEST_CONTEXT("random value " << i) {
      Result<ValueRef> r = EncodeValue(store(), gen.AnyValue(), 1);
      STRATA_CHECK_OK(r);
      CheckValueText(store(), *r);
    }
  }
  // A sink's error stops the walk and is what it returns.
  int calls = 0;
  Status failed = WriteValueText(store(), *ref, FormatOptions{2, false}, [&](std::string_view) {
    ++calls;
    return Status::IOError("disk full");
  });
  BOOST_TEST(calls == 1);
  BOOST_TEST(failed.message() == "disk full");
}

BOOST_FIXTURE_TEST_CASE(value_text_refuses_what_decode_refuses, TempRepo) {
  const TextSink ignore = [](std::string_view) { return Status::Ok(); };
  ObjectId run = store().WriteBlob("[1]").value();
  ObjectId not_json = store().WriteBlob("{").value();
  ObjectId not_run = store().WriteBlob("{}").value();
  ObjectId deep = store().WriteTree({{"000", run, false}}).value();
  for (int i = 0; i < kMaxArrayLevels + 2; ++i)
    deep = store().WriteTree({{"000", deep, true}}).value();
  const std::vector<ValueRef> corrupt = {
      ValueRef{not_json, false},
      ValueRef{store().WriteTree({{"k", not_json, false}}).value(), true},
      ValueRef{store().WriteTree({{"k%[", run, false}}).value(), true},
      ValueRef{store().WriteTree({{"001", run, false}}).value(), true, true},
      ValueRef{store().WriteTree({{"000", not_run, false}}).value(), true, true},
      ValueRef{store().WriteTree({}).value(), true, true},
      ValueRef{deep, true, true},
  };
  for (std::size_t i = 0; i < corrupt.size(); ++i) {
    BOOST_TEST_CONTEXT("case " << i) {
      Status decoded = DecodeValue(store(), corrupt[i]).status();
      Status written = WriteValueText(store(), corrupt[i], FormatOptions{2, false}, ignore);
      BOOST_TEST((decoded.code() == Code::kCorruption), decoded.message());
      BOOST_TEST((written.code() == Code::kCorruption), written.message());
      BOOST_TEST(written.message() == decoded.message());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
