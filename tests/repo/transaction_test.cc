// Tests for repo/transaction.h and the write path built on it: the write
// lock, stale git locks, hook points, expected versions, detached HEAD.
#include "repo/transaction.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <ctime>
#include <fstream>

#include "repo/test_access.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

std::string HeadOf(Repository& repo, const std::string& rev = "HEAD") {
  return repo.ResolveRevision(rev).value();
}

void SetConfig(const std::string& git_dir, const char* key, int value) {
  git_config* raw = nullptr;
  BOOST_REQUIRE(git_config_open_ondisk(&raw, (git_dir + "/config").c_str()) == 0);
  ConfigPtr cfg(raw);
  BOOST_REQUIRE(git_config_set_int32(raw, key, value) == 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(transaction)

BOOST_FIXTURE_TEST_CASE(a_writer_waits_for_the_lock_and_names_it_when_it_times_out, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  SetConfig(repo().path(), "strata.lockTimeout", 0);
  std::string head = HeadOf(repo());
  {
    Result<WriteLock> held = WriteLock::Acquire(repo().path(), 0);
    BOOST_REQUIRE(held.ok());
    Result<WriteResult> w = repo().Set("d", P(""), J("2"), By("bob"));
    BOOST_TEST((w.status().code() == Code::kConflict));
    BOOST_TEST(w.status().message().find(repo().path() + "/strata.lock") != std::string::npos,
               w.status().message());
    BOOST_TEST(w.status().message().find("held by process " + std::to_string(getpid())) !=
                   std::string::npos,
               w.status().message());
    BOOST_TEST(HeadOf(repo()) == head);
  }
  // Released with its holder: the next write goes through.
  BOOST_TEST(repo().Set("d", P(""), J("2"), By("bob")).ok());
}

// A write that fails after it built its version (here: the lock timed out)
// leaves nothing staged: its objects wait in the stage for the journal
// (repo/journal.h) only while it can still commit. gc refuses to run while
// objects are staged, so it would have refused until the next write.
BOOST_FIXTURE_TEST_CASE(a_write_that_fails_under_the_lock_leaves_nothing_staged, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Set("d", P(""), J("2"), By("ann")).ok());  // a loose ref: journaled
  SetConfig(repo().path(), "strata.lockTimeout", 0);
  {
    Result<WriteLock> held = WriteLock::Acquire(repo().path(), 0);
    BOOST_REQUIRE(held.ok());
    Result<WriteResult> w = repo().Set("d", P(""), J("3"), By("bob"));
    BOOST_TEST((w.status().code() == Code::kConflict));
  }
  GcOptions full;
  Result<GcReport> gc = repo().Gc(full);
  BOOST_TEST(gc.ok(), gc.status().message());
  BOOST_TEST(repo().Get("d").value() == J("2"));
}

// Sets the modification time of `path` to `seconds` from now.
void Touch(const std::string& path, int seconds) {
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec times[2] = {now, now};
  times[0].tv_sec += seconds;
  times[1].tv_sec += seconds;
  BOOST_REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

// A process killed while libgit2 held a ref's lock file leaves the file;
// git would refuse the ref from then on. A strata write removes it under
// the write lock once it is old enough to be nobody's (transaction.h).
BOOST_FIXTURE_TEST_CASE(a_stale_git_lock_left_by_a_killed_writer_is_removed, RepoFixture) {
  struct Case {
    const char* name;
    std::string file;  // under .strata/
    int age;           // seconds
  };
  const std::vector<Case> cases = {
      {"the branch's lock, just old enough", "refs/heads/main.lock", 2},
      {"the branch's lock, an hour old", "refs/heads/main.lock", 3600},
      {"packed-refs' lock", "packed-refs.lock", 10},
  };
  BOOST_REQUIRE(repo().Put("d", J("0"), By("ann")).ok());
  int n = 0;
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const std::string lock = repo().path() + "/" + c.file;
      std::ofstream(lock) << "0000000000000000000000000000000000000000\n";
      Touch(lock, -c.age);
      const std::string head = HeadOf(repo());
      Result<WriteResult> w = repo().Set("d", P(""), J(std::to_string(++n)), By("bob"));
      BOOST_REQUIRE_MESSAGE(w.ok(), w.status().message());
      BOOST_TEST(!fs::exists(lock));
      BOOST_TEST(HeadOf(repo()) == w->version.id);
      BOOST_TEST(HeadOf(repo(), "HEAD~1") == head);
      BOOST_TEST(repo().Verify().value().notes.empty());
    }
  }
}

// A lock file that is not old (here: made in the future, as by a clock that
// is ahead) may be a live git process's: it is never removed, and the
// write's error names it and how to remove it.
BOOST_FIXTURE_TEST_CASE(a_git_lock_that_is_not_stale_is_named_with_how_to_remove_it, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  const std::string lock = repo().path() + "/refs/heads/main.lock";
  std::ofstream(lock) << "0000000000000000000000000000000000000000\n";
  Touch(lock, 3600);
  const std::string head = HeadOf(repo());
  Result<WriteResult> w = repo().Set("d", P(""), J("2"), By("bob"));
  BOOST_TEST((w.status().code() == Code::kConflict));
  BOOST_TEST(w.status().message().find(lock + " exists") != std::string::npos,
             w.status().message());
  BOOST_TEST(w.status().message().find("rm '" + lock + "'") != std::string::npos);
  BOOST_TEST(w.status().message().find("kept moving") == std::string::npos);
  BOOST_TEST(fs::exists(lock));
  BOOST_TEST(HeadOf(repo()) == head);
  // verify notes it (it is part of no version), and does not fail.
  VerifyReport report = repo().Verify().value();
  BOOST_TEST(report.problems.empty());
  BOOST_REQUIRE_EQUAL(report.notes.size(), 1u);
  BOOST_TEST(report.notes[0].find(lock) != std::string::npos, report.notes[0]);
  fs::remove(lock);
  BOOST_TEST(repo().Set("d", P(""), J("2"), By("bob")).ok());
  BOOST_TEST(repo().Verify().value().notes.empty());
}

BOOST_FIXTURE_TEST_CASE(pre_commit_may_refuse_and_post_commit_is_told, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1})"), By("ann")).ok());
  const std::string head = HeadOf(repo());
  std::vector<RefUpdate> told;
  TransactionHooks hooks;
  hooks.pre_commit = [](const RefUpdate& u) -> Status {
    for (const auto& op : u.delta) {
      if (op.path.ToString() == "/d/forbidden") return Status::Conflict("pre-commit: no");
    }
    return Status::Ok();
  };
  hooks.post_commit = [&](const RefUpdate& u) { told.push_back(u); };
  RepositoryTestAccess::SetTransactionHooks(repo(), hooks);

  Result<WriteResult> refused = repo().Set("d", P("/forbidden"), J("1"), By("bob"));
  BOOST_TEST(refused.status().message() == "pre-commit: no");
  BOOST_TEST(HeadOf(repo()) == head);
  BOOST_TEST(told.empty());

  Result<WriteResult> w = repo().Set("d", P("/a"), J("2"), By("bob"));
  BOOST_REQUIRE(w.ok());
  BOOST_REQUIRE(told.size() == 1u);
  BOOST_TEST(told[0].ref == "refs/heads/main");
  BOOST_TEST(told[0].expected->Hex() == head);
  BOOST_TEST(told[0].target.Hex() == w->version.id);
  BOOST_TEST(told[0].version->author.name == "bob");
  BOOST_REQUIRE(told[0].delta.size() == 1u);
  BOOST_TEST(told[0].delta[0].path.ToString() == "/d/a");
}

BOOST_FIXTURE_TEST_CASE(an_expected_base_refuses_a_write_whose_document_moved, RepoFixture) {
  BOOST_REQUIRE(repo().Put("a", J(R"({"n":0,"m":0})"), By("ann", 100)).ok());
  BOOST_REQUIRE(repo().Put("b", J("0"), By("ann", 100)).ok());
  const std::string base = HeadOf(repo());
  // Another writer changes a.
  BOOST_REQUIRE(repo().Set("a", P("/m"), J("1"), By("bob", 200)).ok());
  const std::string moved = HeadOf(repo());

  CommitOptions o = By("cy", 300);
  o.expected = base;
  Result<WriteResult> w = repo().Set("a", P("/n"), J("5"), o);
  BOOST_TEST((w.status().code() == Code::kConflict));
  BOOST_TEST(w.status().message().find("document 'a' was changed by bob <bob@example.com>") !=
                 std::string::npos,
             w.status().message());
  BOOST_TEST(w.status().message().find("since version " + base.substr(0, 12)) != std::string::npos);
  BOOST_TEST(HeadOf(repo()) == moved);
  // A document that did not move since the base is written.
  BOOST_TEST(repo().Set("b", P(""), J("5"), o).ok());
  // The branch had no versions: a document that now exists has moved.
  o.expected = CommitOptions::kNoVersion;
  BOOST_TEST((repo().Put("b", J("6"), o).status().code() == Code::kConflict));
  BOOST_TEST(repo().Put("c", J("6"), o).ok());
  // An expected revision that does not exist is an error, naming it.
  o.expected = "nope";
  Result<WriteResult> unknown = repo().Put("c", J("7"), o);
  BOOST_TEST((unknown.status().code() == Code::kNotFound));
  BOOST_TEST(unknown.status().message().find("'nope'") != std::string::npos);
}

// Regression: objects a refused write had staged (and read back while
// diffing) stayed in libgit2's object cache after they were discarded, so
// the same write retried in the same process took them for stored, did not
// write them, and made a version whose state was missing on disk.
BOOST_FIXTURE_TEST_CASE(a_write_retried_after_a_refusal_stores_every_object, RepoFixture) {
  BOOST_REQUIRE(repo().Put("a", J(R"({"n":0})"), By("ann", 100)).ok());
  const std::string base = HeadOf(repo());
  BOOST_REQUIRE(repo().Set("a", P("/m"), J("1"), By("bob", 200)).ok());
  CommitOptions o = By("cy", 300);
  o.expected = base;
  json::object big;
  for (int i = 0; i < 3000; ++i) big["k" + std::to_string(i)] = "value " + std::to_string(i);
  Patch edit = ParsePatch(J(R"([{"op":"add","path":"/a/n","value":5}])")).value();
  edit.push_back(PatchOp{PatchOpKind::kAdd, P("/big"), {}, big});
  BOOST_TEST((repo().Patch(std::nullopt, edit, o).status().code() == Code::kConflict));
  // The same change, now on the head it was refused for.
  o.expected = HeadOf(repo());
  BOOST_REQUIRE(repo().Patch(std::nullopt, edit, o).ok());
  VerifyReport report = repo().Verify().value();
  std::string all;
  for (const auto& p : report.problems) all += p + "\n";
  BOOST_TEST(report.problems.empty(), all);
  // A fresh process sees every object.
  std::unique_ptr<Repository> fresh = Repository::Open(dir()).value();
  BOOST_TEST(CanonicalJson(fresh->Read("HEAD").value().Get("big", P("/k2999")).value()) ==
             R"("value 2999")");
}

BOOST_FIXTURE_TEST_CASE(a_write_on_a_detached_head_moves_head_itself, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("d", J("2"), By("ann")).ok());
  const std::string main_head = HeadOf(repo(), "main");
  const std::string first = HeadOf(repo(), "HEAD~1");
  // git update-ref --no-deref HEAD <first>
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open_bare(&raw, repo().path().c_str()) == 0);
  RepositoryPtr git(raw);
  git_oid oid;
  BOOST_REQUIRE(git_oid_fromstr(&oid, first.c_str()) == 0);
  BOOST_REQUIRE(git_repository_set_head_detached(raw, &oid) == 0);

  Result<WriteResult> w = repo().Set("d", P(""), J("3"), By("bob"));
  BOOST_REQUIRE(w.ok());
  BOOST_TEST(w->branch == "detached HEAD");
  BOOST_TEST(w->version.parents == std::vector<std::string>{first});
  BOOST_TEST(HeadOf(repo()) == w->version.id);
  BOOST_TEST(CanonicalJson(Get("d").value()) == "3");
  BOOST_TEST(HeadOf(repo(), "main") == main_head);
  BOOST_TEST(!fs::exists(fs::path(repo().path()) / "refs" / "heads" / "HEAD"));
  BOOST_TEST(repo().CurrentBranch() == "HEAD");
}

BOOST_FIXTURE_TEST_CASE(writes_go_to_the_branch_they_name, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  const std::string main_head = HeadOf(repo());
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open_bare(&raw, repo().path().c_str()) == 0);
  RepositoryPtr git(raw);
  git_reference* ref = nullptr;
  git_oid oid;
  BOOST_REQUIRE(git_oid_fromstr(&oid, main_head.c_str()) == 0);
  BOOST_REQUIRE(git_reference_create(&ref, raw, "refs/heads/exp", &oid, 0, "test") == 0);
  git_reference_free(ref);

  CommitOptions o = By("bob");
  o.branch = "exp";
  Result<WriteResult> w = repo().Set("d", P(""), J("2"), o);
  BOOST_REQUIRE(w.ok());
  BOOST_TEST(w->branch == "exp");
  BOOST_TEST(HeadOf(repo(), "exp") == w->version.id);
  BOOST_TEST(HeadOf(repo(), "main") == main_head);
  BOOST_TEST(CanonicalJson(Get("d", "exp").value()) == "2");
  o.branch = "missing";
  BOOST_TEST((repo().Set("d", P(""), J("3"), o).status().code() == Code::kNotFound));
  o.branch = "bad..name";
  BOOST_TEST((repo().Set("d", P(""), J("3"), o).status().code() == Code::kInvalidArgument));
}

BOOST_FIXTURE_TEST_CASE(version_times_out_of_range_are_refused, RepoFixture) {
  // libgit2 records 32 unsigned bits; a larger time would wrap.
  for (std::int64_t t :
       {std::int64_t{-1}, std::int64_t{4294967296}, std::int64_t{253402300799}, INT64_MAX}) {
    Result<WriteResult> w = repo().Put("d", J("1"), By("ann", t));
    BOOST_TEST((w.status().code() == Code::kInvalidArgument), t);
  }
  BOOST_TEST(repo().Put("d", J("1"), By("ann", 4294967295)).ok());
  BOOST_TEST(Show("HEAD")->time == 4294967295);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
