// The thread-safety promise of strata/repository.h: one Repository object
// per thread, all on one repository, writing at once. Every acknowledged
// write is a version in history, and none is lost: each thread's own
// document ends as it left it, and the document all of them changed holds
// every thread's last value.
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

BOOST_AUTO_TEST_SUITE(repo_threads)

BOOST_FIXTURE_TEST_CASE(one_repository_per_thread_loses_no_write, RepoFixture) {
  constexpr int kThreads = 4;
  constexpr int kWrites = 8;  // per thread: kWrites to its own document, kWrites to the shared one
  std::vector<std::vector<std::string>> acked(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Result<std::unique_ptr<Repository>> repo = Repository::Open(dir());
      if (!repo.ok()) {
        errors[t] = repo.status().message();
        return;
      }
      const std::string name = "t" + std::to_string(t);
      for (int i = 1; i <= kWrites; ++i) {
        CommitOptions o = By(name, 1700000000 + i);
        o.message = name + " write " + std::to_string(i);
        Result<WriteResult> own = (*repo)->Set("own/" + name, *JsonPointer::Parse("/n"), i, o);
        Result<WriteResult> shared = (*repo)->Set("shared", *JsonPointer::Parse("/" + name), i, o);
        for (const Result<WriteResult>* w : {&own, &shared}) {
          if (!w->ok()) {
            errors[t] += w->status().message() + "; ";
          } else {
            acked[t].push_back(w->value().version.id);
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();

  for (int t = 0; t < kThreads; ++t) BOOST_TEST(errors[t] == "", "thread " << t);
  Result<std::vector<VersionInfo>> log = repo().Log("HEAD", LogOptions{});
  BOOST_TEST_REQUIRE(log.ok());
  std::set<std::string> in_history;
  for (const VersionInfo& v : *log) in_history.insert(v.id);
  std::size_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    BOOST_TEST(acked[t].size() == std::size_t{2 * kWrites});
    for (const std::string& id : acked[t]) {
      BOOST_TEST(in_history.count(id) == 1u, "acknowledged version " << id << " is in history");
    }
    total += acked[t].size();
  }
  // Every acknowledged write is its own version: nothing merged away.
  BOOST_TEST(in_history.size() == total);
  for (int t = 0; t < kThreads; ++t) {
    const std::string name = "t" + std::to_string(t);
    BOOST_TEST(Get("own/" + name).value() == J(R"({"n":8})"));
  }
  BOOST_TEST(Get("shared").value() == J(R"({"t0":8,"t1":8,"t2":8,"t3":8})"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
