#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>()->required(), "the version")(
      "labels", po::value<std::vector<std::string>>()->composing(),
      "labels to add (or, with --remove, to remove); none: list the version's labels");
  o.add_options()("remove", po::bool_switch(), "remove the LABELS instead (added ones only)")(
      "author", po::value<std::string>()->value_name("'NAME <EMAIL>'"),
      "who records the change (default: as for versions)");
  AddJsonOption(o);
  p.add("rev", 1).add("labels", -1);
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "(none)" : out;
}

int Run(Context& ctx, const po::variables_map& args) {
  const std::string rev = args["rev"].as<std::string>();
  std::vector<std::string> labels;
  if (args.count("labels")) labels = args["labels"].as<std::vector<std::string>>();
  const bool remove = args["remove"].as<bool>();
  if (remove && labels.empty()) {
    std::cerr << "strata: error: --remove needs the LABELS to remove (see 'strata label --help')\n";
    return kExitUsage;
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<VersionLabels> result = Status::NotFound("");
  if (labels.empty()) {
    result = (*repo)->LabelsOf(rev);
  } else {
    Result<CommitOptions> who = ctx.WriteOptions();  // --author, STRATA_TIME
    if (!who.ok()) return ctx.Fail(who.status());
    LabelOptions options;
    options.author = who->author;
    options.time = who->time;
    result = remove ? (*repo)->RemoveLabels(rev, labels, options)
                    : (*repo)->AddLabels(rev, labels, options);
    if (!result.ok() && result.status().code() == Code::kUnchanged) {
      result = (*repo)->LabelsOf(rev);
      if (result.ok() && !ctx.json()) std::cout << "nothing changed; the version has them all\n";
    }
  }
  if (!result.ok()) return ctx.Fail(result.status());
  if (ctx.json()) {
    json::array own, added;
    for (const auto& l : result->labels) own.push_back(json::value(l));
    for (const auto& l : result->added_labels) added.push_back(json::value(l));
    ctx.PrintJson(
        json::object{{"version", result->version}, {"labels", own}, {"added_labels", added}});
    return kExitOk;
  }
  std::cout << ctx.Paint(kYellow, "version " + result->version) << "\n"
            << "labels        " << Join(result->labels) << "\n"
            << "added later   " << Join(result->added_labels) << "\n";
  return kExitOk;
}

}  // namespace

extern const CommandSpec kLabelCommand{
    "label",
    "add labels to an existing version, or remove them",
    "strata label REV [LABEL...] [--remove] [--json]",
    "`strata label REV LABEL...` labels version REV without rewriting it: the labels are\n"
    "kept in git notes (refs/notes/strata-labels, one \"Label: NAME\" line each), so\n"
    "`git log --notes=strata-labels` shows them. `--remove` takes added labels off again;\n"
    "labels written with the version (--label) are part of it and cannot be removed.\n"
    "With no LABEL, lists both kinds. log, show and --json print both: \"labels\" (written\n"
    "with the version) and \"added_labels\" (added later).",
    Define,
    Run};

}  // namespace strata::cli
