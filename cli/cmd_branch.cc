#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("name", po::value<std::string>(), "the branch to create or delete")(
      "start", po::value<std::string>(), "where a new branch starts (a revision; default HEAD)");
  o.add_options()("delete,d", po::bool_switch(), "delete NAME if the current branch has all of it")(
      "force-delete,D", po::bool_switch(), "delete NAME even with versions nowhere else")(
      "force,f", po::bool_switch(), "create NAME even if it exists (moves it to START)")(
      "remotes,r", po::bool_switch(), "list the remote-tracking branches (origin/main, ...)");
  AddJsonOption(o);
  p.add("name", 1).add("start", 1);
}

json::value BranchJson(const BranchInfo& b) {
  json::value version = nullptr;
  if (b.version) version = json::string(*b.version);
  return json::object{{"name", b.name},
                      {"version", version},
                      {"current", b.current},
                      {"ahead", b.ahead},
                      {"behind", b.behind}};
}

int List(Context& ctx, Repository& repo, bool remotes) {
  Result<std::vector<BranchInfo>> branches = remotes ? repo.RemoteBranches() : repo.Branches();
  if (!branches.ok()) return ctx.Fail(branches.status());
  if (ctx.json()) {
    json::array out;
    for (const BranchInfo& b : *branches) out.push_back(BranchJson(b));
    ctx.PrintJson(out);
    return kExitOk;
  }
  // With HEAD detached no branch is current: say where HEAD is, as git does.
  if (!remotes && repo.CurrentBranch() == "HEAD") {
    Result<Snapshot> head = repo.Read("HEAD");
    if (!head.ok()) return ctx.Fail(head.status());
    std::cout << "* "
              << ctx.Paint(kGreen, "(HEAD detached at " + head->version_id().substr(0, 12) + ")")
              << "\n";
  }
  std::size_t width = 0;
  for (const BranchInfo& b : *branches) width = std::max(width, b.name.size());
  for (const BranchInfo& b : *branches) {
    std::string line = (b.current ? "* " : "  ") + ctx.Paint(b.current ? kGreen : "", b.name) +
                       std::string(width - b.name.size(), ' ') + "  ";
    line += b.version ? ctx.Paint(kYellow, b.version->substr(0, 12)) : "(no versions yet)";
    if (b.ahead > 0 || b.behind > 0) {
      line += "  [";
      if (b.ahead > 0) line += "ahead " + std::to_string(b.ahead);
      if (b.ahead > 0 && b.behind > 0) line += ", ";
      if (b.behind > 0) line += "behind " + std::to_string(b.behind);
      line += "]";
    }
    std::cout << line << "\n";
  }
  return kExitOk;
}

int Run(Context& ctx, const po::variables_map& args) {
  const bool remove = args["delete"].as<bool>(), force_remove = args["force-delete"].as<bool>();
  const bool force = args["force"].as<bool>();
  const bool named = args.count("name") != 0;
  const bool remotes = args["remotes"].as<bool>();
  if (remotes && (named || remove || force_remove || force)) {
    return UsageError("-r lists the remote-tracking branches; it takes no NAME or other flag");
  }
  if ((remove || force_remove) && (!named || args.count("start") || force)) {
    return UsageError("-d/-D take one branch name, and no START or -f");
  }
  if (!named && (force || args.count("start")))
    return UsageError("-f and START need a branch NAME");
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  if (!named) return List(ctx, **repo, remotes);
  const std::string name = args["name"].as<std::string>();
  if (remove || force_remove) {
    Result<BranchInfo> gone = (*repo)->DeleteBranch(name, force_remove);
    if (!gone.ok()) return ctx.Fail(gone.status());
    if (ctx.json()) {
      ctx.PrintJson(BranchJson(*gone));
    } else {
      std::cout << "deleted branch '" << name << "' (was "
                << (gone->version ? gone->version->substr(0, 12) : "empty") << ")\n";
    }
    return kExitOk;
  }
  const std::string start = args.count("start") ? args["start"].as<std::string>() : "HEAD";
  Result<BranchInfo> made = (*repo)->CreateBranch(name, start, force);
  if (!made.ok()) return ctx.Fail(made.status());
  if (ctx.json()) {
    ctx.PrintJson(BranchJson(*made));
  } else {
    std::cout << "branch '" << name << "' at " << made->version->substr(0, 12) << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kBranchCommand{
    "branch",
    "list, create or delete branches",
    "strata branch [-r] [--json] | strata branch [-f] NAME [START] | strata branch (-d|-D) "
    "NAME",
    "Without NAME, lists the branches, '*' marking the current one, each with its head\n"
    "version and how many versions it is ahead of and behind the current branch. --json\n"
    "prints an array of {\"name\", \"version\" (null before the first version), \"current\",\n"
    "\"ahead\", \"behind\"}. -r lists the remote-tracking branches instead (\"origin/main\",\n"
    "as fetch left them), which work as revisions: `strata get DOC@origin/main`.\n"
    "\n"
    "With NAME, creates branch NAME at START (any revision; default HEAD). An existing\n"
    "NAME is refused unless -f, which moves it to START (never the current branch). Names\n"
    "follow git's ref name rules.\n"
    "\n"
    "-d NAME deletes a branch whose versions the current branch all has; a branch with\n"
    "versions found nowhere else is refused, with how many would be lost, unless -D. The\n"
    "current branch cannot be deleted. The branches are git's: `git --git-dir .strata\n"
    "branch` lists the same.",
    Define,
    Run};

}  // namespace strata::cli
