#include <iostream>

#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::vector<std::string>>()->composing(),
                  "the documents to put back");
  o.add_options()("all", po::bool_switch(), "every modified or deleted document");
  AddJsonOption(o);
  p.add("doc", -1);
}

int Run(Context& ctx, const po::variables_map& args) {
  std::vector<std::string> docs;
  if (args.count("doc")) docs = args["doc"].as<std::vector<std::string>>();
  const bool all = args["all"].as<bool>();
  if (docs.empty() == !all) {
    std::cerr << "strata: error: name the documents to restore, or --all (not both)\n";
    return kExitUsage;
  }
  Result<std::unique_ptr<Worktree>> wt = OpenWorktree(ctx);
  if (!wt.ok()) return ctx.Fail(wt.status());
  if (!*wt) return ctx.Fail(NotInWorktree("restore"));
  Result<std::vector<std::string>> restored = (*wt)->Restore(docs, all);
  if (!restored.ok()) return ctx.Fail(restored.status());
  if (ctx.json()) {
    json::array out;
    for (const std::string& id : *restored) out.push_back(json::string(id));
    ctx.PrintJson(json::object{{"restored", out}});
    return kExitOk;
  }
  if (restored->empty()) std::cout << "nothing to restore\n";
  for (const std::string& id : *restored) std::cout << "restored " << id << "\n";
  return kExitOk;
}

}  // namespace

extern const CommandSpec kRestoreCommand{
    "restore",
    "put documents in the working folder back as they are in its base",
    "strata restore DOC... | strata restore --all [--json]",
    "In a working folder: writes each DOC's file as it is in the folder's base version\n"
    "(a deleted file comes back, a modified or invalid one is overwritten). --all restores\n"
    "every modified, deleted and invalid document of the base. As `git restore`, it never\n"
    "deletes a file: documents created in the folder stay (remove their files yourself);\n"
    "naming one is refused. --json prints {\"restored\": [ids]}.",
    Define,
    Run};

}  // namespace strata::cli
