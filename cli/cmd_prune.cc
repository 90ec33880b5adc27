#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description&,
            po::positional_options_description&) {
  o.add_options()("keep", po::value<long long>()->value_name("N"),
                  "keep the newest N versions of the first-parent line (N >= 1)")(
      "before", po::value<std::string>()->value_name("DATE"),
      "squash the versions dated before DATE (what `strata log --since DATE` leaves out)")(
      "branch,b", po::value<std::string>()->value_name("B"),
      "the branch to prune (default: the current one)")("dry-run,n",
                                                        "print the plan and change nothing")(
      "force", "rewrite history that a remote-tracking ref (refs/remotes/*/B) already has")(
      "author", po::value<std::string>()->value_name("\"NAME <EMAIL>\""),
      "the base version's author (default: as for writes)");
  AddJsonOption(o);
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

void PrintPlan(Context& ctx, const PruneReport& p) {
  std::cout << (p.dry_run ? "would prune " : "pruning ") << p.branch << ": " << p.squashed
            << " versions squashed into one base version, " << p.rewritten.size()
            << " kept (copied onto it, with new ids)\n";
  std::cout << "  base:   " << ctx.Paint(kYellow, p.base.substr(0, 12)) << " state "
            << p.base_state.substr(0, 12) << " (the state of " << p.cut.substr(0, 12) << ")\n";
  std::cout << "  dates:  " << FormatDisplayTime(p.oldest_time) << " to "
            << FormatDisplayTime(p.newest_time) << "\n";
  std::cout << "  removed from " << p.branch << " (" << p.removed.size() << "):\n";
  for (const PrunedVersion& v : p.removed) {
    std::cout << "    " << ctx.Paint(kYellow, v.id.substr(0, 12)) << " "
              << FormatDisplayTime(v.time) << " " << (v.dropped ? "dropped " : "squashed ")
              << v.subject;
    if (!v.tags.empty()) std::cout << " [tags " << Join(v.tags) << "]";
    if (!v.labels.empty()) std::cout << " [labels " << Join(v.labels) << "]";
    if (!v.archive_ref.empty()) std::cout << " -> " << v.archive_ref;
    std::cout << "\n";
  }
  std::cout << "  archived: " << p.archived.size() << " version(s) under refs/strata/archive/"
            << p.branch << "/\n";
  for (const PruneTagMove& t : p.tags_moved) {
    std::cout << "  tag " << t.name << ": " << t.from.substr(0, 12) << " -> " << t.to.substr(0, 12)
              << "\n";
  }
  if (p.notes_copied > 0) {
    std::cout << "  added labels copied to " << p.notes_copied << " copied version(s)\n";
  }
  for (const std::string& r : p.remotes_rewritten) {
    std::cout << "  --force: " << r << " keeps the old history\n";
  }
}

json::value ReportJson(const PruneReport& p) {
  json::array removed;
  for (const PrunedVersion& v : p.removed) {
    json::array tags(v.tags.begin(), v.tags.end()), labels(v.labels.begin(), v.labels.end());
    json::object o{{"id", v.id},           {"time", FormatDisplayTime(v.time)},
                   {"subject", v.subject}, {"dropped", v.dropped},
                   {"tags", tags},         {"labels", labels}};
    o["archive_ref"] = v.archive_ref.empty() ? json::value(nullptr) : json::value(v.archive_ref);
    removed.push_back(std::move(o));
  }
  json::array rewritten, tags_moved;
  for (const PruneRewrite& r : p.rewritten) {
    rewritten.push_back(json::object{{"from", r.from}, {"to", r.to}});
  }
  for (const PruneTagMove& t : p.tags_moved) {
    tags_moved.push_back(json::object{{"name", t.name}, {"from", t.from}, {"to", t.to}});
  }
  return json::object{
      {"pruned", !p.dry_run},
      {"dry_run", p.dry_run},
      {"branch", p.branch},
      {"head_before", p.head_before},
      {"head_after", p.head_after},
      {"cut", p.cut},
      {"base", json::object{{"id", p.base}, {"state", p.base_state}, {"message", p.base_message}}},
      {"squashed", p.squashed},
      {"dropped", p.dropped},
      {"oldest", FormatDisplayTime(p.oldest_time)},
      {"newest", FormatDisplayTime(p.newest_time)},
      {"removed", removed},
      {"rewritten", rewritten},
      {"archived", json::array(p.archived.begin(), p.archived.end())},
      {"tags_moved", tags_moved},
      {"notes_copied", p.notes_copied},
      {"remotes_rewritten", json::array(p.remotes_rewritten.begin(), p.remotes_rewritten.end())}};
}

int Run(Context& ctx, const po::variables_map& args) {
  PruneOptions options;
  const bool keep = args.count("keep") > 0, before = args.count("before") > 0;
  if (keep == before) return UsageError("prune needs exactly one of --keep N and --before DATE");
  if (keep) {
    long long n = args["keep"].as<long long>();
    if (n < 1) return UsageError("--keep must be 1 or more, not " + std::to_string(n));
    options.keep = static_cast<std::size_t>(n);
  }
  if (before) {
    TimeParseOptions t;
    t.date_only = DayPart::kStart;
    Result<std::int64_t> when = ParseTime(args["before"].as<std::string>(), t);
    if (!when.ok()) return UsageError("--before: " + when.status().message());
    options.before = *when;
  }
  if (args.count("branch")) options.branch = args["branch"].as<std::string>();
  if (args.count("author")) {
    Result<Signature> who = Signature::Parse(args["author"].as<std::string>());
    if (!who.ok()) return UsageError("--author: " + who.status().message());
    options.author = *who;
  }
  options.dry_run = args.count("dry-run") > 0;
  options.force = args.count("force") > 0;
  if (!ctx.json()) {
    // The plan, before anything is removed.
    options.on_plan = [&ctx](const PruneReport& plan) {
      PrintPlan(ctx, plan);
      std::cout << std::flush;
      return Status::Ok();
    };
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<PruneReport> report = (*repo)->Prune(options);
  if (!report.ok() && report.status().code() == Code::kUnchanged) {
    if (ctx.json()) {
      ctx.PrintJson(json::object{
          {"pruned", false}, {"dry_run", options.dry_run}, {"reason", report.status().message()}});
    } else {
      std::cout << report.status().message() << "\n";
    }
    return kExitOk;
  }
  if (!report.ok()) return ctx.Fail(report.status());
  if (ctx.json()) {
    ctx.PrintJson(ReportJson(*report));
    return kExitOk;
  }
  if (report->dry_run) {
    std::cout << "dry run: nothing changed\n";
  } else {
    std::cout << "pruned: " << report->branch << " is at "
              << ctx.Paint(kYellow, report->head_after.substr(0, 12)) << " (was "
              << report->head_before.substr(0, 12)
              << "); `strata gc --prune now` reclaims what nothing else reaches\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kPruneCommand{
    "prune",
    "squash a branch's old versions into one base version",
    "strata prune (--keep N | --before DATE) [--branch B] [--dry-run] [--force] [--json]",
    "Squashes the branch's old versions into one base version whose state is the newest\n"
    "squashed version's, and copies the newer versions onto it (same states, deltas,\n"
    "authors, dates, messages and labels; new ids). --keep N keeps the newest N versions of\n"
    "the first-parent line; --before DATE squashes those dated before DATE (any date\n"
    "`strata log --since` takes). The base's message says what was squashed: how many\n"
    "versions, their ids and dates, and what was archived.\n"
    "\n"
    "Nothing of the audit trail is lost: a squashed version that a tag names or that has\n"
    "labels stays reachable under refs/strata/archive/B/ID; tags on kept versions move to\n"
    "their copies, and labels added later are copied. History a remote already has\n"
    "(refs/remotes/*/B shares versions with B) is refused unless --force; a merge in\n"
    "progress on B is refused. The plan (every version removed, its date, tags and labels,\n"
    "the base's state) is printed before anything changes; --dry-run prints it and stops.\n"
    "All refs move in one transaction. Afterwards `strata gc --prune now` reclaims the\n"
    "objects nothing else reaches. docs/prune.md has the rules. --json prints {pruned,\n"
    "dry_run, branch, head_before, head_after, cut, base, squashed, dropped, oldest,\n"
    "newest, removed, rewritten, archived, tags_moved, notes_copied, remotes_rewritten}.",
    Define,
    Run};

}  // namespace strata::cli
