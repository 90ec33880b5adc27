// history_bench: what reviewing history costs as it grows, against git.
//
//   history_bench [--versions 100000] [--docs 10000] [--label-every 10]
//                 [--blame-values 1000] [--blame-versions 10000] [--runs 5]
//                 [--workdir DIR] [--cli build/cli/strata] [--reuse]
//
// Builds, through the library in this one process (Repository::Import, then
// Repository::Set, one version each):
//   log:   --docs small documents, then --versions versions that each set one
//          value in one document (a fixed pseudo-random sequence), every
//          --label-every-th with the label "tenth";
//   blame: one document of --blame-values values, then --blame-versions
//          versions that each set one of them.
// Both repositories are then packed (`git repack -adq`, as `strata gc` or a
// clone would leave them), and each command is run through the strata binary
// (a process per run, as git's are): one warm-up, then --runs runs, median:
//   strata log --label tenth        vs  git log --grep 'Label: tenth'
//   strata log --doc D, strata history D   (D: the first document)
//   strata blame DOC
// The strata rows run with the version index built by their warm-up run,
// then (rows marked so) with it removed before each run, or turned off.
// Nothing here is a test: no time is asserted. --reuse keeps and reuses the
// repositories in --workdir (built once, measured many times).
#include <sys/wait.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
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
  std::string s = "doc/";
  s += std::to_string(i);
  return s;
}

std::string KeyName(std::size_t i) {
  std::string s = "k";
  s += std::to_string(i);
  return s;
}

// Runs `command` through the shell; its wall time in seconds.
double Run(const std::string& command) {
  auto start = Clock::now();
  int rc = std::system(command.c_str());
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) Die("command failed: " + command);
  return Seconds(start);
}

double Measure(const std::string& command, int runs) {
  Run(command);  // warm-up
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) times.push_back(Run(command));
  return Median(times);
}

void BuildLog(const std::string& dir, std::size_t docs, std::size_t versions,
              std::size_t label_every) {
  auto repo = Check(Repository::Init(dir), "init " + dir);
  std::vector<std::pair<std::string, json::value>> all;
  for (std::size_t i = 0; i < docs; ++i) {
    all.emplace_back(DocName(i), json::object{{"v", 0}, {"name", DocName(i)}});
  }
  const std::int64_t t0 = 1700000000;
  Check(repo->Import(std::move(all), Opts(t0, "import")), "import");
  std::mt19937_64 rng(42);
  JsonPointer v = JsonPointer::Parse("/v").value();
  auto start = Clock::now();
  for (std::size_t n = 1; n <= versions; ++n) {
    CommitOptions o = Opts(t0 + static_cast<std::int64_t>(n), "set one value");
    if (n % label_every == 0) o.labels = {"tenth"};
    Check(repo->Set(DocName(rng() % docs), v, static_cast<std::int64_t>(n), o), "set");
    if (n % 10000 == 0) {
      std::cerr << "  log repository: " << n << " versions, " << Seconds(start) << " s\n";
    }
  }
}

void BuildBlame(const std::string& dir, std::size_t values, std::size_t versions) {
  auto repo = Check(Repository::Init(dir), "init " + dir);
  json::object doc;
  for (std::size_t i = 0; i < values; ++i) doc[KeyName(i)] = 0;
  const std::int64_t t0 = 1700000000;
  Check(repo->Put("big", doc, Opts(t0, "create")), "put");
  std::mt19937_64 rng(7);
  auto start = Clock::now();
  for (std::size_t n = 1; n <= versions; ++n) {
    JsonPointer p(std::vector<std::string>{KeyName(rng() % values)});
    Check(repo->Set("big", p, static_cast<std::int64_t>(n),
                    Opts(t0 + static_cast<std::int64_t>(n), "set one value")),
          "set");
    if (n % 10000 == 0) {
      std::cerr << "  blame repository: " << n << " versions, " << Seconds(start) << " s\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description o("history_bench options");
  o.add_options()("help,h", "this help")("versions",
                                         po::value<std::size_t>()->default_value(100000),
                                         "versions in the log repository")(
      "docs", po::value<std::size_t>()->default_value(10000), "documents in the log repository")(
      "label-every", po::value<std::size_t>()->default_value(10), "label every Nth version")(
      "blame-values", po::value<std::size_t>()->default_value(1000),
      "values in the blamed document")("blame-versions",
                                       po::value<std::size_t>()->default_value(10000),
                                       "versions that set one of them")(
      "runs", po::value<int>()->default_value(5), "timed runs per command (after one warm-up)")(
      "workdir", po::value<std::string>()->default_value("/tmp/strata-history-bench"),
      "where the repositories go")(
      "cli", po::value<std::string>()->default_value("build/cli/strata"), "the strata binary")(
      "reuse", po::bool_switch(), "reuse repositories already built in --workdir");
  po::variables_map args;
  try {
    po::store(po::parse_command_line(argc, argv, o), args);
    po::notify(args);
  } catch (const po::error& e) {
    Die(e.what());
  }
  if (args.count("help")) {
    std::cout << o;
    return 0;
  }
  const std::size_t versions = args["versions"].as<std::size_t>();
  const std::size_t docs = args["docs"].as<std::size_t>();
  const std::size_t blame_values = args["blame-values"].as<std::size_t>();
  const std::size_t blame_versions = args["blame-versions"].as<std::size_t>();
  const int runs = args["runs"].as<int>();
  const std::string work = args["workdir"].as<std::string>();
  const std::string cli = fs::absolute(args["cli"].as<std::string>()).string();
  const bool reuse = args["reuse"].as<bool>();
  const std::string log_dir = work + "/log", blame_dir = work + "/blame";
  if (!reuse) fs::remove_all(work);
  fs::create_directories(work);

  for (const auto& [dir, build] : std::vector<std::pair<std::string, std::function<void()>>>{
           {log_dir,
            [&] { BuildLog(log_dir, docs, versions, args["label-every"].as<std::size_t>()); }},
           {blame_dir, [&] { BuildBlame(blame_dir, blame_values, blame_versions); }}}) {
    if (reuse && fs::exists(dir + "/.strata")) continue;
    fs::create_directories(dir);
    auto start = Clock::now();
    build();
    double built = Seconds(start);
    start = Clock::now();
    Run("git --git-dir " + dir + "/.strata repack -adq");
    std::cout << dir << ": built in " << built << " s, packed in " << Seconds(start) << " s\n";
  }

  const std::string in_log = "cd " + log_dir + " && ";
  const std::string quiet = " >/dev/null";
  struct Row {
    std::string what, command;
  };
  const std::string doc = DocName(0);
  const std::vector<Row> rows = {
      {"git log --grep 'Label: tenth'",
       in_log + "git --git-dir .strata log --grep 'Label: tenth'" + quiet},
      {"strata log --label tenth", in_log + cli + " log --label tenth" + quiet},
      {"git log --format=%H (all versions)",
       in_log + "git --git-dir .strata log --format=%H" + quiet},
      {"strata log (all versions)", in_log + cli + " log" + quiet},
      {"strata log --doc " + doc, in_log + cli + " log --doc " + doc + quiet},
      {"strata history " + doc, in_log + cli + " history " + doc + quiet},
      // The version index (.strata/version-index) is built by the first walk
      // (the warm-up above); these rows remove it before each run (cold), or
      // turn it off (the walk without it).
      {"strata log --label tenth, index absent (cold: builds it)",
       in_log + "rm -f .strata/version-index && " + cli + " log --label tenth" + quiet},
      {"strata history " + doc + ", index absent (cold: builds it)",
       in_log + "rm -f .strata/version-index && " + cli + " history " + doc + quiet},
      {"strata log --label tenth, index off",
       in_log + "STRATA_VERSION_INDEX=off " + cli + " log --label tenth" + quiet},
      {"strata log --doc " + doc + ", index off",
       in_log + "STRATA_VERSION_INDEX=off " + cli + " log --doc " + doc + quiet},
      {"strata history " + doc + ", index off",
       in_log + "STRATA_VERSION_INDEX=off " + cli + " history " + doc + quiet},
      {"git log -- (path filter, for scale)",
       in_log + "git --git-dir .strata log --format=%H -- state" + quiet},
      {"strata blame big (" + std::to_string(blame_values) + " values, " +
           std::to_string(blame_versions) + " versions)",
       "cd " + blame_dir + " && " + cli + " blame big" + quiet},
  };
  std::cout << "median of " << runs << " runs after a warm-up; " << versions << " versions of "
            << docs << " documents\n";
  double git_grep = 0;
  for (const Row& r : rows) {
    double t = Measure(r.command, runs);
    if (git_grep == 0) git_grep = t;
    std::cout << "  " << r.what << ": " << t << " s";
    if (r.what.rfind("strata log", 0) == 0 || r.what.rfind("strata history", 0) == 0) {
      std::cout << "  (" << t / git_grep << "x git log --grep)";
    }
    std::cout << "\n";
  }
  return 0;
}
