#include <iostream>

#include "cli/changes.h"
#include "strata/watch.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>()->default_value("HEAD"),
                  "where to start: REV, A..B (in B, not in A) or A...B (in one, not both)");
  o.add_options()("max-count,n", po::value<long long>()->value_name("N"),
                  "show at most N versions (the newest N that match, before --reverse)")(
      "doc", po::value<std::vector<std::string>>()->value_name("DOC")->composing(),
      "versions that created, changed or removed DOC (repeatable: any of them)")(
      "path", po::value<std::vector<std::string>>()->value_name("DOC:POINTER")->composing(),
      "versions that changed the value at POINTER in DOC, or anything under it (repeatable)")(
      "author", po::value<std::string>()->value_name("PATTERN"),
      "versions whose author's name or email contains PATTERN, or matches it as a regex")(
      "since", po::value<std::string>()->value_name("DATE"),
      "versions made at or after DATE (a date alone: its start; @SECONDS; '2 days ago')")(
      "until", po::value<std::string>()->value_name("DATE"),
      "versions made at or before DATE (a date alone: its end)")(
      "label", po::value<std::vector<std::string>>()->value_name("LABEL")->composing(),
      "versions with LABEL (repeatable: any of them; with --all-labels, every one)")(
      "all-labels", po::bool_switch(), "with --label: versions that have every label given")(
      "grep", po::value<std::string>()->value_name("REGEX"),
      "versions whose message matches REGEX (ECMAScript)")(
      "reverse", po::bool_switch(), "oldest first")("patch,p", po::bool_switch(),
                                                    "show each version's change")(
      "format", po::value<std::string>()->value_name("FORMAT")->default_value("human"),
      "with -p: human (one line per change) or patch (RFC 6902 JSON)")(
      "stat", po::bool_switch(), "show the documents and values each version changed")(
      "oneline", po::bool_switch(), "one short line per version: id and message");
  AddJsonOption(o);
  p.add("rev", 1);
}

std::string LabelList(const VersionInfo& v) {
  std::string labels;
  for (const auto& l : v.labels) labels += (labels.empty() ? "" : ", ") + l;
  // Labels added later (strata label) are marked with '+'.
  for (const auto& l : v.added_labels) labels += (labels.empty() ? "+" : ", +") + l;
  return labels;
}

int Run(Context& ctx, const po::variables_map& args) {
  LogOptions options;
  if (args.count("max-count")) {
    long long n = args["max-count"].as<long long>();
    if (n < 0) return UsageError("-n/--max-count must be 0 or more, not " + std::to_string(n));
    options.max_count = static_cast<std::size_t>(n);
  }
  if (args.count("doc")) options.docs = args["doc"].as<std::vector<std::string>>();
  if (int rc = ReadPathFilters(args, options.paths); rc != kExitOk) return rc;
  if (args.count("author")) options.author = args["author"].as<std::string>();
  if (args.count("grep")) options.grep = args["grep"].as<std::string>();
  for (const char* name : {"since", "until"}) {
    if (!args.count(name)) continue;
    TimeParseOptions t;
    t.date_only = std::string(name) == "since" ? DayPart::kStart : DayPart::kEnd;
    Result<std::int64_t> when = ParseTime(args[name].as<std::string>(), t);
    if (!when.ok()) return UsageError("--" + std::string(name) + ": " + when.status().message());
    (std::string(name) == "since" ? options.since : options.until) = *when;
  }
  if (args.count("label")) options.labels = args["label"].as<std::vector<std::string>>();
  options.all_labels = Flag(args, "all-labels");
  options.reverse = Flag(args, "reverse");
  const bool patch = Flag(args, "patch"), stat = Flag(args, "stat");
  const std::string format = args["format"].as<std::string>();
  if (format != "human" && format != "patch") {
    return UsageError("--format must be human or patch, not '" + format + "'");
  }
  options.changes = patch || stat;

  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<std::vector<LogEntry>> log = (*repo)->LogEntries(args["rev"].as<std::string>(), options);
  if (!log.ok()) return ctx.Fail(log.status());
  if (ctx.json()) {
    json::array out;
    for (const auto& e : *log) {
      json::object o = VersionToJson(e.version);
      if (patch) o["changes"] = ChangesToJson(e.changes);
      if (stat) o["stat"] = SummaryToJson(e.changes);
      out.push_back(std::move(o));
    }
    ctx.PrintJson(out);
    return kExitOk;
  }
  std::size_t author_width = 0;
  for (const auto& e : *log) author_width = std::max(author_width, e.version.author.name.size());
  bool first = true;
  for (const auto& e : *log) {
    const VersionInfo& v = e.version;
    if (options.changes && !first) std::cout << "\n";
    first = false;
    std::string first_line = v.message.substr(0, v.message.find('\n'));
    std::string labels = LabelList(v);
    if (Flag(args, "oneline")) {
      std::cout << ctx.Paint(kYellow, v.id.substr(0, 12)) << " " << first_line;
    } else {
      std::cout << ctx.Paint(kYellow, v.id.substr(0, 12)) << "  " << FormatDisplayTime(v.time)
                << "  " << v.author.name << std::string(author_width - v.author.name.size(), ' ')
                << "  " << first_line;
    }
    if (!labels.empty()) std::cout << "  " << ctx.Paint(kCyan, "[" + labels + "]");
    std::cout << "\n";
    if (stat) PrintSummary(ctx, e.changes);
    if (patch && format == "patch") {
      Patch ops;
      for (const auto& c : e.changes) ops.push_back(c.op);
      ctx.PrintJson(PatchToJson(ops));
    } else if (patch) {
      PrintChanges(ctx, e.changes);
    }
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kLogCommand{
    "log",
    "list versions, newest first; filter by document, value, author, time, label, message",
    "strata log [REV | A..B | A...B] [--doc DOC] [--path DOC:POINTER] [--author PATTERN]\n"
    "           [--since DATE] [--until DATE] [--label L [--all-labels]] [--grep REGEX]\n"
    "           [-n N] [--reverse] [-p [--format human|patch]] [--stat] [--oneline] [--json]",
    "Lists the versions reachable from REV (default HEAD), newest first: id, time, author,\n"
    "message and labels (those added later with `strata label` marked '+').\n"
    "`git --git-dir .strata log` shows the same history. A..B lists the\n"
    "versions reachable from B and not from A; A...B those reachable from one side only.\n"
    "\n"
    "Filters combine (a version must pass each); a repeated --doc, --path or --label\n"
    "matches any of its values. --doc and --path compare a version with its first parent\n"
    "(for a merge too), by the ids of the stored values along the path, so they cost a few\n"
    "tree reads per version. -n keeps the newest N matches; --reverse then lists them oldest\n"
    "first. -p prints each version's change (+ added, - removed, ~ replaced; --format patch:\n"
    "an RFC 6902 patch), --stat the documents it changed. With --json, -p adds \"changes\"\n"
    "and --stat adds \"stat\" to each version (docs/json-output.md).",
    Define,
    Run};

}  // namespace strata::cli
