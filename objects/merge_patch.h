// RFC 7396 JSON Merge Patch: the patch that turns one value into another,
// and applying one.
//
// A merge patch is an object whose members say, key by key, what a value
// becomes: null removes the member, an object is merged into the member's
// value (recursively), anything else replaces it. Two things follow, and
// CreateMergePatch handles both:
//   - an array cannot be changed element by element: a changed array is
//     replaced whole;
//   - null cannot be written as a member's value, at any depth below an
//     object patch (it would read as "remove"). A value that holds a null
//     member is written whole only where it sits inside an array (arrays are
//     copied verbatim); a null member on a path of objects only from the
//     root cannot be expressed, and CreateMergePatch says so.
// Neither function recurses on the depth of the values.
#pragma once

#include "strata/json.h"
#include "strata/status.h"

namespace strata {

// The merge patch that ApplyMergePatch turns `from` into `to`: members that
// did not change are left out, so an unchanged value gives {} (for objects)
// or `to` itself (when either side is not an object). InvalidArgument naming
// the JSON Pointer of a null member that RFC 7396 cannot set.
Result<json::value> CreateMergePatch(const json::value& from, const json::value& to);

// RFC 7396's MergePatch(target, patch).
json::value ApplyMergePatch(const json::value& target, const json::value& patch);

}  // namespace strata
