// Structural diff of two JSON values into an RFC 6902 patch.
//
// Objects are compared member by member (sorted by key). Arrays: equal
// elements at the start and at the end are skipped, the rest compared
// element by element, then the extra elements removed (last first) or added
// where they go, so one element inserted or removed is one operation; when
// nothing is equal at either end and that would take more operations than
// the new array has elements, the array is replaced whole. Any other
// difference is a "replace". Applying the result to `a` gives a value
// Equal to `b`. Iterative: deep values do not exhaust the stack.
#pragma once

#include "strata/json.h"
#include "strata/json_patch.h"
#include "strata/json_pointer.h"

namespace strata {

// Appends to `out` the operations that turn `a` into `b`; their paths start
// with `base`.
void DiffValues(const json::value& a, const json::value& b, const JsonPointer& base, Patch& out);

inline Patch DiffValues(const json::value& a, const json::value& b) {
  Patch out;
  DiffValues(a, b, JsonPointer(), out);
  return out;
}

}  // namespace strata
