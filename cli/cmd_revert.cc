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
  return RunMergeCommand(ctx, args, &Repository::Revert);
}

}  // namespace

extern const CommandSpec kRevertCommand{
    "revert",
    "write a version that undoes exactly what one version changed",
    "strata revert REV [-m MSG] [--strategy ours|theirs]\n"
    "strata revert --continue | --abort",
    "Writes a new version on the current branch that undoes the change version REV made,\n"
    "with the same three-way merge as `strata merge` (base: REV, theirs: REV's first\n"
    "parent). When a later version changed the same values, each is a conflict: the\n"
    "revert stops (exit 1), the branch stays where it was, and it is finished like a\n"
    "merge: `strata conflicts`, `strata resolve`, then `strata revert --continue` (or\n"
    "`--abort`).",
    Define,
    Run};

}  // namespace strata::cli
