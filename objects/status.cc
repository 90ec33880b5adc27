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
