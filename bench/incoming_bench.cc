// incoming_bench: what checking a fetch (CheckIncoming, repo/incoming.h)
// costs, against the size of the state and the size of what arrived.
//
//   incoming_bench [--docs 100000] [--versions 100] [--runs 5] [--workdir DIR]
//                  [--keep]
//
// Builds, through the library: --docs small documents in one version (v0),
// then --versions versions that each set one value in an existing document
// (chain A), then --versions versions that each add one document (chain B).
// Then times CheckIncoming on that repository, with `known` the set of
// objects on disk at a point, for:
//   A after v0:   a fetch of versions that change documents (no id added);
//   B after A:    a fetch of versions that add documents (the case check
//                 needs the folded ids of the whole state once);
//   all (clone):  everything new, nothing known;
// and, for scale, one read of every id of the final state (ReadMembers,
// names only), the cost the case check pays once for chain B.
// The repository is packed first (git repack -adq), as objects a fetch
// brings arrive in a pack. One warm-up, then --runs runs, median. Nothing
// here is a test.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <unordered_set>

#include "bench_util.h"
#include "objects/tree_codec.h"
#include "repo/incoming.h"
#include "repo/repository_impl.h"
#include "strata/repository.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

using ObjectSet = std::unordered_set<ObjectId>;

// Every object in `git_dir`'s object folder (loose and packed).
ObjectSet ObjectsOnDisk(const std::string& git_dir) {
  git_odb* raw = nullptr;
  if (git_odb_open(&raw, (git_dir + "/objects").c_str()) < 0) Die("cannot open the objects");
  OdbPtr odb(raw);
  ObjectSet out;
  git_odb_foreach(
      raw,
      [](const git_oid* id, void* payload) {
        static_cast<ObjectSet*>(payload)->insert(FromGit(*id));
        return 0;
      },
      &out);
  return out;
}

ObjectId HeadId(Repository& repo) {
  Snapshot s = Check(repo.Read("HEAD"), "read HEAD");
  ObjectId id;
  if (git_oid_fromstr(AsGit(id), s.version()->id.c_str()) < 0) Die("bad id");
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t docs = 100000, versions = 100;
  int runs = 5;
  std::string workdir;
  bool keep = false;
  po::options_description opts("incoming_bench options");
  opts.add_options()("help", "this help")("docs", po::value(&docs), "documents in v0")(
      "versions", po::value(&versions), "versions in each chain")(
      "runs", po::value(&runs), "measured runs (median)")("workdir", po::value(&workdir),
                                                          "where to build (default: a temp dir)")(
      "keep", po::bool_switch(&keep), "keep the repository (to compare with git)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (workdir.empty()) workdir = (fs::temp_directory_path() / "strata-incoming-bench").string();
  fs::remove_all(workdir);
  fs::create_directories(workdir);

  auto repo = Check(Repository::Init(workdir), "init");
  CommitOptions by;
  by.author = Signature{"bench", "bench@example.com"};
  by.time = 1700000000;
  std::vector<std::pair<std::string, json::value>> batch;
  for (std::size_t i = 0; i < docs; ++i) {
    batch.emplace_back("doc/" + std::to_string(i), json::object{{"n", i}, {"s", "value"}});
  }
  auto t = Clock::now();
  Check(repo->Import(std::move(batch), by), "import");
  std::cout << "v0: " << docs << " documents imported in " << Seconds(t) << " s\n";
  const std::string git_dir = repo->path();
  ObjectSet at_v0 = ObjectsOnDisk(git_dir);
  for (std::size_t i = 0; i < versions; ++i) {
    std::string doc = "doc/" + std::to_string((i * 7919) % docs);
    Check(repo->Set(doc, JsonPointer::Parse("/n").value(), json::value(i + 1), by), "set");
  }
  ObjectId tip_a = HeadId(*repo);
  ObjectSet at_a = ObjectsOnDisk(git_dir);
  for (std::size_t i = 0; i < versions; ++i) {
    Check(repo->Put("new/" + std::to_string(i), json::value(i), by), "put");
  }
  ObjectId tip_b = HeadId(*repo);
  ObjectId final_state;
  {
    Snapshot s = Check(repo->Read("HEAD"), "read HEAD");
    final_state = *s.state_tree();
  }
  repo.reset();
  // What a fetch brings arrives as a pack: measure on packed objects, as
  // git repack leaves them (the writes above left most of them loose).
  if (std::system(("git --git-dir '" + git_dir + "' repack -adq").c_str()) != 0) {
    Die("git repack failed");
  }

  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, git_dir.c_str()) < 0) Die("cannot open " + git_dir);
  RepositoryPtr git(raw);
  auto store = Check(ObjectStore::Open(git.get()), "open the store");

  auto time = [&](const std::string& what, const ObjectSet& known, const ObjectId& tip) {
    auto is_known = [&](const ObjectId& id) { return known.count(id) > 0; };
    std::vector<double> times;
    for (int r = 0; r <= runs; ++r) {
      auto start = Clock::now();
      Status s = CheckIncoming(*store, is_known, {{"refs/heads/main", tip}}, {});
      double secs = Seconds(start);
      if (!s.ok()) Die(what + ": " + s.message());
      if (r > 0) times.push_back(secs);
    }
    std::cout << what << ": " << Median(times) * 1000 << " ms\n";
  };
  std::cout << "CheckIncoming, median of " << runs << " runs:\n";
  time("  A: " + std::to_string(versions) + " versions changing a document, after v0", at_v0,
       tip_a);
  time("  B: " + std::to_string(versions) + " versions adding a document, after A", at_a, tip_b);
  time("  all (a clone of " + std::to_string(2 * versions + 1) + " versions)", ObjectSet{}, tip_b);
  std::vector<double> times;
  for (int r = 0; r <= runs; ++r) {
    auto start = Clock::now();
    std::vector<Member> members;
    Status s = ReadMembers(*store, final_state, members);
    if (!s.ok()) Die(s.message());
    if (r > 0) times.push_back(Seconds(start));
  }
  std::cout << "ReadMembers of the final state (names of " << docs + versions
            << " documents): " << Median(times) * 1000 << " ms\n";
  if (keep) {
    std::cout << "kept " << git_dir << "\n";
  } else {
    fs::remove_all(workdir);
  }
  return 0;
}
