#include <iostream>

#include "cli/merge_output.h"
#include "cli/sync_output.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  AddUpstreamOptions(o, a, p, "the branch on both sides (default: the current one)");
  o.add_options()("dry-run,n", po::bool_switch(),
                  "say what each side would receive; change neither");
}

void PrintDirection(const char* title, const SyncDirection& d) {
  std::cout << title << ": " << d.created.size() << " created, " << d.updated.size() << " updated, "
            << d.deleted.size() << " deleted, " << d.unchanged << " unchanged\n";
  for (const std::string& id : d.created) std::cout << "  + " << id << "\n";
  for (const std::string& id : d.updated) std::cout << "  ~ " << id << "\n";
  for (const std::string& id : d.deleted) std::cout << "  - " << id << "\n";
}

int Run(Context& ctx, const po::variables_map& args) {
  Result<UpstreamArgs> up = ReadUpstreamArgs(ctx, args);
  if (!up.ok()) return ctx.Fail(up.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  const bool dry_run = args["dry-run"].as<bool>();
  Result<SyncResult> synced =
      (*repo)->Sync(up->remote, up->branch, up->request, dry_run, up->fetch);
  if (!synced.ok()) return ctx.Fail(synced.status());
  const bool conflicts = synced->merge == "conflicts";
  if (ctx.json()) {
    json::array conflict_list;
    for (const std::string& c : synced->conflicts) conflict_list.push_back(json::string(c));
    json::object out{{"incoming", SyncDirectionToJson(synced->incoming)},
                     {"outgoing", SyncDirectionToJson(synced->outgoing)},
                     {"dry_run", synced->dry_run},
                     {"merge", synced->merge},
                     {"conflicts", std::move(conflict_list)}};
    if (synced->fetched) out["fetched"] = FetchToJson(*synced->fetched);
    if (synced->pushed) out["pushed"] = PushToJson(*synced->pushed);
    ctx.PrintJson(out);
  } else {
    if (synced->fetched) PrintFetch(*synced->fetched);
    if (synced->dry_run) std::cout << "dry run: nothing changed on either side\n";
    std::cout << "merge: " << synced->merge << "\n";
    PrintDirection("incoming", synced->incoming);
    PrintDirection("outgoing", synced->outgoing);
    if (synced->pushed) PrintPush(*synced->pushed);
  }
  if (conflicts) {
    std::cerr << "strata: error: the merge stopped on " << synced->conflicts.size()
              << " conflict(s); nothing was pushed. Settle them (strata conflicts, strata "
                 "resolve, strata merge --continue), then sync again\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kSyncCommand{
    "sync",
    "fetch, merge and push in one step, with what each side received",
    "strata sync [REMOTE] [BRANCH] [--dry-run] [--strategy ours|theirs] [--json]",
    "Exchanges the current branch with the branch of the same name on REMOTE: fetches,\n"
    "merges REMOTE/BRANCH into it as pull does, then pushes the result back when the\n"
    "remote lacks it. It prints, for each direction, the documents created, updated and\n"
    "deleted on the receiving side and how many of its documents stayed unchanged\n"
    "(DiffSync's terms): incoming is what our branch received, outgoing what the remote\n"
    "received. When the merge stops on conflicts nothing is pushed (exit 1): settle them\n"
    "and sync again.\n"
    "\n"
    "--dry-run downloads what the remote has into the fetch quarantine only, prints the\n"
    "same summary (a document changed on both sides counts as updated in both\n"
    "directions) and changes neither side. --json prints {\"incoming\": {\"created\",\n"
    "\"updated\", \"deleted\", \"unchanged\"}, \"outgoing\": {...}, \"dry_run\", \"merge\"\n"
    "(\"up to date\", \"fast-forward\", \"merged\", \"conflicts\", or for a dry run\n"
    "\"merge\"), \"conflicts\", \"fetched\"?, \"pushed\"?}.",
    Define,
    Run};

}  // namespace strata::cli
