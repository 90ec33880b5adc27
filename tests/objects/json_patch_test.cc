#include "strata/json_patch.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::J;
using testing::P;

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(json_patch)

struct Example {
  std::string name;
  std::string doc;
  std::string patch;
  std::string expected;  // empty: the patch must fail
};

// RFC 6902 appendix A (A.13, two "op" members, is not detectable once the
// JSON is parsed: the last member wins, as everywhere in strata).
const std::vector<Example>& RfcExamples() {
  static const std::vector<Example> examples = {
      {"A.1 adding an object member", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux"}])", R"({"baz":"qux","foo":"bar"})"},
      {"A.2 adding an array element", R"({"foo":["bar","baz"]})",
       R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})"},
      {"A.3 removing an object member", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})"},
      {"A.4 removing an array element", R"({"foo":["bar","qux","baz"]})",
       R"([{"op":"remove","path":"/foo/1"}])", R"({"foo":["bar","baz"]})"},
      {"A.5 replacing a value", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})"},
      {"A.6 moving a value", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
      {"A.7 moving an array element", R"({"foo":["all","grass","cows","eat"]})",
       R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
       R"({"foo":["all","cows","eat","grass"]})"},
      {"A.8 testing a value: success", R"({"baz":"qux","foo":["a",2,"c"]})",
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
       R"({"baz":"qux","foo":["a",2,"c"]})"},
      {"A.9 testing a value: error", R"({"baz":"qux"})",
       R"([{"op":"test","path":"/baz","value":"bar"}])", ""},
      {"A.10 adding a nested member object", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
       R"({"foo":"bar","child":{"grandchild":{}}})"},
      {"A.11 ignoring unrecognized elements", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
      {"A.12 adding to a nonexistent target", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz/bat","value":"qux"}])", ""},
      {"A.14 ~ escape ordering", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":10}])", R"({"/":9,"~1":10})"},
      {"A.15 comparing strings and numbers", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":"10"}])", ""},
      {"A.16 adding an array value", R"({"foo":["bar"]})",
       R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
       R"({"foo":["bar",["abc","def"]]})"},
  };
  return examples;
}

BOOST_AUTO_TEST_CASE(rfc6902_appendix_a) {
  for (const Example& e : RfcExamples()) {
    BOOST_TEST_CONTEXT(e.name) {
      json::value doc = J(e.doc);
      Status s = ApplyPatch(doc, P(e.patch));
      if (e.expected.empty()) {
        BOOST_TEST(!s.ok());
        BOOST_TEST(Equal(doc, J(e.doc)));
      } else {
        BOOST_TEST(s.ok(), s.message());
        BOOST_TEST(Equal(doc, J(e.expected)), CanonicalJson(doc));
      }
    }
  }
}

// Every case of the json-patch-tests suite (tests/objects/data).
BOOST_AUTO_TEST_CASE(conformance_suite) {
  std::vector<json::object> cases = testing::LoadPatchConformanceCases();
  std::size_t ran = 0, skipped = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json::object& c = cases[i];
    if (testing::IsDisabled(c) || !c.contains("patch")) {
      ++skipped;
      continue;
    }
    ++ran;
    BOOST_TEST_CONTEXT(testing::CaseName(c, i)) {
      const json::value original = c.at("doc");
      json::value doc = original;
      Result<Patch> patch = ParsePatch(c.at("patch"));
      if (const json::value* expected = c.if_contains("expected")) {
        BOOST_TEST_REQUIRE(patch.ok(), patch.status().message());
        Status s = ApplyPatch(doc, *patch);
        BOOST_TEST(s.ok(), s.message());
        BOOST_TEST(Equal(doc, *expected), CanonicalJson(doc));
      } else if (c.contains("error")) {
        if (!patch.ok()) {
          BOOST_TEST((patch.status().code() == Code::kInvalidArgument));
          continue;
        }
        Status s = ApplyPatch(doc, *patch);
        BOOST_TEST(!s.ok(), "applied; expected: " << c.at("error"));
        // All or nothing: the document is untouched.
        BOOST_TEST(Equal(doc, original), CanonicalJson(doc));
        BOOST_TEST(CanonicalJson(doc) == CanonicalJson(original));
      } else {
        BOOST_TEST_REQUIRE(patch.ok(), patch.status().message());
        Status s = ApplyPatch(doc, *patch);
        BOOST_TEST(s.ok(), s.message());
      }
    }
  }
  BOOST_TEST_MESSAGE("json-patch conformance: ran " << ran << " cases, skipped " << skipped
                                                    << " (disabled or comment only)");
  BOOST_TEST(ran >= 90u);
}

BOOST_AUTO_TEST_CASE(malformed_patches_are_refused) {
  struct Case {
    std::string patch;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"op":"add"})", "a JSON Patch must be an array of operations"},
      {R"([1])", "patch operation 0: must be an object"},
      {R"([{"op":"test","path":"","value":1},{"path":"/a"}])", "patch operation 1: missing \"op\""},
      {R"([{"op":1,"path":"/a"}])", "patch operation 0: \"op\" must be a string"},
      {R"([{"op":"spam","path":"/a"}])", "patch operation 0: unknown op \"spam\""},
      {R"([{"op":"Add","path":"/a","value":1}])", "patch operation 0: unknown op \"Add\""},
      {R"([{"op":"remove"}])", "patch operation 0: missing \"path\""},
      {R"([{"op":"remove","path":1}])", "patch operation 0: \"path\" must be a string"},
      {R"([{"op":"remove","path":"a"}])", "patch operation 0: invalid JSON pointer 'a'"},
      {R"([{"op":"remove","path":"/~2"}])", "patch operation 0: invalid JSON pointer '/~2'"},
      {R"([{"op":"move","path":"/a"}])", "patch operation 0: missing \"from\""},
      {R"([{"op":"copy","from":null,"path":"/a"}])",
       "patch operation 0: \"from\" must be a string"},
      {R"([{"op":"add","path":"/a"}])", "patch operation 0: missing \"value\""},
      {R"([{"op":"replace","path":"/a"}])", "patch operation 0: missing \"value\""},
      {R"([{"op":"test","path":"/a"}])", "patch operation 0: missing \"value\""},
  };
  for (const Case& c : cases) {
    Result<Patch> p = ParsePatch(J(c.patch));
    BOOST_TEST_CONTEXT(c.patch) {
      BOOST_TEST_REQUIRE(!p.ok());
      BOOST_TEST((p.status().code() == Code::kInvalidArgument));
      BOOST_TEST(p.status().message().rfind(c.message, 0) == 0, p.status().message());
    }
  }
  // "value": null is a value; "from" is not needed by add.
  BOOST_TEST(ParsePatch(J(R"([{"op":"add","path":"/a","value":null,"from":7}])")).ok());
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_refused) {
  json::value patch = J(R"([{"op":"add","path":"/a","value":{"x":[1]}}])");
  patch.as_array()[0].at("value").at("x").as_array()[0] = std::numeric_limits<double>::infinity();
  Result<Patch> p = ParsePatch(patch);
  BOOST_TEST_REQUIRE(!p.ok());
  BOOST_TEST(p.status().message().find("'/x/0'") != std::string::npos, p.status().message());
}

BOOST_AUTO_TEST_CASE(failures_name_the_operation_and_leave_the_doc_untouched) {
  struct Case {
    std::string patch;
    Code code;
    std::string message_start;
  };
  const std::string doc_text = R"({"a":{"b":[1,2,3]},"c":"x"})";
  const std::vector<Case> cases = {
      {R"([{"op":"add","path":"/n","value":1},{"op":"remove","path":"/zz"}])", Code::kNotFound,
       "patch operation 1 (remove '/zz'): no member 'zz' in the object at ''"},
      {R"([{"op":"replace","path":"/a/b/0","value":9},{"op":"test","path":"/c","value":"y"}])",
       Code::kConflict,
       "patch operation 1 (test '/c'): test failed: the value at '/c' is \"x\", not \"y\""},
      {R"([{"op":"remove","path":"/c"},{"op":"add","path":"/a/b/4","value":0}])", Code::kNotFound,
       "patch operation 1 (add '/a/b/4'): index 4 is beyond the end"},
      {R"([{"op":"add","path":"/a/b/x","value":0}])", Code::kInvalidArgument,
       "patch operation 0 (add '/a/b/x'): 'x' is not an array index at '/a/b'"},
      {R"([{"op":"add","path":"/q","value":0},{"op":"move","from":"/a","path":"/a/b/0"}])",
       Code::kInvalidArgument,
       "patch operation 1 (move '/a' -> '/a/b/0'): cannot move a value into one of its own"},
      {R"([{"op":"copy","from":"/nope","path":"/x"}])", Code::kNotFound,
       "patch operation 0 (copy '/nope' -> '/x'): from: no member 'nope'"},
      {R"([{"op":"remove","path":""}])", Code::kInvalidArgument,
       "patch operation 0 (remove ''): cannot remove the whole value"},
      {R"([{"op":"add","path":"/c/d","value":1}])", Code::kNotFound,
       "patch operation 0 (add '/c/d'): the value at '/c' is not an object or array"},
      {R"([{"op":"replace","path":"/a/b/3","value":1}])", Code::kNotFound,
       "patch operation 0 (replace '/a/b/3'): index 3 is out of range"},
  };
  for (const Case& c : cases) {
    json::value doc = J(doc_text);
    Status s = ApplyPatch(doc, P(c.patch));
    BOOST_TEST_CONTEXT(c.patch) {
      BOOST_TEST_REQUIRE(!s.ok());
      BOOST_TEST((s.code() == c.code), s.message());
      BOOST_TEST(s.message().rfind(c.message_start, 0) == 0, s.message());
      BOOST_TEST(CanonicalJson(doc) == CanonicalJson(J(doc_text)));
    }
  }
}

BOOST_AUTO_TEST_CASE(operations_on_the_whole_value) {
  json::value doc = J(R"({"a":1})");
  STRATA_CHECK_OK(ApplyPatch(doc, P(R"([{"op":"replace","path":"","value":[1]}])")));
  BOOST_TEST(CanonicalJson(doc) == "[1]");
  STRATA_CHECK_OK(ApplyPatch(doc, P(R"([{"op":"add","path":"","value":"s"},
                                        {"op":"test","path":"","value":"s"}])")));
  BOOST_TEST(CanonicalJson(doc) == "\"s\"");
  doc = J(R"({"a":{"b":1}})");
  STRATA_CHECK_OK(ApplyPatch(doc, P(R"([{"op":"move","from":"/a","path":""}])")));
  BOOST_TEST(CanonicalJson(doc) == R"({"b":1})");
  doc = J(R"({"a":1})");
  STRATA_CHECK_OK(ApplyPatch(doc, P(R"([{"op":"move","from":"/a","path":"/a"}])")));
  BOOST_TEST(CanonicalJson(doc) == R"({"a":1})");
  STRATA_CHECK_OK(ApplyPatch(doc, P(R"([{"op":"copy","from":"","path":"/self"}])")));
  BOOST_TEST(CanonicalJson(doc) == R"({"a":1,"self":{"a":1}})");
}

BOOST_AUTO_TEST_CASE(patch_to_json_round_trips_and_describes) {
  json::value text = J(R"([{"op":"add","path":"/a~1b","value":{"x":1}},{"op":"remove","path":"/c"},
    {"op":"replace","path":"","value":null},{"op":"move","from":"/d","path":"/e"},
    {"op":"copy","from":"/f","path":"/g/-"},{"op":"test","path":"/h/0","value":[1.5]}])");
  Patch patch = ParsePatch(text).value();
  BOOST_TEST(Equal(PatchToJson(patch), text));
  BOOST_TEST(Equal(PatchToJson(ParsePatch(PatchToJson(patch)).value()), text));
  BOOST_TEST(patch[0].Describe() == "add '/a~1b'");
  BOOST_TEST(patch[3].Describe() == "move '/d' -> '/e'");
  BOOST_TEST(patch[4].Describe() == "copy '/f' -> '/g/-'");
  BOOST_TEST(CanonicalJson(PatchOpToJson(patch[1])) == R"({"op":"remove","path":"/c"})");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
