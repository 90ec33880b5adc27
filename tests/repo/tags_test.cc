// Tests for tags (Repository::Tags, CreateTag, DeleteTag, TagsOf) and the
// ref deletion RefTransaction gained for them.
#include <boost/test/unit_test.hpp>

#include "repo/refs.h"
#include "repo/test_access.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

TagOptions Annotated(const std::string& message) {
  TagOptions o;
  o.message = message;
  o.tagger = Signature{"Tia", "tia@example.com"};
  o.time = 1700000100;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(tags)

BOOST_FIXTURE_TEST_CASE(lightweight_and_annotated_tags_are_listed_exactly, RepoFixture) {
  auto v1 = repo().Put("d", J("1"), By("ann"));
  BOOST_REQUIRE(v1.ok());
  auto v2 = repo().Put("d", J("2"), By("ann", 1700000050));
  BOOST_REQUIRE(v2.ok());
  auto light = repo().CreateTag("v1", "HEAD~1", TagOptions());
  BOOST_REQUIRE_MESSAGE(light.ok(), light.status().message());
  auto annotated = repo().CreateTag("release/2", "HEAD", Annotated("second\n\nbody"));
  BOOST_REQUIRE_MESSAGE(annotated.ok(), annotated.status().message());

  auto tags = repo().Tags();
  BOOST_REQUIRE(tags.ok());
  BOOST_REQUIRE_EQUAL(tags->size(), 2u);
  const TagInfo& r = (*tags)[0];  // sorted by name: "release/2" < "v1"
  BOOST_TEST(r.name == "release/2");
  BOOST_TEST(r.version == v2->version.id);
  BOOST_TEST(r.annotated);
  BOOST_TEST(r.message == "second\n\nbody");
  BOOST_REQUIRE(r.tagger.has_value());
  BOOST_TEST(r.tagger->ToString() == "Tia <tia@example.com>");
  BOOST_TEST(r.time.value_or(0) == 1700000100);
  const TagInfo& l = (*tags)[1];
  BOOST_TEST(l.name == "v1");
  BOOST_TEST(l.version == v1->version.id);
  BOOST_TEST(!l.annotated);
  BOOST_TEST(l.message == "");
  BOOST_TEST(!l.tagger.has_value());
  BOOST_TEST(!l.time.has_value());

  // Tags are revisions: a lightweight one, and an annotated one peeled to its version.
  BOOST_TEST(repo().ResolveRevision("v1").value() == v1->version.id);
  BOOST_TEST(repo().ResolveRevision("release/2").value() == v2->version.id);
  BOOST_TEST(Get("d", "v1").value() == J("1"));

  auto of = repo().TagsOf(v2->version.id);
  BOOST_REQUIRE(of.ok());
  BOOST_REQUIRE_EQUAL(of->size(), 1u);
  BOOST_TEST((*of)[0].name == "release/2");
}

BOOST_FIXTURE_TEST_CASE(an_existing_tag_is_refused_unless_forced, RepoFixture) {
  auto v1 = repo().Put("d", J("1"), By("ann"));
  auto v2 = repo().Put("d", J("2"), By("ann"));
  BOOST_REQUIRE(v1.ok() && v2.ok());
  BOOST_REQUIRE(repo().CreateTag("t", "HEAD~1", TagOptions()).ok());
  auto again = repo().CreateTag("t", "HEAD", TagOptions());
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST((again.status().code() == Code::kConflict));
  BOOST_TEST(again.status().message() == "tag 't' already exists (use -f to replace it)");
  BOOST_TEST(repo().ResolveRevision("t").value() == v1->version.id);

  TagOptions force = Annotated("moved");
  force.force = true;
  BOOST_REQUIRE(repo().CreateTag("t", "HEAD", force).ok());
  BOOST_TEST(repo().ResolveRevision("t").value() == v2->version.id);
  BOOST_TEST(repo().Tags().value().at(0).annotated);
}

BOOST_FIXTURE_TEST_CASE(invalid_names_are_refused, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  for (const std::string name : {"", "a b", "a..b", "a~1", "x^", "a:b", "a?", "a*", "a[", "-x",
                                 "a/", "/a", "a.lock", "a\\b", "@{x"}) {
    BOOST_TEST_CONTEXT("'" << name << "'") {
      auto t = repo().CreateTag(name, "HEAD", TagOptions());
      BOOST_REQUIRE(!t.ok());
      BOOST_TEST((t.status().code() == Code::kInvalidArgument));
      BOOST_TEST(t.status().message().find("is not a valid tag name") != std::string::npos);
    }
  }
  BOOST_TEST(repo().Tags().value().empty());
}

BOOST_FIXTURE_TEST_CASE(a_tag_of_an_unknown_revision_is_not_found, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  auto t = repo().CreateTag("t", "nope", TagOptions());
  BOOST_REQUIRE(!t.ok());
  BOOST_TEST((t.status().code() == Code::kNotFound));
  BOOST_TEST(repo().Tags().value().empty());
}

BOOST_FIXTURE_TEST_CASE(delete_removes_the_ref_and_only_it, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().CreateTag("a", "HEAD", TagOptions()).ok());
  BOOST_REQUIRE(repo().CreateTag("b", "HEAD", Annotated("b")).ok());
  BOOST_REQUIRE(repo().DeleteTag("b").ok());
  auto tags = repo().Tags();
  BOOST_REQUIRE_EQUAL(tags->size(), 1u);
  BOOST_TEST((*tags)[0].name == "a");
  Status missing = repo().DeleteTag("b");
  BOOST_TEST((missing.code() == Code::kNotFound));
  BOOST_TEST(missing.message() == "no tag 'b'");
  BOOST_TEST(!repo().ResolveRevision("b").ok());
}

BOOST_FIXTURE_TEST_CASE(tag_moves_go_through_the_transaction_hooks, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  std::vector<std::string> seen;
  TransactionHooks hooks;
  hooks.pre_commit = [&](const RefUpdate& u) {
    seen.push_back(u.ref + (u.kind == RefUpdateKind::kDelete ? " delete" : " set"));
    return u.ref == "refs/tags/refused" ? Status::Conflict("hook says no") : Status::Ok();
  };
  RepositoryTestAccess::SetTransactionHooks(repo(), hooks);
  BOOST_REQUIRE(repo().CreateTag("t", "HEAD", TagOptions()).ok());
  BOOST_REQUIRE(repo().DeleteTag("t").ok());
  auto refused = repo().CreateTag("refused", "HEAD", TagOptions());
  BOOST_TEST(refused.status().message() == "hook says no");
  BOOST_TEST(seen == (std::vector<std::string>{"refs/tags/t set", "refs/tags/t delete",
                                               "refs/tags/refused set"}),
             boost::test_tools::per_element());
  BOOST_TEST(repo().Tags().value().empty());
}

BOOST_FIXTURE_TEST_CASE(a_transaction_deletes_only_a_ref_that_has_its_expected_id, RepoFixture) {
  auto v1 = repo().Put("d", J("1"), By("ann"));
  auto v2 = repo().Put("d", J("2"), By("ann"));
  BOOST_REQUIRE(v1.ok() && v2.ok());
  BOOST_REQUIRE(repo().CreateTag("t", "HEAD", TagOptions()).ok());
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open(&raw, repo().path().c_str()) == 0);
  RepositoryPtr git(raw);
  git_oid old_id;
  BOOST_REQUIRE(git_oid_fromstr(&old_id, v1->version.id.c_str()) == 0);
  auto tx = RefTransaction::Begin(git.get(), nullptr);
  BOOST_REQUIRE(tx.ok());
  RefUpdate u;
  u.ref = "refs/tags/t";
  u.expected = FromGit(old_id);  // stale: the tag names v2
  u.target = FromGit(old_id);
  u.kind = RefUpdateKind::kDelete;
  tx->Update(u);
  auto outcome = tx->Commit();
  BOOST_REQUIRE(outcome.ok());
  BOOST_TEST((*outcome == CommitOutcome::kRefMoved));
  BOOST_TEST(repo().ResolveRevision("t").value() == v2->version.id);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
