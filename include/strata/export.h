// Writing a state to a folder, in the layout `strata import DIR` reads back
// (strata/import.h; docs/export-import.md):
//
//   DIR/<id>.json   one file per document; an id's '/' separates folders
//                   ("config/app1" -> DIR/config/app1.json), a settings
//                   document sits at the top (".merge" -> DIR/.merge.json)
//   file          := FormatJson(document, indent 2) "\n"
//                    members in canonical order (sorted by their bytes),
//                    numbers in shortest form: the same document always
//                    gives the same bytes, and importing the file gives the
//                    same document back
//
// Export reads through one Snapshot, document by document (the state is
// never decoded whole), so it writes exactly what a reader of that snapshot
// sees. Nothing else in DIR is touched: files that name no exported document
// stay, and a file already holding a document's exact bytes is left as it is.
//
// Safety, checked for every document before the first file is written:
// - every id is a valid document id (strata/document_id.h), so no path leaves
//   DIR ("..", absolute paths and empty segments are not ids);
// - no two paths, folders included, are equal once letter case is folded
//   (utf8proc casefold): "A/x" and "a/x" would be one file on a
//   case-insensitive file system ("Config/" and "config/"), and neither is
//   a file and a folder at once ("a" -> a.json, "a.json/b" -> a.json/);
// - no path segment is longer than a file name may be (255 bytes);
// - no symbolic link, file or special file stands where a folder must be,
//   and no symbolic link, folder or special file where a document's file
//   goes.
// Then, writing: folders are opened and made relative to their parent's
// descriptor with O_NOFOLLOW (openat, mkdirat), so a link that appears
// meanwhile is refused, never followed. A new file is written in place
// (O_CREAT | O_EXCL, as git checkout does); a file already there is left
// alone if it holds the same bytes, else replaced by a temporary file
// renamed over it, so a reader sees the old bytes or the new, never a part.
// A failure at that point (a disk full, a race) leaves the documents
// written so far; the error says how many.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/snapshot.h"
#include "strata/status.h"

namespace strata {

struct ExportOptions {
  // Called after every kProgressEvery documents, and once at the end, with
  // the documents done so far and the total. May be empty.
  std::function<void(std::size_t done, std::size_t total)> progress;
  static constexpr std::size_t kProgressEvery = 1000;
};

struct ExportResult {
  std::string version;        // the version exported; "" for an empty branch
  std::size_t documents = 0;  // documents exported: written + unchanged
  std::size_t written = 0;    // files written (new, or with other bytes before)
  std::size_t unchanged = 0;  // files that already held the same bytes, left alone
  std::size_t folders = 0;    // folders made (DIR itself included, if it was made)
  std::uint64_t bytes = 0;    // the size of all exported files
};

// The file document `id` is exported to, relative to DIR: "config/app1.json".
std::string ExportPath(std::string_view id);

// Checks that the documents `ids` can be exported side by side (the id, fold
// and length rules above; no file system is looked at). InvalidArgument
// names the document(s) and the rule.
Status CheckExportIds(const std::vector<std::string>& ids);

// Writes every document of `snapshot` to folder `dir`, which is made (with
// its parents) if it does not exist. InvalidArgument, naming the document,
// when a check above fails (nothing written); InvalidArgument if `dir` is a
// file or a symbolic link (name the folder it points to); IOError naming the
// file for a failed write.
Result<ExportResult> ExportSnapshot(Snapshot& snapshot, const std::string& dir,
                                    const ExportOptions& options = {});

// One document's file for WriteDocumentFiles: written with `value` (as
// export writes it), or removed (nullopt).
struct FileUpdate {
  std::string id;
  std::optional<json::value> value;
};

struct FileUpdateResult {
  std::size_t written = 0;    // files written (new, or with other bytes before)
  std::size_t unchanged = 0;  // files that already held the bytes
  std::size_t removed = 0;    // files removed
  std::size_t folders = 0;    // folders made
};

// Writes and removes the files of `updates` in folder `dir` with export's
// checks (the id rules of CheckExportIds among the ids written; what stands
// on each path) and its writer: folders opened relative to their parent
// with O_NOFOLLOW, new files O_EXCL, replaced ones through a temporary file
// renamed over them. A removal unlinks a regular file only (a link or a
// folder in its place is refused; a missing file is no error); folders are
// left. Working folders (strata/worktree.h) check out through here.
Result<FileUpdateResult> WriteDocumentFiles(const std::string& dir,
                                            std::vector<FileUpdate> updates);

}  // namespace strata
