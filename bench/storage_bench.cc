// storage_bench: what small versions and `strata gc` cost (issue 11,
// "Small versions" and "strata gc"; figures in docs/performance.md).
//
//   storage_bench [--writes 2000] [--packs 1000] [--versions 10000] [--docs 1000]
//                 [--runs 5] [--workdir DIR] [--tmpfs DIR] [--skip-gc-bench]
//
//   1. small writes: durable one-field versions through the library
//      (Repository::Set, one after another, each fsynced before it returns),
//      on --workdir (the disk) and on --tmpfs (memory: no fsync cost, so the
//      CPU part alone), with automatic gc on as it is by default; --runs runs
//      of --writes writes each after a warm-up, median rate.
//   2. reads and many packs: a repository with --docs documents and --packs
//      small versions, automatic gc off, so one pack per version. Opening the
//      repository and reading one document (a fresh Repository each time, as
//      a CLI process would) at HEAD and at the oldest version, median of
//      --runs after a warm-up; then after `strata gc` (one pack).
//   3. gc: a repository of --docs documents and --versions one-field
//      versions written with the default automatic gc; then a full gc:
//      its time, and the bytes of objects before and after; and git gc
//      (`git gc --prune=now -q`, from the same files copied) for a peer.
// Nothing here is a test: no time is asserted.
#include <sys/wait.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>

#include "bench_util.h"
#include "strata/repository.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

std::string Doc(std::size_t i) { return "doc/" + std::to_string(i); }

std::unique_ptr<Repository> Fresh(const std::string& dir, std::size_t docs, bool auto_gc) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  auto repo = Check(Repository::Init(dir), "init " + dir);
  if (!auto_gc) Shell("git --git-dir='" + dir + "/.strata' config strata.gcAuto 0");
  std::vector<std::pair<std::string, json::value>> all;
  for (std::size_t i = 0; i < docs; ++i) {
    all.emplace_back(Doc(i), json::object{{"v", 0}, {"name", Doc(i)}});
  }
  Check(repo->Import(std::move(all), Opts(1700000000)), "import");
  // Reopened, so the config set above is read.
  repo.reset();
  return Check(Repository::Open(dir), "open " + dir);
}

std::uint64_t ObjectBytes(const std::string& git_dir) {
  std::uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(git_dir + "/objects")) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

std::size_t Packs(const std::string& git_dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(git_dir + "/objects/pack")) {
    if (e.path().extension() == ".idx") ++n;
  }
  return n;
}

// Durable one-field versions per second, median of `runs`, and what one
// write took: the median write, the slowest of each run (one that ran
// automatic gc), and the writes over four times the run's median (most ran
// automatic gc, some waited on the disk): how many, and their share of the
// run's time; each median over the runs.
struct Writes {
  double rate = 0, median_ms = 0, slowest_ms = 0, slow_count = 0, slow_share = 0;
};

Writes WriteRate(const std::string& dir, std::size_t docs, std::size_t writes, int runs) {
  auto repo = Fresh(dir, docs, /*auto_gc=*/true);
  JsonPointer v = JsonPointer::Parse("/v").value();
  std::mt19937_64 rng(7);
  std::int64_t t = 1700000001;
  for (int i = 0; i < 50; ++i, ++t) Check(repo->Set(Doc(rng() % docs), v, t, Opts(t)), "set");
  std::vector<double> rates, medians, slowest, slow_counts, slow_shares;
  for (int r = 0; r < runs; ++r) {
    std::vector<double> each;
    auto start = Clock::now();
    for (std::size_t i = 0; i < writes; ++i, ++t) {
      auto one = Clock::now();
      Check(repo->Set(Doc(rng() % docs), v, t, Opts(t)), "set");
      each.push_back(Seconds(one) * 1e3);
    }
    const double run_ms = Seconds(start) * 1e3;
    rates.push_back(static_cast<double>(writes) / (run_ms / 1e3));
    slowest.push_back(*std::max_element(each.begin(), each.end()));
    const double median = Median(each);
    double slow = 0, slow_ms = 0;
    for (double ms : each) {
      if (ms > 4 * median) ++slow, slow_ms += ms;
    }
    slow_counts.push_back(slow);
    slow_shares.push_back(slow_ms / run_ms);
    medians.push_back(median);
  }
  return Writes{Median(rates), Median(medians), Median(slowest), Median(slow_counts),
                Median(slow_shares)};
}

std::string Row(const std::string& where, const Writes& w) {
  std::ostringstream row;
  row << "| " << where << " | " << std::fixed << std::setprecision(0) << w.rate << " | "
      << std::setprecision(2) << w.median_ms << " ms | " << std::setprecision(1) << w.slowest_ms
      << " ms | " << std::setprecision(0) << w.slow_count << ", " << w.slow_share * 100 << "% |\n";
  return row.str();
}

// Open + read of one document at `rev`, median seconds of `runs`.
double ReadTime(const std::string& dir, const std::string& rev, int runs) {
  std::vector<double> times;
  for (int r = 0; r <= runs; ++r) {
    auto start = Clock::now();
    auto repo = Check(Repository::Open(dir), "open");
    Snapshot s = Check(repo->Read(rev), "read " + rev);
    Check(s.Get(Doc(0), JsonPointer()), "get");
    if (r > 0) times.push_back(Seconds(start));  // the first is the warm-up
  }
  return Median(times);
}

std::string Ms(double s) {
  std::ostringstream o;
  o << std::setprecision(3) << s * 1000 << " ms";
  return o.str();
}

std::string MiB(std::uint64_t b) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(2) << static_cast<double>(b) / (1 << 20) << " MiB";
  return o.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t writes = 2000, packs = 1000, versions = 10000, docs = 1000;
  int runs = 5;
  std::string workdir = "bench-storage", tmpfs = "/dev/shm/strata-storage-bench";
  po::options_description o("storage_bench");
  o.add_options()("help", "this text")("writes", po::value(&writes), "writes per run")(
      "packs", po::value(&packs), "small versions, one pack each")("versions", po::value(&versions),
                                                                   "versions for the gc figure")(
      "docs", po::value(&docs), "documents")("runs", po::value(&runs), "runs (median)")(
      "workdir", po::value(&workdir), "folder on the disk")(
      "tmpfs", po::value(&tmpfs), "folder in memory")("skip-gc-bench",
                                                      "skip part 3 (the large gc)");
  po::variables_map args;
  po::store(po::parse_command_line(argc, argv, o), args);
  po::notify(args);
  if (args.count("help")) {
    std::cout << o << "\n";
    return 0;
  }
  fs::create_directories(workdir);
  workdir = fs::absolute(workdir).string();

  std::cout << "## small writes (" << writes << " per run, median of " << runs << ")\n\n"
            << "| where | durable one-field versions/s | median write | slowest write of a run "
               "(automatic gc) | writes over 4x the median: how many, share of the run's time "
               "|\n| --- | --- | --- | --- | --- |\n";
  std::cout << Row("disk (" + workdir + ")", WriteRate(workdir + "/writes", docs, writes, runs))
            << std::flush;
  std::cout << Row("tmpfs (" + tmpfs + ")", WriteRate(tmpfs + "/writes", docs, writes, runs))
            << "\n"
            << std::flush;
  std::error_code ec;
  fs::remove_all(tmpfs, ec);

  {
    const std::string dir = workdir + "/packs";
    auto repo = Fresh(dir, docs, /*auto_gc=*/false);
    JsonPointer v = JsonPointer::Parse("/v").value();
    std::int64_t t = 1700000001;
    for (std::size_t i = 0; i < packs; ++i) {
      Check(repo->Set(Doc(i % docs), v, static_cast<std::int64_t>(i + 1), Opts(t++)), "set");
    }
    const std::string old = "HEAD~" + std::to_string(packs - 1);
    const std::string git_dir = dir + "/.strata";
    std::cout << "## reads with many packs (" << packs << " versions, median of " << runs
              << ")\n\n| packs | open + read at HEAD | open + read at " << old << " |\n"
              << "| --- | --- | --- |\n";
    std::cout << "| " << Packs(git_dir) << " | " << Ms(ReadTime(dir, "HEAD", runs)) << " | "
              << Ms(ReadTime(dir, old, runs)) << " |\n"
              << std::flush;
    GcOptions full;
    Check(repo->Gc(full), "gc");
    repo.reset();
    std::cout << "| " << Packs(git_dir) << " (after gc) | " << Ms(ReadTime(dir, "HEAD", runs))
              << " | " << Ms(ReadTime(dir, old, runs)) << " |\n\n"
              << std::flush;
  }

  if (!args.count("skip-gc-bench")) {
    const std::string dir = workdir + "/gc";
    const std::string git_dir = dir + "/.strata";
    auto repo = Fresh(dir, docs, /*auto_gc=*/true);
    JsonPointer v = JsonPointer::Parse("/v").value();
    std::mt19937_64 rng(11);
    std::int64_t t = 1700000001;
    auto start = Clock::now();
    for (std::size_t i = 0; i < versions; ++i) {
      Check(repo->Set(Doc(rng() % docs), v, static_cast<std::int64_t>(i + 1), Opts(t++)), "set");
    }
    const double write_s = Seconds(start);
    const std::uint64_t before = ObjectBytes(git_dir);
    const std::size_t packs_before = Packs(git_dir);
    Shell("rm -rf '" + dir + "-git' && cp -a '" + git_dir + "' '" + dir + "-git'");
    start = Clock::now();
    GcReport r = Check(repo->Gc(GcOptions{}), "gc");
    const double gc_s = Seconds(start);
    const std::uint64_t after = ObjectBytes(git_dir);
    start = Clock::now();
    Shell("git --git-dir='" + dir + "-git' gc --prune=now -q");
    const double git_s = Seconds(start);
    const std::uint64_t git_after = ObjectBytes(dir + "-git");
    std::cout << "## gc of " << versions << " one-field versions over " << docs
              << " documents (written in " << std::setprecision(1) << write_s
              << " s with automatic gc)\n\n"
              << "| | objects before | after | packs before, after | objects packed | time |\n"
              << "| --- | --- | --- | --- | --- | --- |\n"
              << "| strata gc | " << MiB(before) << " | " << MiB(after) << " | " << packs_before
              << ", " << Packs(git_dir) << " | " << r.objects_packed << " | "
              << std::setprecision(2) << gc_s << " s |\n"
              << "| git gc --prune=now | " << MiB(before) << " | " << MiB(git_after) << " | "
              << packs_before << ", " << Packs(dir + "-git") << " | | " << git_s << " s |\n";
    Shell("rm -rf '" + dir + "-git'");
  }
  return 0;
}
