#include "strata/json_pointer.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::J;

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(json_pointer)

// RFC 6901 section 5.
const char* const kRfcDocument = R"({
  "foo": ["bar", "baz"],
  "": 0,
  "a/b": 1,
  "c%d": 2,
  "e^f": 3,
  "g|h": 4,
  "i\\j": 5,
  "k\"l": 6,
  " ": 7,
  "m~n": 8
})";

BOOST_AUTO_TEST_CASE(rfc6901_section5_examples) {
  json::value doc = J(kRfcDocument);
  struct Case {
    std::string pointer;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", kRfcDocument},    {"/foo", R"(["bar", "baz"])"},
      {"/foo/0", "\"bar\""}, {"/", "0"},
      {"/a~1b", "1"},        {"/c%d", "2"},
      {"/e^f", "3"},         {"/g|h", "4"},
      {"/i\\j", "5"},        {"/k\"l", "6"},
      {"/ ", "7"},           {"/m~0n", "8"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("pointer '" << c.pointer << "'") {
      Result<JsonPointer> p = JsonPointer::Parse(c.pointer);
      STRATA_CHECK_OK(p);
      Result<const json::value*> v = ResolvePointer(std::as_const(doc), *p);
      STRATA_CHECK_OK(v);
      BOOST_TEST(Equal(**v, J(c.expected)));
      BOOST_TEST(p->ToString() == c.pointer);
    }
  }
}

BOOST_AUTO_TEST_CASE(tokens_are_unescaped) {
  Result<JsonPointer> p = JsonPointer::Parse("/a~1b/~01/~10//x");
  STRATA_CHECK_OK(p);
  BOOST_TEST((p->tokens() == std::vector<std::string>{"a/b", "~1", "/0", "", "x"}));
  BOOST_TEST(p->ToString() == "/a~1b/~01/~10//x");
  BOOST_TEST(JsonPointer::Parse("").value().IsRoot());
  BOOST_TEST(JsonPointer::Parse("/").value().tokens() == std::vector<std::string>{""});
}

BOOST_AUTO_TEST_CASE(malformed_pointers_are_refused) {
  for (std::string text : {"~2", "a", "a/b", "/~2", "/a~", "/~", "/a/~x", "#/a"}) {
    Result<JsonPointer> p = JsonPointer::Parse(text);
    BOOST_TEST_CONTEXT("pointer '" << text << "'") {
      BOOST_TEST_REQUIRE(!p.ok());
      BOOST_TEST((p.status().code() == Code::kInvalidArgument));
      BOOST_TEST(p.status().message().find("'" + text + "'") != std::string::npos,
                 p.status().message());
    }
  }
}

BOOST_AUTO_TEST_CASE(array_indexes) {
  BOOST_TEST(ParseArrayIndex("0").value_or(99) == 0u);
  BOOST_TEST(ParseArrayIndex("10").value_or(99) == 10u);
  BOOST_TEST(ParseArrayIndex("1234567890123456789").value_or(0) == 1234567890123456789u);
  for (std::string bad :
       {"01", "00", "-1", "-", "1a", "", " 1", "1e0", "+1", "0x1", "99999999999999999999999"}) {
    BOOST_TEST(!ParseArrayIndex(bad).has_value(), "accepted '" << bad << "'");
  }
}

BOOST_AUTO_TEST_CASE(to_string_round_trips) {
  for (const std::string& key : testing::TrickyKeys()) {
    JsonPointer p({key, "x", key});
    Result<JsonPointer> back = JsonPointer::Parse(p.ToString());
    STRATA_CHECK_OK(back);
    BOOST_TEST((*back == p));
  }
  BOOST_TEST(EscapePointerToken("a/b~c") == "a~1b~0c");
}

BOOST_AUTO_TEST_CASE(parent_child_slice_and_prefix) {
  JsonPointer p = JsonPointer::Parse("/a/b/c").value();
  BOOST_TEST(p.Parent().ToString() == "/a/b");
  BOOST_TEST(p.Back() == "c");
  BOOST_TEST(p.Child("d/e").ToString() == "/a/b/c/d~1e");
  BOOST_TEST(p.Slice(1, 3).ToString() == "/b/c");
  BOOST_TEST(JsonPointer().Parent().IsRoot());
  BOOST_TEST(JsonPointer().IsPrefixOf(p));
  BOOST_TEST(p.Parent().IsPrefixOf(p));
  BOOST_TEST(p.IsPrefixOf(p));
  BOOST_TEST(!p.IsPrefixOf(p.Parent()));
  BOOST_TEST(!JsonPointer::Parse("/a/bb").value().IsPrefixOf(p));
}

BOOST_AUTO_TEST_CASE(resolve_errors_name_where) {
  json::value doc = J(R"({"a":{"b":[1,2]},"s":"x"})");
  struct Case {
    std::string pointer;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"/missing", "no member 'missing' in the object at ''"},
      {"/a/c", "no member 'c' in the object at '/a'"},
      {"/a/b/2", "index 2 is out of range for the array of 2 at '/a/b'"},
      {"/a/b/01", "'01' is not an index of the array at '/a/b'"},
      {"/a/b/-", "'-' is not an index of the array at '/a/b'"},
      {"/s/x", "the value at '/s' is not an object or array"},
  };
  for (const Case& c : cases) {
    Result<const json::value*> v =
        ResolvePointer(std::as_const(doc), JsonPointer::Parse(c.pointer).value());
    BOOST_TEST_CONTEXT("pointer " << c.pointer) {
      BOOST_TEST_REQUIRE(!v.ok());
      BOOST_TEST((v.status().code() == Code::kNotFound));
      BOOST_TEST(v.status().message() == c.message_part);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
