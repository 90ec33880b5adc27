#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description&,
            po::positional_options_description&) {
  AddJsonOption(o);
}

int Run(Context& ctx, const po::variables_map&) {
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<VerifyReport> report = (*repo)->Verify();
  if (!report.ok()) return ctx.Fail(report.status());
  bool ok = report->problems.empty();
  if (ctx.json()) {
    json::array problems;
    for (const auto& p : report->problems) problems.push_back(json::value(p));
    json::array notes;
    for (const auto& n : report->notes) notes.push_back(json::value(n));
    ctx.PrintJson(json::object{{"ok", ok},
                               {"versions", report->versions},
                               {"objects", report->objects},
                               {"problems", std::move(problems)},
                               {"notes", std::move(notes)}});
  } else {
    for (const auto& n : report->notes) std::cerr << "strata: note: " << n << "\n";
    for (const auto& p : report->problems) std::cerr << "strata: error: " << p << "\n";
    std::cout << (ok ? ctx.Paint(kGreen, "ok") : ctx.Paint(kRed, "FAILED")) << ": "
              << report->versions << " versions and " << report->objects << " objects checked, "
              << report->problems.size() << " problem" << (report->problems.size() == 1 ? "" : "s");
    if (!report->notes.empty()) {
      std::cout << ", " << report->notes.size() << " note"
                << (report->notes.size() == 1 ? "" : "s");
    }
    std::cout << "\n";
  }
  return ok ? kExitOk : kExitError;
}

}  // namespace

extern const CommandSpec kVerifyCommand{
    "verify",
    "check every version and object",
    "strata verify [--json]",
    "Checks every version reachable from any branch or tag: its stored delta, applied to its\n"
    "first parent's state, gives exactly its state tree. Reads every object, which checks\n"
    "that its content hashes to its id. Exits 1 and lists the problems if any.\n"
    "A read the system refuses (too many open files, no memory) stops the check with the\n"
    "system's reason, exit 1 and no list: it says nothing of the repository.\n"
    "\n"
    "What an interrupted writer (a killed process) leaves behind, a git lock file or a\n"
    "temporary object or pack, is a note on stderr ('strata: note: ...'), with the\n"
    "command that removes it: none is part of any version, so it does not fail verify.\n"
    "strata's next write removes a stale lock file of the ref it moves itself.\n"
    "--json prints {\"ok\", \"versions\", \"objects\", \"problems\", \"notes\"}.",
    Define,
    Run};

}  // namespace strata::cli
