#include "cli/merge_output.h"

#include <iostream>

#include "cli/worktree_cli.h"

namespace strata::cli {

void AddMergeOptions(po::options_description& options) {
  options.add_options()("strategy", po::value<std::string>()->value_name("ours|theirs"),
                        "resolve every conflict with that side's value (changes that do not "
                        "conflict are still taken from both sides)")(
      "continue", po::bool_switch(),
      "write the version of the merge in progress, once every conflict is resolved")(
      "abort", po::bool_switch(), "end the merge in progress; the branch stays as it was")(
      "message,m", po::value<std::string>()->value_name("MSG"),
      "the version's message (default: says what was merged)")(
      "author", po::value<std::string>()->value_name("'NAME <EMAIL>'"),
      "the version's author (default: $STRATA_AUTHOR, else git config user.name/user.email)")(
      "label", po::value<std::vector<std::string>>()->value_name("LABEL")->composing(),
      "a label for the version (repeatable)")("branch",
                                              po::value<std::string>()->value_name("BRANCH"),
                                              "merge into BRANCH instead of the current branch");
  AddJsonOption(options);
}

namespace {

json::value OutcomeToJson(const MergeOutcome& o) {
  const char* result = "up-to-date";
  switch (o.kind) {
    case MergeOutcome::Kind::kUpToDate:
      result = "up-to-date";
      break;
    case MergeOutcome::Kind::kFastForward:
      result = "fast-forward";
      break;
    case MergeOutcome::Kind::kMerged:
      result = "merged";
      break;
    case MergeOutcome::Kind::kConflicts:
      result = "conflicts";
      break;
  }
  json::array conflicts;
  for (const MergeConflict& c : o.conflicts) conflicts.push_back(MergeConflictToJson(c));
  return json::object{
      {"result", result},
      {"operation", MergeKindName(o.operation)},
      {"branch", o.branch},
      {"version", o.version ? json::value(VersionToJson(*o.version)) : json::value(nullptr)},
      {"documents", o.documents},
      {"conflicts", std::move(conflicts)}};
}

}  // namespace

json::value MergeOutcomeToJson(const MergeOutcome& o) { return OutcomeToJson(o); }

std::string ConflictLine(const MergeConflict& c) {
  return std::string(ConflictKindName(c.kind)) + "  " + c.doc +
         (c.pointer.IsRoot() ? std::string() : " " + c.pointer.ToString());
}

std::optional<int> RunContinueOrAbort(Context& ctx, const po::variables_map& args) {
  const bool cont = Flag(args, "continue"), abort = Flag(args, "abort");
  if (!cont && !abort) return std::nullopt;
  if (cont && abort) {
    ctx.Fail(Status::InvalidArgument("--continue and --abort exclude each other"));
    return kExitUsage;
  }
  if (args.count("rev") || args.count("strategy") || args.count("only") || Flag(args, "no-ff")) {
    ctx.Fail(Status::InvalidArgument(std::string(cont ? "--continue" : "--abort") +
                                     " takes no revision, --strategy, --only or --no-ff"));
    return kExitUsage;
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  // In a working folder: its branch's merge, and the folder follows the result.
  Result<std::unique_ptr<Worktree>> wt = OpenWorktree(ctx);
  if (!wt.ok()) return ctx.Fail(wt.status());
  if (*wt && !options->branch) options->branch = (*wt)->record().branch;
  if (cont && *wt) {
    Result<MergeOutcome> outcome = (*repo)->ContinueMerge(*options);
    if (outcome.ok()) {
      Result<WorktreeUpdate> followed = (*wt)->FollowBranch();
      if (!followed.ok()) return ctx.Fail(followed.status().WithContext("the merge was written"));
    }
    return ReportMerge(ctx, outcome, "");
  }
  if (cont) return ReportMerge(ctx, (*repo)->ContinueMerge(*options), "");
  Result<MergeInProgress> m = (*repo)->AbortMerge(options->branch);
  if (!m.ok()) return ctx.Fail(m.status());
  if (ctx.json()) {
    ctx.PrintJson(json::object{{"aborted", MergeKindName(m->operation)},
                               {"rev", m->rev},
                               {"branch", m->branch},
                               {"version", m->ours}});
  } else {
    std::cout << "aborted the " << MergeKindName(m->operation) << " of '" << m->rev << "' into "
              << m->branch << "; " << m->branch << " is at " << m->ours.substr(0, 12)
              << " as before\n";
  }
  return kExitOk;
}

Result<MergeRequest> MergeRequestFromArgs(Context& ctx, const po::variables_map& args) {
  MergeRequest r;
  if (args.count("strategy")) {
    STRATA_ASSIGN_OR_RETURN(r.strategy, ParseMergeStrategy(args["strategy"].as<std::string>()));
  }
  r.no_ff = Flag(args, "no-ff");
  if (args.count("only")) r.only = args["only"].as<std::vector<std::string>>();
  STRATA_ASSIGN_OR_RETURN(r.commit, ctx.WriteOptions());
  return r;
}

int ReportMerge(Context& ctx, const Result<MergeOutcome>& result, const std::string& rev) {
  if (!result.ok()) return ctx.Fail(result.status());
  const MergeOutcome& o = *result;
  const std::string op(MergeKindName(o.operation));
  if (ctx.json()) {
    ctx.PrintJson(OutcomeToJson(o));
  } else {
    switch (o.kind) {
      case MergeOutcome::Kind::kUpToDate:
        if (o.operation == MergeKind::kMerge) {
          std::cout << "already up to date: " << (rev.empty() ? "the merge" : "'" + rev + "'")
                    << " is in " << o.branch << "; nothing written\n";
        } else {
          std::cout << "nothing to " << op << ": " << o.branch
                    << " already holds that state; nothing written\n";
        }
        break;
      case MergeOutcome::Kind::kFastForward:
        std::cout << "fast-forward " << o.branch << " to "
                  << ctx.Paint(kYellow, o.version->id.substr(0, 12)) << "\n";
        break;
      case MergeOutcome::Kind::kMerged:
        std::cout << "[" << o.branch << " " << ctx.Paint(kYellow, o.version->id.substr(0, 12))
                  << "] " << o.version->message << "\n";
        break;
      case MergeOutcome::Kind::kConflicts:
        for (const MergeConflict& c : o.conflicts) {
          std::cout << ctx.Paint(kRed, "CONFLICT") << " (" << ConflictLine(c) << ")\n";
        }
        break;
    }
  }
  if (o.kind != MergeOutcome::Kind::kConflicts) return kExitOk;
  const std::string cmd = o.operation == MergeKind::kMerge ? "merge" : op;
  // The error line names each value too (the first ten), for logs that keep stderr only.
  std::string named;
  for (std::size_t i = 0; i < o.conflicts.size() && i < 10; ++i) {
    const MergeConflict& c = o.conflicts[i];
    named += (i ? ", " : "") + c.doc + (c.pointer.IsRoot() ? "" : " " + c.pointer.ToString());
  }
  if (o.conflicts.size() > 10) named += ", ...";
  return ctx.Fail(Status::Conflict(
      op + " stopped on " + std::to_string(o.conflicts.size()) + " conflict(s) (" + named + "); " +
      o.branch +
      " did not move: resolve them ('strata conflicts', 'strata resolve'), then 'strata " + cmd +
      " --continue', or 'strata " + cmd + " --abort'"));
}

int RunMergeCommand(Context& ctx, const po::variables_map& args, MergeCall call) {
  if (std::optional<int> done = RunContinueOrAbort(ctx, args)) return *done;
  if (!args.count("rev")) {
    ctx.Fail(Status::InvalidArgument("missing argument REV (or --continue, --abort)"));
    return kExitUsage;
  }
  Result<MergeRequest> request = MergeRequestFromArgs(ctx, args);
  if (!request.ok()) return ctx.Fail(request.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  const std::string rev = args["rev"].as<std::string>();
  return ReportMerge(ctx, ((*repo)->*call)(rev, *request), rev);
}

}  // namespace strata::cli
