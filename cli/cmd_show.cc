#include <iostream>

#include "cli/changes.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("rev", po::value<std::string>()->default_value("HEAD"), "the version");
  AddJsonOption(o);
  p.add("rev", 1);
}

int Run(Context& ctx, const po::variables_map& args) {
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  std::string rev = args["rev"].as<std::string>();
  // REV:DOC shows only DOC's change: split at the first ':' outside "@{...}".
  std::optional<std::string> only_doc;
  for (std::size_t i = 0, depth = 0; i < rev.size(); ++i) {
    if (rev[i] == '{') ++depth;
    if (rev[i] == '}' && depth > 0) --depth;
    if (rev[i] == ':' && depth == 0) {
      only_doc = rev.substr(i + 1);
      rev = i == 0 ? "HEAD" : rev.substr(0, i);
      break;
    }
  }
  Result<Snapshot> snap = (*repo)->Read(rev);
  if (!snap.ok()) return ctx.Fail(snap.status());
  ctx.Warn(*snap);
  if (!snap->version())
    return ctx.Fail(Status::NotFound("branch '" + snap->rev() + "' has no versions yet"));
  const std::optional<VersionInfo>& v = snap->version();
  Result<Patch> delta = snap->Delta();
  if (!delta.ok()) return ctx.Fail(delta.status());
  Result<std::vector<Change>> changes = only_doc ? snap->Changes(*only_doc) : snap->Changes();
  if (!changes.ok()) return ctx.Fail(changes.status());
  Result<std::vector<TagInfo>> tags = (*repo)->TagsOf(v->id);
  if (!tags.ok()) return ctx.Fail(tags.status());
  if (ctx.json()) {
    json::object o = VersionToJson(*v);
    json::array names;
    for (const auto& t : *tags) names.push_back(json::value(t.name));
    o["tags"] = std::move(names);
    if (only_doc) {
      o["doc"] = *only_doc;
    } else {
      o["delta"] = PatchToJson(*delta);
    }
    o["changes"] = ChangesToJson(*changes);
    ctx.PrintJson(o);
    return kExitOk;
  }
  std::cout << ctx.Paint(kYellow, "version " + v->id) << "\n";
  if (v->parents.size() > 1) {
    std::cout << "parents ";
    for (const auto& p : v->parents) std::cout << " " << p.substr(0, 12);
    std::cout << "\n";
  }
  std::cout << "author  " << v->author.ToString() << "\n"
            << "date    " << FormatDisplayTime(v->time) << "\n";
  auto join = [](const auto& items, auto name) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + name(i);
    return out;
  };
  auto same = [](const std::string& s) { return s; };
  if (!v->labels.empty()) {
    std::cout << "labels  " << ctx.Paint(kCyan, join(v->labels, same))
              << "  (written with the version)\n";
  }
  if (!v->added_labels.empty()) {
    std::cout << "labels  " << ctx.Paint(kCyan, join(v->added_labels, same))
              << "  (added later: strata label)\n";
  }
  if (!tags->empty()) {
    std::cout << "tags    "
              << ctx.Paint(kCyan, join(*tags, [](const TagInfo& t) { return t.name; })) << "\n";
  }
  std::cout << "state   " << v->state_id << "\n\n";
  std::size_t start = 0;
  while (start <= v->message.size()) {
    std::size_t nl = v->message.find('\n', start);
    std::cout << "    " << v->message.substr(start, nl - start) << "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::cout << "\n";
  if (only_doc && changes->empty()) {
    std::cout << "(no change to " << *only_doc << " in this version)\n";
  }
  PrintChanges(ctx, *changes);
  return kExitOk;
}

}  // namespace

extern const CommandSpec kShowCommand{
    "show",
    "show one version: metadata, state id and its delta",
    "strata show [REV | REV:DOC] [--json]",
    "Prints version REV (default HEAD): id, author, time, labels (those written with the\n"
    "version and those added later with `strata label`, each said), the tags that name it,\n"
    "state tree id, message, and its delta (the RFC 6902 patch from its first parent), one line "
    "per operation:\n"
    "+ added, - removed (with the old value), ~ replaced (old -> new).\n"
    "REV:DOC shows only what that version changed in DOC (nothing, if it left DOC alone);\n"
    "with --json, \"changes\" holds only those and \"doc\" names DOC (no \"delta\").",
    Define,
    Run};

}  // namespace strata::cli
