// Document ids: path-like names such as "config/app1" or "sessions/u42".
//
// An id is one or more segments joined by '/'; a segment is non-empty, not
// "." or "..", and holds no control character, '@' (it separates DOC@REV),
// whitespace, or '\' (a path separator on Windows: ids become paths). No
// segment may be one a file system takes for git's own folder: ".git" in any
// letter case, also with trailing dots (".git." on Windows), or "git~1" (its
// 8.3 short name). Ids starting with '.' name the repository's own settings
// (.perspectives, .schemas, .merge).
#pragma once

#include <string>
#include <string_view>

#include "objects/status.h"

namespace strata {

Status ValidateDocumentId(std::string_view id);

struct DocRevision {
  std::string doc;
  std::string rev;  // "HEAD" when absent
};
// "config/app1@HEAD~2" -> {config/app1, HEAD~2}; "config/app1" -> {config/app1, HEAD}.
// The first '@' separates them, so revisions may hold '@' (main@{yesterday}).
DocRevision SplitDocRevision(std::string_view text);

}  // namespace strata
