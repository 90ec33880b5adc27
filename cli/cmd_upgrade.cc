#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description&,
            po::positional_options_description&) {
  o.add_options()("dry-run", "say what would change; write nothing")(
      "author", po::value<std::string>()->value_name("'NAME <EMAIL>'"),
      "the upgrade versions' author (default: $STRATA_AUTHOR, else git config "
      "user.name/user.email)");
  AddJsonOption(o);
}

int Run(Context& ctx, const po::variables_map& args) {
  UpgradeOptions options;
  options.dry_run = args.count("dry-run") > 0;
  Result<CommitOptions> commit = ctx.WriteOptions();
  if (!commit.ok()) return ctx.Fail(commit.status());
  options.commit = *commit;
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<UpgradeReport> report = (*repo)->Upgrade(options);
  if (!report.ok()) return ctx.Fail(report.status());
  const UpgradeReport& r = *report;
  if (ctx.json()) {
    json::array branches;
    for (const auto& b : r.branches) {
      json::object o{{"name", b.name}, {"documents", b.documents}};
      o["version"] = b.version ? json::value(*b.version) : json::value(nullptr);
      branches.push_back(std::move(o));
    }
    ctx.PrintJson(json::object{{"from", r.from_version},
                               {"to", r.to_version},
                               {"dry_run", options.dry_run},
                               {"branches", std::move(branches)}});
    return kExitOk;
  }
  if (r.from_version == r.to_version) {
    std::cout << "already at format " << r.to_version << "; nothing to do\n";
    return kExitOk;
  }
  for (const auto& b : r.branches) {
    if (b.documents == 0) {
      std::cout << b.name << ": nothing to re-encode\n";
    } else if (options.dry_run) {
      std::cout << b.name << ": would re-encode " << b.documents << " document"
                << (b.documents == 1 ? "" : "s") << "\n";
    } else {
      std::cout << b.name << ": re-encoded " << b.documents << " document"
                << (b.documents == 1 ? "" : "s") << " in version " << b.version->substr(0, 12)
                << "\n";
    }
  }
  std::cout << (options.dry_run ? "would upgrade" : "upgraded") << " format " << r.from_version
            << " to " << r.to_version << "\n";
  return kExitOk;
}

}  // namespace

extern const CommandSpec kUpgradeCommand{
    "upgrade",
    "upgrade the repository to the newest format (large arrays in chunks)",
    "strata upgrade [--dry-run] [--author 'NAME <EMAIL>'] [--json]",
    "Upgrades a format-1 repository to format 2 (docs/format.md, \"Format versions\"): on\n"
    "each branch whose head stores a large array (over 2 KiB of JSON) as one blob, writes\n"
    "one version \"upgrade to format 2\" with the same documents (an empty delta) stored as\n"
    "array nodes, so that a one-element change writes a few small objects and the same\n"
    "state has the same ids as in a new repository; then sets strata.formatVersion = 2.\n"
    "All branches move in one transaction; a branch moved meanwhile by another program\n"
    "stops it with nothing changed. Run it again after an interruption. Until then a\n"
    "format-1 repository is read and written as before, so an older strata still reads\n"
    "it; after it, a strata that predates format 2 cannot read its large arrays.\n"
    "--dry-run says which branches would change and writes nothing. --json prints\n"
    "{from, to, dry_run, branches: [{name, documents, version}]}.",
    Define,
    Run};

}  // namespace strata::cli
