// Printing what merge, cherry-pick and revert did, the same for all three
// (and for their --continue and --abort); shared option parsing for them.
#pragma once

#include "cli/command.h"

namespace strata::cli {

// --strategy, --continue, --abort, -m, --author, --label, --branch and the JSON options.
void AddMergeOptions(po::options_description& options);

// Runs `--continue` or `--abort` when given (returning the exit code), else
// nullopt. Errors in the flags are usage errors.
std::optional<int> RunContinueOrAbort(Context& ctx, const po::variables_map& args);

// The MergeRequest the flags describe (--strategy, --no-ff, --only, -m ...).
Result<MergeRequest> MergeRequestFromArgs(Context& ctx, const po::variables_map& args);

// Prints an outcome: the version written, or each conflict on stdout and one
// error line (exit 1) when the merge stopped on conflicts.
int ReportMerge(Context& ctx, const Result<MergeOutcome>& outcome, const std::string& rev);

// The whole run of merge, cherry-pick and revert: --continue or --abort when
// given, else `call` on the REV argument, reported by ReportMerge.
using MergeCall = Result<MergeOutcome> (Repository::*)(const std::string& rev,
                                                       const MergeRequest& request);
int RunMergeCommand(Context& ctx, const po::variables_map& args, MergeCall call);

// The --json form of an outcome, as ReportMerge prints it.
json::value MergeOutcomeToJson(const MergeOutcome& o);

// One conflict as a line: "both modified  config/app1 /db/host".
std::string ConflictLine(const MergeConflict& c);

}  // namespace strata::cli
