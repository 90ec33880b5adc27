// Shared by clone, fetch, pull, push and sync: progress and interruption,
// and printing what a transfer moved.
#pragma once

#include "cli/command.h"

namespace strata::cli {

// --progress / --no-progress (default: progress when stderr is a terminal).
void AddProgressOptions(po::options_description& options);
// Whether to draw progress; also makes Ctrl-C stop the transfer cleanly
// (repo/transport.h, InstallInterruptHandler).
bool StartTransfer(const po::variables_map& args);

// pull and sync: the REMOTE and BRANCH arguments (`branch_help` says what
// BRANCH means to the command), --strategy, -m, --author, the progress
// options and --json.
void AddUpstreamOptions(po::options_description& options, po::options_description& arguments,
                        po::positional_options_description& positional, const char* branch_help);
// What the transfer and merge those options describe need, read at once:
// the progress flag (StartTransfer), the merge request, REMOTE ("" when
// not given) and BRANCH.
struct UpstreamArgs {
  FetchOptions fetch;
  MergeRequest request;
  std::string remote;
  std::optional<std::string> branch;
};
Result<UpstreamArgs> ReadUpstreamArgs(Context& ctx, const po::variables_map& args);

json::value RefChangeToJson(const RefChange& c);
json::value FetchToJson(const FetchResult& f);
json::value PushToJson(const PushResult& p);
json::value SyncDirectionToJson(const SyncDirection& d);

// " * main -> origin/main (new)", " 1a2b3c4d..5e6f7a8b  main -> origin/main".
void PrintFetch(const FetchResult& f);
void PrintPush(const PushResult& p);

}  // namespace strata::cli
