#include <filesystem>
#include <iostream>

#include "cli/sync_output.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("url", po::value<std::string>(), "the repository to clone")(
      "dir", po::value<std::string>(), "where to put it (default: from the URL)");
  AddProgressOptions(o);
  AddJsonOption(o);
  p.add("url", 1).add("dir", 1);
}

// "ssh://host/srv/site.git" -> "site"; "/data/site/" -> "site"; "host:cfg" -> "cfg".
std::string DirFromUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::string git_dir = "/.strata";
  if (url.size() > git_dir.size() &&
      url.compare(url.size() - git_dir.size(), git_dir.size(), git_dir) == 0) {
    url.resize(url.size() - git_dir.size());
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::size_t cut = url.find_last_of("/:");
  std::string name = cut == std::string::npos ? url : url.substr(cut + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".git") == 0)
    name.resize(name.size() - 4);
  return name;
}

int Run(Context& ctx, const po::variables_map& args) {
  if (!args.count("url")) {
    std::cerr << "strata: error: usage: strata clone URL [DIR]\n";
    return kExitUsage;
  }
  const std::string url = args["url"].as<std::string>();
  std::string dir = args.count("dir") ? args["dir"].as<std::string>() : DirFromUrl(url);
  if (dir.empty() || dir == "." || dir == "..") {
    std::cerr << "strata: error: cannot tell a folder name from '" << url << "'; give DIR\n";
    return kExitUsage;
  }
  FetchOptions options;
  options.progress = StartTransfer(args);
  Result<std::unique_ptr<Repository>> repo = Repository::Clone(url, dir, options);
  if (!repo.ok()) return ctx.Fail(repo.status());
  std::error_code ec;
  const std::string path = std::filesystem::absolute(dir, ec).lexically_normal().string();
  Result<Snapshot> head = (*repo)->Read("HEAD");
  const std::string version = head.ok() ? head->version_id() : "";
  if (ctx.json()) {
    ctx.PrintJson(json::object{
        {"path", path},
        {"remote", "origin"},
        {"branch", (*repo)->CurrentBranch()},
        {"version", version.empty() ? json::value(nullptr) : json::value(json::string(version))}});
  } else {
    std::cout << "Cloned " << url << " into " << path << " (branch " << (*repo)->CurrentBranch();
    if (!version.empty()) std::cout << " at " << version.substr(0, 12);
    std::cout << (version.empty() ? ", no versions yet)\n" : ")\n");
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kCloneCommand{
    "clone",
    "copy a repository from a remote",
    "strata clone URL [DIR]",
    "Creates DIR/.strata (DIR defaults to the last part of URL, without .git) with remote\n"
    "origin = URL, fetches every branch and tag as fetch does (checked in a quarantine\n"
    "first), and checks out the remote's default branch, tracking origin/BRANCH (so pull\n"
    "and sync know where to go). URL is a folder holding .strata, a bare git repository,\n"
    "file://, git://, http(s):// or ssh://. Nothing that runs comes with the clone: no\n"
    "hooks and none of the remote's settings. A failed clone leaves DIR as it was.\n"
    "--json prints {\"path\", \"remote\", \"branch\", \"version\"}.",
    Define,
    Run};

}  // namespace strata::cli
