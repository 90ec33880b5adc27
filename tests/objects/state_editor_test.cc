#include "objects/state_editor.h"

#include <boost/test/unit_test.hpp>
#include <limits>
#include <string>
#include <vector>

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

// `id` holds exactly `expected`, as EncodeState would store it.
void CheckState(ObjectStore& store, const ObjectId& id, const json::value& expected) {
  BOOST_TEST(id.Hex() == Encode(store, expected).Hex());
  Result<json::value> back = DecodeValue(store, ValueRef{id, true});
  STRATA_CHECK_OK(back);
  BOOST_TEST(Equal(*back, expected));
}

// A state with a small document (a blob), a large one (a flat tree with a
// nested tree) and a wide one (a sharded tree).
json::value SampleState() {
  json::value state = J(R"({"small":{"a":{"b":[1,2,3]},"s":"x"},"scalar":5})");
  json::object large;
  for (int i = 0; i < 40; ++i) large["f" + std::to_string(i)] = std::string(60, 'l');
  large["nested"] = json::object{{"deep", json::object{{"x", 1}, {"pad", std::string(2100, 'p')}}},
                                 {"list", json::array{1, 2}}};
  state.as_object()["large"] = large;
  state.as_object()["wide"] = testing::RandomJson::Wide(700);
  return state;
}

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(state_editor)

BOOST_FIXTURE_TEST_CASE(every_operation_on_documents_and_nested_paths, TempRepo) {
  const json::value base = SampleState();
  const ObjectId base_id = Encode(store(), base);
  BOOST_TEST_REQUIRE(FindMember(store(), base_id, "large").value()->is_tree);
  BOOST_TEST_REQUIRE(!FindMember(store(), base_id, "small").value()->is_tree);
  const std::vector<std::string> patches = {
      // documents
      R"([{"op":"add","path":"/new","value":{"n":1}}])",
      R"([{"op":"add","path":"/small","value":[1]}])",
      R"([{"op":"remove","path":"/small"}])",
      R"([{"op":"remove","path":"/wide"}])",
      R"([{"op":"replace","path":"/large","value":null}])",
      R"([{"op":"move","from":"/large","path":"/moved"}])",
      R"([{"op":"copy","from":"/wide","path":"/copy"}])",
      R"([{"op":"test","path":"/scalar","value":5.0}])",
      // members of tree-stored documents
      R"([{"op":"add","path":"/large/g","value":"new"}])",
      R"([{"op":"replace","path":"/large/f3","value":{"now":"object"}}])",
      R"([{"op":"remove","path":"/large/f0"}])",
      R"([{"op":"add","path":"/large/nested/deep/y","value":2}])",
      R"([{"op":"remove","path":"/large/nested/deep/pad"}])",
      R"([{"op":"add","path":"/large/nested/list/1","value":1.5}])",
      R"([{"op":"remove","path":"/large/nested/list/0"}])",
      R"([{"op":"replace","path":"/wide/k5","value":"five"}])",
      R"([{"op":"remove","path":"/wide/k6"}])",
      R"([{"op":"add","path":"/wide/k-new","value":[]}])",
      R"([{"op":"move","from":"/wide/k7","path":"/small/k7"}])",
      R"([{"op":"move","from":"/small/a","path":"/large/nested/a"}])",
      R"([{"op":"copy","from":"/large/nested","path":"/wide/nested"}])",
      R"([{"op":"test","path":"/large/nested/deep/x","value":1}])",
      R"([{"op":"test","path":"/wide","value":)" + CanonicalJson(base.at("wide")) + "}]",
      // inside blob-stored documents
      R"([{"op":"add","path":"/small/a/b/-","value":4}])",
      R"([{"op":"replace","path":"/small/a/b/0","value":0}])",
      R"([{"op":"remove","path":"/small/s"}])",
      R"([{"op":"copy","from":"/small/a","path":"/small/c"}])",
      R"([{"op":"move","from":"/small/a/b","path":"/small/b"}])",
      // several at once, touching the same paths again
      R"([{"op":"add","path":"/large/t","value":{}},{"op":"add","path":"/large/t/u","value":1},
          {"op":"move","from":"/large/t","path":"/t"},{"op":"add","path":"/large/t","value":2},
          {"op":"remove","path":"/wide/k1"},{"op":"add","path":"/wide/k1","value":1}])",
      // the whole state
      R"([{"op":"replace","path":"","value":{"only":1}}])",
      R"([{"op":"add","path":"","value":{}}])",
  };
  for (const std::string& text : patches) {
    BOOST_TEST_CONTEXT(text) {
      Patch patch = P(text);
      json::value expected = base;
      STRATA_CHECK_OK(ApplyPatch(expected, patch));
      StateEditor editor(store(), base_id);
      STRATA_CHECK_OK(ApplyPatch(editor, patch));
      // Reads see the edits before Write.
      Result<json::value> whole = editor.Get(JsonPointer());
      STRATA_CHECK_OK(whole);
      BOOST_TEST(Equal(*whole, expected));
      for (const PatchOp& op : patch) {
        Result<bool> exists = editor.Exists(op.path);
        STRATA_CHECK_OK(exists);
        BOOST_TEST(*exists == ResolvePointer(std::as_const(expected), op.path).ok());
        if (*exists) {
          BOOST_TEST(Equal(editor.Get(op.path).value(),
                           *ResolvePointer(std::as_const(expected), op.path).value()));
        }
      }
      Result<ObjectId> id = editor.Write();
      STRATA_CHECK_OK(id);
      CheckState(store(), *id, expected);
    }
  }
}

// The diff hints the editor leaves for a write's delta (objects/tree_diff.h)
// are exactly what DiffStoredValues finds between the ids they name, which
// are the document's ids before and after; only documents edited in place
// get one.
BOOST_FIXTURE_TEST_CASE(diff_hints_are_what_the_stored_diff_finds, TempRepo) {
  const json::value base = SampleState();
  const ObjectId base_id = Encode(store(), base);
  struct Case {
    std::string patch;
    std::vector<std::string> hinted;
  };
  const std::string grow = std::string(3000, 'g');
  const std::vector<Case> cases = {
      {R"([{"op":"replace","path":"/small/s","value":"y"}])", {"small"}},
      {R"([{"op":"add","path":"/small/a/b/-","value":4},{"op":"remove","path":"/small/s"}])",
       {"small"}},
      {R"([{"op":"add","path":"/small/n","value":1.0},{"op":"add","path":"/small/m","value":-0.0}])",
       {"small"}},
      {R"([{"op":"move","from":"/small/a/b","path":"/small/b"}])", {"small"}},
      // a value set back as it was: no change, no hint
      {R"([{"op":"replace","path":"/small/s","value":"z"},{"op":"replace","path":"/small/s","value":"x"}])",
       {}},
      // a small document growing into a tree
      {R"([{"op":"add","path":"/small/big","value":")" + grow + R"("}])", {"small"}},
      // documents made, replaced whole or removed, and tree-stored ones: none
      {R"([{"op":"add","path":"/new","value":{"n":1}}])", {}},
      {R"([{"op":"replace","path":"/small","value":{"s":"w"}}])", {}},
      {R"([{"op":"remove","path":"/small"}])", {}},
      {R"([{"op":"replace","path":"/large/f3","value":1}])", {}},
      {R"([{"op":"replace","path":"/wide/k5","value":"five"}])", {}},
      // edited in place, then replaced whole: the hint would be stale
      {R"([{"op":"replace","path":"/small/s","value":"y"},{"op":"add","path":"/small","value":{"t":1}}])",
       {}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.patch) {
      DiffHints hints;
      StateEditor editor(store(), base_id, &hints);
      STRATA_CHECK_OK(ApplyPatch(editor, P(c.patch)));
      Result<ObjectId> id = editor.Write();
      STRATA_CHECK_OK(id);
      std::vector<std::string> hinted;
      for (const auto& [doc, hint] : hints.docs) hinted.push_back(doc);
      BOOST_TEST(hinted == c.hinted, boost::test_tools::per_element());
      for (const auto& [doc, hint] : hints.docs) {
        BOOST_TEST((FindMember(store(), base_id, doc).value() == hint.a));
        BOOST_TEST((FindMember(store(), *id, doc).value() == hint.b));
        Patch stored;
        STRATA_CHECK_OK(DiffStoredValues(store(), hint.a, hint.b, JsonPointer({doc}), stored));
        BOOST_TEST_REQUIRE(hint.ops.size() == stored.size());
        for (std::size_t i = 0; i < stored.size(); ++i) {
          BOOST_TEST((hint.ops[i].kind == stored[i].kind));
          BOOST_TEST(hint.ops[i].path.ToString() == stored[i].path.ToString());
          BOOST_TEST(hint.ops[i].from.ToString() == stored[i].from.ToString());
          BOOST_TEST(CanonicalJson(hint.ops[i].value) == CanonicalJson(stored[i].value));
        }
      }
    }
  }
}

// The json-patch-tests suite through the state editor, on a document that
// is a blob and, padded, on one that is a sharded tree. The oracle is the
// same patch applied in memory to the same state.
BOOST_FIXTURE_TEST_CASE(conformance_suite_through_the_editor, TempRepo) {
  std::vector<json::object> cases = testing::LoadPatchConformanceCases();
  std::size_t ran = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json::object& c = cases[i];
    if (testing::IsDisabled(c) || !c.contains("patch")) continue;
    Result<Patch> parsed = ParsePatch(c.at("patch"));
    if (!parsed.ok()) continue;
    // The same patch, one level down: "/a" becomes "/doc/a".
    auto under_doc = [](const JsonPointer& p) {
      std::vector<std::string> tokens{"doc"};
      tokens.insert(tokens.end(), p.tokens().begin(), p.tokens().end());
      return JsonPointer(std::move(tokens));
    };
    Patch patch = *parsed;
    for (PatchOp& op : patch) {
      op.path = under_doc(op.path);
      if (op.kind == PatchOpKind::kMove || op.kind == PatchOpKind::kCopy)
        op.from = under_doc(op.from);
    }
    for (bool padded : {false, true}) {
      json::value doc = c.at("doc");
      if (padded) {
        if (!doc.is_object()) continue;
        doc.as_object()["zz-pad"] = testing::RandomJson::Wide(600);
      }
      json::value state = json::object{{"doc", doc}, {"other", 1}};
      BOOST_TEST_CONTEXT(testing::CaseName(c, i) << (padded ? " padded" : "")) {
        ++ran;
        ObjectId base = Encode(store(), state);
        json::value expected = state;
        Status want = ApplyPatch(expected, patch);
        StateEditor editor(store(), base);
        Status got = ApplyPatch(editor, patch);
        BOOST_TEST(got.ok() == want.ok(),
                   "editor: " << got.message() << "; memory: " << want.message());
        if (!got.ok() || !want.ok()) continue;
        Result<ObjectId> id = editor.Write();
        STRATA_CHECK_OK(id);
        CheckState(store(), *id, expected);
      }
    }
  }
  BOOST_TEST_MESSAGE("json-patch conformance through StateEditor: ran " << ran << " cases");
  BOOST_TEST(ran >= 120u);
}

BOOST_FIXTURE_TEST_CASE(errors_name_the_document_and_pointer, TempRepo) {
  const ObjectId base = Encode(store(), SampleState());
  struct Case {
    std::string patch;
    Code code;
    std::string message;  // the whole message after "patch operation N (...): "
  };
  const std::vector<Case> cases = {
      {R"([{"op":"replace","path":"/x","value":1}])", Code::kNotFound, "no document 'x'"},
      {R"([{"op":"remove","path":"/x"}])", Code::kNotFound, "no document 'x'"},
      {R"([{"op":"test","path":"/x","value":1}])", Code::kNotFound, "no document 'x'"},
      {R"([{"op":"add","path":"/x/y","value":1}])", Code::kNotFound, "no document 'x'"},
      {R"([{"op":"copy","from":"/x","path":"/y"}])", Code::kNotFound, "from: no document 'x'"},
      {R"([{"op":"remove","path":"/large/zz"}])", Code::kNotFound,
       "no member 'zz' in the object at '/large'"},
      {R"([{"op":"replace","path":"/large/nested/zz","value":1}])", Code::kNotFound,
       "no member 'zz' in the object at '/large/nested'"},
      {R"([{"op":"add","path":"/large/zz/y","value":1}])", Code::kNotFound,
       "no member 'zz' in the object at '/large'"},
      {R"([{"op":"remove","path":"/wide/zz"}])", Code::kNotFound,
       "no member 'zz' in the object at '/wide'"},
      {R"([{"op":"remove","path":"/small/a/zz"}])", Code::kNotFound,
       "in '/small': no member 'zz' in the object at '/a'"},
      {R"([{"op":"add","path":"/small/a/b/9","value":1}])", Code::kNotFound,
       "in '/small': index 9 is beyond the end of the array of 3 at '/a/b'"},
      {R"([{"op":"test","path":"/small/s","value":"y"}])", Code::kConflict,
       "test failed: the value at '/small/s' is \"x\", not \"y\""},
      {R"([{"op":"remove","path":""}])", Code::kInvalidArgument, "cannot remove the whole state"},
      {R"([{"op":"add","path":"","value":[]}])", Code::kInvalidArgument,
       "the state must be an object of documents"},
      {R"([{"op":"move","from":"/large","path":"/large/x"}])", Code::kInvalidArgument,
       "cannot move a value into one of its own children"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.patch) {
      Patch patch = P(c.patch);
      StateEditor editor(store(), base);
      Status s = ApplyPatch(editor, patch);
      BOOST_TEST_REQUIRE(!s.ok());
      BOOST_TEST((s.code() == c.code), s.message());
      std::string prefix = "patch operation 0 (" + patch[0].Describe() + "): ";
      BOOST_TEST(s.message() == prefix + c.message);
    }
  }
  StateEditor editor(store(), base);
  Result<json::value> missing = editor.Get(JsonPointer({"nope", "a"}));
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.status().message() == "no document 'nope'");
  BOOST_TEST(!editor.Exists(JsonPointer({"nope"})).value());
  BOOST_TEST(!editor.Exists(JsonPointer({"small", "a", "zz"})).value());
  BOOST_TEST(editor.Exists(JsonPointer({"wide", "k0"})).value());
}

// Regression: values built in memory with broken UTF-8 (or document ids
// taken from raw bytes) were written, and every later read of them failed.
BOOST_FIXTURE_TEST_CASE(write_refuses_what_cannot_be_read_back, TempRepo) {
  const ObjectId base = Encode(store(), SampleState());
  struct Case {
    JsonPointer path;
    json::value value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {JsonPointer({"doc"}), json::value(std::string("\xff")),
       "in '/doc': string that is not valid UTF-8 at ''"},
      {JsonPointer({"large", "x"}), json::object{{"a", std::numeric_limits<double>::infinity()}},
       "in '/large/x': non-finite number at '/a'"},
      {JsonPointer({"small", "a", "c"}), json::array{std::string("\xed\xa0\x80")},
       "in '/small': string that is not valid UTF-8 at '/a/c/0'"},
      {JsonPointer({"doc"}), json::object{{std::string("\xc3"), 1}},
       "in '/doc': member name that is not valid UTF-8 in the object at ''"},
      {JsonPointer({"wide", std::string("\xc3")}), json::value(1),
       "a member name is not valid UTF-8 in the object at '/wide'"},
      {JsonPointer({std::string("d\xff")}), json::value(1), "a document id is not valid UTF-8"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.message) {
      StateEditor editor(store(), base);
      STRATA_CHECK_OK(editor.Add(c.path, c.value));
      Result<ObjectId> id = editor.Write();
      BOOST_TEST_REQUIRE(!id.ok());
      BOOST_TEST((id.status().code() == Code::kInvalidArgument));
      BOOST_TEST(id.status().message() == c.message);
      // EncodeState refuses the same state.
      json::value state = SampleState();
      ValueTarget target(state);
      STRATA_CHECK_OK(target.Add(c.path, c.value));
      BOOST_TEST(!EncodeState(store(), state.get_object()).ok());
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_failing_patch_stages_nothing, TempRepo) {
  const ObjectId base = Encode(store(), SampleState());
  STRATA_CHECK_OK(store().Flush());
  BOOST_TEST_REQUIRE(store().staged_objects() == 0u);
  StateEditor editor(store(), base);
  Status s = ApplyPatch(editor, P(R"([
      {"op":"add","path":"/new","value":{"big":[1,2,3]}},
      {"op":"replace","path":"/wide/k1","value":"changed"},
      {"op":"remove","path":"/large/f1"},
      {"op":"test","path":"/scalar","value":6}])"));
  BOOST_TEST(!s.ok());
  BOOST_TEST(store().staged_objects() == 0u);
  BOOST_TEST(store().staged_bytes() == 0u);
}

BOOST_FIXTURE_TEST_CASE(write_without_changes_returns_the_original_id, TempRepo) {
  const json::value state = SampleState();
  const ObjectId base = Encode(store(), state);
  STRATA_CHECK_OK(store().Flush());
  {
    StateEditor editor(store(), base);
    // Reads only.
    BOOST_TEST(Equal(editor.Get(JsonPointer({"wide", "k3"})).value(), J("3")));
    BOOST_TEST(Equal(editor.Get(JsonPointer({"large"})).value(), state.at("large")));
    Result<ObjectId> id = editor.Write();
    STRATA_CHECK_OK(id);
    BOOST_TEST(id->Hex() == base.Hex());
    BOOST_TEST(store().staged_objects() == 0u);
  }
  {
    // Edits that restore what was there: the same id, and every object
    // already exists, so nothing is staged.
    StateEditor editor(store(), base);
    STRATA_CHECK_OK(ApplyPatch(editor, P(R"([
        {"op":"replace","path":"/wide/k3","value":3.0},
        {"op":"add","path":"/large/tmp","value":1},
        {"op":"remove","path":"/large/tmp"},
        {"op":"copy","from":"/small","path":"/small"}])")));
    Result<ObjectId> id = editor.Write();
    STRATA_CHECK_OK(id);
    BOOST_TEST(id->Hex() == base.Hex());
    BOOST_TEST(store().staged_objects() == 0u);
  }
  {
    StateEditor empty(store(), std::nullopt);
    BOOST_TEST(empty.Write().value().Hex() == Encode(store(), J("{}")).Hex());
  }
}

// One field changed among 20,000 documents rewrites only the path to it.
BOOST_FIXTURE_TEST_CASE(a_one_field_change_stages_a_bounded_path, TempRepo) {
  json::object state;
  for (int i = 0; i < 20000; ++i) {
    state["doc" + std::to_string(i)] =
        json::object{{"field", i}, {"name", "n" + std::to_string(i)}};
  }
  json::object wide_doc;  // one document with 20,000 members, stored sharded
  for (int i = 0; i < 20000; ++i) wide_doc["m" + std::to_string(i)] = i;
  state["wide"] = wide_doc;
  Result<ObjectId> base = EncodeState(store(), state);
  STRATA_CHECK_OK(base);
  STRATA_CHECK_OK(store().Flush());
  for (std::string path : {"/doc12345/field", "/wide/m777"}) {
    BOOST_TEST_CONTEXT(path) {
      StateEditor editor(store(), *base);
      STRATA_CHECK_OK(ApplyPatch(
          editor, P(R"([{"op":"replace","path":")" + path + R"(","value":"changed"}])")));
      Result<ObjectId> id = editor.Write();
      STRATA_CHECK_OK(id);
      BOOST_TEST(store().staged_objects() >= 3u);  // a blob, a bucket, the root at least
      BOOST_TEST(store().staged_objects() <= 12u);
      BOOST_TEST(store().staged_bytes() <= 32u * 1024);
      json::value expected = state;
      STRATA_CHECK_OK(ApplyPatch(
          expected, P(R"([{"op":"replace","path":")" + path + R"(","value":"changed"}])")));
      Result<json::value> doc = editor.Get(JsonPointer::Parse(path).value());
      BOOST_TEST(Equal(doc.value(), J("\"changed\"")));
      store().Discard();
    }
  }
}

// Random operations, one at a time, through the editor and in memory: both
// agree on success and on what they read; each round's Write gives the id
// EncodeState gives. A failed operation abandons the editor (it is not
// atomic itself; callers discard it), as Repository::Write does.
BOOST_AUTO_TEST_CASE(random_operations_agree_with_memory) {
  for (std::uint32_t seed : {21u, 22u, 23u}) {
    TempRepo repo;
    ObjectStore& store = repo.store();
    testing::RandomJson gen(seed);
    testing::RandomPatches patches(gen);
    json::value committed = json::object();
    for (int i = 0; i < 10; ++i) committed.as_object()[gen.Key()] = gen.AnyValue();
    ObjectId id = Encode(store, committed);
    int failures = 0;
    for (int round = 0; round < 30; ++round) {
      BOOST_TEST_CONTEXT("seed " << seed << " round " << round) {
        StateEditor editor(store, id);
        json::value expected = committed;
        bool failed = false;
        for (int i = 0; i < 8 && !failed; ++i) {
          PatchOp op = patches.Op(expected);
          Status want = ApplyPatch(expected, Patch{op});
          Status got = ApplyPatch(editor, Patch{op});
          BOOST_TEST(got.ok() == want.ok(), op.Describe() << ": editor: " << got.message()
                                                          << "; memory: " << want.message());
          if (!want.ok()) {
            failed = true;
            ++failures;
            break;
          }
          JsonPointer probe = op.path.IsRoot() ? op.path : op.path.Parent();
          Result<bool> exists = editor.Exists(probe);
          STRATA_CHECK_OK(exists);
          BOOST_TEST(*exists == ResolvePointer(std::as_const(expected), probe).ok());
          if (*exists) {
            BOOST_TEST(Equal(editor.Get(probe).value(),
                             *ResolvePointer(std::as_const(expected), probe).value()));
          }
        }
        if (failed) continue;
        Result<ObjectId> written = editor.Write();
        STRATA_CHECK_OK(written);
        id = *written;
        committed = std::move(expected);
        CheckState(store, id, committed);
      }
    }
    BOOST_TEST(failures > 0);  // the error paths ran too
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
