#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::string>()->required(), "the document id")(
      "pointer", po::value<std::string>()->required(), "a JSON Pointer (RFC 6901), e.g. /db/host")(
      "value", po::value<std::string>()->required(),
      "the value, as JSON (\"text\", 42, {\"a\":1})");
  o.add_options()("string,s", po::bool_switch(), "take VALUE as a plain string, not JSON");
  AddWriteOptions(o);
  p.add("doc", 1).add("pointer", 1).add("value", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  Result<JsonPointer> pointer = JsonPointer::Parse(args["pointer"].as<std::string>());
  if (!pointer.ok()) return ctx.Fail(pointer.status());
  const std::string& text = args["value"].as<std::string>();
  json::value value;
  if (args["string"].as<bool>()) {
    value = json::string(text);
  } else {
    Result<json::value> parsed = ParseJsonArgument(text, "VALUE");
    if (!parsed.ok()) {
      return ctx.Fail(Status::InvalidArgument(
          "cannot set " + args["pointer"].as<std::string>() + ": " + parsed.status().message() +
          " (for a plain string, quote it as JSON or pass --string)"));
    }
    value = std::move(parsed).value();
  }
  Result<CommitOptions> options = ctx.WriteOptions();
  if (!options.ok()) return ctx.Fail(options.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  return ctx.ReportWrite(
      (*repo)->Set(args["doc"].as<std::string>(), *pointer, std::move(value), *options));
}

}  // namespace

extern const CommandSpec kSetCommand{
    "set",
    "set one value in a document",
    "strata set DOC POINTER VALUE [-m MSG] [--label L]...",
    "Sets the value at POINTER in DOC as one new version. The document is created (as an\n"
    "object) if absent, and so are missing objects on the way to POINTER, like mkdir -p.\n"
    "In an array, a numeric token inserts before that index and \"-\" appends (RFC 6902 add).",
    Define,
    Run};

}  // namespace strata::cli
