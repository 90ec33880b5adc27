#include "cli/sync_output.h"

#include <unistd.h>

#include <iostream>

#include "repo/transport.h"

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
    what = (c.forced ? " + " : "   ") + Short(c.old_id) + (c.forced ? "..." : "..") +
           Short(c.new_id);
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
    std::cout << " ! [rejected] " << t << " -> " << t
              << "  (would clobber an existing tag)\n";
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
