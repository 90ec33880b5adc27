#include <iostream>

#include "cli/sync_output.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("remote", po::value<std::string>()->default_value("origin"),
                  "the remote to fetch from");
  o.add_options()("no-tags", po::bool_switch(), "do not fetch tags");
  AddProgressOptions(o);
  AddJsonOption(o);
  p.add("remote", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  FetchOptions options;
  options.progress = StartTransfer(args);
  options.tags = !args["no-tags"].as<bool>();
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<FetchResult> fetched = (*repo)->Fetch(args["remote"].as<std::string>(), options);
  if (!fetched.ok()) return ctx.Fail(fetched.status());
  if (ctx.json()) {
    ctx.PrintJson(FetchToJson(*fetched));
  } else {
    PrintFetch(*fetched);
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kFetchCommand{
    "fetch",
    "download a remote's branches and tags into remote-tracking branches",
    "strata fetch [REMOTE] [--no-tags] [--json]",
    "Downloads every branch of REMOTE (default origin) into the remote-tracking branches\n"
    "REMOTE/BRANCH, and its tags (a tag that exists here naming another version is left\n"
    "as it is, and reported). Remote-tracking branches of branches gone from the remote\n"
    "are removed. Local branches never move: merge REMOTE/BRANCH, or use pull.\n"
    "\n"
    "Nothing that arrives is trusted: objects land in a quarantine under\n"
    ".strata/incoming and are checked there (ref names, document ids, the shape of each\n"
    "version, strata.fetchMaxBytes and strata.fetchMaxObjects) before anything moves;\n"
    "a refused, failed or interrupted fetch (Ctrl-C) leaves the repository as it was,\n"
    "and running it again completes it. No hook or setting comes from the remote.\n"
    "\n"
    "Progress (objects, bytes, rate) is drawn on stderr when it is a terminal. --json\n"
    "prints {\"remote\", \"url\", \"updated\": [{\"ref\", \"old\", \"new\", \"forced\"}],\n"
    "\"skipped_tags\", \"received\": {\"objects\", \"bytes\"}}.",
    Define,
    Run};

}  // namespace strata::cli
