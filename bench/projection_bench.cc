// projection_bench: what projecting a history through a perspective costs
// (Repository::Project, repo/projection.cc), first whole, then one new
// version at a time, as a perspective-filtered push pays it.
//
//   projection_bench [--versions 10000] [--docs 1000] [--runs 3]
//                    [--workdir DIR] [--reuse]
//
// Builds, through the library in this one process: a `.perspectives` with
// perspective `public` (every document shown, `/secrets/**` hidden,
// `/db/password` masked), --docs documents in one import, then --versions
// versions that each set one value of one document (a fixed pseudo-random
// sequence): 3 in 5 set a visible value, 1 in 5 a hidden one (left out of
// the projection) and 1 in 5 the masked one (left out too: "***" stays
// "***"). Then times (wall clock; median of --runs for the repeated ones):
//   - the whole history projected with nothing remembered (.strata/projections
//     and .strata/views removed first), and with views cached;
//   - projecting again with nothing new (reads the mapping);
//   - one new visible version, then projecting it: the time and the objects
//     written (counted on disk: loose files and objects in packs).
// Nothing is asserted. --reuse keeps and reuses the repository in --workdir.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "bench_util.h"
#include "repo/repository_impl.h"
#include "strata/repository.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

std::string DocName(std::size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "config/app%05zu", i);
  return name;
}

// Objects on disk: loose files and the objects the pack indexes count.
std::size_t ObjectsOnDisk(const fs::path& git_dir) {
  std::size_t n = 0;
  for (const auto& dir : fs::directory_iterator(git_dir / "objects")) {
    const std::string name = dir.path().filename().string();
    if (name.size() == 2 && dir.is_directory()) {
      for ([[maybe_unused]] const auto& f : fs::directory_iterator(dir.path())) ++n;
    }
  }
  for (const auto& f : fs::directory_iterator(git_dir / "objects" / "pack")) {
    if (f.path().extension() != ".idx") continue;
    std::ifstream in(f.path(), std::ios::binary);
    unsigned char head[8 + 256 * 4];
    if (!in.read(reinterpret_cast<char*>(head), sizeof head)) continue;
    const unsigned char* last = head + 8 + 255 * 4;  // version 2: fan-out after the header
    n += (std::size_t(last[0]) << 24) | (std::size_t(last[1]) << 16) | (std::size_t(last[2]) << 8) |
         last[3];
  }
  return n;
}

std::size_t Lines(const fs::path& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description o("projection_bench");
  o.add_options()("versions", po::value<std::size_t>()->default_value(10000), "versions")(
      "docs", po::value<std::size_t>()->default_value(1000), "documents")(
      "runs", po::value<int>()->default_value(3), "runs per repeated measure (median)")(
      "workdir", po::value<std::string>()->default_value(""), "where (default: a temp folder)")(
      "reuse", "keep and reuse the repository in --workdir")("help", "help");
  po::variables_map args;
  po::store(po::parse_command_line(argc, argv, o), args);
  if (args.count("help")) {
    std::cout << o;
    return 0;
  }
  const std::size_t versions = args["versions"].as<std::size_t>();
  const std::size_t docs = std::max<std::size_t>(1, args["docs"].as<std::size_t>());
  const int runs = std::max(1, args["runs"].as<int>());
  const bool reuse = args.count("reuse") > 0;
  fs::path work = args["workdir"].as<std::string>();
  if (work.empty()) work = fs::temp_directory_path() / "strata-projection-bench";
  const fs::path dir = work / ("v" + std::to_string(versions) + "-d" + std::to_string(docs));
  const fs::path git_dir = dir / ".strata";
  const std::int64_t t0 = 1700000000;

  std::unique_ptr<Repository> repo;
  if (reuse && fs::exists(git_dir)) {
    repo = Check(Repository::Open(dir.string()), "open");
  } else {
    fs::remove_all(dir);
    fs::create_directories(dir);
    repo = Check(Repository::Init(dir.string()), "init");
    auto start = Clock::now();
    Check(repo->Put(".perspectives", *ParseJson(R"({"perspectives": {"public": {"rules": [
        {"path": "/**", "action": "show"}, {"path": "/secrets/**", "action": "hide"},
        {"path": "/db/password", "action": "mask"}]}}})"),
                    Opts(t0)),
          "perspectives");
    std::vector<std::pair<std::string, json::value>> all;
    for (std::size_t i = 0; i < docs; ++i) {
      all.emplace_back(DocName(i), *ParseJson(R"({"name": "app", "db": {"host": "db1",
          "password": "pw", "pool": 0}, "secrets": {"apikey": "k"}})"));
    }
    Check(repo->Import(std::move(all), Opts(t0 + 1)), "import");
    std::mt19937_64 rng(42);
    for (std::size_t n = 0; n + 2 < versions; ++n) {
      const std::string doc = DocName(rng() % docs);
      const char* what = n % 5 == 3 ? "/secrets/apikey" : n % 5 == 4 ? "/db/password" : "/db/pool";
      Check(repo->Set(doc, *JsonPointer::Parse(what), static_cast<std::int64_t>(n + 1),
                      Opts(t0 + 2 + static_cast<std::int64_t>(n))),
            "set");
    }
    std::printf("built %zu versions of %zu documents in %.1f s\n", versions, docs,
                std::chrono::duration<double>(Clock::now() - start).count());
  }
  Check(repo->UsePerspective("public"), "perspective");
  const fs::path mapping = git_dir / "projections" / repo->perspective()->id();

  auto project = [&](const char* what) {
    const std::size_t before = ObjectsOnDisk(git_dir);
    auto start = Clock::now();
    std::optional<std::string> id = Check(repo->Project("HEAD"), what);
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    return std::make_tuple(s, ObjectsOnDisk(git_dir) - before, id);
  };
  auto fresh = [&](bool keep_views) {
    fs::remove_all(git_dir / "projections");
    if (!keep_views) fs::remove_all(git_dir / "views");
    // A new Repository forgets the views it holds in memory.
    repo = Check(Repository::Open(dir.string()), "open");
    Check(repo->UsePerspective("public"), "perspective");
  };

  fresh(false);
  auto [cold, cold_objects, tip] = project("project");
  std::size_t projected_versions = 0;
  {
    Check(repo->UsePerspective(std::nullopt), "perspective");
    projected_versions = Check(repo->Log(*tip, {}), "log").size();
    Check(repo->UsePerspective("public"), "perspective");
  }
  std::printf(
      "whole history, nothing remembered: %.3f s, %zu objects written, %zu of %zu "
      "versions projected (%zu mapping lines)\n",
      cold, cold_objects, projected_versions, versions, Lines(mapping));
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    fresh(true);
    t.push_back(std::get<0>(project("project")));
  }
  std::printf("whole history, views cached:       %.3f s (median of %d)\n", Median(t), runs);
  t.clear();
  for (int i = 0; i < runs; ++i) t.push_back(std::get<0>(project("again")));
  std::printf("again, nothing new:                %.3f s (median of %d)\n", Median(t), runs);
  t.clear();
  std::vector<std::size_t> objects;
  for (int i = 0; i < runs; ++i) {
    Check(repo->UsePerspective(std::nullopt), "perspective");
    Check(repo->Set(DocName(static_cast<std::size_t>(i) % docs), *JsonPointer::Parse("/db/pool"),
                    static_cast<std::int64_t>(1000000 + Lines(mapping)),
                    Opts(t0 + static_cast<std::int64_t>(versions + i))),
          "set");
    Check(repo->UsePerspective("public"), "perspective");
    auto [s, n, id] = project("one more");
    t.push_back(s);
    objects.push_back(n);
  }
  std::printf("one new visible version:           %.4f s (median of %d), objects written:",
              Median(t), runs);
  for (std::size_t n : objects) std::printf(" %zu", n);
  std::printf("\n");
  if (!reuse) fs::remove_all(dir);
  return 0;
}
