// Printing changes (a version's delta, or a diff) for people and scripts.
#pragma once

#include <vector>

#include "cli/command.h"
#include "strata/watch.h"

namespace strata::cli {

// log's and watch's --path FILTER options, parsed into `out`: kExitOk, or
// kExitUsage after saying which filter is wrong.
int ReadPathFilters(const po::variables_map& args, std::vector<LogOptions::PathFilter>& out);

// "~ config/app1 /db/host  "old" -> "new"", one line per operation.
void PrintChanges(Context& ctx, const std::vector<Change>& changes);
// "M config/app1  (3 changes)", one line per document.
void PrintSummary(Context& ctx, const std::vector<Change>& changes);
// The --json form of changes (docs/json-output.md).
json::array ChangesToJson(const std::vector<Change>& changes);
// The --json form of a summary: [{"id", "status": "added"|"removed"|"modified",
// "operations"}], sorted by id.
json::array SummaryToJson(const std::vector<Change>& changes);

// {"created": [ids], "updated": [ids], "deleted": [ids]}, each sorted:
// documents added, changed, and removed (as DiffSync names them).
json::object SummaryByKindToJson(const std::vector<Change>& changes);
// " config/app1 | 3", one line per document with how many values changed,
// then "N documents, M values changed".
void PrintStat(Context& ctx, const std::vector<Change>& changes);
// [{"id", "changes"}], sorted by id.
json::array StatToJson(const std::vector<Change>& changes);

}  // namespace strata::cli
