#include "cli/command.h"
#include "strata/import.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::string>()->required(), "the document id, e.g. config/app1")(
      "file", po::value<std::string>()->default_value("-"), "a JSON file, or - for standard input");
  AddWriteOptions(o);
  p.add("doc", 1).add("file", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  std::string file = args["file"].as<std::string>();
  Result<std::string> text = ReadFile(file);
  if (!text.ok()) return ctx.Fail(text.status());
  Result<json::value> value = ParseJsonArgument(*text, file == "-" ? "<stdin>" : file);
  if (!value.ok()) return ctx.Fail(value.status());
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  return ctx.ReportWrite(
      (*repo)->Put(args["doc"].as<std::string>(), std::move(value).value(), *options));
}

}  // namespace

extern const CommandSpec kPutCommand{
    "put",
    "create or replace a document",
    "strata put DOC [FILE|-] [-m MSG] [--label L]...",
    "Stores the JSON in FILE (or standard input) as document DOC, replacing what was there,\n"
    "as one new version. Any JSON value is a document. Writing the value DOC already has\n"
    "writes no version.",
    Define,
    Run};

}  // namespace strata::cli
