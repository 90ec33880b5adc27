#include <iostream>

#include "cli/changes.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::string>()->required(), "the document")(
      "pointer", po::value<std::string>()->default_value(""),
      "a value in it (JSON Pointer, e.g. /db/host); default: the whole document");
  o.add_options()("rev", po::value<std::string>()->value_name("REV")->default_value("HEAD"),
                  "follow REV's first-parent line")(
      "max-count,n", po::value<long long>()->value_name("N"), "show at most N versions")(
      "patch,p", po::bool_switch(), "show each version's change to the document or value");
  AddJsonOption(o);
  p.add("doc", 1).add("pointer", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  const std::string doc = args["doc"].as<std::string>();
  Result<JsonPointer> pointer = JsonPointer::Parse(args["pointer"].as<std::string>());
  if (!pointer.ok()) return ctx.Fail(pointer.status());
  HistoryOptions options;
  options.rev = args["rev"].as<std::string>();
  options.changes = args["patch"].as<bool>();
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
  Result<std::vector<LogEntry>> history = (*repo)->History(doc, *pointer, options);
  if (!history.ok()) return ctx.Fail(history.status());
  if (ctx.json()) {
    json::array out;
    for (const auto& e : *history) {
      json::object o = VersionToJson(e.version);
      o["doc_version"] = e.doc_version;
      if (options.changes) o["changes"] = ChangesToJson(e.changes);
      out.push_back(std::move(o));
    }
    ctx.PrintJson(out);
    return kExitOk;
  }
  std::size_t author_width = 0, number_width = 0;
  for (const auto& e : *history) {
    author_width = std::max(author_width, e.version.author.name.size());
    number_width = std::max(number_width, std::to_string(e.doc_version).size() + 1);
  }
  bool first = true;
  for (const auto& e : *history) {
    const VersionInfo& v = e.version;
    if (options.changes && !first) std::cout << "\n";
    first = false;
    std::string number = "v";
    number += std::to_string(e.doc_version);
    std::cout << number << std::string(number_width - number.size(), ' ') << "  "
              << ctx.Paint(kYellow, v.id.substr(0, 12)) << "  " << FormatDisplayTime(v.time) << "  "
              << v.author.name << std::string(author_width - v.author.name.size(), ' ') << "  "
              << v.message.substr(0, v.message.find('\n'));
    std::string labels;
    for (const auto* list : {&v.labels, &v.added_labels}) {
      for (const auto& l : *list) labels += (labels.empty() ? "" : ", ") + l;
    }
    if (!labels.empty()) std::cout << "  " << ctx.Paint(kCyan, "[" + labels + "]");
    std::cout << "\n";
    if (options.changes) PrintChanges(ctx, e.changes);
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kHistoryCommand{
    "history",
    "list the versions that changed one document or value",
    "strata history DOC [POINTER] [--rev REV] [-n N] [-p] [--json]",
    "Lists the versions on REV's first-parent line (default HEAD) that changed DOC, or the\n"
    "value at POINTER in it (or anything under it), newest first: the document's version\n"
    "number (v1 created it; it counts every version that changed the document), id, time,\n"
    "author, message and labels. -p adds each version's change to that document or value.\n"
    "A merge counts when it differs from its first parent. Versions that did not touch the\n"
    "document cost a few tree reads each: their stored ids are compared, not their values.",
    Define,
    Run};

}  // namespace strata::cli
