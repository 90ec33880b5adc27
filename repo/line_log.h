// Append-only files of lines that caches keep under .strata (the view
// cache, .strata/views/; the projection map, .strata/projections/).
#pragma once

#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

// Appends `lines` (each ending in '\n') to `file`, creating it and its
// folder, with one write() on an O_APPEND descriptor, so that concurrent
// appenders never interleave within a line. A file left with a torn last
// line (a crash mid-append) gets a newline first, so the new lines read
// whole. `what` names the file's content in errors ("views").
Status AppendLines(const std::string& file, std::string_view lines, std::string_view what);

}  // namespace strata
