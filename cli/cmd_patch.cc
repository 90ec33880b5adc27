#include "cli/command.h"
#include "strata/import.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("patch-file", po::value<std::string>()->required(),
                  "an RFC 6902 JSON Patch file, or -");
  o.add_options()(
      "doc", po::value<std::string>()->value_name("DOC"),
      "apply the patch to this document (pointers inside it); without it, pointers start\n"
      "with the document id: /config~1app1/db/host");
  AddWriteOptions(o);
  p.add("patch-file", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  std::string file = args["patch-file"].as<std::string>();
  Result<std::string> text = ReadFile(file);
  if (!text.ok()) return ctx.Fail(text.status());
  // A patch wraps each value two levels deeper (the array, the operation),
  // so a value as deep as a document may be reaches it.
  Result<json::value> doc =
      ParseJson(*text, ParseOptions{file == "-" ? "<stdin>" : file, 1, kMaxJsonDepth + 2});
  if (!doc.ok()) return ctx.Fail(doc.status());
  Result<Patch> patch = ParsePatch(*doc);
  if (!patch.ok()) return ctx.Fail(patch.status().WithContext(file == "-" ? "<stdin>" : file));
  std::optional<std::string> target;
  if (args.count("doc")) target = args["doc"].as<std::string>();
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  return ctx.ReportWrite((*repo)->Patch(target, *patch, *options));
}

}  // namespace

extern const CommandSpec kPatchCommand{
    "patch",
    "apply an RFC 6902 JSON Patch",
    "strata patch PATCH_FILE [--doc DOC] [-m MSG]",
    "Applies the operations (add, remove, replace, move, copy, test) in order, as one new\n"
    "version, all or nothing: if any operation fails (a failing test included), nothing is\n"
    "written and the error names the operation. With --doc the pointers are inside DOC;\n"
    "without, they address the whole state, so one patch may change several documents\n"
    "(a '/' in a document id is written ~1 in a pointer).",
    Define,
    Run};

}  // namespace strata::cli
