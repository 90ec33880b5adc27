#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("action", po::value<std::string>(), "add, remove or list (default: list)")(
      "name", po::value<std::string>(), "the remote's name")(
      "url", po::value<std::string>(),
      "add: where it is (a path, file://, git://, http(s)://, ssh://)");
  o.add_options()("verbose,v", po::bool_switch(), "list: show each remote's URL");
  AddJsonOption(o);
  p.add("action", 1).add("name", 1).add("url", 1);
}

json::value RemoteJson(const RemoteInfo& r) {
  return json::object{{"name", r.name}, {"url", r.url}};
}

int Run(Context& ctx, const po::variables_map& args) {
  const std::string action = args.count("action") ? args["action"].as<std::string>() : "list";
  const bool has_name = args.count("name") != 0, has_url = args.count("url") != 0;
  if (action == "list") {
    if (has_name) return UsageError("'remote list' takes no arguments");
  } else if (action == "add") {
    if (!has_name || !has_url) return UsageError("usage: strata remote add NAME URL");
  } else if (action == "remove" || action == "rm") {
    if (!has_name || has_url) return UsageError("usage: strata remote remove NAME");
  } else {
    return UsageError("unknown action '" + action + "' (add, remove or list)");
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  if (action == "list") {
    Result<std::vector<RemoteInfo>> remotes = (*repo)->Remotes();
    if (!remotes.ok()) return ctx.Fail(remotes.status());
    if (ctx.json()) {
      json::array out;
      for (const RemoteInfo& r : *remotes) out.push_back(RemoteJson(r));
      ctx.PrintJson(out);
      return kExitOk;
    }
    const bool verbose = args["verbose"].as<bool>();
    for (const RemoteInfo& r : *remotes) {
      if (verbose) {
        std::cout << r.name << "\t" << r.url << " (fetch)\n"
                  << r.name << "\t" << r.url << " (push)\n";
      } else {
        std::cout << r.name << "\n";
      }
    }
    return kExitOk;
  }
  const std::string name = args["name"].as<std::string>();
  Result<RemoteInfo> done = action == "add"
                                ? (*repo)->AddRemote(name, args["url"].as<std::string>())
                                : (*repo)->RemoveRemote(name);
  if (!done.ok()) return ctx.Fail(done.status());
  if (ctx.json()) {
    ctx.PrintJson(RemoteJson(*done));
  } else if (action == "add") {
    std::cout << "added remote '" << done->name << "' (" << done->url << ")\n";
  } else {
    std::cout << "removed remote '" << done->name << "' and its remote-tracking branches\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kRemoteCommand{
    "remote",
    "list, add or remove remotes: other repositories to fetch from and push to",
    "strata remote [list] [-v] | strata remote add NAME URL | strata remote remove NAME",
    "A remote is another repository: a path to a folder holding .strata (or to a bare\n"
    "git repository), file://, git://, http(s):// or ssh:// (also user@host:path). Any\n"
    "git server holds strata repositories. Remotes are git's (remote.NAME.url in\n"
    ".strata/config), fetched into remote-tracking branches NAME/BRANCH.\n"
    "\n"
    "add refuses a URL holding a password (it would be stored in the config): leave it\n"
    "out and let git's credential helpers or STRATA_HTTP_USERNAME/STRATA_HTTP_PASSWORD\n"
    "supply it. A relative path is stored as an absolute one. remove also deletes the\n"
    "remote's remote-tracking branches. --json: list prints an array of {\"name\", \"url\"};\n"
    "add and remove print the remote.",
    Define,
    Run};

}  // namespace strata::cli
