// merge_bench: how the cost of a repository merge grows with the state.
//
//   merge_bench [--sizes 10k,1m] [--changes 100] [--both 10] [--runs 5] [--format 3]
//               [--workdir DIR]
//
// For each size N (values), builds through the library, in-process, a state
// of N/10 documents of 10 values each (one version, Repository::Import);
// branches it; writes one version on each side that changes --changes values
// in different documents, --both of those documents changed on both sides
// (different values, so they are decoded and merged, without conflicts);
// then times Repository::Merge of the branch into a fresh branch at ours'
// head, --runs times (median; wall clock and CPU). --format writes the
// repository in an older format (strata.formatVersion: 2 shards 256 ways),
// to compare encodings in one run. Nothing is asserted.
#include <git2.h>
#include <time.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "objects/state_editor.h"
#include "repo/repository_impl.h"
#include "strata/repository.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

std::string DocId(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "doc/%07zu", i);
  return buf;
}

void Branch(const std::string& dir, const std::string& name, const std::string& rev) {
  git_repository* raw = nullptr;
  if (git_repository_open(&raw, (dir + "/.strata").c_str()) != 0) Die("cannot open " + dir);
  RepositoryPtr repo(raw);
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, raw, rev.c_str()) != 0) Die("no revision " + rev);
  ObjectPtr o(obj);
  git_reference* ref = nullptr;
  if (git_branch_create(&ref, raw, name.c_str(), reinterpret_cast<git_commit*>(obj), 0) != 0) {
    Die("cannot create branch " + name);
  }
  git_reference_free(ref);
}

// Records `format` as the repository's strata.formatVersion.
void SetFormat(const std::string& dir, int format) {
  git_config* raw = nullptr;
  if (git_config_open_ondisk(&raw, (dir + "/.strata/config").c_str()) != 0) Die("no config");
  ConfigPtr cfg(raw);
  if (git_config_set_int32(raw, "strata.formatVersion", format) != 0) Die("cannot set the format");
}

// One version on `branch` setting member `key` of each document in `docs`.
void ChangeValues(Repository& repo, const std::string& branch, const std::vector<std::size_t>& docs,
                  const std::string& key, int value) {
  CommitOptions o;
  o.branch = branch;
  o.author = Signature{"bench", "bench@localhost"};
  Check(repo.Write(
            [&](PatchTarget& e) -> Status {
              for (std::size_t d : docs) {
                STRATA_RETURN_IF_ERROR(e.Add(JsonPointer({DocId(d), key}), json::value(value)));
              }
              return Status::Ok();
            },
            "change", o),
        "write on " + branch);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description opts("merge_bench options");
  opts.add_options()("help,h", "show this help")(
      "sizes", po::value<std::string>()->default_value("10k,1m"), "values in the state")(
      "changes", po::value<std::size_t>()->default_value(100), "values changed on each side")(
      "both", po::value<std::size_t>()->default_value(10),
      "documents changed on both sides (different values)")(
      "runs", po::value<int>()->default_value(5), "merges timed per size (median)")(
      "format", po::value<int>()->default_value(kFormatVersion),
      "the repository format written (1 to the newest)")(
      "workdir", po::value<std::string>()->default_value(""), "where repositories go");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    Die(e.what());
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  const std::size_t changes = vm["changes"].as<std::size_t>();
  const std::size_t both = vm["both"].as<std::size_t>();
  const int runs = vm["runs"].as<int>();
  std::string work = vm["workdir"].as<std::string>();
  if (work.empty()) {
    std::string t = (fs::temp_directory_path() / "merge-bench-XXXXXX").string();
    if (!mkdtemp(t.data())) Die("mkdtemp");
    work = t;
  }
  std::vector<std::size_t> sizes;
  std::stringstream list(vm["sizes"].as<std::string>());
  for (std::string s; std::getline(list, s, ',');) sizes.push_back(ParseSize(s));

  std::cout << "| values | documents | build (import) | changed each side | merged documents | "
               "merge (CPU), median of "
            << runs
            << " | operations in its delta | new objects, bytes | CPU of one write of 100 values, "
               "for scale |\n";
  std::cout << "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (std::size_t values : sizes) {
    const std::size_t docs = values / 10;
    if (docs < 2 * changes) Die("state too small for the changes");
    const std::string dir = work + "/n" + std::to_string(values);
    fs::remove_all(dir);
    fs::create_directories(dir);
    Check(Repository::Init(dir), "init");
    SetFormat(dir, vm["format"].as<int>());
    auto repo = Check(Repository::Open(dir), "open");
    auto t0 = Clock::now();
    {
      std::vector<std::pair<std::string, json::value>> all;
      all.reserve(docs);
      for (std::size_t i = 0; i < docs; ++i) {
        json::object d;
        for (int k = 0; k < 10; ++k) d[std::string("v") + char('0' + k)] = i * 10 + k;
        all.emplace_back(DocId(i), std::move(d));
      }
      CommitOptions o;
      o.author = Signature{"bench", "bench@localhost"};
      Check(repo->Import(std::move(all), o), "import");
    }
    const double build = std::chrono::duration<double>(Clock::now() - t0).count();
    Branch(dir, "theirs", "main");
    // Spread the changed documents over the state: ours even slots, theirs
    // odd, and `both` documents on both sides (ours v1, theirs v2).
    const std::size_t step = docs / (2 * changes);
    std::vector<std::size_t> ours_docs, theirs_docs;
    for (std::size_t i = 0; i < changes; ++i) {
      ours_docs.push_back(2 * i * step);
      theirs_docs.push_back(i < both ? 2 * i * step : (2 * i + 1) * step);
    }
    ChangeValues(*repo, "main", ours_docs, "v1", -1);
    // For scale: an ordinary write of the same size (100 values in 100 documents).
    double w0 = CpuSeconds();
    ChangeValues(*repo, "theirs", theirs_docs, "v2", -2);
    const double write_cpu = CpuSeconds() - w0;

    std::vector<double> wall, cpu;
    std::size_t merged_docs = 0, operations = 0;
    for (int r = 0; r < runs; ++r) {
      const std::string into = "m" + std::to_string(r);
      Branch(dir, into, "main");
      MergeRequest req;
      req.commit.branch = into;
      req.commit.author = Signature{"bench", "bench@localhost"};
      double c0 = CpuSeconds();
      auto w0 = Clock::now();
      MergeOutcome out = Check(repo->Merge("theirs", req), "merge");
      wall.push_back(std::chrono::duration<double>(Clock::now() - w0).count());
      cpu.push_back(CpuSeconds() - c0);
      if (out.kind != MergeOutcome::Kind::kMerged) Die("the merge did not write a version");
      merged_docs = out.documents;
      // The merge version's delta, from ours.
      operations = Check(repo->Read(into), "read").Changes().value().size();
    }
    // What the merge version added (git rev-list NEW ^OURS ^THEIRS), summed.
    const std::string sizes = Shell("git --git-dir='" + dir +
                                    "/.strata' rev-list --objects m0 ^main ^theirs | cut -d' ' "
                                    "-f1 | git --git-dir='" +
                                    dir +
                                    "/.strata' cat-file --batch-check='%(objectsize)' | awk "
                                    "'{n++; s+=$1} END {print n \", \" s \" B\"}'");
    char line[512];
    std::snprintf(
        line, sizeof line,
        "| %zu | %zu | %.2f s | %zu | %zu | %.2f ms (%.2f ms) | %zu ops | %s | %.2f ms |\n", values,
        docs, build, changes, merged_docs, Median(wall) * 1e3, Median(cpu) * 1e3, operations,
        sizes.substr(0, sizes.find('\n')).c_str(), write_cpu * 1e3);
    std::cout << line << std::flush;
  }
  return 0;
}
