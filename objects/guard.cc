#include "objects/guard.h"

#include <git2.h>

#include <boost/system/system_error.hpp>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace strata {

namespace {

// The code and text of the exception being handled; may throw bad_alloc.
Status Describe(const char* where) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted(std::string(where) + ": out of memory");
  } catch (const std::length_error& e) {
    return Status::ResourceExhausted(std::string(where) + ": out of memory (" + e.what() + ")");
  } catch (const std::system_error& e) {
    return Status::IOError(std::string(where) + ": " + e.what());
  } catch (const boost::system::system_error& e) {
    return Status::Internal("internal error in " + std::string(where) + ": " + e.what());
  } catch (const std::exception& e) {
    return Status::Internal("internal error in " + std::string(where) + ": " + e.what());
  } catch (...) {
    return Status::Internal("internal error in " + std::string(where) +
                            ": an exception that is not a std::exception");
  }
}

}  // namespace

Status CaughtStatus(const char* where) noexcept {
  try {
    return Describe(where);
  } catch (...) {
    // Building the message ran out of memory: 13 characters fit in the
    // string itself (no allocation).
    return Status(Code::kResourceExhausted, "out of memory");
  }
}

int CaughtCallbackError(const char* where) noexcept {
  Status st = CaughtStatus(where);
  if (st.code() == Code::kResourceExhausted) {
    git_error_set_oom();
  } else {
    git_error_set_str(GIT_ERROR_CALLBACK, st.message().c_str());
  }
  return GIT_EUSER;
}

}  // namespace strata
