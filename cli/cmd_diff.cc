#include <iostream>

#include "cli/changes.h"
#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("from", po::value<std::string>(),
                  "the older revision (none, in a working folder: the folder against its base), or "
                  "a range A..B (A against B) or A...B (the merge base "
                  "of A and B against B)")("to", po::value<std::string>(),
                                           "the newer revision (default HEAD)");
  o.add_options()(
      "format", po::value<std::string>()->default_value("human")->value_name("FORMAT"),
      "human (one line per change), patch (RFC 6902 JSON), merge-patch (RFC 7396 JSON) or "
      "summary (one line per document)")("stat", po::bool_switch(),
                                         "per document, how many values changed, then a total")(
      "exit-code", po::bool_switch(), "exit 1 if there are differences, 0 if none")(
      "doc", po::value<std::vector<std::string>>()->value_name("DOC")->composing(),
      "only this document (repeatable)")(
      "path", po::value<std::vector<std::string>>()->value_name("DOC:POINTER")->composing(),
      "only the value at POINTER in DOC, e.g. config/app1:/db (repeatable)");
  AddJsonOption(o);
  p.add("from", 1).add("to", 1);
}

int UsageError(const std::string& message) {
  std::cerr << "strata: error: " << message << " (see 'strata diff --help')\n";
  return kExitUsage;
}

// The folder's changes against its base, in the same formats; "to" is null.
int RunWorktreeDiff(Context& ctx, const po::variables_map& args, Worktree& wt,
                    const std::string& format, const DiffFilter& filter) {
  json::value merge_patch;
  Result<std::vector<Change>> changes =
      wt.Changes(filter, format == "merge-patch" ? &merge_patch : nullptr);
  if (!changes.ok()) return ctx.Fail(changes.status());
  const json::value from =
      wt.record().base.empty() ? json::value(nullptr) : json::value(wt.record().base);
  const int status = args["exit-code"].as<bool>() && !changes->empty() ? kExitError : kExitOk;
  if (args["stat"].as<bool>()) {
    if (ctx.json()) {
      ctx.PrintJson(json::object{{"from", from}, {"to", nullptr}, {"stat", StatToJson(*changes)}});
    } else {
      PrintStat(ctx, *changes);
    }
    return status;
  }
  Patch patch;
  for (const Change& c : *changes) patch.push_back(c.op);
  if (format == "patch") {
    ctx.PrintJson(PatchToJson(patch));
  } else if (format == "merge-patch") {
    ctx.PrintJson(merge_patch);
  } else if (format == "summary" && ctx.json()) {
    json::object o = SummaryByKindToJson(*changes);
    o["from"] = from;
    o["to"] = nullptr;
    o["documents"] = SummaryToJson(*changes);
    o["operations"] = changes->size();
    ctx.PrintJson(o);
  } else if (ctx.json()) {
    ctx.PrintJson(json::object{{"from", from},
                               {"to", nullptr},
                               {"patch", PatchToJson(patch)},
                               {"changes", ChangesToJson(*changes)}});
  } else if (format == "summary") {
    PrintSummary(ctx, *changes);
  } else {
    PrintChanges(ctx, *changes);
  }
  return status;
}

int Run(Context& ctx, const po::variables_map& args) {
  std::string format = args["format"].as<std::string>();
  if (format != "human" && format != "patch" && format != "merge-patch" && format != "summary") {
    return UsageError("--format must be human, patch, merge-patch or summary");
  }
  DiffFilter filter;
  if (args.count("doc")) filter.docs = args["doc"].as<std::vector<std::string>>();
  if (args.count("path")) {
    for (const std::string& p : args["path"].as<std::vector<std::string>>()) {
      std::size_t colon = p.find(":/");
      if (p.size() > 1 && p.back() == ':') colon = p.size() - 1;  // DOC: is the whole document
      if (colon == std::string::npos || colon == 0) {
        return UsageError("--path must be DOC:POINTER (config/app1:/db/host), not '" + p + "'");
      }
      Result<JsonPointer> pointer = JsonPointer::Parse(p.substr(colon + 1));
      if (!pointer.ok()) return ctx.Fail(pointer.status().WithContext("--path " + p));
      filter.paths.emplace_back(p.substr(0, colon), *pointer);
    }
  }
  if (!args.count("from")) {
    Result<std::unique_ptr<Worktree>> wt = OpenWorktree(ctx);
    if (!wt.ok()) return ctx.Fail(wt.status());
    if (!*wt)
      return UsageError("missing FROM (with none, diff compares a working folder with its base)");
    return RunWorktreeDiff(ctx, args, **wt, format, filter);
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  const std::string to = args.count("to") ? args["to"].as<std::string>() : "";
  Result<std::pair<Snapshot, Snapshot>> ends =
      (*repo)->ReadDiffEnds(args["from"].as<std::string>(), to);
  if (!ends.ok()) return ctx.Fail(ends.status());
  Snapshot& a = ends->first;
  Snapshot& b = ends->second;
  ctx.Warn(a);
  ctx.Warn(b);
  Result<std::vector<Change>> changes = a.DiffTo(b, filter);
  if (!changes.ok()) return ctx.Fail(changes.status());
  const int status = args["exit-code"].as<bool>() && !changes->empty() ? kExitError : kExitOk;
  if (args["stat"].as<bool>()) {
    if (ctx.json()) {
      ctx.PrintJson(json::object{
          {"from", a.version_id()}, {"to", b.version_id()}, {"stat", StatToJson(*changes)}});
    } else {
      PrintStat(ctx, *changes);
    }
    return status;
  }
  Patch patch;
  patch.reserve(changes->size());
  for (const Change& c : *changes) patch.push_back(c.op);
  // --json keeps --format: the patches are JSON already, a summary has its
  // own schema, and the default carries the patch with its changes.
  if (format == "patch") {
    ctx.PrintJson(PatchToJson(patch));
  } else if (format == "merge-patch") {
    Result<json::value> merge_patch = a.MergePatchTo(b, filter);
    if (!merge_patch.ok()) return ctx.Fail(merge_patch.status());
    ctx.PrintJson(*merge_patch);
  } else if (format == "summary" && ctx.json()) {
    json::object o = SummaryByKindToJson(*changes);
    o["from"] = a.version_id();
    o["to"] = b.version_id();
    o["documents"] = SummaryToJson(*changes);
    o["operations"] = changes->size();
    ctx.PrintJson(o);
  } else if (ctx.json()) {
    ctx.PrintJson(json::object{{"from", a.version_id()},
                               {"to", b.version_id()},
                               {"patch", PatchToJson(patch)},
                               {"changes", ChangesToJson(*changes)}});
  } else if (format == "summary") {
    PrintSummary(ctx, *changes);
  } else {
    PrintChanges(ctx, *changes);
  }
  return status;
}

}  // namespace

extern const CommandSpec kDiffCommand{
    "diff",
    "what changed between two revisions",
    "strata diff [FROM [TO] | A..B | A...B] [--format human|patch|merge-patch|summary]\n"
    "       [--stat] [--exit-code] [--doc DOC]... [--path DOC:POINTER]... [--json]",
    "Compares the states at FROM and TO (default HEAD). A..B compares A with B; A...B\n"
    "compares the merge base of A and B with B (what B did since they parted). The default\n"
    "output has one line per change: + added, - removed (with the old value), ~ replaced\n"
    "(old -> new). With no revision, in a working folder (`strata worktree`): the folder's\n"
    "changes against its base, in any format (\"to\" is null in --json).\n"
    "--format patch prints the RFC 6902 patch that turns FROM's state into TO's (pointers\n"
    "start with the document id); `strata patch` applies it.\n"
    "--format merge-patch prints the RFC 7396 merge patch over the state (an object keyed\n"
    "by document id, a removed document null); with one --doc or --path, over that value.\n"
    "A merge patch replaces a changed array whole, and cannot set a value to null inside\n"
    "objects (null means remove): such a diff is refused, naming the pointer.\n"
    "--format summary prints one line per document, A created, M updated, D deleted, then\n"
    "the counts. --stat prints, per document, how many values changed.\n"
    "--doc and --path narrow any format; --exit-code makes the exit status 1 when there are\n"
    "differences (after printing them), 0 when there are none.\n"
    "The diff skips every subtree the two states share, so its cost follows the size of\n"
    "the change, not of the state. --json keeps the format: with patch and merge-patch,\n"
    "the same JSON; with summary and --stat, their own objects (docs/json-output.md).",
    Define,
    Run};

}  // namespace strata::cli
