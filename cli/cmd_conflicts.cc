#include <iostream>

#include "cli/merge_output.h"
#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description&,
            po::positional_options_description&) {
  o.add_options()("branch", po::value<std::string>()->value_name("BRANCH"),
                  "the merge in progress on BRANCH instead of the current branch");
  AddJsonOption(o);
}

int Run(Context& ctx, const po::variables_map& args) {
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  std::optional<std::string> branch;
  if (args.count("branch")) branch = args["branch"].as<std::string>();
  if (!branch) branch = WorktreeBranch(ctx);  // in a working folder: its branch
  Result<std::optional<MergeInProgress>> m = (*repo)->CurrentMerge(branch);
  if (!m.ok()) return ctx.Fail(m.status());
  if (!*m) {
    return ctx.Fail(Status::NotFound("no merge in progress on " +
                                     (branch ? *branch : (*repo)->CurrentBranch())));
  }
  const MergeInProgress& merge = **m;
  if (ctx.json()) {
    json::array out;
    for (const MergeConflict& c : merge.conflicts) out.push_back(MergeConflictToJson(c));
    ctx.PrintJson(out);
    return kExitOk;
  }
  std::cout << MergeKindName(merge.operation) << " of '" << merge.rev << "' into " << merge.branch
            << ": " << merge.conflicts.size() << " conflict(s) left, " << merge.resolved
            << " resolved\n";
  FormatOptions compact{0, false};
  for (const MergeConflict& c : merge.conflicts) {
    std::cout << ctx.Paint(kRed, std::string(ConflictKindName(c.kind))) << "  " << c.doc << " "
              << (c.pointer.IsRoot() ? "(whole document)" : c.pointer.ToString()) << "\n";
    auto side = [&](const char* name, const std::optional<json::value>& v) {
      std::cout << "    " << name << (v ? FormatJson(*v, compact) : std::string("(absent)"))
                << "\n";
    };
    side("base:   ", c.base);
    side("ours:   ", c.ours);
    side("theirs: ", c.theirs);
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kConflictsCommand{
    "conflicts",
    "list the conflicts of the merge in progress",
    "strata conflicts [--json]",
    "Lists the values the merge, cherry-pick or revert in progress on the current branch\n"
    "could not merge: the document, the JSON Pointer inside it (\"\" is the whole\n"
    "document), the kind, and the value on each side (base, ours: the branch, theirs:\n"
    "what is merged in). --json prints an array of {\"doc\", \"pointer\", \"kind\",\n"
    "\"base\", \"ours\", \"theirs\"}, leaving out a side where the value is absent.\n"
    "Fails (exit 1) when no merge is in progress.",
    Define,
    Run};

}  // namespace strata::cli
