#include <iostream>

#include "cli/sync_output.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("remote", po::value<std::string>()->default_value("origin"),
                  "a remote's name or a URL")("branch", po::value<std::string>(),
                                              "the branch to push (default: the current one)");
  o.add_options()("force,f", po::bool_switch(),
                  "push even if the remote's branch has versions this one lacks (they are lost "
                  "there)")("tags", po::bool_switch(), "also push every tag")(
      "dry-run,n", po::bool_switch(), "say what would be pushed; send nothing");
  AddProgressOptions(o);
  AddJsonOption(o);
  p.add("remote", 1).add("branch", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  PushOptions options;
  options.progress = StartTransfer(args);
  options.force = args["force"].as<bool>();
  options.tags = args["tags"].as<bool>();
  options.dry_run = args["dry-run"].as<bool>();
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  std::optional<std::string> branch;
  if (args.count("branch")) branch = args["branch"].as<std::string>();
  Result<PushResult> pushed = (*repo)->Push(args["remote"].as<std::string>(), branch, options);
  if (!pushed.ok()) return ctx.Fail(pushed.status());
  if (ctx.json()) {
    json::value out = PushToJson(*pushed);
    out.as_object()["dry_run"] = options.dry_run;
    ctx.PrintJson(out);
  } else {
    PrintPush(*pushed);
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kPushCommand{
    "push",
    "send a branch's versions to a remote",
    "strata push [REMOTE|URL] [BRANCH] [--force] [--tags] [--dry-run] [--perspective P]",
    "Sends BRANCH (default: the current branch) to the branch of the same name on REMOTE\n"
    "(a remote's name, default origin, or a URL), with only the objects the remote lacks,\n"
    "and moves REMOTE/BRANCH here to match. A push that is not a fast-forward of the\n"
    "remote's branch (it has versions this one lacks) is refused, exit 1, saying to pull\n"
    "first; --force pushes anyway and those versions are lost there. --tags also sends\n"
    "every tag (a tag the remote has naming another version is left unless --force).\n"
    "\n"
    "Through a perspective (--perspective P, or STRATA_PERSPECTIVE) push sends a\n"
    "projected history instead: every version maps to one whose state is P's view of\n"
    "it, with the same author, time, labels and message, and versions that change\n"
    "nothing visible are left out. The projection is computed here, so a hidden value\n"
    "never leaves this machine, and it is deterministic: pushing again sends only what\n"
    "is new, and two sites projecting the same history get the same ids. Messages\n"
    "written by users are carried as written (docs/perspectives.md).\n"
    "\n"
    "--json prints {\"remote\", \"url\", \"updated\": [{\"ref\", \"old\", \"new\", \"forced\"}],\n"
    "\"sent\": {\"objects\", \"bytes\"}, \"projected\"?, \"dry_run\"}.",
    Define,
    Run};

}  // namespace strata::cli
