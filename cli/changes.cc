#include "cli/changes.h"

#include <iostream>
#include <map>

namespace strata::cli {
namespace {

constexpr std::size_t kValueWidth = 72;

std::string Short(const json::value& v) {
  std::string s = CanonicalJson(v);
  if (s.size() > kValueWidth) s = s.substr(0, kValueWidth - 3) + "...";
  return s;
}

std::string Where(const Change& c) {
  std::string where = c.doc;
  if (!c.pointer.IsRoot()) {
    where += ' ';
    where += c.pointer.ToString();
  }
  return where;
}

}  // namespace

void PrintChanges(Context& ctx, const std::vector<Change>& changes) {
  std::size_t width = 0;
  for (const auto& c : changes) width = std::max(width, Where(c).size());
  width = std::min<std::size_t>(width, 48);
  for (const auto& c : changes) {
    std::string where = Where(c);
    std::string pad(where.size() < width ? width - where.size() : 0, ' ');
    switch (c.op.kind) {
      case PatchOpKind::kAdd:
        std::cout << ctx.Paint(kGreen, "+ " + where) << pad << "  " << Short(c.op.value) << "\n";
        break;
      case PatchOpKind::kRemove:
        std::cout << ctx.Paint(kRed, "- " + where) << pad << "  "
                  << (c.old_value ? "was " + Short(*c.old_value) : "") << "\n";
        break;
      case PatchOpKind::kReplace:
        std::cout << ctx.Paint(kYellow, "~ " + where) << pad << "  "
                  << (c.old_value ? Short(*c.old_value) + " -> " : "") << Short(c.op.value) << "\n";
        break;
      default:
        std::cout << "  " << c.op.Describe() << "\n";
    }
  }
}

namespace {

struct Counts {
  std::size_t ops = 0;
  bool added = false, removed = false;
};

std::map<std::string, Counts> CountByDocument(const std::vector<Change>& changes) {
  std::map<std::string, Counts> docs;
  for (const auto& c : changes) {
    Counts& n = docs[c.doc];
    ++n.ops;
    if (c.pointer.IsRoot() && c.op.kind == PatchOpKind::kAdd) n.added = true;
    if (c.pointer.IsRoot() && c.op.kind == PatchOpKind::kRemove) n.removed = true;
  }
  return docs;
}

}  // namespace

json::array SummaryToJson(const std::vector<Change>& changes) {
  json::array out;
  for (const auto& [doc, n] : CountByDocument(changes)) {
    out.push_back(json::object{{"id", doc},
                               {"status", n.added     ? "added"
                                          : n.removed ? "removed"
                                                      : "modified"},
                               {"operations", n.ops}});
  }
  return out;
}

void PrintSummary(Context& ctx, const std::vector<Change>& changes) {
  std::map<std::string, Counts> docs = CountByDocument(changes);
  for (const auto& [doc, n] : docs) {
    if (n.added)
      std::cout << ctx.Paint(kGreen, "A " + doc) << "\n";
    else if (n.removed)
      std::cout << ctx.Paint(kRed, "D " + doc) << "\n";
    else
      std::cout << ctx.Paint(kYellow, "M " + doc) << "  (" << n.ops << " change"
                << (n.ops == 1 ? "" : "s") << ")\n";
  }
  std::size_t created = 0, deleted = 0;
  for (const auto& [doc, n] : docs) {
    created += n.added ? 1 : 0;
    deleted += !n.added && n.removed ? 1 : 0;
  }
  std::cout << docs.size() << " document" << (docs.size() == 1 ? "" : "s") << " changed ("
            << created << " created, " << docs.size() - created - deleted << " updated, " << deleted
            << " deleted), " << changes.size() << " operation" << (changes.size() == 1 ? "" : "s")
            << "\n";
}

json::object SummaryByKindToJson(const std::vector<Change>& changes) {
  json::array created, updated, deleted;
  for (const auto& [doc, n] : CountByDocument(changes)) {
    (n.added ? created : n.removed ? deleted : updated).push_back(json::value(doc));
  }
  return json::object{{"created", created}, {"updated", updated}, {"deleted", deleted}};
}

void PrintStat(Context& ctx, const std::vector<Change>& changes) {
  std::map<std::string, Counts> docs = CountByDocument(changes);
  std::size_t width = 0;
  for (const auto& [doc, n] : docs) width = std::max(width, doc.size());
  width = std::min<std::size_t>(width, 48);
  for (const auto& [doc, n] : docs) {
    std::string pad(doc.size() < width ? width - doc.size() : 0, ' ');
    const char* colour = n.added ? kGreen : n.removed ? kRed : kYellow;
    std::cout << " " << ctx.Paint(colour, doc) << pad << " | " << n.ops << "\n";
  }
  std::cout << " " << docs.size() << " document" << (docs.size() == 1 ? "" : "s") << ", "
            << changes.size() << " value" << (changes.size() == 1 ? "" : "s") << " changed\n";
}

json::array StatToJson(const std::vector<Change>& changes) {
  json::array out;
  for (const auto& [doc, n] : CountByDocument(changes)) {
    out.push_back(json::object{{"id", doc}, {"changes", n.ops}});
  }
  return out;
}

json::array ChangesToJson(const std::vector<Change>& changes) {
  json::array out;
  for (const auto& c : changes) {
    json::object o = PatchOpToJson(c.op).as_object();
    o["doc"] = c.doc;
    o["pointer"] = c.pointer.ToString();
    if (c.old_value) o["old"] = *c.old_value;
    out.push_back(std::move(o));
  }
  return out;
}

int ReadPathFilters(const po::variables_map& args, std::vector<LogOptions::PathFilter>& out) {
  if (!args.count("path")) return kExitOk;
  for (const auto& text : args["path"].as<std::vector<std::string>>()) {
    Result<LogOptions::PathFilter> p = ParsePathFilter(text);
    if (!p.ok()) return UsageError("--path: " + p.status().message());
    out.push_back(*p);
  }
  return kExitOk;
}

}  // namespace strata::cli
