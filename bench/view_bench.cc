// view_bench: what reading a whole state through a perspective costs.
//
//   view_bench [--values 1m] [--per-doc 100] [--runs 5] [--threads 1,2] [--read-only]
//              [--workdir DIR]
//
// Builds through the library one version of --values values in documents of
// --per-doc values each ("svc/NNNNNNN": {"name", "db": {"host", "password"},
// "secrets": {...}, "tuning": {k0..}}), with the issue's public perspective
// (secrets hidden, the password masked). Then times, --runs times each
// (median of wall seconds; a fresh Repository object per run, as a new
// process would have):
//   whole    every document read with no perspective (the baseline);
//   cold T   the same through the perspective with no cached views (the views
//            folder removed), STRATA_VIEW_THREADS=T;
//   warm     the same again, views cached by an earlier run;
//   one-doc  after a version that changes one document: the new state's view
//            (shared buckets come from the cache).
// Each run is `strata export` in-process (ExportSnapshot into a fresh folder):
// every visible document read whole and written as DIR/<id>.json.
// Nothing is asserted.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "strata/export.h"
#include "strata/repository.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

std::string DocName(std::size_t i) {
  std::ostringstream o;
  o << "svc/" << std::setw(7) << std::setfill('0') << i;
  return o.str();
}

// A document of about `values` leaves: 5 fixed ones, the rest tuning knobs.
json::value MakeDoc(std::size_t i, std::size_t values) {
  json::object tuning;
  for (std::size_t k = 5; k < values; ++k) {
    tuning["k" + std::to_string(k)] = static_cast<std::int64_t>((i * 31 + k * 7) % 1000);
  }
  return json::object{{"name", DocName(i)},
                      {"db", json::object{{"host", "db" + std::to_string(i % 17) + ".internal"},
                                          {"password", "pw-" + std::to_string(i * 7919)}}},
                      {"secrets", json::object{{"apikey", "key-" + std::to_string(i * 104729)},
                                               {"owner", "team-" + std::to_string(i % 5)}}},
                      {"tuning", std::move(tuning)}};
}

const char* kPerspectives = R"({"perspectives": {
  "public": {"docs": ["svc/**"],
             "rules": [{"path": "/**", "action": "show"},
                       {"path": "/secrets/**", "action": "hide"},
                       {"path": "/db/password", "action": "mask"}]}}})";

bool read_only = false;  // --read-only: read every document, write no file

// Exports HEAD into a fresh `out` (or, read_only, reads each document whole);
// returns the bytes written (read).
std::size_t ExportAll(Repository& repo, const fs::path& out) {
  if (read_only) {
    Snapshot s = Check(repo.Read("HEAD"), "read");
    std::size_t bytes = 0;
    for (const DocumentInfo& d : Check(s.List(), "list")) {
      bytes += CanonicalJson(Check(s.Get(d.id), "get " + d.id)).size();
    }
    return bytes;
  }
  fs::remove_all(out);
  Snapshot s = Check(repo.Read("HEAD"), "read");
  ExportResult r = Check(ExportSnapshot(s, out.string()), "export");
  return r.bytes;
}

double TimeRead(const std::string& dir, const std::optional<std::string>& perspective,
                std::size_t* bytes) {
  auto start = Clock::now();
  auto repo = Check(Repository::Open(dir), "open");
  Check(repo->UsePerspective(perspective), "perspective");
  *bytes = ExportAll(*repo, fs::path(dir) / "out");
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description o("view_bench options");
  o.add_options()("values", po::value<std::string>()->default_value("1m"), "values in the state")(
      "per-doc", po::value<std::size_t>()->default_value(100), "values per document")(
      "runs", po::value<int>()->default_value(5), "runs of each measure (median)")(
      "threads", po::value<std::string>()->default_value("1,2"), "thread counts for cold views")(
      "read-only", po::bool_switch(&read_only), "read every document instead of exporting")(
      "workdir", po::value<std::string>(), "where to build the repository (default: a temp dir)");
  po::variables_map args;
  po::store(po::parse_command_line(argc, argv, o), args);
  po::notify(args);
  const std::size_t values = ParseSize(args["values"].as<std::string>());
  const std::size_t per_doc = std::max<std::size_t>(args["per-doc"].as<std::size_t>(), 6);
  const int runs = args["runs"].as<int>();
  std::vector<unsigned> threads;
  {
    std::stringstream ss(args["threads"].as<std::string>());
    for (std::string t; std::getline(ss, t, ',');) threads.push_back(std::stoul(t));
  }
  fs::path work = args.count("workdir")
                      ? fs::path(args["workdir"].as<std::string>())
                      : fs::temp_directory_path() / ("view_bench." + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  setenv("STRATA_AUTHOR", "bench <bench@example.com>", 1);

  const std::size_t docs = values / per_doc;
  std::cout << "view_bench: " << docs << " documents x " << per_doc << " values, runs " << runs
            << "\n";
  {
    auto repo = Check(Repository::Init(work.string()), "init");
    std::vector<std::pair<std::string, json::value>> all;
    all.reserve(docs + 1);
    for (std::size_t i = 0; i < docs; ++i) all.emplace_back(DocName(i), MakeDoc(i, per_doc));
    all.emplace_back(".perspectives", Check(ParseJson(kPerspectives), "perspectives"));
    CommitOptions c;
    c.message = "bench state";
    Check(repo->Import(std::move(all), c), "import");
  }
  const std::string dir = work.string();
  const fs::path views = work / ".strata" / "views";
  std::size_t bytes = 0;

  auto report = [&](const std::string& label, std::vector<double> t) {
    std::cout << "  " << std::left << std::setw(40) << label << std::right << std::fixed
              << std::setprecision(3) << Median(t) << " s  (" << bytes
              << (read_only ? " bytes read)\n" : " bytes exported)\n");
    return Median(t);
  };
  TimeRead(dir, std::nullopt, &bytes);  // warm-up: the OS cache holds the pack
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) t.push_back(TimeRead(dir, std::nullopt, &bytes));
  const double whole = report(std::string(read_only ? "read" : "export") + ", no perspective", t);

  for (unsigned n : threads) {
    setenv("STRATA_VIEW_THREADS", std::to_string(n).c_str(), 1);
    t.clear();
    for (int r = 0; r < runs; ++r) {
      fs::remove_all(views);
      t.push_back(TimeRead(dir, "public", &bytes));
    }
    double cold = report(std::string(read_only ? "read" : "export") + " public, cold, " +
                             std::to_string(n) + " thread(s)",
                         t);
    std::cout << "    ratio to whole: " << std::setprecision(2) << cold / whole << "x\n";
  }
  t.clear();
  for (int r = 0; r < runs; ++r) t.push_back(TimeRead(dir, "public", &bytes));
  double warm =
      report(std::string(read_only ? "read" : "export") + " public, warm (views cached)", t);
  std::cout << "    ratio to whole: " << std::setprecision(2) << warm / whole << "x\n";

  // One document changed: only its bucket and itself are viewed again.
  t.clear();
  for (int r = 0; r < runs; ++r) {
    {
      auto repo = Check(Repository::Open(dir), "open");
      CommitOptions c;
      c.message = "one change";
      Check(repo->Set(DocName(r % docs), *JsonPointer::Parse("/tuning/k5"),
                      json::value(static_cast<std::int64_t>(5000 + r)), c),
            "set");
    }
    auto start = Clock::now();
    auto repo = Check(Repository::Open(dir), "open");
    Check(repo->UsePerspective("public"), "perspective");
    Snapshot s = Check(repo->Read("HEAD"), "read");
    (void)Check(s.Get(DocName(r % docs), *JsonPointer::Parse("/tuning/k5")), "get");
    t.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  bytes = 0;
  report("public, view after a one-doc version", t);
  fs::remove_all(work);
  return 0;
}
