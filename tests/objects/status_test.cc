// Tests for objects/status.h: Status, Result, and the checked value().
#include "strata/status.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <string>

namespace strata {
namespace {

// Runs `body` in a child process; returns its wait status.
template <typename Body>
int InChild(const Body& body) {
  pid_t pid = fork();
  if (pid == 0) {
    // The default action (Boost.Test's handler would catch the abort and
    // carry on in the child), and the child's message kept out of the log.
    signal(SIGABRT, SIG_DFL);
    if (!freopen("/dev/null", "w", stderr)) _exit(2);
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

Result<int> Failing() { return Status::NotFound("no such thing"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(status)

BOOST_AUTO_TEST_CASE(a_result_holds_a_value_or_a_status) {
  Result<int> ok = 42;
  BOOST_TEST(ok.ok());
  BOOST_TEST(*ok == 42);
  BOOST_TEST(ok.value() == 42);
  Result<int> bad = Failing();
  BOOST_TEST(!bad.ok());
  BOOST_TEST((bad.status().code() == Code::kNotFound));
  BOOST_TEST(bad.status().WithContext("reading x").message() == "reading x: no such thing");
}

BOOST_AUTO_TEST_CASE(value_of_an_error_is_a_checked_abort_not_undefined_behaviour) {
  // Each form of access: value(), *, ->, and the rvalue value().
  struct Boxed {
    int n = 0;
  };
  const std::vector<void (*)()> accesses = {
      [] { std::exit(Failing().value()); },
      [] {
        Result<int> r = Failing();
        std::exit(*r);
      },
      [] {
        Result<Boxed> r = Status::Corruption("bad");
        std::exit(r->n);
      },
      [] {
        const Result<std::string> r = Status::IOError("io");
        std::exit(static_cast<int>(r.value().size()));
      },
  };
  for (std::size_t i = 0; i < accesses.size(); ++i) {
    int status = InChild(accesses[i]);
    BOOST_TEST(WIFSIGNALED(status), "access " << i);
    if (WIFSIGNALED(status)) BOOST_TEST(WTERMSIG(status) == SIGABRT, "access " << i);
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
