#include <iostream>

#include "cli/merge_output.h"
#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::string>(), "the document whose conflicts to settle")(
      "pointer", po::value<std::string>(), "one conflict's JSON Pointer inside the document");
  o.add_options()("ours", po::bool_switch(), "take the current branch's value")(
      "theirs", po::bool_switch(), "take the value merged in")("base", po::bool_switch(),
                                                               "take the merge base's value")(
      "value", po::value<std::string>()->value_name("JSON"), "take this value")(
      "all", po::bool_switch(), "settle every conflict (with --ours or --theirs)")(
      "branch", po::value<std::string>()->value_name("BRANCH"),
      "the merge in progress on BRANCH instead of the current branch");
  AddJsonOption(o);
  p.add("doc", 1).add("pointer", 1);
}

int Usage(Context& ctx, const std::string& message) {
  ctx.Fail(Status::InvalidArgument(message));
  return kExitUsage;
}

int Run(Context& ctx, const po::variables_map& args) {
  ResolveRequest r;
  int sides = 0;
  if (Flag(args, "ours")) r.take = ResolveRequest::Take::kOurs, ++sides;
  if (Flag(args, "theirs")) r.take = ResolveRequest::Take::kTheirs, ++sides;
  if (Flag(args, "base")) r.take = ResolveRequest::Take::kBase, ++sides;
  if (args.count("value")) r.take = ResolveRequest::Take::kValue, ++sides;
  if (sides != 1) return Usage(ctx, "give one of --ours, --theirs, --base, --value JSON");
  const bool all = Flag(args, "all");
  if (all && args.count("doc")) return Usage(ctx, "--all takes no document");
  if (!all && !args.count("doc")) return Usage(ctx, "name a document, or give --all");
  if (all && (r.take == ResolveRequest::Take::kBase || r.take == ResolveRequest::Take::kValue)) {
    return Usage(ctx, "--all takes --ours or --theirs");
  }
  if (args.count("value")) {
    Result<json::value> v = ParseJsonArgument(args["value"].as<std::string>(), "--value");
    if (!v.ok()) return ctx.Fail(v.status());
    r.value = std::move(v).value();
  }
  if (args.count("doc")) r.doc = args["doc"].as<std::string>();
  if (args.count("pointer")) {
    Result<JsonPointer> p = JsonPointer::Parse(args["pointer"].as<std::string>());
    if (!p.ok()) return ctx.Fail(p.status());
    r.pointer = *p;
  }
  if (args.count("branch")) r.branch = args["branch"].as<std::string>();
  if (!r.branch) r.branch = WorktreeBranch(ctx);  // in a working folder: its branch
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<MergeInProgress> m = (*repo)->Resolve(r);
  if (!m.ok()) return ctx.Fail(m.status());
  if (ctx.json()) {
    json::array left;
    for (const MergeConflict& c : m->conflicts) left.push_back(MergeConflictToJson(c));
    ctx.PrintJson(json::object{{"resolved", m->resolved}, {"conflicts", std::move(left)}});
    return kExitOk;
  }
  const std::string op(MergeKindName(m->operation));
  if (m->conflicts.empty()) {
    std::cout << "every conflict is resolved: run 'strata " << op << " --continue'\n";
  } else {
    std::cout << m->conflicts.size() << " conflict(s) left:\n";
    for (const MergeConflict& c : m->conflicts) std::cout << "  " << ConflictLine(c) << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kResolveCommand{
    "resolve",
    "settle conflicts of the merge in progress",
    "strata resolve DOC [POINTER] --ours|--theirs|--base|--value JSON\n"
    "strata resolve --all --ours|--theirs",
    "Settles the conflict at POINTER in document DOC (without POINTER: every conflict in\n"
    "DOC; with --all: every conflict) of the merge, cherry-pick or revert in progress,\n"
    "with the current branch's value (--ours), the merged-in value (--theirs), the merge\n"
    "base's (--base) or a value of your own (--value JSON). Taking a side where the value\n"
    "is absent removes it. The merge is kept in the repository as it goes; `strata merge\n"
    "--continue` writes it once nothing is left.",
    Define,
    Run};

}  // namespace strata::cli
