// Tests for strata/status.h: Status, Result, and the checked value().
#include "strata/status.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "objects/guard.h"

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

BOOST_AUTO_TEST_CASE(every_code_has_a_name) {
  const std::vector<std::pair<Code, std::string>> names = {
      {Code::kOk, "Ok"},
      {Code::kNotFound, "NotFound"},
      {Code::kInvalidArgument, "InvalidArgument"},
      {Code::kConflict, "Conflict"},
      {Code::kCorruption, "Corruption"},
      {Code::kIOError, "IOError"},
      {Code::kUnchanged, "Unchanged"},
      {Code::kResourceExhausted, "ResourceExhausted"},
      {Code::kInternal, "Internal"},
  };
  for (const auto& [code, name] : names) BOOST_TEST(CodeName(code) == name);
}

// The public boundary (objects/guard.h): each kind of exception, its code
// and message.
BOOST_AUTO_TEST_CASE(guarded_turns_each_exception_into_a_status) {
  struct Case {
    std::function<void()> raise;
    Code code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[] { throw std::bad_alloc(); }, Code::kResourceExhausted, "Repository::Put: out of memory"},
      {[] {
         std::string s;
         s.reserve(s.max_size() + 1);
       },
       Code::kResourceExhausted, "Repository::Put: out of memory (basic_string::_M_create)"},
      {[] {
         throw std::filesystem::filesystem_error("cannot", "/x",
                                                 std::make_error_code(std::errc::io_error));
       },
       Code::kIOError, "Repository::Put: filesystem error: cannot: Input/output error [/x]"},
      {[] { (void)boost::json::value(1).as_object(); }, Code::kInternal,
       "internal error in Repository::Put: not an object"},
      {[] { throw std::runtime_error("boom"); }, Code::kInternal,
       "internal error in Repository::Put: boom"},
      {[] { throw 42; }, Code::kInternal,
       "internal error in Repository::Put: an exception that is not a std::exception"},
  };
  for (const Case& c : cases) {
    Status st = Guarded("Repository::Put", [&]() -> Status {
      c.raise();
      return Status::Ok();
    });
    BOOST_TEST(CodeName(st.code()) == CodeName(c.code));
    BOOST_TEST(st.message().rfind(c.message, 0) == 0, st.message());
  }
  // A Result, and a body that does not throw.
  Result<int> r = Guarded("F", []() -> Result<int> { return 7; });
  BOOST_TEST(*r == 7);
  Result<int> e = Guarded("F", []() -> Result<int> { throw std::runtime_error("x"); });
  BOOST_TEST(e.status().message() == "internal error in F: x");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
