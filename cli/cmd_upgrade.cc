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
      json::object o{{"name", b.name}, {"documents", b.documents}, {"rewritten", b.rewritten}};
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
    const std::string what = std::to_string(b.documents) + " document" +
                             (b.documents == 1 ? "" : "s") + " and the state's trees";
    if (!b.rewritten) {
      std::cout << b.name << ": nothing to re-encode\n";
    } else if (options.dry_run) {
      std::cout << b.name << ": would re-encode " << what << "\n";
    } else {
      std::cout << b.name << ": re-encoded " << what << " in version " << b.version->substr(0, 12)
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
    "upgrade the repository to the newest format (chunked arrays, 16-way shards, leaves)",
    "strata upgrade [--dry-run] [--author 'NAME <EMAIL>'] [--json]",
    "Upgrades a format-1, -2 or -3 repository to format 4 (docs/format.md, \"Format\n"
    "versions\"): on each branch whose head is stored otherwise than format 4 stores it\n"
    "(a large array, over 2 KiB of JSON, as one blob: format 1; object nodes of more than\n"
    "128 members sharded 256 ways: formats 1 and 2; a blob for every member of a large\n"
    "object, where format 4 keeps small members in leaves of up to 8 KiB: formats 1 to 3),\n"
    "writes one version \"upgrade to format 4\" with the same documents (an empty delta)\n"
    "encoded as a new repository encodes them, so that a one-element change writes a few\n"
    "small objects, a large document is a few objects per 8 KiB, and the same state has\n"
    "the same ids as in a new repository; then sets strata.formatVersion = 4.\n"
    "All branches move in one transaction; a branch moved meanwhile by another program\n"
    "stops it with nothing changed. Run it again after an interruption. Until then an\n"
    "older repository is read and written as before, so an older strata still reads it;\n"
    "after it, a strata that predates format 4 cannot read its leaves.\n"
    "--dry-run says which branches would change and writes nothing. --json prints\n"
    "{from, to, dry_run, branches: [{name, documents, rewritten, version}]}.",
    Define,
    Run};

}  // namespace strata::cli
