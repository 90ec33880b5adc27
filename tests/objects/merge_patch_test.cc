#include "objects/merge_patch.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::J;

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(merge_patch)

// CreateMergePatch(from, to) gives exactly `patch`, and applying it to
// `from` gives `to`.
BOOST_AUTO_TEST_CASE(exact_patches_that_apply) {
  struct Case {
    std::string from, to, patch;
  };
  const std::vector<Case> cases = {
      {R"({"a":1})", R"({"a":1})", "{}"},
      {R"({"a":1})", R"({"a":1.0})", "{}"},
      {R"({"a":1})", R"({"a":2})", R"({"a":2})"},
      {R"({"a":1,"b":2})", R"({"b":2})", R"({"a":null})"},
      {R"({})", R"({"c":{"d":[1]}})", R"({"c":{"d":[1]}})"},
      {R"({"c":{"d":1,"e":2}})", R"({"c":{"d":1,"e":3}})", R"({"c":{"e":3}})"},
      {R"({"c":{"d":{"e":{"f":1}}}})", R"({"c":{"d":{"e":{}}}})",
       R"({"c":{"d":{"e":{"f":null}}}})"},
      // Arrays are replaced whole, even for one element.
      {R"({"a":[1,2,3]})", R"({"a":[1,9,3]})", R"({"a":[1,9,3]})"},
      // A null inside an array is copied with it; so is an object with a null member.
      {R"({"a":[1]})", R"({"a":[null,{"x":null}]})", R"({"a":[null,{"x":null}]})"},
      // A null member is set by replacing the array that holds its object.
      {R"({"a":[{"x":1}]})", R"({"a":[{"x":null}]})", R"({"a":[{"x":null}]})"},
      // An object replacing a scalar, and a scalar replacing an object.
      {R"({"a":1})", R"({"a":{"b":2}})", R"({"a":{"b":2}})"},
      {R"({"a":{"b":2}})", R"({"a":"s"})", R"({"a":"s"})"},
      // Not objects at the top: the patch is the target.
      {R"([1,2])", R"([2])", R"([2])"},
      {R"({"a":1})", "null", "null"},
      {"3", R"({"a":1})", R"({"a":1})"},
      // Keys that need escaping in pointers are plain keys here.
      {R"({"a/b":1,"~":{"x":1}})", R"({"~":{"x":2}})", R"({"a/b":null,"~":{"x":2}})"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.from << " -> " << c.to) {
      Result<json::value> patch = CreateMergePatch(J(c.from), J(c.to));
      STRATA_CHECK_OK(patch);
      BOOST_TEST(CanonicalJson(*patch) == CanonicalJson(J(c.patch)));
      BOOST_TEST(CanonicalJson(ApplyMergePatch(J(c.from), *patch)) == CanonicalJson(J(c.to)));
    }
  }
}

// A null member reached from the root through objects only cannot be set.
BOOST_AUTO_TEST_CASE(unsettable_nulls_are_refused_naming_the_pointer) {
  struct Case {
    std::string from, to, pointer;
  };
  const std::vector<Case> cases = {
      {R"({"a":1})", R"({"a":null})", "/a"},
      {R"({})", R"({"a":{"b":null}})", "/a/b"},
      {R"({"a":{"b":1}})", R"({"a":{"b":null}})", "/a/b"},
      {R"({"a":1})", R"({"a":{"x/y":{"z":null}}})", "/a/x~1y/z"},
      {"1", R"({"n":null})", "/n"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.from << " -> " << c.to) {
      Result<json::value> patch = CreateMergePatch(J(c.from), J(c.to));
      BOOST_REQUIRE(!patch.ok());
      BOOST_TEST((patch.status().code() == Code::kInvalidArgument));
      BOOST_TEST(patch.status().message().find("cannot set " + c.pointer + " to null") !=
                     std::string::npos,
                 patch.status().message());
    }
  }
}

// RFC 7396, appendix A: the examples, applied.
BOOST_AUTO_TEST_CASE(rfc7396_examples_apply) {
  struct Case {
    std::string target, patch, result;
  };
  const std::vector<Case> cases = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.target << " + " << c.patch) {
      BOOST_TEST(CanonicalJson(ApplyMergePatch(J(c.target), J(c.patch))) ==
                 CanonicalJson(J(c.result)));
    }
  }
}

// Deep values: neither direction recurses on depth.
// (Boost.JSON's own copy recurses, hence the large stack, as in the CLI.)
BOOST_AUTO_TEST_CASE(deep_values_do_not_recurse) {
  testing::OnLargeStack([] {
    const std::size_t depth = 10000;
    json::value from = J(testing::Nested(depth, R"({"k":)", "}", "1"));
    json::value to = J(testing::Nested(depth, R"({"k":)", "}", "2"));
    Result<json::value> patch = CreateMergePatch(from, to);
    STRATA_CHECK_OK(patch);
    BOOST_TEST(CanonicalJson(*patch) == CanonicalJson(to));
    BOOST_TEST(Equal(ApplyMergePatch(from, *patch), to));
  });
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
