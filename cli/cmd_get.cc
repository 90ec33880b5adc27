#include <iostream>

#include "cli/command.h"
#include "strata/document_id.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::string>()->required(),
                  "DOC or DOC@REV, e.g. config/app1@HEAD~2")(
      "pointer", po::value<std::string>()->default_value(""), "a JSON Pointer inside the document");
  o.add_options()("at", po::value<std::string>()->value_name("TIME"),
                  "read the newest version made at or before TIME: 2026-11-28T19:54Z, @SECONDS, "
                  "yesterday, '2 hours ago'; a date alone means the end of that day in the "
                  "local zone (TZ)");
  AddJsonOption(o);
  p.add("doc", 1).add("pointer", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  DocRevision dr = SplitDocRevision(args["doc"].as<std::string>());
  Result<JsonPointer> pointer = JsonPointer::Parse(args["pointer"].as<std::string>());
  if (!pointer.ok()) return ctx.Fail(pointer.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  // One snapshot: the value and the version printed come from one read.
  Result<Snapshot> snap = Status::NotFound("");
  if (args.count("at")) {
    Result<std::int64_t> time = ParseTime(args["at"].as<std::string>(), {0, DayPart::kEnd});
    if (!time.ok()) return ctx.Fail(time.status());
    snap = (*repo)->ReadAt(dr.rev, *time);
  } else {
    snap = (*repo)->Read(dr.rev);
  }
  if (!snap.ok()) return ctx.Fail(snap.status());
  ctx.Warn(*snap);
  if (!ctx.json()) {
    // Printed as it is read: a large document is never decoded whole.
    Status printed = snap->GetText(dr.doc, *pointer, ctx.JsonFormat(), [](std::string_view piece) {
      std::cout << piece;
      return std::cout ? Status::Ok() : Status::IOError("cannot write to standard output");
    });
    if (!printed.ok()) return ctx.Fail(printed);
    std::cout << "\n";
    return kExitOk;
  }
  Result<json::value> value = snap->Get(dr.doc, *pointer);
  if (!value.ok()) return ctx.Fail(value.status());
  ctx.PrintJson(json::object{{"doc", dr.doc},
                             {"rev", dr.rev},
                             {"version", snap->version_id()},
                             {"pointer", pointer->ToString()},
                             {"value", *value}});
  return kExitOk;
}

}  // namespace

extern const CommandSpec kGetCommand{
    "get",
    "print a document, or a value in it, at any revision",
    "strata get DOC[@REV] [POINTER] [--at TIME] [--json] [--pretty|--compact]",
    "Prints document DOC as of revision REV (default HEAD), or the value at POINTER in it.\n"
    "REV is a branch, a tag, HEAD, HEAD~N, REV^, a unique version-id prefix, or\n"
    "BRANCH@{DATE} (e.g. main@{2026-11-01}, from the branch's reflog). --at TIME reads the\n"
    "newest version on REV's first-parent line whose time is at or before TIME.\n"
    "JSON is indented on a terminal and compact when piped.",
    Define,
    Run};

}  // namespace strata::cli
