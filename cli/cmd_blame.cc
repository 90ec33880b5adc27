#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

constexpr std::size_t kValueWidth = 60;

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("doc", po::value<std::string>()->required(), "the document")(
      "pointer", po::value<std::string>()->default_value(""),
      "blame only the values under this JSON Pointer; default: the whole document");
  o.add_options()("rev", po::value<std::string>()->value_name("REV")->default_value("HEAD"),
                  "blame the document as it is at REV");
  AddJsonOption(o);
  p.add("doc", 1).add("pointer", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  const std::string doc = args["doc"].as<std::string>();
  Result<JsonPointer> pointer = JsonPointer::Parse(args["pointer"].as<std::string>());
  if (!pointer.ok()) return ctx.Fail(pointer.status());
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<std::vector<BlameLine>> lines =
      (*repo)->Blame(doc, *pointer, args["rev"].as<std::string>());
  if (!lines.ok()) return ctx.Fail(lines.status());
  if (ctx.json()) {
    json::array out;
    for (const auto& l : *lines) {
      out.push_back(json::object{{"pointer", l.pointer.ToString()},
                                 {"value", l.value},
                                 {"version", VersionToJson(l.version)}});
    }
    ctx.PrintJson(out);
    return kExitOk;
  }
  std::size_t author_width = 0, pointer_width = 0;
  for (const auto& l : *lines) {
    author_width = std::max(author_width, l.version.author.name.size());
    pointer_width = std::max(pointer_width, l.pointer.ToString().size());
  }
  for (const auto& l : *lines) {
    std::string where = l.pointer.ToString();
    std::string value = CanonicalJson(l.value);
    if (value.size() > kValueWidth) value = value.substr(0, kValueWidth - 3) + "...";
    std::cout << ctx.Paint(kYellow, l.version.id.substr(0, 12)) << "  "
              << FormatDisplayTime(l.version.time) << "  " << l.version.author.name
              << std::string(author_width - l.version.author.name.size(), ' ') << "  " << where
              << std::string(pointer_width - where.size(), ' ') << "  " << value << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kBlameCommand{
    "blame",
    "show the version that last set each value of a document",
    "strata blame DOC [POINTER] [--rev REV] [--json]",
    "Prints every leaf value of DOC at REV (default HEAD), or of the value at POINTER in it:\n"
    "scalars, empty objects, and arrays as whole values, each with the version that last\n"
    "set it: short id, time, author, pointer, value. It follows REV's first-parent line:\n"
    "a value is blamed on the newest version where it differs from that version's first\n"
    "parent. The walk stops once every value is placed.",
    Define,
    Run};

}  // namespace strata::cli
