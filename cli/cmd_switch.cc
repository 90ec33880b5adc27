#include <iostream>

#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("branch", po::value<std::string>(), "the branch HEAD will name")(
      "start", po::value<std::string>(), "with -c: where the new branch starts (default HEAD)");
  o.add_options()("create,c", po::bool_switch(), "create BRANCH first (at START)");
  AddJsonOption(o);
  p.add("branch", 1).add("start", 1);
}

// In a working folder: the folder's branch moves, and its files follow.
int RunInWorktree(Context& ctx, const po::variables_map& args, Worktree& wt) {
  if (args.count("start")) {
    std::cerr << "strata: error: in a working folder, -c makes the branch at the folder's base "
                 "(no START)\n";
    return kExitUsage;
  }
  const std::string name = args["branch"].as<std::string>();
  const std::string previous = wt.record().branch;
  const bool create = args["create"].as<bool>();
  Result<WorktreeUpdate> r = wt.Switch(name, create);
  if (!r.ok()) return ctx.Fail(r.status());
  if (ctx.json()) {
    json::array kept;
    for (const std::string& k : r->kept) kept.push_back(json::string(k));
    ctx.PrintJson(
        json::object{{"branch", name},
                     {"version", r->to.empty() ? json::value(nullptr) : json::value(r->to)},
                     {"previous", previous},
                     {"created", create},
                     {"changed", previous != name},
                     {"folder", wt.dir()},
                     {"written", r->written},
                     {"removed", r->removed},
                     {"kept", kept}});
    return kExitOk;
  }
  std::cout << "switched the working folder to " << (create ? "a new branch '" : "branch '") << name
            << "' (" << r->written << " file" << (r->written == 1 ? "" : "s") << " written, "
            << r->removed << " removed)\n";
  for (const std::string& k : r->kept) std::cout << "kept your changes to " << k << "\n";
  return kExitOk;
}

int Run(Context& ctx, const po::variables_map& args) {
  if (!args.count("branch")) {
    std::cerr << "strata: error: switch needs a BRANCH\n";
    return kExitUsage;
  }
  const bool create = args["create"].as<bool>();
  if (args.count("start") && !create) {
    std::cerr << "strata: error: START is only for a new branch (-c)\n";
    return kExitUsage;
  }
  std::optional<std::string> start;
  if (create) start = args.count("start") ? args["start"].as<std::string>() : "HEAD";
  Result<std::unique_ptr<Worktree>> wt = OpenWorktree(ctx);
  if (!wt.ok()) return ctx.Fail(wt.status());
  if (*wt) return RunInWorktree(ctx, args, **wt);
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  const std::string name = args["branch"].as<std::string>();
  Result<SwitchResult> r = (*repo)->SwitchBranch(name, start);
  if (!r.ok()) return ctx.Fail(r.status());
  if (ctx.json()) {
    json::value version = nullptr;
    if (r->branch.version) version = json::string(*r->branch.version);
    ctx.PrintJson(json::object{{"branch", name},
                               {"version", version},
                               {"previous", r->previous},
                               {"created", r->created},
                               {"changed", r->changed}});
  } else if (!r->changed) {
    std::cout << "already on '" << name << "'\n";
  } else {
    std::cout << "switched to " << (r->created ? "a new branch '" : "branch '") << name << "'\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kSwitchCommand{
    "switch",
    "make HEAD name another branch",
    "strata switch BRANCH | strata switch -c NAME [START] [--json]",
    "Makes HEAD the branch BRANCH (a symbolic ref to refs/heads/BRANCH), so reads and\n"
    "writes without --branch use it. The repository is bare: nothing else changes. A\n"
    "missing BRANCH is refused (exit 1); -c creates it first, at START (any revision;\n"
    "default HEAD), and refuses an existing one. --json prints {\"branch\", \"version\"\n"
    "(null before its first version), \"previous\", \"created\", \"changed\"}.\n"
    "In a working folder (`strata worktree`), the folder's branch moves instead of HEAD\n"
    "(-c makes the new branch at the folder's base): the files that differ are rewritten\n"
    "or removed, documents with uncommitted changes that BRANCH does not change are kept,\n"
    "and it refuses, naming the files, when a change would be overwritten or deleted\n"
    "(--json adds \"folder\", \"written\", \"removed\", \"kept\").",
    Define,
    Run};

}  // namespace strata::cli
