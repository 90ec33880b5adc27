#include <unistd.h>

#include <iostream>

#include "cli/command.h"
#include "repo/import.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("path", po::value<std::string>()->required(),
                  "a folder of <id>.json files, or a JSON Lines file (- for standard input)");
  AddWriteOptions(o);
  p.add("path", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  bool progress = isatty(STDERR_FILENO) == 1 && !ctx.json();
  std::string path = args["path"].as<std::string>();
  if (progress) std::cerr << "reading " << path << "...\r" << std::flush;
  Result<ImportSource> source = ReadImportSource(path);
  if (!source.ok()) return ctx.Fail(source.status());
  if (source->docs.empty())
    return ctx.Fail(Status::InvalidArgument("no documents found in " + path));
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  if (progress) std::cerr << "writing " << source->docs.size() << " documents...\r" << std::flush;
  std::size_t skipped = source->skipped_files;
  Result<WriteResult> result = (*repo)->Import(std::move(source->docs), *options);
  if (progress) std::cerr << "\x1b[K" << std::flush;
  int rc = ctx.ReportWrite(result);
  if (skipped > 0 && !ctx.json()) {
    std::cerr << "strata: skipped " << skipped << " file" << (skipped == 1 ? "" : "s")
              << " not named *.json\n";
  }
  return rc;
}

}  // namespace

extern const CommandSpec kImportCommand{
    "import",
    "write many documents in one version",
    "strata import PATH [-m MSG]",
    "Adds or replaces many documents as one version. PATH is a folder of <id>.json files\n"
    "(sub-folders give ids with '/': DIR/config/app1.json is config/app1; other files and\n"
    "hidden folders are skipped), or a JSON Lines file of {\"id\": ..., \"doc\": ...} lines.\n"
    "Documents not named in PATH are kept.",
    Define,
    Run};

}  // namespace strata::cli
