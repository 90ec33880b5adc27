// Reading documents to import from the file system.
//
// Two sources:
// - a folder of <id>.json files; sub-folders give ids with '/':
//   DIR/config/app1.json -> "config/app1". The id is the path as listed under
//   the folder, never one with symbolic links resolved. Only regular files are
//   read: symbolic links (to files or folders, inside the folder or out) and
//   special files (FIFOs, sockets, devices) are never followed or opened, and
//   hidden files and folders (".x") are not read, except a file at the top
//   named after a settings document (".merge.json"; document_id.h). Whatever
//   is not read is listed in `skipped` with the reason.
// - a JSON Lines file: one {"id": ..., "doc": ...} object per line; blank
//   lines are skipped. Errors name the file and line.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "strata/json.h"
#include "strata/status.h"

namespace strata {

// An entry of an imported folder that was not read.
struct SkippedEntry {
  std::string path;    // below the folder, with '/': "config/alias.json"
  std::string reason;  // "a symbolic link", "not a regular file", "not named *.json",
                       // "a hidden file", "a hidden folder"
  std::string ToString() const { return path + ": " + reason; }
};

struct ImportSource {
  std::vector<std::pair<std::string, json::value>> docs;  // sorted by id
  std::vector<SkippedEntry> skipped;                      // sorted by path; folders only
};

// Reads a folder or a JSON Lines file ("-" is standard input). InvalidArgument
// names the file (and line) with a bad id or bad JSON; NotFound a missing
// path; IOError a folder or file that cannot be read.
Result<ImportSource> ReadImportSource(const std::string& path);

// Gives each document of a folder or JSON Lines file to `visit`, one at a
// time, as it is read: a JSON Lines file is read a line at a time and a folder
// a file at a time, so memory holds one document, never the whole input.
// Documents come in the order they are read (not sorted); a JSON Lines id
// given twice is InvalidArgument naming both lines. Entries not read are
// appended to `skipped` (sorted by path once the folder is done). Stops at,
// and returns, the first error: the reader's (as ReadImportSource's) or
// `visit`'s.
using ImportVisitor = std::function<Status(std::string id, json::value doc)>;
// A document given a member at a time: `begin` with its id, `member` with
// each member of its top-level object in the file's order (a key given
// twice is given twice: the last one is the member, as ParseJson keeps it),
// then `end`. An error after `begin` fails the import, with no `end`.
struct MemberVisitor {
  std::function<Status(const std::string& id)> begin;
  std::function<Status(std::string key, json::value value)> member;
  std::function<Status()> end;
};
// With `members`, a folder's file past 1 MiB that holds an object is given
// to it, a member at a time as the parser completes each (memory holds one
// member's value, never the document); other documents go to `visit`.
Status ForEachImportDocument(const std::string& path, const ImportVisitor& visit,
                             std::vector<SkippedEntry>* skipped,
                             const MemberVisitor* members = nullptr);

// Reads a whole file ("-" reads standard input). NotFound/IOError name it.
Result<std::string> ReadFile(const std::string& path);

}  // namespace strata
