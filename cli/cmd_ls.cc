#include <iomanip>
#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>()->default_value("HEAD"), "the revision");
  AddJsonOption(o);
  p.add("rev", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  Result<Snapshot> snap = (*repo)->Read(args["rev"].as<std::string>());
  if (!snap.ok()) return ctx.Fail(snap.status());
  ctx.Warn(*snap);
  Result<std::vector<DocumentInfo>> docs = snap->List();
  if (!docs.ok()) return ctx.Fail(docs.status());
  if (ctx.json()) {
    json::array out;
    for (const auto& d : *docs) {
      out.push_back(json::object{
          {"id", d.id},
          {"versions", d.versions},
          {"created", json::object{{"at", FormatDisplayTime(d.created_at)}, {"by", d.created_by}}},
          {"updated",
           json::object{{"at", FormatDisplayTime(d.updated_at)}, {"by", d.updated_by}}}});
    }
    ctx.PrintJson(out);
    return kExitOk;
  }
  std::size_t width = 8, time_width = 7;
  std::vector<std::string> times;
  for (const auto& d : *docs) {
    width = std::max(width, d.id.size());
    times.push_back(FormatDisplayTime(d.updated_at));
    time_width = std::max(time_width, times.back().size());
  }
  std::cout << ctx.Paint(kBold, std::string("DOCUMENT") + std::string(width - 8, ' ')) << "  "
            << ctx.Paint(kBold, "VERSIONS") << "  "
            << ctx.Paint(kBold, std::string("UPDATED") + std::string(time_width - 7, ' ')) << "  "
            << ctx.Paint(kBold, "BY") << "\n";
  for (std::size_t i = 0; i < docs->size(); ++i) {
    const DocumentInfo& d = (*docs)[i];
    std::cout << d.id << std::string(width - d.id.size(), ' ') << "  " << std::setw(8) << d.versions
              << "  " << times[i] << std::string(time_width - times[i].size(), ' ') << "  "
              << d.updated_by << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kLsCommand{
    "ls",
    "list documents with their version count and last update",
    "strata ls [REV] [--json]",
    "Lists the documents at REV (default HEAD), sorted by id, with how many versions changed\n"
    "each and when and by whom it was last updated. This metadata is stored with every\n"
    "version, so no history walk is needed. A branch with no versions lists nothing.",
    Define,
    Run};

}  // namespace strata::cli
