#include "cli/merge_output.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>(), "the branch or revision to merge in");
  o.add_options()("no-ff", po::bool_switch(),
                  "write a merge version even when the branch could fast-forward")(
      "only", po::value<std::vector<std::string>>()->value_name("DOC")->multitoken(),
      "merge just these documents; the others stay as they are on the current branch");
  AddMergeOptions(o);
  p.add("rev", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  return RunMergeCommand(ctx, args, &Repository::Merge);
}

}  // namespace

extern const CommandSpec kMergeCommand{
    "merge",
    "merge another branch (or any revision) into the current branch, value by value",
    "strata merge REV [-m MSG] [--no-ff] [--strategy ours|theirs] [--only DOC...]\n"
    "strata merge --continue | --abort",
    "Merges REV's state into the current branch three ways, against their merge base:\n"
    "changes to different documents or values merge; the same change on both sides is\n"
    "no conflict. When the current branch is an ancestor of REV it fast-forwards (unless\n"
    "--no-ff); when REV is already merged nothing changes. Otherwise it writes a version\n"
    "whose parents are the branch head and REV.\n"
    "\n"
    "A value changed differently on both sides is a conflict (modified on both, deleted\n"
    "on one side and changed on the other, added on both with different values, an\n"
    "array changed on both). Then the merge stops (exit 1), the branch does not move,\n"
    "and a merge in progress is kept in the repository, blocking other writes to the\n"
    "branch: list the conflicts with `strata conflicts`, settle them with `strata\n"
    "resolve`, then `strata merge --continue` writes the version; `strata merge --abort`\n"
    "gives up. --strategy ours|theirs settles every conflict with that side's value.\n"
    "--only DOC... merges just those documents.",
    Define,
    Run};

}  // namespace strata::cli
