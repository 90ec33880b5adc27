#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>()->default_value("HEAD"), "where to start");
  o.add_options()("max-count,n", po::value<long long>()->value_name("N"),
                  "show at most N versions");
  AddJsonOption(o);
  p.add("rev", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  LogOptions options;
  if (args.count("max-count")) {
    long long n = args["max-count"].as<long long>();
    if (n < 0) {
      std::cerr << "strata: error: -n/--max-count must be 0 or more, not " << n << "\n";
      return kExitUsage;
    }
    options.max_count = static_cast<std::size_t>(n);
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<std::vector<VersionInfo>> log = (*repo)->Log(args["rev"].as<std::string>(), options);
  if (!log.ok()) return ctx.Fail(log.status());
  if (ctx.json()) {
    json::array out;
    for (const auto& v : *log) out.push_back(VersionToJson(v));
    ctx.PrintJson(out);
    return kExitOk;
  }
  std::size_t author_width = 0;
  for (const auto& v : *log) author_width = std::max(author_width, v.author.name.size());
  for (const auto& v : *log) {
    std::string first_line = v.message.substr(0, v.message.find('\n'));
    std::cout << ctx.Paint(kYellow, v.id.substr(0, 12)) << "  " << FormatDisplayTime(v.time) << "  "
              << v.author.name << std::string(author_width - v.author.name.size(), ' ') << "  "
              << first_line;
    if (!v.labels.empty() || !v.added_labels.empty()) {
      std::string labels;
      for (const auto& l : v.labels) labels += (labels.empty() ? "" : ", ") + l;
      // Labels added later (strata label) are marked with '+'.
      for (const auto& l : v.added_labels) labels += (labels.empty() ? "+" : ", +") + l;
      std::cout << "  " << ctx.Paint(kCyan, "[" + labels + "]");
    }
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kLogCommand{
    "log",
    "list versions, newest first",
    "strata log [REV] [-n N] [--json]",
    "Lists the versions reachable from REV (default HEAD), newest first: id, time, author,\n"
    "message and labels (those added later with `strata label` marked '+').\n"
    "`git --git-dir .strata log` shows the same history.",
    Define,
    Run};

}  // namespace strata::cli
