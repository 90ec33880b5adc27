// The library's public boundary (strata/status.h): where an exception thrown
// inside a call becomes a Status, and where one is kept from unwinding
// through libgit2's C frames (undefined behaviour).
//
// Every public function of libstrata that returns a Status or a Result<T>
// catches at its boundary, with a function-try-block:
//
//   Result<WriteResult> Repository::Put(...) try {
//     ...
//   } catch (...) {
//     return CaughtStatus("Repository::Put");
//   }
//
// and every function libgit2 calls back (ODB backends, transport and
// progress callbacks, foreach callbacks) runs its body in GuardedCallback.
// Inside, code reports failures as Status and does not catch: the few
// exceptions C++ and Boost.JSON still throw (std::bad_alloc,
// boost::system::system_error from a value of the wrong kind, a user
// callback's own) travel to the nearest of these two.
#pragma once

#include <utility>

#include "strata/status.h"

namespace strata {

// The Status for the exception being handled; call only inside a catch
// block. `where` (a string literal) names the call, "Repository::Put":
//   std::bad_alloc, std::length_error  kResourceExhausted "WHERE: out of memory"
//   std::system_error (filesystem too)  kIOError "WHERE: WHAT"
//   anything else                       kInternal "internal error in WHERE: WHAT"
// Never throws: when even the message cannot be built, the Status holds a
// message short enough to need no allocation ("out of memory").
Status CaughtStatus(const char* where) noexcept;

// Runs `body`, which returns a Status or a Result<T>; an exception it
// throws comes back as CaughtStatus(where).
template <typename F>
auto Guarded(const char* where, F&& body) noexcept -> decltype(std::forward<F>(body)()) {
  try {
    return std::forward<F>(body)();
  } catch (...) {
    return CaughtStatus(where);
  }
}

// For a function libgit2 calls: runs `body` (returning libgit2's int); an
// exception it throws sets libgit2's error message to CaughtStatus(where)'s
// and returns GIT_EUSER, so the libgit2 call fails with that message.
int CaughtCallbackError(const char* where) noexcept;
template <typename F>
int GuardedCallback(const char* where, F&& body) noexcept {
  try {
    return std::forward<F>(body)();
  } catch (...) {
    return CaughtCallbackError(where);
  }
}

}  // namespace strata
