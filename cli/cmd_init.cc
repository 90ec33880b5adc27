#include <filesystem>
#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("dir", po::value<std::string>()->default_value("."), "where to create .strata");
  AddJsonOption(o);
  p.add("dir", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  Result<std::unique_ptr<Repository>> repo = Repository::Init(args["dir"].as<std::string>());
  if (!repo.ok()) return ctx.Fail(repo.status());
  std::error_code ec;
  std::string path = std::filesystem::absolute((*repo)->path(), ec).lexically_normal().string();
  if (ctx.json()) {
    ctx.PrintJson(json::object{{"path", path}, {"branch", (*repo)->CurrentBranch()}});
  } else {
    std::cout << "Initialized empty strata repository in " << path << " (branch "
              << (*repo)->CurrentBranch() << ")\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kInitCommand{
    "init",
    "create a repository",
    "strata init [DIR]",
    "Creates DIR/.strata (DIR defaults to the current folder): a bare git repository whose\n"
    "branch main has no versions yet. Commands run anywhere under DIR find it.",
    Define,
    Run};

}  // namespace strata::cli
