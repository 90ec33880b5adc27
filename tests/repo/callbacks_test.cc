// Code the caller gives the library that throws: nothing crosses the
// public boundary (objects/guard.h). A write's edit that throws fails the
// write (nothing written, the write lock released); a gc progress callback
// that throws inside libgit2's packing stops the gc with an error (never
// unwinding through libgit2's C frames); a snapshot visitor or an export
// progress callback that throws fails that call; a reporter that throws is
// ignored, and the write stands.
#include <boost/test/unit_test.hpp>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "strata/strata.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

using Lines = std::vector<std::string>;

bool Verifies(Repository& repo) {
  Result<VerifyReport> report = repo.Verify();
  return report.ok() && report->problems.empty();
}

BOOST_AUTO_TEST_SUITE(repo_callbacks)

// What a throwing edit gives, for each kind of exception.
BOOST_FIXTURE_TEST_CASE(an_edit_that_throws_fails_the_write_and_releases_the_lock, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1})"), By("ann")).ok());
  struct Case {
    std::function<void()> raise;
    Code code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[] { throw std::runtime_error("edit boom"); }, Code::kInternal,
       "internal error in Repository::Write: edit boom"},
      {[] { throw std::bad_alloc(); }, Code::kResourceExhausted,
       "Repository::Write: out of memory"},
      {[] { throw 42; }, Code::kInternal,
       "internal error in Repository::Write: an exception that is not a std::exception"},
      {[] { (void)json::value(1).as_object(); }, Code::kInternal,
       "internal error in Repository::Write: "},  // Boost.JSON's system_error: a prefix
  };
  for (const Case& c : cases) {
    Result<WriteResult> w = repo().Write(
        [&](PatchTarget& t) -> Status {
          STRATA_RETURN_IF_ERROR(t.Replace(*JsonPointer::Parse("/d/a"), json::value(2)));
          c.raise();
          return Status::Ok();
        },
        std::string("edit"), By("bob"));
    BOOST_REQUIRE(!w.ok());
    BOOST_TEST(CodeName(w.status().code()) == CodeName(c.code));
    BOOST_TEST(w.status().message().rfind(c.message, 0) == 0, w.status().message());
    // Nothing written, and the lock is free: the next write goes through.
    BOOST_TEST(LogSize(repo()) == 1u);
    BOOST_TEST(Get("d").value() == J(R"({"a":1})"));
  }
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("3"), By("ann")).ok());
  BOOST_TEST(Get("d").value() == J(R"({"a":3})"));
  BOOST_TEST(Verifies(repo()));
}

BOOST_FIXTURE_TEST_CASE(a_gc_progress_callback_that_throws_stops_the_gc, RepoFixture) {
  for (int i = 0; i < 5; ++i) {
    BOOST_REQUIRE(repo().Set("d", P("/n"), json::value(i), By("ann")).ok());
  }
  GcOptions throwing;
  Lines stages;
  throwing.progress = [&](const std::string& stage, std::uint64_t, std::uint64_t) {
    stages.push_back(stage);
    throw std::runtime_error("progress boom");
  };
  Result<GcReport> failed = repo().Gc(throwing);
  BOOST_REQUIRE(!failed.ok());
  BOOST_TEST(stages.size() == 1u);  // the first call threw; no later one came
  BOOST_TEST(failed.status().message().find("progress boom") != std::string::npos,
             failed.status().message());
  // As a gc killed midway: sound, and the next gc runs.
  BOOST_TEST(Verifies(repo()));
  Lines seen;
  GcOptions counting;
  counting.progress = [&](const std::string& stage, std::uint64_t, std::uint64_t) {
    if (seen.empty() || seen.back() != stage) seen.push_back(stage);
  };
  Result<GcReport> ran = repo().Gc(counting);
  BOOST_REQUIRE_MESSAGE(ran.ok(), ran.status().message());
  BOOST_TEST(ran->ran);
  BOOST_TEST(!seen.empty());
  BOOST_TEST(Verifies(repo()));
  BOOST_TEST(Get("d").value() == J(R"({"n":4})"));
}

BOOST_FIXTURE_TEST_CASE(a_visitor_that_throws_fails_the_call, RepoFixture) {
  BOOST_REQUIRE(repo().Put("a", J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("b", J("2"), By("ann")).ok());
  Result<Snapshot> snap = repo().Read("HEAD");
  BOOST_REQUIRE(snap.ok());
  Lines visited;
  Status st = snap->ForEachDocument([&](const std::string& id, json::value) -> Status {
    visited.push_back(id);
    throw std::runtime_error("visitor boom");
  });
  BOOST_TEST(CodeName(st.code()) == "Internal");
  BOOST_TEST(st.message() == "internal error in Snapshot::ForEachDocument: visitor boom");
  BOOST_TEST(visited == (Lines{"a"}), boost::test_tools::per_element());
  // The snapshot is still usable.
  BOOST_TEST(snap->Get("b").value() == J("2"));
}

BOOST_FIXTURE_TEST_CASE(an_export_progress_that_throws_fails_the_export, RepoFixture) {
  BOOST_REQUIRE(repo().Put("a", J("1"), By("ann")).ok());
  Result<Snapshot> snap = repo().Read("HEAD");
  BOOST_REQUIRE(snap.ok());
  ExportOptions o;
  o.progress = [](std::size_t, std::size_t) { throw std::runtime_error("export boom"); };
  Result<ExportResult> r = ExportSnapshot(*snap, dir() + "/out", o);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.status().message() == "internal error in ExportSnapshot: export boom");
}

BOOST_FIXTURE_TEST_CASE(a_reporter_that_throws_is_ignored_and_the_write_stands, RepoFixture) {
  int reported = 0;
  repo().SetEventReporter([&](const std::string&) {
    ++reported;
    throw std::runtime_error("reporter boom");
  });
  EventConnection c = repo().Subscribe({}, [](const Event&) { throw std::bad_alloc(); });
  Result<WriteResult> w = repo().Put("d", J("1"), By("ann"));
  BOOST_REQUIRE_MESSAGE(w.ok(), w.status().message());
  BOOST_TEST(reported == 1);
  BOOST_TEST(LogSize(repo()) == 1u);
  BOOST_REQUIRE(repo().Put("d", J("2"), By("ann")).ok());  // the lock was released
  BOOST_TEST(reported == 2);
  BOOST_TEST(Get("d").value() == J("2"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
