// Tests for repo/refs.h: revision ranges, and merge bases through the facade.
#include "repo/refs.h"

#include <boost/test/unit_test.hpp>

#include "tests/repo/repo_fixture.h"

namespace strata {

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(refs)

BOOST_AUTO_TEST_CASE(revision_ranges_read_as_git_reads_them) {
  using Kind = RevisionRange::Kind;
  struct Case {
    const char* text;
    Kind kind;
    const char* from;
    const char* to;
  };
  const Case cases[] = {
      {"HEAD~2", Kind::kSingle, "HEAD~2", ""},
      {"main..topic", Kind::kTwoDot, "main", "topic"},
      {"main...topic", Kind::kThreeDot, "main", "topic"},
      {"main..", Kind::kTwoDot, "main", "HEAD"},
      {"..topic", Kind::kTwoDot, "HEAD", "topic"},
      {"...topic", Kind::kThreeDot, "HEAD", "topic"},
      {"main@{2026-11-01}..HEAD", Kind::kTwoDot, "main@{2026-11-01}", "HEAD"},
  };
  for (const Case& c : cases) {
    RevisionRange r = ParseRevisionRange(c.text);
    BOOST_TEST((r.kind == c.kind), c.text);
    BOOST_TEST(r.from == c.from, c.text);
    BOOST_TEST(r.to == c.to, c.text);
  }
}

BOOST_FIXTURE_TEST_CASE(merge_base_of_a_line_is_the_older_version, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("a", 1700000000)).ok());
  BOOST_REQUIRE(repo().Put("d", J("2"), By("a", 1700000001)).ok());
  Result<std::optional<std::string>> base = repo().MergeBase("HEAD", "HEAD~1");
  BOOST_REQUIRE(base.ok());
  BOOST_REQUIRE(base->has_value());
  BOOST_TEST(**base == *repo().ResolveRevision("HEAD~1"));
  Result<std::optional<std::string>> unknown = repo().MergeBase("HEAD", "nope");
  BOOST_TEST((unknown.status().code() == Code::kNotFound));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
