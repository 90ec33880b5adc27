#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::string>()->required(), "the document id")(
      "pointer", po::value<std::string>(), "a JSON Pointer to remove inside the document");
  AddWriteOptions(o);
  p.add("doc", 1).add("pointer", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  std::optional<JsonPointer> pointer;
  if (args.count("pointer")) {
    Result<JsonPointer> p = JsonPointer::Parse(args["pointer"].as<std::string>());
    if (!p.ok()) return ctx.Fail(p.status());
    pointer = *p;
  }
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  return ctx.ReportWrite((*repo)->Remove(args["doc"].as<std::string>(), pointer, *options));
}

}  // namespace

extern const CommandSpec kRmCommand{
    "rm",
    "remove a document, or one value in it",
    "strata rm DOC [POINTER] [-m MSG]",
    "Removes document DOC, or the value at POINTER inside it, as one new version. The\n"
    "document's history stays: read it with `strata get DOC@REV`.",
    Define,
    Run};

}  // namespace strata::cli
