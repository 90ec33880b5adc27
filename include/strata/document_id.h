// Document ids: path-like names such as "config/app1" or "sessions/u42".
//
// `strata import` reads ids from paths and `strata export` (to come) will write
// them as paths, so an id must be a path every platform and git hold the same
// way, and one that reads the same to every eye (docs/format.md, "Document
// ids"). An id is one or more segments joined by '/', with:
//
// - at most 1024 bytes of valid UTF-8, in Unicode NFC (the NFD spelling of
//   "café" is refused, naming the NFC form: NFC and NFD spellings look alike
//   but are different ids and, on some file systems, the same file);
// - no control character (Unicode category Cc), no whitespace (ASCII space,
//   categories Zs, Zl, Zp: U+00A0, U+3000, U+2028, ...), no invisible format
//   character (category Cf: U+200B-U+200D, U+2060, U+FEFF, bidi controls, ...);
// - no '@' (it separates DOC@REV) and no '\' (a path separator on Windows);
// - no empty segment (no leading, trailing or double '/'), no "." or "..";
// - no segment that a file system may take for ".git": ".git" in any letter
//   case, also with trailing dots (".git." on Windows), and "git~1" (its 8.3
//   short name);
// - only the first segment may start with '.': an id starting with '.' names
//   one of the repository's own settings documents, and only the names in the
//   table SettingsDocuments() in document_id.cc are accepted (.merge,
//   .perspectives, .schemas). A later segment starting with '.' ("a/.hidden")
//   is refused: import skips hidden files and folders, so export could not give
//   such a document back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strata/json.h"
#include "strata/status.h"

namespace strata {

// Ok, or InvalidArgument naming the id and the rule it breaks.
Status ValidateDocumentId(std::string_view id);

// Whether a file system may take path segment `segment` for ".git", git's
// own folder: ".git" in any letter case, also with trailing dots (".git."
// on Windows), and "git~1" (its 8.3 short name). Document ids and the ref
// names a fetch accepts (repo/incoming.h) refuse such segments.
bool LooksLikeDotGit(std::string_view segment);

// `s` with letter case folded and composed (utf8proc: NFC, then Unicode
// case folding), as a case-insensitive file system compares names: two ids
// or ref names with the same fold would be one file there. InvalidArgument
// if `s` is not valid UTF-8.
Result<std::string> FoldCase(std::string_view s);

// True for ids that name a settings document (they start with '.'), valid or not.
bool IsSettingsDocumentId(std::string_view id);

// The settings documents strata defines (".merge", ...), sorted; empty until
// the first one lands.
std::vector<std::string_view> SettingsDocumentNames();

// Checks a document before it is written: its id (as ValidateDocumentId), and
// the value of a settings document against that document's format. Other
// documents have no format, so a valid id gives Ok. InvalidArgument names the
// id and what is wrong.
Status ValidateSettingsDocument(std::string_view id, const json::value& value);

struct DocRevision {
  std::string doc;
  std::string rev;  // "HEAD" when absent
};
// "config/app1@HEAD~2" -> {config/app1, HEAD~2}; "config/app1" -> {config/app1, HEAD}.
// The first '@' separates them, so revisions may hold '@' (main@{yesterday}).
DocRevision SplitDocRevision(std::string_view text);

}  // namespace strata
