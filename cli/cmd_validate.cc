#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>()->default_value("HEAD"),
                  "the version to check (default: HEAD)");
  AddJsonOption(o);
  p.add("rev", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<std::vector<SchemaViolation>> found = (*repo)->Validate(args["rev"].as<std::string>());
  if (!found.ok()) return ctx.Fail(found.status());
  if (ctx.json()) {
    json::array out;
    for (const SchemaViolation& v : *found) out.push_back(SchemaViolationToJson(v));
    ctx.PrintJson(out);
  } else {
    for (const SchemaViolation& v : *found) std::cout << FormatSchemaViolation(v) << "\n";
    const std::size_t n = found->size();
    if (n == 0) {
      std::cout << ctx.Paint(kGreen, "ok") << ": every document satisfies .schemas\n";
    } else {
      std::cerr << "strata: error: " << n << " schema violation" << (n == 1 ? "" : "s") << "\n";
    }
  }
  return found->empty() ? kExitOk : kExitError;
}

}  // namespace

extern const CommandSpec kValidateCommand{
    "validate",
    "check every document of a version against .schemas",
    "strata validate [REV] [--json]",
    "Checks every document of version REV (default HEAD) against each JSON Schema in REV's\n"
    ".schemas whose doc glob matches its id, and lists every violation, one a line:\n"
    "DOC at POINTER: RULE: MESSAGE (RULE is the failing keyword: required, type, maximum,\n"
    "...). Exits 0 when there is none (or no .schemas), 1 when there is any. --json prints\n"
    "an array of {doc, pointer, rule, message}. Writes check the documents they change the\n"
    "same way; docs/schemas.md has the rules.",
    Define,
    Run};

}  // namespace strata::cli
