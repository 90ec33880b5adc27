// Reading documents to import from the file system.
//
// Two sources:
// - a folder of <id>.json files; sub-folders give ids with '/':
//   DIR/config/app1.json -> "config/app1". Other files are skipped and counted.
// - a JSON Lines file: one {"id": ..., "doc": ...} object per line; blank
//   lines are skipped. Errors name the file and line.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "objects/json.h"
#include "objects/status.h"

namespace strata {

struct ImportSource {
  std::vector<std::pair<std::string, json::value>> docs;  // sorted by id
  std::size_t skipped_files = 0;
};

Result<ImportSource> ReadImportSource(const std::string& path);

// Reads a whole file ("-" reads standard input). NotFound/IOError name it.
Result<std::string> ReadFile(const std::string& path);

}  // namespace strata
