#include <unistd.h>

#include <iostream>

#include "cli/command.h"
#include "strata/import.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("path", po::value<std::string>()->required(),
                  "a folder of <id>.json files, or a JSON Lines file (- for standard input)");
  o.add_options()("prune", po::bool_switch(),
                  "also remove the documents that PATH does not hold, in the same version");
  AddWriteOptions(o);
  p.add("path", 1);
}

json::array SkippedToJson(const std::vector<SkippedEntry>& skipped) {
  json::array out;
  for (const SkippedEntry& e : skipped) {
    out.push_back(json::object{{"path", e.path}, {"reason", e.reason}});
  }
  return out;
}

// The --json form of a write (docs/json-output.md), with "skipped" added.
// TODO: a copy of Context::ReportWrite's; drop it once ReportWrite can take
// extra members.
int ReportJson(Context& ctx, const Result<WriteResult>& result,
               const std::vector<SkippedEntry>& skipped) {
  if (!result.ok() && result.status().code() != Code::kUnchanged) return ctx.Fail(result.status());
  json::object o;
  if (!result.ok()) {
    o = json::object{{"version", nullptr}, {"unchanged", true}};
  } else {
    const WriteResult& w = *result;
    o = json::object{{"version", VersionToJson(w.version)}, {"unchanged", false},
                     {"operations", w.operations},          {"objects_written", w.objects_written},
                     {"bytes_written", w.bytes_written},    {"replayed", w.replayed}};
  }
  o["skipped"] = SkippedToJson(skipped);
  ctx.PrintJson(o);
  return kExitOk;
}

int Run(Context& ctx, const po::variables_map& args) {
  bool progress = isatty(STDERR_FILENO) == 1 && !ctx.json();
  std::string path = args["path"].as<std::string>();
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  ImportOptions import;
  import.prune = args["prune"].as<bool>();
  // The documents are read, stored and dropped one at a time (bounded memory).
  std::vector<SkippedEntry> skipped;
  std::size_t count = 0;
  Status read = Status::Ok();
  // A large file's object comes a member at a time (strata/import.h).
  Repository::MemberDocumentSource source = [&](const Repository::DocumentSink& sink,
                                                const MemberVisitor& members) {
    const MemberVisitor counted{[&](const std::string& id) {
                                  ++count;
                                  return members.begin(id);
                                },
                                members.member, members.end};
    read = ForEachImportDocument(
        path,
        [&](std::string id, json::value doc) {
          ++count;
          if (progress && count % 1000 == 0) {
            std::cerr << "reading " << path << ": " << count << " documents...\r" << std::flush;
          }
          return sink(std::move(id), std::move(doc));
        },
        &skipped, &counted);
    return read;
  };
  if (progress) std::cerr << "reading " << path << "...\r" << std::flush;
  Result<WriteResult> result = (*repo)->ImportFrom(source, *options, import);
  if (progress) std::cerr << "\x1b[K" << std::flush;
  if (read.ok() && count == 0) {
    std::string why = "no documents found in " + path;
    if (!skipped.empty()) {
      why += "; skipped " + skipped.front().ToString();
      if (skipped.size() > 1) why += " and " + std::to_string(skipped.size() - 1) + " more";
    }
    return ctx.Fail(Status::InvalidArgument(why));
  }
  if (ctx.json()) return ReportJson(ctx, result, skipped);
  int rc = ctx.ReportWrite(result);
  if (rc == kExitOk) {
    for (const SkippedEntry& e : skipped) std::cerr << "strata: skipped " << e.ToString() << "\n";
  }
  return rc;
}

}  // namespace

extern const CommandSpec kImportCommand{
    "import",
    "write many documents in one version",
    "strata import PATH [--prune] [-m MSG]",
    "Adds or replaces many documents as one version. PATH is a folder of <id>.json files\n"
    "(sub-folders give ids with '/': DIR/config/app1.json is config/app1; the layout\n"
    "`strata export` writes), or a JSON Lines file of {\"id\": ..., \"doc\": ...} lines.\n"
    "Documents not named in PATH are kept; with --prune they are removed, in the same\n"
    "version, so the state becomes PATH's (the documents at the branch head when the import\n"
    "began; a PATH with no documents is refused, to remove them all use `strata rm`). A\n"
    "document given with the value it has is no change: the version holds only what\n"
    "changed, and an import that changes nothing writes none.\n"
    "\n"
    "In a folder, only regular files named *.json are read. Symbolic links (to files or\n"
    "folders) are never followed, special files (FIFOs, sockets, devices) never opened, and\n"
    "hidden files and folders are not read; each entry skipped is listed on stderr as\n"
    "'strata: skipped PATH: REASON' (with --json, in \"skipped\").",
    Define,
    Run};

}  // namespace strata::cli
