// Tests for Repository::Blame: the version that last set each leaf value.
#include <boost/test/unit_test.hpp>

#include "strata/repository.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

// "pointer=value@author" per line.
std::string Lines(const Result<std::vector<BlameLine>>& lines) {
  if (!lines.ok()) return "error: " + lines.status().message();
  std::string out;
  for (const auto& l : *lines) {
    if (!out.empty()) out += ' ';
    out.append(l.pointer.ToString()).append("=").append(CanonicalJson(l.value));
    out.append("@").append(l.version.author.name);
  }
  return out;
}

// "key7": built by appending (GCC 12 warns, wrongly, on "key" + to_string(7)).
std::string Name(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(blame)

BOOST_FIXTURE_TEST_CASE(each_leaf_goes_to_the_version_that_last_set_it, RepoFixture) {
  BOOST_REQUIRE(
      repo()
          .Put("d", J(R"({"a":1,"b":{"c":2,"d":[1,2]},"e":{},"k/x":1,"t~y":1})"), By("ann", 1))
          .ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("5"), By("bob", 2)).ok());
  BOOST_REQUIRE(repo().Put("other", J("1"), By("dan", 3)).ok());
  BOOST_REQUIRE(repo().Set("d", P("/b/d/1"), J("3"), By("carl", 4)).ok());  // inserts
  BOOST_REQUIRE(repo().Set("d", P("/k~1x"), J("2"), By("eve", 5)).ok());
  BOOST_REQUIRE(repo().Set("other", JsonPointer(), J("2"), By("dan", 6)).ok());
  BOOST_TEST(Lines(repo().Blame("d", JsonPointer())) ==
             "/a=5@bob /b/c=2@ann /b/d=[1,3,2]@carl /e={}@ann /k~1x=2@eve /t~0y=1@ann");
  // Under a pointer; a scalar pointer is one leaf.
  BOOST_TEST(Lines(repo().Blame("d", P("/b"))) == "/b/c=2@ann /b/d=[1,3,2]@carl");
  BOOST_TEST(Lines(repo().Blame("d", P("/b/c"))) == "/b/c=2@ann");
  BOOST_TEST(Lines(repo().Blame("d", P("/b/d/0"))) == "/b/d/0=1@ann");
  BOOST_TEST(Lines(repo().Blame("other", JsonPointer())) == "=2@dan");
  // At an older revision.
  BOOST_TEST(Lines(repo().Blame("d", P("/b"), "HEAD~3")) == "/b/c=2@ann /b/d=[1,2]@ann");
  // Each line carries the whole version.
  Result<std::vector<BlameLine>> lines = repo().Blame("d", P("/a"));
  BOOST_REQUIRE(lines.ok());
  BOOST_TEST((*lines)[0].version.id == repo().ResolveRevision("HEAD~4").value());
  BOOST_TEST((*lines)[0].version.time == 2);
}

BOOST_FIXTURE_TEST_CASE(a_value_set_back_is_blamed_on_the_newest_change, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1,"b":1})"), By("ann", 1)).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("bob", 2)).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("carl", 3)).ok());
  BOOST_TEST(Lines(repo().Blame("d", JsonPointer())) == "/a=1@carl /b=1@ann");
}

BOOST_FIXTURE_TEST_CASE(a_recreated_document_is_blamed_on_its_recreation, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1,"b":1})"), By("ann", 1)).ok());
  BOOST_REQUIRE(repo().Remove("d", std::nullopt, By("bob", 2)).ok());
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1,"b":1})"), By("carl", 3)).ok());
  BOOST_REQUIRE(repo().Set("d", P("/b"), J("2"), By("dan", 4)).ok());
  BOOST_TEST(Lines(repo().Blame("d", JsonPointer())) == "/a=1@carl /b=2@dan");
}

BOOST_FIXTURE_TEST_CASE(a_value_that_changes_type_is_blamed_whole, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":{"x":1},"b":1})"), By("ann", 1)).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("7"), By("bob", 2)).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J(R"({"x":1,"y":{}})"), By("carl", 3)).ok());
  BOOST_TEST(Lines(repo().Blame("d", JsonPointer())) == "/a/x=1@carl /a/y={}@carl /b=1@ann");
}

BOOST_FIXTURE_TEST_CASE(large_documents_stored_as_trees, RepoFixture) {
  json::object big;
  for (int i = 0; i < 600; ++i) big[Name("key", i)] = json::object{{"v", i}};
  BOOST_REQUIRE(repo().Put("big", big, By("ann", 1)).ok());
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(
        repo().Set("big", P(Name("/key", i * 100) + "/v"), J("-1"), By("bob", 2 + i)).ok());
  }
  BOOST_REQUIRE(repo().Set("big", P("/key599/w"), J("true"), By("carl", 10)).ok());
  Result<std::vector<BlameLine>> lines = repo().Blame("big", JsonPointer());
  BOOST_REQUIRE(lines.ok());
  BOOST_TEST(lines->size() == 601u);
  std::map<std::string, std::string> who;
  for (const auto& l : *lines) who[l.pointer.ToString()] = l.version.author.name;
  BOOST_TEST(who["/key0/v"] == "bob");
  BOOST_TEST(who["/key400/v"] == "bob");
  BOOST_TEST(who["/key1/v"] == "ann");
  BOOST_TEST(who["/key599/v"] == "ann");
  BOOST_TEST(who["/key599/w"] == "carl");
  std::size_t by_ann = 0;
  for (const auto& [p, name] : who) by_ann += name == "ann";
  BOOST_TEST(by_ann == 595u);
  BOOST_TEST(Lines(repo().Blame("big", P("/key200"))) == "/key200/v=-1@bob");
}

BOOST_FIXTURE_TEST_CASE(missing_documents_and_values_are_not_found, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1})"), By("ann", 1)).ok());
  Result<std::vector<BlameLine>> none = repo().Blame("nope", JsonPointer());
  BOOST_TEST((none.status().code() == Code::kNotFound));
  BOOST_TEST(none.status().message().find("'nope'") != std::string::npos);
  BOOST_TEST((repo().Blame("d", P("/b")).status().code() == Code::kNotFound));
  BOOST_TEST((repo().Blame("d", JsonPointer(), "nope").status().code() == Code::kNotFound));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
