#include <iostream>

#include "cli/changes.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("from", po::value<std::string>()->required(), "the older revision")(
      "to", po::value<std::string>()->default_value("HEAD"), "the newer revision (default HEAD)");
  o.add_options()(
      "format", po::value<std::string>()->default_value("human")->value_name("FORMAT"),
      "human (one line per change), patch (RFC 6902 JSON) or summary (one line per document)");
  AddJsonOption(o);
  p.add("from", 1).add("to", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  std::string format = args["format"].as<std::string>();
  if (format != "human" && format != "patch" && format != "summary") {
    std::cerr
        << "strata: error: --format must be human, patch or summary (see 'strata diff --help')\n";
    return kExitUsage;
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  std::string from = args["from"].as<std::string>(), to = args["to"].as<std::string>();
  Result<Snapshot> a = (*repo)->Read(from);
  if (!a.ok()) return ctx.Fail(a.status());
  Result<Snapshot> b = (*repo)->Read(to);
  if (!b.ok()) return ctx.Fail(b.status());
  Result<std::vector<Change>> changes = a->DiffTo(*b);
  if (!changes.ok()) return ctx.Fail(changes.status());
  Patch patch;
  patch.reserve(changes->size());
  for (const Change& c : *changes) patch.push_back(c.op);
  // --json keeps --format: the patch is JSON already, a summary has its
  // own schema, and the default carries the patch with its changes.
  if (format == "patch") {
    ctx.PrintJson(PatchToJson(patch));
  } else if (format == "summary" && ctx.json()) {
    ctx.PrintJson(json::object{{"from", a->version_id()},
                               {"to", b->version_id()},
                               {"documents", SummaryToJson(*changes)},
                               {"operations", changes->size()}});
  } else if (ctx.json()) {
    ctx.PrintJson(json::object{{"from", a->version_id()},
                               {"to", b->version_id()},
                               {"patch", PatchToJson(patch)},
                               {"changes", ChangesToJson(*changes)}});
  } else if (format == "summary") {
    PrintSummary(ctx, *changes);
  } else {
    PrintChanges(ctx, *changes);
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kDiffCommand{
    "diff",
    "what changed between two revisions",
    "strata diff FROM [TO] [--format human|patch|summary] [--json]",
    "Compares the states at FROM and TO (default HEAD). The default output has one line per\n"
    "change: + added, - removed (with the old value), ~ replaced (old -> new).\n"
    "--format patch prints the RFC 6902 patch that turns FROM's state into TO's (pointers\n"
    "start with the document id); `strata patch` applies it. The diff skips every subtree\n"
    "the two states share, so its cost follows the size of the change, not of the state.\n"
    "--json keeps the format: with patch, the same RFC 6902 array; with summary, one entry\n"
    "per document (docs/json-output.md).",
    Define,
    Run};

}  // namespace strata::cli
