#include <unistd.h>

#include <iostream>

#include "cli/command.h"
#include "strata/export.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>(), "the revision to export (default HEAD)")(
      "dir", po::value<std::string>(), "the folder to write to (made if missing)");
  AddJsonOption(o);
  p.add("rev", 1).add("dir", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  // One argument is DIR; two are REV DIR.
  std::string rev = "HEAD", dir;
  if (args.count("dir")) {
    rev = args["rev"].as<std::string>();
    dir = args["dir"].as<std::string>();
  } else if (args.count("rev")) {
    dir = args["rev"].as<std::string>();
  } else {
    std::cerr << "strata: error: missing DIR, the folder to export to (see 'strata export "
                 "--help')\n";
    return kExitUsage;
  }
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<Snapshot> snap = (*repo)->Read(rev);
  if (!snap.ok()) return ctx.Fail(snap.status());
  ctx.Warn(*snap);
  ExportOptions options;
  const bool progress = isatty(STDERR_FILENO) == 1 && !ctx.json();
  if (progress) {
    options.progress = [](std::size_t done, std::size_t total) {
      std::cerr << "exporting " << done << "/" << total << " documents...\r" << std::flush;
    };
  }
  Result<ExportResult> result = ExportSnapshot(*snap, dir, options);
  if (progress) std::cerr << "\x1b[K" << std::flush;
  if (!result.ok()) return ctx.Fail(result.status());
  const ExportResult& r = *result;
  if (ctx.json()) {
    json::value version = r.version.empty() ? json::value(nullptr) : json::value(r.version);
    ctx.PrintJson(json::object{{"version", version},
                               {"dir", dir},
                               {"documents", r.documents},
                               {"written", r.written},
                               {"unchanged", r.unchanged},
                               {"folders", r.folders},
                               {"bytes", r.bytes}});
    return kExitOk;
  }
  std::string from = r.version.empty()
                         ? rev + " (no versions)"
                         : rev + " (" + ctx.Paint(kYellow, r.version.substr(0, 12)) + ")";
  std::cout << "exported " << r.documents << " document" << (r.documents == 1 ? "" : "s") << " of "
            << from << " to " << dir << ": " << r.written << " written, " << r.unchanged
            << " unchanged\n";
  return kExitOk;
}

}  // namespace

extern const CommandSpec kExportCommand{
    "export",
    "write every document to a folder, one <id>.json file each",
    "strata export [REV] DIR [--json]",
    "Writes each document of REV (default HEAD) to DIR/<id>.json: ids with '/' become\n"
    "folders (config/app1 is DIR/config/app1.json), settings documents sit at the top\n"
    "(.merge is DIR/.merge.json). Each file is the document indented by 2 spaces, members\n"
    "sorted, numbers as stored, and a final newline: the same document always gives the same\n"
    "bytes, and `strata import DIR` reads the folder back, so export, edit, import writes one\n"
    "version with just the edits.\n"
    "\n"
    "DIR is made if missing. Nothing else in DIR is touched: files that name no document\n"
    "stay as they are (export then `import --prune` to drop documents), and a file that\n"
    "already holds its document's bytes is left alone. Other files are replaced whole (a\n"
    "temporary file renamed over them), never edited in place.\n"
    "\n"
    "Before writing anything, export refuses, naming the document: two paths that differ\n"
    "only in letter case (A/x and a/x are one file on macOS and Windows), a document file\n"
    "that is also another's folder, a name longer than 255 bytes, and a symbolic link, file\n"
    "or folder in the way. It never writes through a symbolic link, nor outside DIR; DIR\n"
    "itself may not be a link (name the folder it points to).\n"
    "\n"
    "With --json: {\"version\", \"dir\", \"documents\", \"written\", \"unchanged\", \"folders\",\n"
    "\"bytes\"}.",
    Define,
    Run};

}  // namespace strata::cli
