#include "strata/status.h"

#include <cstdio>
#include <cstdlib>

namespace strata::internal {

void DieOnMissingValue(const Status& status) {
  std::fprintf(stderr, "strata: Result::value() called on an error: %s\n",
               status.message().c_str());
  std::abort();
}

}  // namespace strata::internal

namespace strata {

const char* CodeName(Code code) noexcept {
  switch (code) {
    case Code::kOk:
      return "Ok";
    case Code::kNotFound:
      return "NotFound";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kConflict:
      return "Conflict";
    case Code::kCorruption:
      return "Corruption";
    case Code::kIOError:
      return "IOError";
    case Code::kUnchanged:
      return "Unchanged";
    case Code::kResourceExhausted:
      return "ResourceExhausted";
    case Code::kInternal:
      return "Internal";
  }
  return "Unknown";
}

}  // namespace strata
