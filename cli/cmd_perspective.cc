#include <iostream>

#include "cli/command.h"
#include "strata/perspective.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("subcommand", po::value<std::string>()->required(), "list, show or check")(
      "args", po::value<std::vector<std::string>>()->composing(),
      "list: [REV]; show: P [REV]; check: P DOC [REV] (REV defaults to HEAD)");
  AddJsonOption(o);
  p.add("subcommand", 1).add("args", -1);
}

int Usage(const std::string& why) {
  std::cerr << "strata: error: " << why << " (see 'strata perspective --help')\n";
  return kExitUsage;
}

// The `.perspectives` document at `snap`, if there is one.
Result<std::optional<json::value>> Definitions(Snapshot& snap) {
  STRATA_ASSIGN_OR_RETURN(bool present, snap.Contains(kPerspectivesDoc));
  if (!present) return std::optional<json::value>();
  STRATA_ASSIGN_OR_RETURN(json::value doc, snap.Get(kPerspectivesDoc));
  return std::optional<json::value>(std::move(doc));
}

std::string Pointer(const JsonPointer& p) { return p.IsRoot() ? "(whole document)" : p.ToString(); }

int Run(Context& ctx, const po::variables_map& args) {
  const std::string sub = args["subcommand"].as<std::string>();
  std::vector<std::string> rest;
  if (args.count("args")) rest = args["args"].as<std::vector<std::string>>();
  std::size_t needed = 0;
  if (sub == "list") {
    needed = 0;
  } else if (sub == "show") {
    needed = 1;
  } else if (sub == "check") {
    needed = 2;
  } else {
    return Usage("unknown subcommand '" + sub + "': use list, show or check");
  }
  if (rest.size() < needed) {
    return Usage(sub == "show" ? "show needs a perspective P"
                               : "check needs a perspective P and a DOC");
  }
  if (rest.size() > needed + 1) return Usage("too many arguments for '" + sub + "'");
  const std::string rev = rest.size() > needed ? rest[needed] : "HEAD";

  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<Snapshot> snap = (*repo)->Read(rev);
  if (!snap.ok()) return ctx.Fail(snap.status());
  ctx.Warn(*snap);
  Result<std::optional<json::value>> defs = Definitions(*snap);
  if (!defs.ok()) return ctx.Fail(defs.status());
  const json::value* doc = *defs ? &**defs : nullptr;

  if (sub == "list") {
    json::array out;
    std::vector<std::pair<std::string, std::string>> rows;
    if (doc != nullptr) {
      for (const std::string& name : PerspectiveNames(*doc)) {
        Result<Perspective> p = Perspective::Resolve(doc, name);
        if (!p.ok()) return ctx.Fail(p.status().WithContext(kPerspectivesDoc));
        json::value resolved = p->ToJson();
        const json::array& chain = resolved.at("extends").as_array();
        json::value parent = chain.empty() ? json::value(nullptr) : chain[0];
        out.push_back(json::object{{"name", name}, {"extends", parent}});
        rows.emplace_back(name, chain.empty() ? "" : std::string(chain[0].as_string()));
      }
    }
    if (ctx.json()) {
      ctx.PrintJson(out);
      return kExitOk;
    }
    if (rows.empty()) {
      std::cout << "no perspectives are defined (the .perspectives document; see "
                   "docs/perspectives.md)\n";
    }
    std::size_t width = 0;
    for (const auto& [name, parent] : rows) width = std::max(width, name.size());
    for (const auto& [name, parent] : rows) {
      std::cout << name;
      if (!parent.empty()) {
        std::cout << std::string(width - name.size(), ' ') << "  extends " << parent;
      }
      std::cout << "\n";
    }
    return kExitOk;
  }

  Result<Perspective> p = Perspective::Resolve(doc, rest[0]);
  if (!p.ok()) return ctx.Fail(p.status());

  if (sub == "show") {
    json::value resolved = p->ToJson();
    if (ctx.json()) {
      resolved.as_object()["id"] = p->id();
      ctx.PrintJson(resolved);
      return kExitOk;
    }
    std::cout << ctx.Paint(kBold, "perspective " + p->name());
    const json::array& chain = resolved.at("extends").as_array();
    for (std::size_t i = 0; i < chain.size(); ++i) {
      std::cout << (i == 0 ? " (extends " : ", ") << chain[i].as_string().c_str();
    }
    std::cout << (chain.empty() ? "" : ")") << "\n"
              << "id     " << ctx.Paint(kYellow, p->id()) << "\ndocs  ";
    if (const json::value* docs = resolved.as_object().if_contains("docs")) {
      for (const json::value& g : docs->as_array()) std::cout << " " << g.as_string().c_str();
      std::cout << "\n";
    } else {
      std::cout << " (every document)\n";
    }
    const json::array& rules = resolved.at("rules").as_array();
    if (rules.empty()) {
      std::cout << "rules  (none: documents are shown whole)\n";
      return kExitOk;
    }
    std::cout << "rules  (the last that matches a value or an ancestor decides; none: hidden)\n";
    std::size_t width = 0;
    for (const json::value& r : rules) {
      width = std::max(width, std::max<std::size_t>(r.at("path").as_string().size(), 2));
    }
    for (const json::value& r : rules) {
      std::string path(r.at("path").as_string());
      if (path.empty()) path = "\"\"";
      std::cout << "  " << path << std::string(width - path.size(), ' ') << "  "
                << r.at("action").as_string().c_str() << "  (" << r.at("from").as_string().c_str()
                << ")\n";
    }
    return kExitOk;
  }

  // check
  const std::string& id = rest[1];
  Result<json::value> value = snap->Get(id);
  if (!value.ok()) return ctx.Fail(value.status());
  const bool visible = p->DocVisible(id);
  std::vector<std::pair<JsonPointer, ViewAction>> values;
  if (visible) {
    values = p->Check(*value);
  } else {
    values.emplace_back(JsonPointer(), ViewAction::kHide);
  }
  if (ctx.json()) {
    json::array list;
    for (const auto& [pointer, action] : values) {
      list.push_back(
          json::object{{"pointer", pointer.ToString()}, {"action", ViewActionName(action)}});
    }
    ctx.PrintJson(json::object{{"perspective", p->name()},
                               {"doc", id},
                               {"version", snap->version_id()},
                               {"visible", visible},
                               {"values", std::move(list)}});
    return kExitOk;
  }
  if (!visible) {
    std::cout << id << ": hidden (no glob of perspective '" << p->name() << "' lets it in)\n";
  }
  for (const auto& [pointer, action] : values) {
    const char* color = action == ViewAction::kShow   ? kGreen
                        : action == ViewAction::kMask ? kYellow
                                                      : kRed;
    std::cout << ctx.Paint(color, std::string(ViewActionName(action))) << "  " << Pointer(pointer)
              << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kPerspectiveCommand{
    "perspective",
    "list the perspectives, show one resolved, or check what it shows of a document",
    "strata perspective list [REV] | show P [REV] | check P DOC [REV] [--json]",
    "Perspectives are named views defined in the .perspectives settings document\n"
    "(docs/perspectives.md); these read it at REV (default HEAD).\n"
    "`strata perspective list` names each, with the one it extends; --json gives\n"
    "[{\"name\", \"extends\"}] (extends null for none).\n"
    "`strata perspective show P` prints P resolved, `extends` followed: its id, its\n"
    "document globs (parents' first) and its rules in the order they apply, each with the\n"
    "perspective that defined it; --json gives {\"name\", \"id\", \"extends\": [nearest\n"
    "first], \"docs\" (absent: every document), \"rules\": [{\"path\", \"action\", \"from\"}]}.\n"
    "`strata perspective check P DOC` lists each value of document DOC with what P does to\n"
    "it: show, hide or mask (a value hidden or masked whole is listed once, not its\n"
    "insides); values themselves are never printed. --json gives {\"perspective\", \"doc\",\n"
    "\"version\", \"visible\", \"values\": [{\"pointer\", \"action\"}]}; a document P's globs\n"
    "leave out is \"visible\": false with the whole document hidden.\n"
    "An unknown perspective is an error that names it and lists the defined ones.",
    Define,
    Run};

}  // namespace strata::cli
