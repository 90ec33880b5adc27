#include <iostream>

#include "cli/merge_output.h"
#include "cli/sync_output.h"
#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  AddUpstreamOptions(
      o, a, p,
      "the remote's branch to merge (default: the upstream branch, else the current name)");
  o.add_options()("no-ff", po::bool_switch(),
                  "write a merge version even when a fast-forward would do")(
      "label", po::value<std::vector<std::string>>()->value_name("LABEL")->composing(),
      "a label for the merge version (repeatable)");
}

int Run(Context& ctx, const po::variables_map& args) {
  Result<UpstreamArgs> up = ReadUpstreamArgs(ctx, args);
  if (!up.ok()) return ctx.Fail(up.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<std::unique_ptr<Worktree>> wt = OpenWorktree(ctx);
  if (!wt.ok()) return ctx.Fail(wt.status());
  if (*wt) {
    // In a working folder: its branch, and the files follow the merge.
    auto done = (*wt)->Pull(up->remote, up->branch, up->request, up->fetch);
    if (!done.ok()) return ctx.Fail(done.status());
    if (!ctx.json()) {
      PrintFetch(done->first.fetched);
      for (const std::string& k : done->second.kept) {
        std::cout << "kept your changes to " << k << "\n";
      }
    }
    return ReportMerge(ctx, done->first.merge, done->first.merged);
  }
  Result<PullResult> pulled = (*repo)->Pull(up->remote, up->branch, up->request, up->fetch);
  if (!pulled.ok()) return ctx.Fail(pulled.status());
  if (!ctx.json()) PrintFetch(pulled->fetched);
  return ReportMerge(ctx, pulled->merge, pulled->merged);
}

}  // namespace

extern const CommandSpec kPullCommand{
    "pull",
    "fetch from a remote and merge its branch into the current one",
    "strata pull [REMOTE] [BRANCH] [--strategy ours|theirs] [-m MSG]",
    "Fetches REMOTE as `strata fetch` does, then merges REMOTE/BRANCH into the current\n"
    "branch as `strata merge` does: a fast-forward, a clean three-way merge (a version\n"
    "with two parents), or, when values were changed differently on both sides, a merge\n"
    "in progress (exit 1; see `strata conflicts`, `strata resolve`, `strata merge\n"
    "--continue`). REMOTE and BRANCH default to the branch's upstream (set by clone),\n"
    "else origin and the current branch's name. --json prints what `merge --json`\n"
    "prints. In a working folder (`strata worktree`), the folder's branch is merged into\n"
    "and the folder's files follow; if a file with uncommitted changes would be\n"
    "overwritten, the folder stays at its base (say which), and `strata commit` merges.",
    Define,
    Run};

}  // namespace strata::cli
