#include <iostream>

#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description&,
            po::positional_options_description&) {
  AddJsonOption(o);
}

json::array Ids(const std::vector<std::string>& ids) {
  json::array out;
  for (const std::string& id : ids) out.push_back(json::string(id));
  return out;
}

int Run(Context& ctx, const po::variables_map&) {
  Result<std::unique_ptr<Worktree>> wt = OpenWorktree(ctx);
  if (!wt.ok()) return ctx.Fail(wt.status());
  if (!*wt) return ctx.Fail(NotInWorktree("status"));
  Result<WorktreeStatus> st = (*wt)->ReadStatus();
  if (!st.ok()) return ctx.Fail(st.status());
  if (ctx.json()) {
    json::array invalid;
    for (const InvalidFile& f : st->invalid) {
      invalid.push_back(json::object{{"file", f.file}, {"error", f.error}});
    }
    ctx.PrintJson(
        json::object{{"branch", st->branch},
                     {"base", st->base.empty() ? json::value(nullptr) : json::value(st->base)},
                     {"created", Ids(st->created)},
                     {"modified", Ids(st->modified)},
                     {"deleted", Ids(st->deleted)},
                     {"invalid", invalid}});
    return kExitOk;
  }
  std::cout << "on branch " << st->branch << ", base "
            << (st->base.empty() ? std::string("(none)") : st->base.substr(0, 12)) << "\n";
  if (st->clean()) {
    std::cout << "nothing to commit: the folder holds its base\n";
    return kExitOk;
  }
  for (const std::string& id : st->created)
    std::cout << ctx.Paint(kGreen, "  created:  ") << id << "\n";
  for (const std::string& id : st->modified)
    std::cout << ctx.Paint(kYellow, "  modified: ") << id << "\n";
  for (const std::string& id : st->deleted)
    std::cout << ctx.Paint(kRed, "  deleted:  ") << id << "\n";
  for (const InvalidFile& f : st->invalid) {
    std::cout << ctx.Paint(kRed, "  invalid:  ") << f.file << ": " << f.error << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kStatusCommand{
    "status",
    "what changed in the working folder since its base",
    "strata status [--json]",
    "In a working folder (`strata worktree add`): the documents created, modified and\n"
    "deleted in the folder against its base version, and the files that hold no document:\n"
    "not valid JSON (named with line and column) or not a valid document id. Values are\n"
    "compared, not bytes: a file reformatted or with its keys reordered is not modified.\n"
    "Only files whose size, modification time, change time or inode changed since the\n"
    "last look are read again (a stat cache, as git's index). Hidden files, symbolic\n"
    "links and files not named *.json are not documents and are not listed.\n"
    "--json prints {\"branch\", \"base\", \"created\": [ids], \"modified\": [ids],\n"
    "\"deleted\": [ids], \"invalid\": [{\"file\", \"error\"}]}. The exit status is 0 either way.",
    Define,
    Run};

}  // namespace strata::cli
