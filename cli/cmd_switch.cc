#include <iostream>

#include "cli/command.h"

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
    "(null before its first version), \"previous\", \"created\", \"changed\"}.",
    Define,
    Run};

}  // namespace strata::cli
