// `strata __complete KIND [ARG]`: the words cli/strata-completion.bash
// offers, one a line. Hidden from `strata help`; quiet on errors (a
// completion must never print into the user's command line). The
// repository is found as every command finds it (--repo, $STRATA_DIR, the
// current folder or a working folder), so completion follows --repo.
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "cli/packaging.h"

namespace strata::cli {
namespace {

int Print(const std::vector<std::string>& words) {
  for (const std::string& w : words) std::cout << w << "\n";
  return kExitOk;
}

// Each option of `spec` (and the common ones): "--name", "-n", with '='
// appended when it takes a value (the completion skips that value when it
// counts positional arguments).
int Options(const CommandSpec& spec) {
  po::options_description options;
  po::options_description arguments;
  po::positional_options_description positional;
  spec.define(options, arguments, positional);
  AddCommonOptions(options);
  std::vector<std::string> words;
  for (const auto& o : options.options()) {
    const std::string value = o->semantic()->max_tokens() > 0 ? "=" : "";
    words.push_back("--" + o->long_name() + value);
    std::string short_name =
        o->canonical_display_name(po::command_line_style::allow_dash_for_short);
    if (short_name.size() == 2 && short_name[0] == '-' && short_name[1] != '-')
      words.push_back(short_name + value);
  }
  return Print(words);
}

}  // namespace

int Complete(const std::vector<std::string>& args, const std::vector<std::string>& global) {
  if (args.empty()) return kExitUsage;
  const std::string& kind = args[0];
  if (kind == "commands") {
    std::vector<std::string> words;
    for (const CommandSpec* c : Commands()) words.emplace_back(c->name);
    words.emplace_back("help");
    words.emplace_back("version");
    return Print(words);
  }
  if (kind == "options") {
    const CommandSpec* spec = args.size() > 1 ? FindCommand(args[1]) : nullptr;
    if (spec == nullptr) return kExitError;
    return Options(*spec);
  }

  // The rest read the repository: --repo and --perspective as given.
  po::options_description common;
  AddCommonOptions(common);
  po::variables_map vm;
  std::vector<std::string> options = global;
  options.insert(options.end(), args.begin() + 1, args.end());
  std::vector<std::string> given;
  for (std::size_t i = 0; i < options.size(); ++i) {
    // Perspective names are read from the whole state, never through one.
    if (kind == "perspectives" && options[i] == "--perspective") {
      ++i;
      continue;
    }
    if (kind == "perspectives" && options[i].rfind("--perspective=", 0) == 0) continue;
    given.push_back(options[i]);
  }
  if (kind == "perspectives") unsetenv("STRATA_PERSPECTIVE");
  try {
    po::store(po::command_line_parser(given).options(common).allow_unregistered().run(), vm);
  } catch (const po::error&) {
    return kExitError;
  }
  Context ctx(vm);
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return kExitError;
  std::vector<std::string> words;
  if (kind == "branches" || kind == "refs") {
    Result<std::vector<BranchInfo>> branches = (*repo)->Branches();
    if (!branches.ok()) return kExitError;
    for (const BranchInfo& b : *branches) words.push_back(b.name);
    if (kind == "refs") {
      Result<std::vector<BranchInfo>> remote = (*repo)->RemoteBranches();
      Result<std::vector<TagInfo>> tags = (*repo)->Tags();
      if (!remote.ok() || !tags.ok()) return kExitError;
      for (const BranchInfo& b : *remote) words.push_back(b.name);
      for (const TagInfo& t : *tags) words.push_back(t.name);
    }
  } else if (kind == "remotes") {
    Result<std::vector<RemoteInfo>> remotes = (*repo)->Remotes();
    if (!remotes.ok()) return kExitError;
    for (const RemoteInfo& r : *remotes) words.push_back(r.name);
  } else if (kind == "perspectives" || kind == "docs") {
    Result<Snapshot> snap = (*repo)->Read("HEAD");
    if (!snap.ok()) return kExitError;  // no version yet: nothing to offer
    if (kind == "docs") {
      Result<std::vector<std::string>> ids = snap->Ids();
      if (!ids.ok()) return kExitError;
      words = std::move(ids).value();
    } else {
      Result<bool> present = snap->Contains(".perspectives");
      if (!present.ok()) return kExitError;
      if (*present) {
        Result<json::value> doc = snap->Get(".perspectives");
        if (!doc.ok()) return kExitError;
        const json::object* top = doc->if_object();
        const json::value* all = top ? top->if_contains("perspectives") : nullptr;
        if (all && all->is_object()) {
          for (const auto& member : all->get_object()) words.emplace_back(member.key());
        }
        std::sort(words.begin(), words.end());
      }
    }
  } else {
    return kExitUsage;
  }
  return Print(words);
}

}  // namespace strata::cli
