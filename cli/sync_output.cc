#include "cli/sync_output.h"

#include <unistd.h>

#include <iostream>

#include "cli/merge_output.h"
#include "strata/remote.h"

namespace strata::cli {
namespace {

std::string Short(const std::optional<std::string>& id) { return id ? id->substr(0, 12) : ""; }

json::value OptionalId(const std::optional<std::string>& id) {
  return id ? json::value(json::string(*id)) : json::value(nullptr);
}

json::value StatsToJson(const TransferStats& s) {
  return json::object{{"objects", s.objects}, {"bytes", s.bytes}};
}

// "refs/remotes/origin/main" -> "origin/main"; "refs/heads/x" -> "x".
std::string Readable(const std::string& ref) {
  for (const char* prefix : {"refs/remotes/", "refs/heads/", "refs/tags/"}) {
    const std::string p = prefix;
    if (ref.compare(0, p.size(), p) == 0) return ref.substr(p.size());
  }
  return ref;
}

void PrintChange(const RefChange& c, const std::string& from) {
  std::string what;
  if (!c.old_id) {
    what = " * [new]";
  } else if (!c.new_id) {
    what = " - [deleted]";
  } else {
    what =
        (c.forced ? " + " : "   ") + Short(c.old_id) + (c.forced ? "..." : "..") + Short(c.new_id);
  }
  std::cout << what << " " << from << " -> " << Readable(c.ref)
            << (c.forced ? "  (forced update)" : "") << "\n";
}

}  // namespace

void AddProgressOptions(po::options_description& options) {
  options.add_options()("progress", po::bool_switch(),
                        "draw transfer progress on stderr even when it is not a terminal")(
      "no-progress", po::bool_switch(), "never draw progress");
}

bool StartTransfer(const po::variables_map& args) {
  InstallInterruptHandler();
  if (args.count("no-progress") && args["no-progress"].as<bool>()) return false;
  if (args.count("progress") && args["progress"].as<bool>()) return true;
  return isatty(STDERR_FILENO) == 1;
}

void AddUpstreamOptions(po::options_description& o, po::options_description& a,
                        po::positional_options_description& p, const char* branch_help) {
  a.add_options()("remote", po::value<std::string>(),
                  "the remote (default: the branch's upstream remote, else origin)")(
      "branch", po::value<std::string>(), branch_help);
  o.add_options()("strategy", po::value<std::string>()->value_name("ours|theirs"),
                  "settle every conflict with that side's value")(
      "message,m", po::value<std::string>()->value_name("MSG"),
      "the merge version's message (default: says what was merged)")(
      "author", po::value<std::string>()->value_name("'NAME <EMAIL>'"),
      "the merge version's author");
  AddProgressOptions(o);
  AddJsonOption(o);
  p.add("remote", 1).add("branch", 1);
}

Result<UpstreamArgs> ReadUpstreamArgs(Context& ctx, const po::variables_map& args) {
  UpstreamArgs out;
  out.fetch.progress = StartTransfer(args);
  STRATA_ASSIGN_OR_RETURN(out.request, MergeRequestFromArgs(ctx, args));
  if (args.count("remote")) out.remote = args["remote"].as<std::string>();
  if (args.count("branch")) out.branch = args["branch"].as<std::string>();
  return out;
}

json::value RefChangeToJson(const RefChange& c) {
  return json::object{{"ref", c.ref},
                      {"old", OptionalId(c.old_id)},
                      {"new", OptionalId(c.new_id)},
                      {"forced", c.forced}};
}

json::value FetchToJson(const FetchResult& f) {
  json::array changes;
  for (const RefChange& c : f.changes) changes.push_back(RefChangeToJson(c));
  json::array skipped;
  for (const std::string& t : f.skipped_tags) skipped.push_back(json::string(t));
  return json::object{{"remote", f.remote},
                      {"url", f.url},
                      {"updated", std::move(changes)},
                      {"skipped_tags", std::move(skipped)},
                      {"received", StatsToJson(f.stats)}};
}

json::value PushToJson(const PushResult& p) {
  json::array changes;
  for (const RefChange& c : p.changes) changes.push_back(RefChangeToJson(c));
  json::object out{{"remote", p.remote},
                   {"url", p.url},
                   {"updated", std::move(changes)},
                   {"sent", StatsToJson(p.stats)}};
  if (p.projected) out["projected"] = *p.projected;
  return out;
}

json::value SyncDirectionToJson(const SyncDirection& d) {
  auto list = [](const std::vector<std::string>& ids) {
    json::array a;
    for (const std::string& id : ids) a.push_back(json::string(id));
    return a;
  };
  return json::object{{"created", list(d.created)},
                      {"updated", list(d.updated)},
                      {"deleted", list(d.deleted)},
                      {"unchanged", d.unchanged}};
}

void PrintFetch(const FetchResult& f) {
  if (f.changes.empty() && f.skipped_tags.empty()) return;
  std::cout << "From " << f.url << "\n";
  for (const RefChange& c : f.changes) {
    std::string from = c.ref;
    if (c.ref.rfind("refs/remotes/", 0) == 0) {
      from = c.ref.substr(c.ref.find('/', 13) + 1);
    }
    PrintChange(c, Readable(from));
  }
  for (const std::string& t : f.skipped_tags) {
    std::cout << " ! [rejected] " << t << " -> " << t << "  (would clobber an existing tag)\n";
  }
}

void PrintPush(const PushResult& p) {
  if (p.changes.empty()) {
    std::cout << "Everything up-to-date\n";
    return;
  }
  std::cout << "To " << p.url << "\n";
  for (const RefChange& c : p.changes) PrintChange(c, Readable(c.ref));
  if (p.projected) {
    std::cout << "(pushed the projection " << p.projected->substr(0, 12) << ")\n";
  }
}

}  // namespace strata::cli
