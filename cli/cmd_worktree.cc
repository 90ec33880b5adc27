#include <iostream>

#include "cli/worktree_cli.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("action", po::value<std::string>(), "add, list or remove (default: list)")(
      "dir", po::value<std::string>(), "add, remove: the working folder");
  o.add_options()("branch,b", po::value<std::string>()->value_name("BRANCH"),
                  "add: the branch to check out (default: the current branch)")(
      "force", po::bool_switch(), "remove: even with uncommitted changes (they are lost)");
  AddJsonOption(o);
  p.add("action", 1).add("dir", 1);
}

int Usage(const std::string& message) {
  std::cerr << "strata: error: " << message << " (see 'strata worktree --help')\n";
  return kExitUsage;
}

json::value Nullable(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

int Run(Context& ctx, const po::variables_map& args) {
  const std::string action = args.count("action") ? args["action"].as<std::string>() : "list";
  const bool has_dir = args.count("dir") != 0;
  if (action == "list") {
    if (has_dir) return Usage("'worktree list' takes no arguments");
  } else if (action == "add" || action == "remove") {
    if (!has_dir) return Usage("usage: strata worktree " + action + " DIR");
  } else {
    return Usage("unknown action '" + action + "' (add, list or remove)");
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  if (action == "add") {
    WorktreeAddOptions options;
    if (args.count("branch")) options.branch = args["branch"].as<std::string>();
    if (const Perspective* p = (*repo)->perspective()) options.perspective = p->name();
    Result<std::unique_ptr<Worktree>> wt =
        Worktree::Add(**repo, args["dir"].as<std::string>(), options);
    if (!wt.ok()) return ctx.Fail(wt.status());
    const WorktreeRecord& r = (*wt)->record();
    if (ctx.json()) {
      ctx.PrintJson(json::object{{"folder", (*wt)->dir()},
                                 {"name", r.name},
                                 {"branch", r.branch},
                                 {"base", Nullable(r.base)},
                                 {"perspective", Nullable(r.perspective.value_or(""))}});
    } else {
      std::cout << "working folder " << (*wt)->dir() << " on branch " << r.branch
                << (r.base.empty() ? " (no versions yet)" : " at " + r.base.substr(0, 12))
                << (r.perspective ? " through perspective " + *r.perspective : "") << "\n";
    }
    return kExitOk;
  }
  if (action == "remove") {
    Result<WorktreeRemoval> r =
        Worktree::Remove(**repo, args["dir"].as<std::string>(), args["force"].as<bool>());
    if (!r.ok()) return ctx.Fail(r.status());
    if (ctx.json()) {
      json::array left;
      for (const std::string& l : r->left) left.push_back(json::string(l));
      ctx.PrintJson(json::object{{"folder", r->folder},
                                 {"removed", r->removed},
                                 {"left", left},
                                 {"folder_removed", r->folder_removed}});
      return kExitOk;
    }
    std::cout << "removed the working folder " << r->folder << " (" << r->removed << " file"
              << (r->removed == 1 ? "" : "s") << ")\n";
    if (!r->left.empty()) {
      std::cout << "left " << r->left.size() << " file" << (r->left.size() == 1 ? "" : "s")
                << " strata did not write:\n";
      for (const std::string& l : r->left) std::cout << "  " << l << "\n";
    }
    return kExitOk;
  }
  Result<std::vector<WorktreeInfo>> all = Worktree::List(**repo);
  if (!all.ok()) return ctx.Fail(all.status());
  if (ctx.json()) {
    json::array out;
    for (const WorktreeInfo& w : *all) {
      out.push_back(json::object{{"name", w.name},
                                 {"folder", w.folder},
                                 {"branch", Nullable(w.branch)},
                                 {"base", Nullable(w.base)},
                                 {"perspective", Nullable(w.perspective.value_or(""))},
                                 {"problem", Nullable(w.problem)}});
    }
    ctx.PrintJson(out);
    return kExitOk;
  }
  for (const WorktreeInfo& w : *all) {
    std::cout << w.folder << "  ";
    if (!w.problem.empty()) {
      std::cout << "(" << w.problem << ")\n";
      continue;
    }
    std::cout << ctx.Paint(kYellow, w.base.empty() ? std::string("(none)") : w.base.substr(0, 12))
              << " [" << w.branch << "]" << (w.perspective ? " perspective " + *w.perspective : "")
              << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kWorktreeCommand{
    "worktree",
    "check a branch out as files in a working folder, list and remove them",
    "strata worktree add DIR [--branch BRANCH] [--perspective P]\n"
    "       strata worktree list [--json]\n"
    "       strata worktree remove DIR [--force]",
    "add writes the state of BRANCH (default: the current branch) into DIR as `strata\n"
    "export` does (DIR/<id>.json, pretty-printed), through perspective P if given, and\n"
    "marks DIR as a working folder: the file DIR/.strata records the repository, the\n"
    "branch, the base version and the perspective. DIR must be new or empty. Inside it\n"
    "(or any folder below), every command finds the repository through that file, and\n"
    "`strata status`, `diff` (no revision), `commit`, `restore`, `switch` and `pull`\n"
    "work on the folder (docs/worktrees.md). Several working folders may serve one\n"
    "repository, each with its own branch and perspective.\n"
    "list prints each working folder with its base and branch (--json: [{\"name\",\n"
    "\"folder\", \"branch\", \"base\", \"perspective\", \"problem\"}]).\n"
    "remove deletes the document files strata wrote and the record, and the folders\n"
    "left empty; files strata did not write stay, and are listed. It refuses a folder\n"
    "with uncommitted changes or invalid files, naming them, unless --force (then the\n"
    "changes are lost). A folder already deleted by hand is forgotten.",
    Define,
    Run};

}  // namespace strata::cli
