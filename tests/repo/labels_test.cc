// Tests for labels added later (repo/labels.h; Repository::AddLabels,
// RemoveLabels, LabelsOf) and how Read and Log describe them.
#include "repo/labels.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "repo/refs.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

using Labels = std::vector<std::string>;

CommitOptions Labelled(Labels labels) {
  CommitOptions o = RepoFixture::By("ann");
  o.labels = std::move(labels);
  return o;
}

LabelOptions ByLee() {
  LabelOptions o;
  o.author = Signature{"Lee", "lee@example.com"};
  o.time = 1700000200;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(labels)

BOOST_AUTO_TEST_CASE(notes_compose_and_parse) {
  struct Case {
    std::string text;
    Labels labels;
  };
  const std::vector<Case> cases = {
      {"", {}},
      {"Label: a\n", {"a"}},
      {"Label: a\nLabel: b/c:d\n", {"a", "b/c:d"}},
      {"Label: a\nLabel: a\n", {"a"}},                                    // once each
      {"Label: a\nlabel: b\nLabel: bad label\nx\nLabel: c", {"a", "c"}},  // others skipped
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.text) { BOOST_TEST(ParseLabelNote(c.text) == c.labels); }
  }
  BOOST_TEST(ComposeLabelNote({"a", "b"}) == "Label: a\nLabel: b\n");
  BOOST_TEST(ComposeLabelNote({}) == "");
}

BOOST_FIXTURE_TEST_CASE(added_labels_are_kept_apart_from_the_versions_own, RepoFixture) {
  auto v1 = repo().Put("d", J("1"), Labelled({"own"}));
  BOOST_REQUIRE(v1.ok());
  auto v2 = repo().Put("d", J("2"), By("ann"));
  BOOST_REQUIRE(v2.ok());
  const std::string head_before = repo().ResolveRevision("HEAD").value();

  // "own" is the version's already: skipped; "x" twice: once.
  auto added = repo().AddLabels("HEAD~1", {"reviewed", "own", "x", "x"}, ByLee());
  BOOST_REQUIRE_MESSAGE(added.ok(), added.status().message());
  BOOST_TEST(added->version == v1->version.id);
  BOOST_TEST(added->labels == Labels{"own"});
  BOOST_TEST(added->added_labels == (Labels{"reviewed", "x"}));
  // The version is not rewritten: the branch did not move.
  BOOST_TEST(repo().ResolveRevision("HEAD").value() == head_before);

  auto again = repo().AddLabels(v1->version.id, {"x", "own"}, ByLee());
  BOOST_TEST((again.status().code() == Code::kUnchanged));

  BOOST_REQUIRE(repo().AddLabels("HEAD", {"later"}, ByLee()).ok());
  auto of = repo().LabelsOf("HEAD~1");
  BOOST_REQUIRE(of.ok());
  BOOST_TEST(of->added_labels == (Labels{"reviewed", "x"}));

  // Read and Log fill VersionInfo::added_labels.
  auto shown = Show("HEAD~1");
  BOOST_REQUIRE(shown.ok());
  BOOST_TEST(shown->labels == Labels{"own"});
  BOOST_TEST(shown->added_labels == (Labels{"reviewed", "x"}));
  auto log = repo().Log("HEAD", {});
  BOOST_REQUIRE(log.ok());
  BOOST_REQUIRE_EQUAL(log->size(), 2u);
  BOOST_TEST((*log)[0].added_labels == Labels{"later"});
  BOOST_TEST((*log)[1].added_labels == (Labels{"reviewed", "x"}));
  BOOST_TEST(VersionToJson((*log)[1]).at("added_labels") == (json::array{"reviewed", "x"}));
}

BOOST_FIXTURE_TEST_CASE(remove_takes_off_added_labels_only, RepoFixture) {
  auto v1 = repo().Put("d", J("1"), Labelled({"own"}));
  BOOST_REQUIRE(v1.ok());
  BOOST_REQUIRE(repo().AddLabels("HEAD", {"a", "b", "c"}, ByLee()).ok());

  auto removed = repo().RemoveLabels("HEAD", {"b"}, ByLee());
  BOOST_REQUIRE(removed.ok());
  BOOST_TEST(removed->added_labels == (Labels{"a", "c"}));

  auto own = repo().RemoveLabels("HEAD", {"own"}, ByLee());
  BOOST_TEST((own.status().code() == Code::kInvalidArgument));
  BOOST_TEST(own.status().message().find("label 'own' was written with version") !=
             std::string::npos);
  auto absent = repo().RemoveLabels("HEAD", {"a", "zz"}, ByLee());
  BOOST_TEST((absent.status().code() == Code::kNotFound));
  BOOST_TEST(absent.status().message() ==
             "version " + v1->version.id.substr(0, 12) + " has no label 'zz'");
  // Refused as a whole: "a" is still there.
  BOOST_TEST(repo().LabelsOf("HEAD")->added_labels == (Labels{"a", "c"}));

  // The last ones: the note goes away.
  BOOST_REQUIRE(repo().RemoveLabels("HEAD", {"a", "c"}, ByLee()).ok());
  BOOST_TEST(repo().LabelsOf("HEAD")->added_labels.empty());
  BOOST_TEST(Show("HEAD")->added_labels.empty());
}

BOOST_FIXTURE_TEST_CASE(invalid_labels_and_revisions_are_refused, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  BOOST_TEST(
      (repo().AddLabels("HEAD", {"bad label"}, ByLee()).status().code() == Code::kInvalidArgument));
  BOOST_TEST((repo().AddLabels("HEAD", {}, ByLee()).status().code() == Code::kInvalidArgument));
  BOOST_TEST((repo().AddLabels("nope", {"a"}, ByLee()).status().code() == Code::kNotFound));
  BOOST_TEST(repo().LabelsOf("HEAD")->added_labels.empty());
}

// Each change is one notes commit on refs/notes/strata-labels, on the one before,
// by the labeller, with a note git reads.
BOOST_FIXTURE_TEST_CASE(each_change_is_a_notes_commit_git_can_read, RepoFixture) {
  auto v1 = repo().Put("d", J("1"), By("ann"));
  BOOST_REQUIRE(v1.ok());
  BOOST_REQUIRE(repo().AddLabels("HEAD", {"a"}, ByLee()).ok());
  BOOST_REQUIRE(repo().AddLabels("HEAD", {"b"}, ByLee()).ok());
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open(&raw, repo().path().c_str()) == 0);
  RepositoryPtr git(raw);
  auto notes = ReadRef(git.get(), kLabelsNotesRef);
  BOOST_REQUIRE(notes.ok() && notes->has_value());
  git_commit* c_raw = nullptr;
  BOOST_REQUIRE(git_commit_lookup(&c_raw, git.get(), AsGit(**notes)) == 0);
  CommitPtr c(c_raw);
  BOOST_TEST(git_commit_parentcount(c_raw) == 1u);
  BOOST_TEST(std::string(git_commit_author(c_raw)->name) == "Lee");
  BOOST_TEST(git_commit_author(c_raw)->when.time == 1700000200);
  git_note* note_raw = nullptr;
  git_oid target;
  BOOST_REQUIRE(git_oid_fromstr(&target, v1->version.id.c_str()) == 0);
  BOOST_REQUIRE(git_note_read(&note_raw, git.get(), kLabelsNotesRef, &target) == 0);
  BOOST_TEST(std::string(git_note_message(note_raw)) == "Label: a\nLabel: b\n");
  git_note_free(note_raw);
}

// Many labellers at once (one Repository each, as the CLI runs): none is lost.
BOOST_FIXTURE_TEST_CASE(concurrent_labellers_lose_nothing, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  constexpr int kThreads = 4, kEach = 5;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto r = Repository::Open(dir());
      if (!r.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        std::string label = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!(*r)->AddLabels("HEAD", {label}, ByLee()).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(failures.load() == 0);
  auto of = repo().LabelsOf("HEAD");
  BOOST_REQUIRE(of.ok());
  BOOST_TEST(of->added_labels.size() == static_cast<std::size_t>(kThreads * kEach));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
