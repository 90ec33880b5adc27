// strata_bench: how strata's costs grow with the size of the state, and how
// they compare with git's for the same data.
//
//   strata_bench [--sizes 10000,100000,1000000] [--runs 5] [--workdir DIR]
//                [--cli build/cli/strata] [--json FILE] [--no-git]
//
// For each size N it builds two states and measures, on each:
//   docs: N small documents (bench/doc_gen.h, ~--doc-size bytes each)
//   keys: ONE document with N keys
// - import: one version holding all of it (Repository::Import / Put); time,
//   rate, objects and bytes written, and the repository's object count after
// - one field: Repository::Set of one field, --runs times (median); objects
//   and bytes written, and `git rev-list --objects NEW ^OLD` with the summed
//   sizes from `git cat-file --batch-check`, checked against the bound of 32
//   objects and 256 KiB
// - diff: Snapshot::DiffTo between two versions that differ in 10 fields
// - read: Repository::Read + Snapshot::Get of one document (keys: also of one key in it)
// With --cli, the same write, diff and read through the strata binary (a
// process each, as git's are), and git itself on the same data: a bare
// repository with one file per document (docs) or one pretty-printed file
// (keys), filled by `git fast-import`, changed with plumbing (hash-object,
// update-index, write-tree, commit-tree, update-ref), compared with
// `git diff --stat`, read with `git cat-file`. For docs up to
// --commit-a-max documents, also the issue's own peer: the same files in a
// working tree, one edited, then `git commit -a` (which refreshes the index
// against every file: slower than the plumbing, which is git's fastest path).
// Each peer's timed commits follow one untimed commit and a Settle (sync(2),
// then file creation fast again).
//   array (--scenarios array): ONE document that is an array of N small
//   objects; one element changed, inserted and deleted in the middle:
//   objects and bytes by WriteResult and by `git rev-list --objects NEW ^OLD`,
//   checked against the same bound (format 2 array nodes, docs/format.md)
// Times are wall-clock medians. Nothing here is a test: no time is asserted.
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>

#include "bench/doc_gen.h"
#include "bench_util.h"
#include "repo/repository_impl.h"
#include "strata/json.h"
#include "strata/json_patch.h"
#include "strata/repository.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

constexpr std::int64_t kFixedTime = 1767225600;  // fixed, so runs are reproducible

constexpr std::size_t kBoundObjects = 32;
constexpr std::uint64_t kBoundBytes = 256 * 1024;
constexpr std::size_t kDiffFields = 10;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out.push_back(c);
  }
  return out + "'";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Time of one shell command, in seconds.
double TimeShell(const std::string& command, std::string* out = nullptr) {
  auto t = Clock::now();
  std::string o = Shell(command);
  double s = Seconds(t);
  if (out) *out = Trim(o);
  return s;
}

// Writes back what earlier phases left dirty, so that a timed phase's
// fsyncs do not wait for another phase's data (an import's pack of tens of
// MiB): each peer's timed commits start on a quiet disk.
// Writes back what is dirty, then waits until creating a file in `dir` is
// fast again, for at most five minutes. This disk (ext4 without a journal)
// skips the inodes freed in the last 60-300 s when it makes a file, reading
// the inode table to find them: after a large removal (the last run's
// working tree of 100,000 files) creating a file took 1-1.6 ms instead of
// 0.03 ms, a cost a one-field version pays three times (perf: the time is
// in __ext4_new_inode -> find_inode_bit -> recently_deleted). Both strata's
// and git's timed writes come after a Settle.
void Settle(const std::string& dir) {
  ::sync();
  auto create_ms = [&] {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
      const std::string probe = dir + "/.settle-probe-" + std::to_string(i);
      auto t = Clock::now();
      const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      ms.push_back(Seconds(t) * 1000);
      if (fd >= 0) ::close(fd);
      ::unlink(probe.c_str());
    }
    return Median(ms);
  };
  const auto start = Clock::now();
  for (double ms = create_ms(); ms > 0.2 && Seconds(start) < 300; ms = create_ms()) {
    std::cerr << "[settle] creating a file takes " << ms << " ms; waiting\n";
    ::sleep(5);
  }
}

// Objects and bytes that NEW has and OLD has not, as git counts them.
std::pair<std::size_t, std::uint64_t> NewObjects(const std::string& git_dir,
                                                 const std::string& old_id,
                                                 const std::string& new_id) {
  std::string out =
      Shell("git --git-dir=" + Quote(git_dir) + " rev-list --objects " + new_id + " ^" + old_id +
            " | cut -d' ' -f1 | git --git-dir=" + Quote(git_dir) +
            " cat-file --batch-check='%(objectsize)' | awk '{n++; s+=$1} END {print n+0, s+0}'");
  std::istringstream in(out);
  std::size_t n = 0;
  std::uint64_t s = 0;
  in >> n >> s;
  return {n, s};
}

// Objects reachable from any ref, and the packed size on disk.
std::pair<std::size_t, std::uint64_t> RepoObjects(const std::string& git_dir) {
  std::string n = Shell("git --git-dir=" + Quote(git_dir) + " rev-list --objects --all | wc -l");
  std::string kib = Shell("git --git-dir=" + Quote(git_dir) +
                          " count-objects -v | awk '/^size/ {s+=$2} END {print s+0}'");
  return {std::stoull(n), std::stoull(kib) * 1024};
}

struct Options {
  std::vector<std::size_t> sizes{10000, 100000, 1000000};
  int runs = 5;
  std::string workdir = "/tmp/strata-bench";
  std::string cli;
  std::string json_path;
  bool git = true;
  bool keep = false;
  // The largest N given a working tree for `git commit -a` (the issue's
  // peer); above it, writing N files is most of the run.
  std::size_t commit_a_max = 100000;
  bench::DocShape doc_shape{200, 2, 0};
  std::uint64_t seed = 1;
  std::vector<std::string> scenarios{"docs", "keys"};
};

// One scenario at one size. Times in seconds.
struct Figures {
  std::string scenario;
  std::size_t n = 0;
  double import_s = 0;
  double import_cpu_s = 0;
  std::size_t import_objects = 0;
  std::uint64_t import_bytes = 0;
  std::size_t repo_objects = 0;
  std::uint64_t repo_disk_bytes = 0;
  double one_field_s = 0;
  double one_field_cpu_s = 0;
  std::size_t one_field_objects = 0;  // WriteResult, the largest of the runs
  std::uint64_t one_field_bytes = 0;
  std::size_t revlist_objects = 0;  // git rev-list --objects NEW ^OLD
  std::uint64_t revlist_bytes = 0;
  bool bound_ok = false;
  double diff_s = 0;
  std::size_t diff_ops = 0;
  double read_s = 0;
  double read_key_s = -1;  // keys: one key of the document
  // --cli: the same through the strata binary.
  double cli_one_field_s = -1, cli_diff_s = -1, cli_read_s = -1;
  // git on the same data.
  double git_import_s = -1, git_one_field_s = -1, git_diff_s = -1, git_read_s = -1;
  // The issue's peer: the file edited in a working tree, then `git commit -a`.
  double git_commit_a_s = -1;
  std::size_t git_one_field_objects = 0;
  std::uint64_t git_one_field_bytes = 0;
};

// Which items (documents or keys) the runs touch: spread over the range.
std::size_t Pick(std::size_t n, std::size_t i, std::size_t count) {
  return (i * 7919 + 1) * (n / std::max<std::size_t>(count, 1) + 1) % n;
}

// ---------------------------------------------------------------- git peer

// Timed imports of a state of `n` fields: --runs (at least 3) up to 100k,
// one above (a 1M-document import takes a minute).
int ImportRuns(const Options& opt, std::size_t n) {
  return n <= 100000 ? std::max(3, opt.runs) : 1;
}

// A bare git repository with the same data, changed with plumbing.
class GitPeer {
 public:
  explicit GitPeer(std::string dir) : dir_(std::move(dir)) {
    fs::remove_all(dir_);
    Shell("git init -q --bare -b main " + Quote(dir_) + " && git --git-dir=" + Quote(dir_) +
          " config core.fsync committed");  // strata fsyncs objects and refs too
  }
  const std::string& dir() const { return dir_; }
  std::string Git() const { return "git --git-dir=" + Quote(dir_) + " "; }

  // Imports `files` (path -> content) as one commit: the blobs with
  // fast-import (its stream is written first and not timed), then the index
  // and tree with update-index --index-info, write-tree and commit-tree.
  // (fast-import's own tree building scans a folder's entries for every file
  // added: quadratic, hours for 1M files in one folder.) Returns seconds.
  double Import(
      const std::function<void(const std::function<void(const std::string&, const std::string&)>&)>&
          each) {
    std::string stream_path = dir_ + ".stream", marks = dir_ + ".marks", info = dir_ + ".info";
    std::vector<std::string> paths;
    {
      std::ofstream s(stream_path, std::ios::binary);
      each([&](const std::string& path, const std::string& content) {
        paths.push_back(path);
        s << "blob\nmark :" << paths.size() << "\ndata " << content.size() << "\n"
          << content << "\n";
      });
    }
    double t = TimeShell(Git() + "fast-import --quiet --export-marks=" + Quote(marks) + " < " +
                         Quote(stream_path));
    {
      // marks: ":N id" -> index info: "100644 id\tpath"
      std::ifstream in(marks);
      std::ofstream o(info, std::ios::binary);
      std::string mark, id;
      while (in >> mark >> id)
        o << "100644 " << id << "\t" << paths[std::stoull(mark.substr(1)) - 1] << "\n";
    }
    // The index that plumbing commits edit, as a working tree's would be.
    std::string script =
        "set -e; export GIT_DIR=" + Quote(dir_) +
        " GIT_INDEX_FILE=" + Quote(dir_ + "/bench-index") +
        "; git update-index --add --index-info < " + Quote(info) +
        "; c=$(git commit-tree $(git write-tree) -m import); git update-ref refs/heads/main $c";
    t += TimeShell(
        "GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench "
        "GIT_COMMITTER_EMAIL=bench@example.com bash -c " +
        Quote(script));
    fs::remove(stream_path);
    fs::remove(marks);
    fs::remove(info);
    return t;
  }

  // Writes the files in `changes` (path -> content) and commits them with
  // plumbing. Only the git commands are timed. Returns {seconds, commit}.
  std::pair<double, std::string> Commit(
      const std::vector<std::pair<std::string, std::string>>& changes) {
    std::string script = "set -e; export GIT_DIR=" + Quote(dir_) +
                         " GIT_INDEX_FILE=" + Quote(dir_ + "/bench-index") + "; ";
    for (std::size_t i = 0; i < changes.size(); ++i) {
      std::string file = dir_ + ".change" + std::to_string(i);
      std::ofstream(file, std::ios::binary) << changes[i].second;
      script += "git update-index --add --cacheinfo 100644,$(git hash-object -w " + Quote(file) +
                ")," + Quote(changes[i].first) + "; ";
    }
    script +=
        "c=$(git commit-tree $(git write-tree) -p main -m change); git update-ref refs/heads/main "
        "$c; echo $c";
    std::string id;
    double t = TimeShell(
        "GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench "
        "GIT_COMMITTER_EMAIL=bench@example.com bash -c " +
            Quote(script),
        &id);
    for (std::size_t i = 0; i < changes.size(); ++i)
      fs::remove(dir_ + ".change" + std::to_string(i));
    return {t, id};
  }

 private:
  std::string dir_;
};

// The same data as files in a working tree, committed as people commit:
// the issue's "edit + git commit -a of the same files". `git commit -a`
// refreshes the index against every file's stat, which the plumbing of
// GitPeer::Commit skips: GitPeer is git's fastest path, this its usual one.
// It is a clone of GitPeer's repository (the same files; objects
// hard-linked, so no loose objects are written and removed: on this ext4
// without a journal, creating a file for minutes after many were removed
// scans their inodes, and git's timed commits would pay for it).
class GitWorktreePeer {
 public:
  GitWorktreePeer(std::string dir, const std::string& bare) : dir_(std::move(dir)) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    // Automatic gc off: git's would run detached, during the timed commits.
    Shell("git clone -q " + Quote(bare) + " " + Quote(dir_) + " && " + Git() +
          "config core.fsync committed && " + Git() + "config gc.auto 0");
  }
  std::string Git() const { return "git -C " + Quote(dir_) + " "; }
  // Writes the files in `changes` (untimed), then times `git commit -a`.
  double Commit(const std::vector<std::pair<std::string, std::string>>& changes) {
    for (const auto& [path, content] : changes) {
      std::ofstream(fs::path(dir_) / path, std::ios::binary | std::ios::trunc) << content;
    }
    return TimeShell(
        "GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench "
        "GIT_COMMITTER_EMAIL=bench@example.com " +
        Git() + "commit -q -a -m change");
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// Folders to remove when every measurement is done: removing a working
// tree of N files slows the file creation of whatever is timed next (see
// GitWorktreePeer).
std::vector<std::string>& RemoveAtExit() {
  static std::vector<std::string> dirs;
  return dirs;
}

// ---------------------------------------------------------------- scenarios

struct Scenario {
  // The documents of the state (docs: N of them; keys: one).
  std::vector<std::pair<std::string, json::value>> docs;
  // The document and pointer of item i (a document's counter, or a key).
  std::function<std::pair<std::string, JsonPointer>(std::size_t)> item;
  // git's layout: path -> file content for the whole state, and the files a
  // change of items (index -> new value) rewrites.
  std::function<void(const std::function<void(const std::string&, const std::string&)>&)> git_files;
  std::function<std::vector<std::pair<std::string, std::string>>(
      const std::vector<std::pair<std::size_t, json::value>>&)>
      git_change;
};

std::string GitPath(const std::string& id) { return id + ".json"; }

// One key per line, so git diffs it line by line as people keep JSON in git.
std::string PrettyKeys(const json::object& o) {
  std::vector<std::pair<std::string, const json::value*>> members;
  for (const auto& kv : o) members.emplace_back(std::string(kv.key()), &kv.value());
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "{\n";
  for (std::size_t i = 0; i < members.size(); ++i) {
    out += "  ";
    AppendJsonString(out, members[i].first);
    out += ": " + CanonicalJson(*members[i].second) + (i + 1 < members.size() ? ",\n" : "\n");
  }
  return out + "}\n";
}

Scenario MakeDocsScenario(const Options& opt, std::size_t n) {
  Scenario s;
  s.docs.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    s.docs.emplace_back(bench::DocId(i), bench::MakeDocument(opt.seed, i, opt.doc_shape));
  s.item = [](std::size_t i) { return std::make_pair(bench::DocId(i), JsonPointer({"n"})); };
  const auto* docs = &s.docs;
  s.git_files = [docs](const auto& put) {
    for (const auto& [id, v] : *docs) put(GitPath(id), CanonicalJson(v) + "\n");
  };
  s.git_change = [docs](const std::vector<std::pair<std::size_t, json::value>>& changes) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [i, v] : changes) {
      json::value doc = (*docs)[i].second;
      doc.get_object()["n"] = v;
      out.emplace_back(GitPath((*docs)[i].first), CanonicalJson(doc) + "\n");
    }
    return out;
  };
  return s;
}

Scenario MakeKeysScenario(const Options& opt, std::size_t n) {
  Scenario s;
  bench::DocShape shape;
  shape.keys = n;
  s.docs.emplace_back("big", bench::MakeDocument(opt.seed, 0, shape));
  s.item = [](std::size_t i) {
    return std::make_pair(std::string("big"), JsonPointer({bench::KeyName(i)}));
  };
  const auto* docs = &s.docs;
  s.git_files = [docs](const auto& put) {
    put("big.json", PrettyKeys((*docs)[0].second.get_object()));
  };
  // The file as git holds it now: changes accumulate, as they do in strata.
  auto current = std::make_shared<json::object>(s.docs[0].second.get_object());
  s.git_change = [current](const std::vector<std::pair<std::size_t, json::value>>& changes) {
    for (const auto& [i, v] : changes) (*current)[bench::KeyName(i)] = v;
    return std::vector<std::pair<std::string, std::string>>{{"big.json", PrettyKeys(*current)}};
  };
  return s;
}

Figures Run(const Options& opt, const std::string& name, std::size_t n) {
  std::cerr << "[" << name << " " << n << "] generating\n";
  Scenario sc = name == "docs" ? MakeDocsScenario(opt, n) : MakeKeysScenario(opt, n);
  Figures f;
  f.scenario = name;
  f.n = n;
  std::string base = opt.workdir + "/" + name + "-" + std::to_string(n);

  // --- import: a fresh repository each run; the last one is kept. Up to
  // 100k, the median of --runs (at least 3) after an untimed warm-up run;
  // git's import is run as often (below).
  const int import_runs = ImportRuns(opt, n);
  std::vector<double> times, cpu;
  std::unique_ptr<Repository> repo;
  for (int r = n <= 100000 ? -1 : 0; r < import_runs; ++r) {
    std::cerr << "[" << name << " " << n << "] import " << (r + 1) << "/" << import_runs << "\n";
    repo.reset();
    fs::remove_all(base);
    fs::create_directories(base);
    repo = Check(Repository::Init(base), "init " + base);
    auto docs = sc.docs;  // Import consumes its argument; copy outside the timing
    auto t = Clock::now();
    double c = CpuSeconds();
    WriteResult w = Check(repo->Import(std::move(docs), Opts(kFixedTime, "import")), "import");
    if (r < 0) continue;  // the warm-up
    times.push_back(Seconds(t));
    cpu.push_back(CpuSeconds() - c);
    f.import_objects = w.objects_written;
    f.import_bytes = w.bytes_written;
  }
  f.import_s = Median(times);
  f.import_cpu_s = Median(cpu);
  std::string git_dir = repo->path();
  std::tie(f.repo_objects, f.repo_disk_bytes) = RepoObjects(git_dir);

  // --- one-field versions.
  std::cerr << "[" << name << " " << n << "] one-field versions\n";
  times.clear();
  cpu.clear();
  std::string old_id, new_id;
  for (int r = 0; r < opt.runs; ++r) {
    auto [doc, ptr] = sc.item(Pick(n, r, opt.runs));
    old_id = Check(repo->ResolveRevision("HEAD"), "HEAD");
    auto t = Clock::now();
    double c = CpuSeconds();
    WriteResult w =
        Check(repo->Set(doc, ptr, json::value(1000000 + r), Opts(kFixedTime, "one field")), "set");
    times.push_back(Seconds(t));
    cpu.push_back(CpuSeconds() - c);
    new_id = w.version.id;
    f.one_field_objects = std::max(f.one_field_objects, w.objects_written);
    f.one_field_bytes = std::max(f.one_field_bytes, w.bytes_written);
  }
  f.one_field_s = Median(times);
  f.one_field_cpu_s = Median(cpu);
  std::tie(f.revlist_objects, f.revlist_bytes) = NewObjects(git_dir, old_id, new_id);
  f.bound_ok = f.revlist_objects <= kBoundObjects && f.revlist_bytes <= kBoundBytes &&
               f.one_field_objects <= kBoundObjects && f.one_field_bytes <= kBoundBytes;

  // --- a version that changes 10 fields, then diffs across it.
  std::cerr << "[" << name << " " << n << "] diff\n";
  std::vector<std::pair<std::size_t, json::value>> ten;
  Patch patch;
  std::string patch_doc = sc.item(0).first;
  for (std::size_t i = 0; i < kDiffFields; ++i) {
    std::size_t k = Pick(n, i + 100, kDiffFields);
    auto [doc, ptr] = sc.item(k);
    ten.emplace_back(k, json::value(2000000 + static_cast<std::int64_t>(i)));
    PatchOp op;
    op.kind = PatchOpKind::kReplace;
    op.path = name == "docs" ? JsonPointer({doc, "n"}) : ptr;
    op.value = ten.back().second;
    patch.push_back(std::move(op));
  }
  std::string before = Check(repo->ResolveRevision("HEAD"), "HEAD");
  WriteResult ten_w =
      Check(repo->Patch(name == "docs" ? std::nullopt : std::optional<std::string>(patch_doc),
                        patch, Opts(kFixedTime, "ten fields")),
            "patch");
  std::string after = ten_w.version.id;
  times.clear();
  for (int r = 0; r < opt.runs; ++r) {
    auto t = Clock::now();
    Snapshot a = Check(repo->Read(before), "read " + before);
    Snapshot b = Check(repo->Read(after), "read " + after);
    std::vector<Change> d = Check(a.DiffTo(b), "diff");
    times.push_back(Seconds(t));
    f.diff_ops = d.size();
  }
  f.diff_s = Median(times);

  // --- reads.
  std::cerr << "[" << name << " " << n << "] reads\n";
  times.clear();
  int reads = name == "docs" ? opt.runs * 4 + 1 : opt.runs;
  for (int r = 0; r < reads; ++r) {
    std::string doc = sc.item(Pick(n, r + 200, reads)).first;
    auto t = Clock::now();
    json::value v = Check(Check(repo->Read("HEAD"), "HEAD").Get(doc), "get " + doc);
    times.push_back(Seconds(t));
  }
  f.read_s = Median(times);
  if (name == "keys") {
    times.clear();
    for (int r = 0; r < opt.runs; ++r) {
      auto [doc, ptr] = sc.item(Pick(n, r + 300, opt.runs));
      auto t = Clock::now();
      json::value v =
          Check(Check(repo->Read("HEAD"), "HEAD").Get(doc, ptr), "get " + ptr.ToString());
      times.push_back(Seconds(t));
    }
    f.read_key_s = Median(times);
  }

  // --- the same through the strata binary.
  if (!opt.cli.empty()) {
    std::cerr << "[" << name << " " << n << "] cli\n";
    std::string strata = Quote(opt.cli) + " --repo " + Quote(git_dir) + " ";
    std::string env = "STRATA_AUTHOR='bench <bench@example.com>' ";
    times.clear();
    // A warm-up version, untimed, then the timed ones.
    for (int r = -1; r < opt.runs; ++r) {
      auto [doc, ptr] = sc.item(Pick(n, r + 401, opt.runs));
      if (r < 0) {
        Shell(env + strata + "set " + Quote(doc) + " " + Quote(ptr.ToString()) +
              " 2999999 -m warm-up >/dev/null");
        Settle(opt.workdir);
        continue;
      }
      times.push_back(TimeShell(env + strata + "set " + Quote(doc) + " " + Quote(ptr.ToString()) +
                                " " + std::to_string(3000000 + r) + " -m cli >/dev/null"));
    }
    f.cli_one_field_s = Median(times);
    times.clear();
    for (int r = 0; r < opt.runs; ++r) {
      times.push_back(
          TimeShell(strata + "diff " + before + " " + after + " --format patch >/dev/null"));
    }
    f.cli_diff_s = Median(times);
    times.clear();
    for (int r = 0; r < opt.runs; ++r) {
      std::string doc = sc.item(Pick(n, r + 500, opt.runs)).first;
      times.push_back(TimeShell(strata + "get " + Quote(doc) + " --compact >/dev/null"));
    }
    f.cli_read_s = Median(times);
  }
  repo.reset();

  // --- git on the same data.
  if (opt.git) {
    std::cerr << "[" << name << " " << n << "] git\n";
    // The import in a fresh repository each run, as strata's; the last is kept.
    std::vector<double> git_times;
    for (int r = n <= 100000 ? -1 : 0; r < import_runs - 1; ++r) {
      GitPeer warm(base + "-git");
      const double t = warm.Import(sc.git_files);
      if (r >= 0) git_times.push_back(t);
    }
    GitPeer git(base + "-git");
    git_times.push_back(git.Import(sc.git_files));
    f.git_import_s = Median(git_times);
    times.clear();
    std::string g_old = Trim(Shell(git.Git() + "rev-parse main")), g_new;
    // A warm-up commit, untimed, then the timed ones.
    for (int r = -1; r < opt.runs; ++r) {
      std::size_t k = Pick(n, r + 1, opt.runs);
      g_old = Trim(Shell(git.Git() + "rev-parse main"));
      auto [t, id] = git.Commit(sc.git_change({{k, json::value(1000000 + r)}}));
      if (r < 0) {
        Settle(opt.workdir);
        continue;
      }
      times.push_back(t);
      g_new = id;
    }
    f.git_one_field_s = Median(times);
    std::tie(f.git_one_field_objects, f.git_one_field_bytes) = NewObjects(git.dir(), g_old, g_new);
    std::string g_before = Trim(Shell(git.Git() + "rev-parse main"));
    std::string g_after = git.Commit(sc.git_change(ten)).second;
    times.clear();
    for (int r = 0; r < opt.runs; ++r) {
      times.push_back(
          TimeShell(git.Git() + "diff --stat " + g_before + " " + g_after + " >/dev/null"));
    }
    f.git_diff_s = Median(times);
    times.clear();
    for (int r = 0; r < opt.runs; ++r) {
      std::string path =
          name == "docs" ? GitPath(sc.item(Pick(n, r + 500, opt.runs)).first) : "big.json";
      times.push_back(TimeShell(git.Git() + "cat-file blob main:" + Quote(path) + " >/dev/null"));
    }
    f.git_read_s = Median(times);
    if (name == "docs" && n <= opt.commit_a_max) {
      std::cerr << "[" << name << " " << n << "] git commit -a\n";
      GitWorktreePeer tree(base + "-git-tree", git.dir());
      Settle(opt.workdir);
      times.clear();
      // A warm-up commit, untimed, then the timed ones.
      for (int r = -1; r < opt.runs; ++r) {
        const double t =
            tree.Commit(sc.git_change({{Pick(n, r + 601, opt.runs), json::value(4000000 + r)}}));
        if (r < 0) {
          Settle(opt.workdir);
          continue;
        }
        times.push_back(t);
      }
      f.git_commit_a_s = Median(times);
      if (!opt.keep) RemoveAtExit().push_back(tree.dir());
    }
    if (!opt.keep) fs::remove_all(git.dir());
  }
  if (!opt.keep) fs::remove_all(base);
  return f;
}

// ---------------------------------------------------------------- output

std::string Num(double v, int digits = 3) {
  if (v < 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}
std::string Ms(double s) { return s < 0 ? "-" : Num(s * 1000) + " ms"; }
std::string Secs(double s) { return s < 0 ? "-" : Num(s) + " s"; }
std::string Count(std::uint64_t v) {
  std::string s = std::to_string(v), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(s[i]);
  }
  return out;
}
std::string Bytes(std::uint64_t b) {
  if (b < 10 * 1024) return Count(b) + " B";
  if (b < 10 * 1024 * 1024) return Num(b / 1024.0) + " KiB";
  return Num(b / 1048576.0) + " MiB";
}
std::string Ratio(double peer, double ours) {
  if (peer < 0 || ours <= 0) return "-";
  return Num(peer / ours, 2) + "x";
}

void PrintMarkdown(const std::vector<Figures>& all, const Options& opt) {
  for (const std::string& sc : opt.scenarios) {
    std::cout << "\n### " << (sc == "docs" ? "N small documents" : "One document with N keys")
              << "\n\n"
              << "| N | import (CPU) | rate | objects written | repo objects | one-field version "
                 "(CPU) | objects, bytes "
                 "(WriteResult) | rev-list NEW ^OLD | bound | diff (10 fields) | read one doc"
              << (sc == "keys" ? " | read one key" : "") << " |\n"
              << "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | ---"
              << (sc == "keys" ? " | ---" : "") << " |\n";
    for (const Figures& f : all) {
      if (f.scenario != sc) continue;
      std::cout << "| " << Count(f.n) << " | " << Secs(f.import_s) << " (" << Secs(f.import_cpu_s)
                << ") | " << Count(static_cast<std::uint64_t>(f.n / f.import_s))
                << (sc == "docs" ? " docs/s" : " keys/s") << " | " << Count(f.import_objects)
                << " | " << Count(f.repo_objects) << " | " << Ms(f.one_field_s) << " ("
                << Ms(f.one_field_cpu_s) << ")"
                << " | " << f.one_field_objects << ", " << Bytes(f.one_field_bytes) << " | "
                << f.revlist_objects << ", " << Bytes(f.revlist_bytes) << " | "
                << (f.bound_ok ? "ok" : "**EXCEEDED**") << " | " << Ms(f.diff_s) << " ("
                << f.diff_ops << " ops) | " << Ms(f.read_s);
      if (sc == "keys") std::cout << " | " << Ms(f.read_key_s);
      std::cout << " |\n";
    }
  }
  bool peers = opt.git || !opt.cli.empty();
  if (!peers) return;
  std::cout << "\n### strata against git (each a process; ratio = git / strata, above 1x: strata "
               "is faster)\n\n"
            << "| state | N | import: strata / git | one field: strata CLI / git | git's objects, "
               "bytes | "
               "diff: strata CLI / git diff --stat | read: strata get / git cat-file |\n"
            << "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const Figures& f : all) {
    std::cout << "| " << f.scenario << " | " << Count(f.n) << " | " << Secs(f.import_s) << " / "
              << Secs(f.git_import_s) << " (" << Ratio(f.git_import_s, f.import_s) << ") | "
              << Ms(f.cli_one_field_s) << " / " << Ms(f.git_one_field_s) << " ("
              << Ratio(f.git_one_field_s, f.cli_one_field_s) << ") | " << f.git_one_field_objects
              << ", " << Bytes(f.git_one_field_bytes) << " | " << Ms(f.cli_diff_s) << " / "
              << Ms(f.git_diff_s) << " (" << Ratio(f.git_diff_s, f.cli_diff_s) << ") | "
              << Ms(f.cli_read_s) << " / " << Ms(f.git_read_s) << " ("
              << Ratio(f.git_read_s, f.cli_read_s) << ") |\n";
  }
  if (std::none_of(all.begin(), all.end(), [](const Figures& f) { return f.git_commit_a_s >= 0; }))
    return;
  std::cout << "\n### One field as people commit it: strata set against an edit + `git commit "
               "-a` in a working tree (ratio = git / strata)\n\n"
            << "| state | N | strata CLI set | git commit -a | ratio | git's fastest path "
               "(above) | ratio |\n"
            << "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const Figures& f : all) {
    if (f.git_commit_a_s < 0) continue;
    std::cout << "| " << f.scenario << " | " << Count(f.n) << " | " << Ms(f.cli_one_field_s)
              << " | " << Ms(f.git_commit_a_s) << " | "
              << Ratio(f.git_commit_a_s, f.cli_one_field_s) << " | " << Ms(f.git_one_field_s)
              << " | " << Ratio(f.git_one_field_s, f.cli_one_field_s) << " |\n";
  }
}

json::value ToJson(const Figures& f) {
  auto opt_num = [](double v) -> json::value {
    return v < 0 ? json::value(nullptr) : json::value(v);
  };
  return json::object{
      {"scenario", f.scenario},
      {"n", f.n},
      {"import_s", f.import_s},
      {"import_cpu_s", f.import_cpu_s},
      {"import_rate_per_s", f.n / f.import_s},
      {"import_objects_written", f.import_objects},
      {"import_bytes_written", f.import_bytes},
      {"repo_objects", f.repo_objects},
      {"repo_disk_bytes", f.repo_disk_bytes},
      {"one_field_s", f.one_field_s},
      {"one_field_cpu_s", f.one_field_cpu_s},
      {"one_field_objects_written", f.one_field_objects},
      {"one_field_bytes_written", f.one_field_bytes},
      {"revlist_new_objects", f.revlist_objects},
      {"revlist_new_bytes", f.revlist_bytes},
      {"bound_ok", f.bound_ok},
      {"diff_10_s", f.diff_s},
      {"diff_10_ops", f.diff_ops},
      {"read_doc_s", f.read_s},
      {"read_key_s", opt_num(f.read_key_s)},
      {"cli_one_field_s", opt_num(f.cli_one_field_s)},
      {"cli_diff_10_s", opt_num(f.cli_diff_s)},
      {"cli_read_doc_s", opt_num(f.cli_read_s)},
      {"git_import_s", opt_num(f.git_import_s)},
      {"git_one_field_s", opt_num(f.git_one_field_s)},
      {"git_one_field_objects", f.git_one_field_objects},
      {"git_one_field_bytes", f.git_one_field_bytes},
      {"git_diff_10_s", opt_num(f.git_diff_s)},
      {"git_read_doc_s", opt_num(f.git_read_s)},
      {"git_commit_a_s", opt_num(f.git_commit_a_s)},
  };
}

// The array scenario: one element changed, inserted, deleted in an array
// of `n` small objects. One row per edit.
struct ArrayFigures {
  std::string edit;
  std::size_t n = 0;
  std::size_t objects = 0;  // WriteResult
  std::uint64_t bytes = 0;
  std::size_t revlist_objects = 0;  // git rev-list --objects NEW ^OLD
  std::uint64_t revlist_bytes = 0;
  double seconds = 0;
  bool bound_ok = false;
};

std::vector<ArrayFigures> RunArray(const Options& opt, std::size_t n) {
  std::string base = opt.workdir + "/array-" + std::to_string(n);
  fs::remove_all(base);
  fs::create_directories(base);
  std::unique_ptr<Repository> repo = Check(Repository::Init(base), "init " + base);
  json::array a;
  a.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    a.push_back(
        json::object{{"id", static_cast<std::int64_t>(i)}, {"name", "item" + std::to_string(i)}});
  }
  std::cerr << "[array " << n << "] put\n";
  Check(repo->Put("list", json::value(std::move(a)), Opts(kFixedTime, "array")), "put");
  const std::string mid = std::to_string(n / 2);
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"change one element", R"([{"op":"replace","path":"/list/)" + mid + R"(/id","value":-1}])"},
      {"insert one element", R"([{"op":"add","path":"/list/)" + mid + R"(","value":{"id":-2}}])"},
      {"delete one element", R"([{"op":"remove","path":"/list/)" + mid + R"("}])"},
  };
  std::vector<ArrayFigures> out;
  for (const auto& [what, text] : edits) {
    std::cerr << "[array " << n << "] " << what << "\n";
    Patch patch = Check(ParsePatch(Check(ParseJson(text), "patch")), "patch");
    std::string old_id = Check(repo->ResolveRevision("HEAD"), "HEAD");
    auto t = Clock::now();
    WriteResult w = Check(repo->Patch(std::nullopt, patch, Opts(kFixedTime, what)), what);
    ArrayFigures f;
    f.seconds = Seconds(t);
    f.edit = what;
    f.n = n;
    f.objects = w.objects_written;
    f.bytes = w.bytes_written;
    std::tie(f.revlist_objects, f.revlist_bytes) = NewObjects(repo->path(), old_id, w.version.id);
    f.bound_ok = f.objects <= kBoundObjects && f.bytes <= kBoundBytes &&
                 f.revlist_objects <= kBoundObjects && f.revlist_bytes <= kBoundBytes;
    out.push_back(f);
  }
  repo.reset();
  if (!opt.keep) fs::remove_all(base);
  return out;
}

std::vector<std::size_t> ParseSizes(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t mult = 1;
    if (!item.empty() && (item.back() == 'k' || item.back() == 'K'))
      mult = 1000, item.pop_back();
    else if (!item.empty() && (item.back() == 'm' || item.back() == 'M'))
      mult = 1000000, item.pop_back();
    try {
      std::size_t v = std::stoull(item) * mult;
      if (v < 100) throw std::invalid_argument("too small");
      out.push_back(v);
    } catch (const std::exception&) {
      Die("--sizes: '" + item + "' is not a size of at least 100 (e.g. 10k,100k,1m)");
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string sizes = "10k,100k,1m", scenarios = "docs,keys";
  po::options_description options("strata_bench options");
  options.add_options()("help,h", "print this help")(
      "sizes", po::value(&sizes)->default_value(sizes), "state sizes in fields, e.g. 10k,100k,1m")(
      "scenarios", po::value(&scenarios)->default_value(scenarios),
      "docs, keys, array (one N-element array: one element changed, inserted, deleted)")(
      "runs", po::value(&opt.runs)->default_value(opt.runs),
      "runs of each cheap measurement (median)")(
      "workdir", po::value(&opt.workdir)->default_value(opt.workdir),
      "where repositories are made")(
      "doc-size", po::value(&opt.doc_shape.size)->default_value(opt.doc_shape.size),
      "bytes per document (docs)")("seed", po::value(&opt.seed)->default_value(opt.seed),
                                   "data set seed")(
      "cli", po::value(&opt.cli), "the strata binary: also time set/diff/get as processes")(
      "no-git", "skip the git peer")(
      "commit-a-max", po::value(&opt.commit_a_max)->default_value(opt.commit_a_max),
      "largest N (docs) also committed from a working tree with `git commit -a`")(
      "keep", "keep the repositories in --workdir")("json", po::value(&opt.json_path),
                                                    "also write the figures as JSON to this file");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("help")) {
      std::cout << "usage: strata_bench [options]\n\n" << options;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "strata_bench: error: " << e.what() << "\n";
    return 2;
  }
  opt.sizes = ParseSizes(sizes);
  opt.git = !vm.count("no-git");
  opt.keep = vm.count("keep") > 0;
  opt.runs = std::max(1, opt.runs);
  opt.scenarios.clear();
  for (const char* s : {"docs", "keys", "array"}) {
    if (scenarios.find(s) != std::string::npos) opt.scenarios.push_back(s);
  }
  if (opt.scenarios.empty()) Die("--scenarios must name docs, keys or array");
  if (!opt.cli.empty()) opt.cli = fs::absolute(opt.cli).string();
  fs::create_directories(opt.workdir);

  std::vector<Figures> all;
  std::vector<ArrayFigures> arrays;
  for (const std::string& sc : opt.scenarios) {
    for (std::size_t n : opt.sizes) {
      if (sc == "array") {
        for (ArrayFigures& f : RunArray(opt, n)) arrays.push_back(std::move(f));
        continue;
      }
      all.push_back(Run(opt, sc, n));
      // Each row as soon as it is measured, so a long run that fails later
      // keeps what it found.
      std::cerr << "[" << sc << " " << n << "] " << FormatJson(ToJson(all.back()), FormatOptions{0})
                << "\n";
    }
  }
  if (!all.empty()) PrintMarkdown(all, opt);
  if (!arrays.empty()) {
    std::cout
        << "\n| array of N objects | edit | objects (WriteResult) | bytes | rev-list NEW ^OLD "
           "| bound (32 objects, 256 KiB) | time |\n| --- | --- | --- | --- | --- | --- | --- |\n";
    for (const ArrayFigures& f : arrays) {
      std::cout << "| " << Count(f.n) << " | " << f.edit << " | " << f.objects << " | "
                << Bytes(f.bytes) << " | " << f.revlist_objects << ", " << Bytes(f.revlist_bytes)
                << " | " << (f.bound_ok ? "met" : "NOT met") << " | " << Ms(f.seconds) << " |\n";
    }
  }
  if (!opt.json_path.empty()) {
    json::array arr;
    for (const Figures& f : all) arr.push_back(ToJson(f));
    std::ofstream(opt.json_path) << FormatJson(json::object{{"results", arr}}, FormatOptions{0})
                                 << "\n";
  }
  for (const std::string& dir : RemoveAtExit()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  bool ok =
      std::all_of(all.begin(), all.end(), [](const Figures& f) { return f.bound_ok; }) &&
      std::all_of(arrays.begin(), arrays.end(), [](const ArrayFigures& f) { return f.bound_ok; });
  if (!ok)
    std::cerr << "strata_bench: a one-field version exceeded the bound of 32 objects / 256 KiB\n";
  return ok ? 0 : 1;
}
