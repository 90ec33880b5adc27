#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "cli/changes.h"
#include "strata/remote.h"
#include "strata/watch.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description&,
            po::positional_options_description&) {
  o.add_options()("doc", po::value<std::vector<std::string>>()->value_name("DOC")->composing(),
                  "versions that created, changed or removed DOC (repeatable: any of them)")(
      "path", po::value<std::vector<std::string>>()->value_name("DOC:POINTER")->composing(),
      "versions that changed the value at POINTER in DOC, or anything under it (repeatable)")(
      "since", po::value<std::string>()->value_name("REV"),
      "first print every version after REV (reachable from the branch, not from REV)")(
      "branch", po::value<std::string>()->value_name("B"),
      "the branch to follow (default: the current one)")("patch,p", po::bool_switch(),
                                                         "print each version's change")(
      "json", po::bool_switch(), "one JSON object a line: the version as in log --json");
}

// Whoever read our output went away (`watch | head -1`): a pipe whose
// reader closed polls as an error.
bool ReaderGone() {
  pollfd out{STDOUT_FILENO, 0, 0};
  return poll(&out, 1, 0) == 1 && (out.revents & (POLLERR | POLLHUP)) != 0;
}

// One version as log --oneline (with -p: log -p --oneline, a blank line
// between versions) or log --json prints it.
void Print(Context& ctx, const LogEntry& e, bool patch, bool first) {
  const VersionInfo& v = e.version;
  if (ctx.json()) {
    json::object o = VersionToJson(v);
    if (patch) o["changes"] = ChangesToJson(e.changes);
    FormatOptions f;
    f.indent = 0;  // JSON Lines: one version a line, whatever the terminal
    f.color = ctx.color();
    std::cout << FormatJson(o, f) << "\n";
    return;
  }
  if (patch && !first) std::cout << "\n";
  std::string labels;
  for (const auto& l : v.labels) labels += (labels.empty() ? "" : ", ") + l;
  for (const auto& l : v.added_labels) labels += (labels.empty() ? "+" : ", +") + l;
  std::cout << ctx.Paint(kYellow, v.id.substr(0, 12)) << " "
            << v.message.substr(0, v.message.find('\n'));
  if (!labels.empty()) std::cout << "  " << ctx.Paint(kCyan, "[" + labels + "]");
  std::cout << "\n";
  if (patch) PrintChanges(ctx, e.changes);
}

int Run(Context& ctx, const po::variables_map& args) {
  WatchOptions options;
  if (args.count("doc")) options.docs = args["doc"].as<std::vector<std::string>>();
  if (int rc = ReadPathFilters(args, options.paths); rc != kExitOk) return rc;
  if (args.count("since")) options.since = args["since"].as<std::string>();
  if (args.count("branch")) options.branch = args["branch"].as<std::string>();
  const bool patch = Flag(args, "patch");
  options.changes = patch;

  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  // Ctrl-C and SIGTERM set a flag (and interrupt the wait) instead of
  // killing us mid-line; the loop then ends with exit 0.
  InstallInterruptHandler();
  Result<std::unique_ptr<Watcher>> watcher = Watcher::Make(**repo, options);
  if (!watcher.ok()) return ctx.Fail(watcher.status());
  // A reader that goes away makes our writes fail (EPIPE) instead of
  // killing us: watch then ends quietly.
  signal(SIGPIPE, SIG_IGN);
  std::size_t printed = 0;
  while (!Interrupted()) {
    Result<std::vector<LogEntry>> batch = (*watcher)->Poll();
    if (!batch.ok()) return ctx.Fail(batch.status());
    for (const LogEntry& e : *batch) {
      Print(ctx, e, patch, printed++ == 0);
      std::cout.flush();               // each version as it comes, for a reader that acts on it
      if (!std::cout) return kExitOk;  // the reader closed the pipe
    }
    if (ReaderGone()) return kExitOk;
    Status waited = (*watcher)->Wait(Watcher::kPollInterval);
    if (!waited.ok()) return ctx.Fail(waited);
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kWatchCommand{
    "watch",
    "print each new version on a branch as it is written, by any process; resumable",
    "strata watch [--doc DOC]... [--path DOC:POINTER]... [--since REV] [--branch B] [-p]\n"
    "             [--perspective P] [--json]",
    "Follows a branch (the current one unless --branch) and prints each version written to\n"
    "it from now on, by this repository's users and by any other process, one line each as\n"
    "`log --oneline` shows it (with -p, its change as `log -p` does). --json prints one JSON\n"
    "object a line: the version as `log --json` gives it, with \"changes\" under -p.\n"
    "Output is flushed after every version. Ctrl-C (or SIGTERM) ends it with exit 0.\n"
    "\n"
    "Exactly once, in history order: when the branch moves from OLD to NEW, watch prints\n"
    "the versions reachable from NEW and not from OLD, oldest first (`git rev-list\n"
    "--reverse OLD..NEW`), so a fast-forward or a pull that brings many versions at once\n"
    "prints each of them, and no version is printed twice. A branch reset backwards prints\n"
    "nothing (nothing new is reachable); forced elsewhere, the versions OLD lacks. A branch\n"
    "that does not exist yet is waited for, and then all its versions are printed.\n"
    "\n"
    "--doc and --path keep the versions that changed that document or value from their\n"
    "first parent (as log's filters). Under --perspective, a version that changed nothing\n"
    "the perspective shows is left out, and -p shows only what it shows.\n"
    "\n"
    "Resuming: --since REV first prints every version after REV (reachable from the branch\n"
    "and not from REV), then follows. A script that saves the id of the last version it\n"
    "handled and restarts with --since that id misses none and sees none twice\n"
    "(docs/watch.md). An unknown REV is an error (exit 1).",
    Define,
    Run};

}  // namespace strata::cli
