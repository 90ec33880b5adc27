#include "cli/merge_output.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>(), "the version whose change to use");
  AddMergeOptions(o);
  p.add("rev", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  return RunMergeCommand(ctx, args, &Repository::CherryPick);
}

}  // namespace

extern const CommandSpec kCherryPickCommand{
    "cherry-pick",
    "apply the change one version made onto the current branch",
    "strata cherry-pick REV [-m MSG] [--strategy ours|theirs]\n"
    "strata cherry-pick --continue | --abort",
    "Applies the change version REV made (from its first parent) to the current branch, as a\n"
    "new version, with the same three-way merge as `strata merge` (base: REV's first\n"
    "parent, theirs: REV). A value the branch changed differently since is a conflict:\n"
    "the cherry-pick stops (exit 1) and is finished like a merge: `strata conflicts`,\n"
    "`strata resolve`, then `strata cherry-pick --continue` (or `--abort`).",
    Define,
    Run};

}  // namespace strata::cli
