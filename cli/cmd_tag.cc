#include <iostream>

#include "cli/command.h"

namespace strata::cli {
namespace {

void Define(po::options_description& o, po::options_description& a,
            po::positional_options_description& p) {
  a.add_options()("name", po::value<std::string>(), "the tag (without it: list the tags)")(
      "rev", po::value<std::string>()->default_value("HEAD"), "the version to tag (default HEAD)");
  o.add_options()("message,m", po::value<std::string>()->value_name("MSG"),
                  "make an annotated tag (a git tag object) with this message")(
      "author", po::value<std::string>()->value_name("'NAME <EMAIL>'"),
      "the tagger of an annotated tag (default: as for versions)")(
      "force,f", po::bool_switch(), "replace a tag that already exists")(
      "delete,d", po::bool_switch(), "delete the tag NAME");
  AddJsonOption(o);
  p.add("name", 1).add("rev", 1);
}

json::object TagToJson(const TagInfo& t) {
  json::object o{{"name", t.name}, {"version", t.version}, {"annotated", t.annotated}};
  o["message"] = t.annotated ? json::value(t.message) : json::value(nullptr);
  o["tagger"] =
      t.tagger ? json::value(json::object{{"name", t.tagger->name}, {"email", t.tagger->email}})
               : json::value(nullptr);
  o["time"] = t.time ? json::value(FormatDisplayTime(*t.time)) : json::value(nullptr);
  return o;
}

int Run(Context& ctx, const po::variables_map& args) {
  const bool remove = args["delete"].as<bool>();
  if (!args.count("name")) {
    if (remove || args.count("message") || args["force"].as<bool>()) {
      std::cerr << "strata: error: -d, -m and -f need a tag NAME (see 'strata tag --help')\n";
      return kExitUsage;
    }
    Result<Repository*> repo = ctx.Repo();
    if (!repo.ok()) return ctx.Fail(repo.status());
    Result<std::vector<TagInfo>> tags = (*repo)->Tags();
    if (!tags.ok()) return ctx.Fail(tags.status());
    if (ctx.json()) {
      json::array out;
      for (const auto& t : *tags) out.push_back(TagToJson(t));
      ctx.PrintJson(out);
      return kExitOk;
    }
    std::size_t width = 0;
    for (const auto& t : *tags) width = std::max(width, t.name.size());
    for (const auto& t : *tags) {
      std::cout << t.name << std::string(width - t.name.size(), ' ') << "  "
                << ctx.Paint(kYellow, t.version.substr(0, 12));
      if (t.annotated) std::cout << "  " << t.message.substr(0, t.message.find('\n'));
      std::cout << "\n";
    }
    return kExitOk;
  }
  const std::string name = args["name"].as<std::string>();
  Result<Repository*> repo = ctx.Repo();
  if (!repo.ok()) return ctx.Fail(repo.status());
  if (remove) {
    if (args.count("message") || !args["rev"].defaulted()) {
      std::cerr << "strata: error: -d takes a tag NAME only (see 'strata tag --help')\n";
      return kExitUsage;
    }
    Status s = (*repo)->DeleteTag(name);
    if (!s.ok()) return ctx.Fail(s);
    if (ctx.json()) {
      ctx.PrintJson(json::object{{"deleted", name}});
    } else {
      std::cout << "deleted tag " << name << "\n";
    }
    return kExitOk;
  }
  // -m, --author and STRATA_TIME read as for a version.
  Result<CommitOptions> who = ctx.WriteOptions();
  if (!who.ok()) return ctx.Fail(who.status());
  if (args.count("message") && who->message.empty()) {
    return ctx.Fail(Status::InvalidArgument("an annotated tag needs a non-empty message"));
  }
  TagOptions options;
  options.message = who->message;
  options.tagger = who->author;
  options.time = who->time;
  options.force = args["force"].as<bool>();
  Result<TagInfo> tag = (*repo)->CreateTag(name, args["rev"].as<std::string>(), options);
  if (!tag.ok()) return ctx.Fail(tag.status());
  if (ctx.json()) {
    ctx.PrintJson(TagToJson(*tag));
  } else {
    std::cout << "tagged " << ctx.Paint(kYellow, tag->version.substr(0, 12)) << " as " << tag->name
              << (tag->annotated ? " (annotated)" : "") << "\n";
  }
  return kExitOk;
}

}  // namespace

extern const CommandSpec kTagCommand{
    "tag",
    "name a version with a tag; list or delete tags",
    "strata tag [NAME [REV]] [-m MSG] [-f] [-d NAME] [--json]",
    "`strata tag NAME [REV]` tags version REV (default HEAD) as NAME: a git tag under\n"
    "refs/tags/, so `git tag`, push and fetch see it, and NAME reads as a revision\n"
    "everywhere (`strata get DOC@v1.0`). With -m it is an annotated tag (a git tag object\n"
    "with the message, tagger and time); without, a lightweight one (the ref alone).\n"
    "An existing tag is refused unless -f. `strata tag -d NAME` deletes it.\n"
    "`strata tag` lists the tags: name, version and the first line of the message;\n"
    "--json gives [{\"name\", \"version\", \"annotated\", \"message\", \"tagger\", \"time\"}]\n"
    "(message, tagger and time are null for a lightweight tag).",
    Define,
    Run};

}  // namespace strata::cli
