#include <iostream>

#include "cli/merge_output.h"
#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description&,
            po::positional_options_description&) {
  o.add_options()("message,m", po::value<std::string>()->value_name("MSG"),
                  "the version's message (default: says what changed)")(
      "author", po::value<std::string>()->value_name("'NAME <EMAIL>'"),
      "the version's author (default: $STRATA_AUTHOR, else git config user.name/user.email)")(
      "label", po::value<std::vector<std::string>>()->value_name("LABEL")->composing(),
      "a label for the version (repeatable): letters, digits and . _ - / :")(
      "date", po::value<std::string>()->value_name("DATE"),
      "the version's time, as `strata put --date` reads it (default: now, or $STRATA_TIME)")(
      "force", po::bool_switch(),
      "write a .schemas that documents already stored break (docs/schemas.md)");
  AddJsonOption(o);
}

int Run(Context& ctx, const po::variables_map&) {
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  Result<std::unique_ptr<Worktree>> wt = OpenWorktree(ctx);
  if (!wt.ok()) return ctx.Fail(wt.status());
  if (!*wt) return ctx.Fail(NotInWorktree("commit"));
  Result<WorktreeCommit> c = (*wt)->Commit(*options);
  if (!c.ok() && c.status().code() == Code::kUnchanged) {
    if (ctx.json()) {
      ctx.PrintJson(json::object{{"version", nullptr}, {"unchanged", true}});
    } else {
      std::cout << c.status().message() << "\n";
    }
    return kExitOk;
  }
  if (!c.ok()) return ctx.Fail(c.status());
  if (ctx.json()) {
    json::object o{{"version", VersionToJson(c->version)},
                   {"unchanged", false},
                   {"branch", c->branch},
                   {"created", c->created},
                   {"modified", c->modified},
                   {"deleted", c->deleted},
                   {"merge", c->merged ? MergeOutcomeToJson(c->merge) : json::value(nullptr)}};
    ctx.PrintJson(o);
    return c->merged && c->merge.kind == MergeOutcome::Kind::kConflicts ? kExitError : kExitOk;
  }
  std::cout << "[" << (c->merged ? "on the base " : c->branch + " ")
            << ctx.Paint(kYellow, c->version.id.substr(0, 12)) << "] " << c->version.message
            << "\n";
  if (!c->merged) return kExitOk;
  std::cout << c->branch << " had moved since the folder's base; merging the change into it\n";
  return ReportMerge(ctx, c->merge, c->version.id);
}

}  // namespace

extern const CommandSpec kCommitCommand{
    "commit",
    "write the working folder's changes as one version",
    "strata commit [-m MSG] [--author WHO] [--label L]... [--date DATE] [--json]",
    "In a working folder: writes exactly the changes `strata status` lists (documents\n"
    "created, modified and deleted) as one version on the folder's branch, based on the\n"
    "folder's base. Through a perspective, hidden and masked values keep their stored\n"
    "values, as with import. Hooks, schemas and events apply as to any write. Files that\n"
    "hold no valid document make commit refuse, naming them, with nothing written.\n"
    "\n"
    "If the branch moved since the base, the change is written as a version on the base,\n"
    "then merged into the branch as `strata merge` does. Clean: the branch gets the merge.\n"
    "Conflicts: a merge in progress (exit 1; the conflicts are printed as `strata merge`\n"
    "prints them); settle them with `strata resolve`, then `strata merge --continue` in\n"
    "the folder writes the merge and brings the folder's files to it, or `strata merge\n"
    "--abort` gives up (the folder keeps its changes, uncommitted). After a commit the\n"
    "folder holds the branch's new state and its base is the branch's head; files whose\n"
    "value did not change keep their bytes. --json prints {\"version\", \"unchanged\",\n"
    "\"branch\", \"created\", \"modified\", \"deleted\", \"merge\" (null, or what merge --json\n"
    "prints)}.",
    Define,
    Run};

}  // namespace strata::cli
