// Tests for the version index (repo/version_index.h): its records survive a
// round trip and damage, and walks give the same results with it as without
// it, over a generated history with branches, merges and labels.
#include "repo/version_index.h"

#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <random>

#include "strata/json.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

ObjectId Id(unsigned char fill) {
  ObjectId id;
  for (unsigned char& b : id.bytes) b = fill;
  return id;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Records of every shape: a root, one parent, a merge, labels, many documents.
std::vector<VersionRecord> SampleRecords() {
  std::vector<VersionRecord> out;
  VersionRecord root;
  root.id = Id(1);
  root.time = 1700000000;
  root.state = Id(0xa1);
  root.many_docs = true;
  out.push_back(root);
  VersionRecord one;
  one.id = Id(2);
  one.time = -5;  // before 1970: times are signed
  one.state = Id(0xa2);
  one.parents = {Id(1)};
  one.labels = {IndexHash("a"), IndexHash("b")};
  std::sort(one.labels.begin(), one.labels.end());
  one.docs = {IndexHash("doc/0")};
  out.push_back(one);
  VersionRecord merge;
  merge.id = Id(3);
  merge.time = 1700000002;
  merge.state = Id(0xa3);
  merge.parents = {Id(2), Id(1)};
  out.push_back(merge);  // changed nothing from its first parent
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string dir = (fs::temp_directory_path() / "strata-vindex-test-XXXXXX").string();
    if (!mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string File() const { return dir_ + "/version-index"; }

 private:
  std::string dir_;
};

// Sets STRATA_VERSION_INDEX for one scope.
class IndexMode {
 public:
  explicit IndexMode(bool on) {
    if (on) {
      unsetenv("STRATA_VERSION_INDEX");
    } else {
      setenv("STRATA_VERSION_INDEX", "off", 1);
    }
  }
  ~IndexMode() { unsetenv("STRATA_VERSION_INDEX"); }
};

std::string Describe(const VersionInfo& v) {
  std::string s = v.id + " <" + v.author.name + "> " + std::to_string(v.time) + " [" + v.message +
                  "] state " + v.state_id + " parents";
  for (const auto& p : v.parents) s += " " + p;
  s += " labels";
  for (const auto& l : v.labels) s += " " + l;
  s += " added";
  for (const auto& l : v.added_labels) s += " " + l;
  return s;
}

std::string Describe(const LogEntry& e) {
  std::string s = Describe(e.version) + " #" + std::to_string(e.doc_version);
  for (const Change& c : e.changes) {
    s += "\n    " + c.op.Describe() + " " + CanonicalJson(c.op.value);
    if (c.old_value) s += " was " + CanonicalJson(*c.old_value);
  }
  return s + "\n";
}

template <typename T>
std::string Describe(const Result<std::vector<T>>& r) {
  if (!r.ok()) return "error: " + r.status().message();
  std::string s = std::to_string(r->size()) + " versions\n";
  for (const T& e : *r) s += Describe(e);
  return s;
}

std::string Name(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

// A history with a branch merged back twice, removals, equal times, labels
// of both kinds, written through the library.
class GeneratedHistory : public RepoFixture {
 public:
  GeneratedHistory() {
    std::mt19937 rng(11);
    std::int64_t t = 1700000000;
    auto opts = [&](const std::string& who, const std::string& message,
                    std::vector<std::string> labels, std::optional<std::string> branch) {
      CommitOptions o = By(who, t);
      if (rng() % 4 != 0) ++t;  // some versions share a time
      o.message = message;
      o.labels = std::move(labels);
      o.branch = std::move(branch);
      return o;
    };
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 12; ++i) {
        const std::string doc = Name("d", static_cast<int>(rng() % 6));
        std::vector<std::string> labels;
        if (rng() % 3 == 0) labels.push_back("a");
        if (rng() % 4 == 0) labels.push_back("b");
        const std::string who = rng() % 2 ? "ann" : "bob";
        Result<WriteResult> w =
            rng() % 9 == 0 && round > 0
                ? repo().Remove(doc, std::nullopt, opts(who, "rm " + doc, labels, std::nullopt))
                : repo().Set(doc, JsonPointer::Parse(rng() % 3 ? "/v" : "/w").value(),
                             static_cast<std::int64_t>(rng() % 5),
                             opts(who, "set " + doc, labels, std::nullopt));
        if (!w.ok() && w.status().code() != Code::kNotFound &&
            w.status().code() != Code::kUnchanged) {
          throw std::runtime_error(w.status().message());
        }
      }
      if (round == 0) {
        BOOST_REQUIRE(repo().CreateBranch("side", "HEAD~4").ok());
      }
      for (int i = 0; i < 5; ++i) {
        const std::string doc = Name("d", static_cast<int>(3 + rng() % 4));
        BOOST_REQUIRE(repo()
                          .Set(doc, JsonPointer::Parse("/s").value(), i + round * 10,
                               opts("carl", "side " + doc, {i % 2 ? "a" : "s"}, "side"))
                          .ok());
      }
      MergeRequest m;
      m.no_ff = true;
      m.strategy = MergeStrategy::kTheirs;
      m.commit = opts("dan", "merge side", {"m"}, std::nullopt);
      BOOST_REQUIRE(repo().Merge("side", m).ok());
    }
    for (const char* rev : {"HEAD~2", "HEAD~7", "side~1"}) {
      LabelOptions lo;
      lo.author = Signature{"ann", "ann@example.com"};
      lo.time = t;
      BOOST_REQUIRE(repo().AddLabels(rev, {"added"}, lo).ok());
    }
  }

  std::string IndexFile() { return repo().path() + "/version-index"; }
};

std::vector<std::pair<std::string, LogOptions>> LogCases() {
  std::vector<std::pair<std::string, LogOptions>> out;
  auto add = [&](const std::string& rev, auto edit) {
    LogOptions o;
    edit(o);
    out.emplace_back(rev, o);
  };
  for (const char* rev : {"HEAD", "side", "HEAD~3", "side..HEAD", "HEAD...side", "HEAD~9..side"}) {
    add(rev, [](LogOptions&) {});
    add(rev, [](LogOptions& o) { o.docs = {"d0"}; });
    add(rev, [](LogOptions& o) { o.docs = {"d3", "d5"}; });
    add(rev, [](LogOptions& o) { o.docs = {"never"}; });
    add(rev, [](LogOptions& o) { o.paths = {{"d4", JsonPointer::Parse("/s").value()}}; });
    add(rev, [](LogOptions& o) { o.paths = {{"d1", JsonPointer::Parse("/w").value()}}; });
    add(rev, [](LogOptions& o) { o.labels = {"a"}; });
    add(rev, [](LogOptions& o) { o.labels = {"a", "b"}; });
    add(rev, [](LogOptions& o) {
      o.labels = {"a", "b"};
      o.all_labels = true;
    });
    add(rev, [](LogOptions& o) { o.labels = {"added"}; });
    add(rev, [](LogOptions& o) {
      o.labels = {"added", "m"};
      o.all_labels = true;
    });
    add(rev, [](LogOptions& o) {
      o.labels = {"a"};
      o.docs = {"d2", "d4"};
    });
    add(rev, [](LogOptions& o) {
      o.author = "bob";
      o.docs = {"d1"};
    });
    add(rev, [](LogOptions& o) { o.grep = "^side"; });
    add(rev, [](LogOptions& o) {
      o.since = 1700000010;
      o.until = 1700000030;
      o.docs = {"d5"};
    });
    add(rev, [](LogOptions& o) {
      o.docs = {"d2"};
      o.max_count = 2;
      o.reverse = true;
    });
    add(rev, [](LogOptions& o) {
      o.docs = {"d3"};
      o.changes = true;
    });
  }
  return out;
}

// Every Log, LogEntries and History case, described.
std::string RunAll(Repository& repo) {
  std::string s;
  for (const auto& [rev, o] : LogCases()) {
    s += "== log " + rev + "\n" + Describe(repo.LogEntries(rev, o));
    s += Describe(repo.Log(rev, o));
  }
  for (int d = 0; d < 7; ++d) {
    for (const char* pointer : {"", "/v", "/s"}) {
      for (const char* rev : {"HEAD", "side", "HEAD~5"}) {
        HistoryOptions h;
        h.rev = rev;
        h.changes = d % 2 == 0;
        if (d == 3) h.max_count = 1;
        s += "== history " + Name("d", d) + pointer + " " + rev + "\n" +
             Describe(repo.History(Name("d", d), JsonPointer::Parse(pointer).value(), h));
      }
    }
  }
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(version_index)

BOOST_AUTO_TEST_CASE(records_round_trip) {
  TempDir dir;
  std::string data;
  for (const VersionRecord& r : SampleRecords()) data += EncodeVersionRecord(r);
  WriteAll(dir.File(), data);
  VersionIndex index(dir.File());
  BOOST_TEST(index.size() == 3u);
  BOOST_TEST(index.damaged_bytes() == 0u);
  for (const VersionRecord& r : SampleRecords()) {
    const VersionRecord* found = index.Find(r.id);
    BOOST_REQUIRE(found);
    BOOST_TEST((*found == r));
  }
  BOOST_TEST(!index.Find(Id(9)));
  // What the records answer.
  const VersionRecord& one = *index.Find(Id(2));
  BOOST_TEST(one.HasLabel(IndexHash("a")));
  BOOST_TEST(!one.HasLabel(IndexHash("c")));
  BOOST_TEST(one.MayHaveChanged(IndexHash("doc/0")));
  BOOST_TEST(!one.MayHaveChanged(IndexHash("doc/1")));
  BOOST_TEST(index.Find(Id(1))->MayHaveChanged(IndexHash("anything")));
  BOOST_TEST(!index.Find(Id(3))->MayHaveChanged(IndexHash("doc/0")));
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_an_empty_index_and_save_creates_it) {
  TempDir dir;
  VersionIndex index(dir.File());
  BOOST_TEST(index.size() == 0u);
  for (const VersionRecord& r : SampleRecords()) index.Add(r);
  BOOST_TEST(index.pending() == 3u);
  BOOST_TEST(index.Save().ok());
  BOOST_TEST(index.pending() == 0u);
  BOOST_TEST(VersionIndex(dir.File()).size() == 3u);
  // Nothing pending: nothing written.
  BOOST_TEST(index.Save().ok());
  BOOST_TEST(ReadAll(dir.File()).size() == EncodeVersionRecord(SampleRecords()[0]).size() +
                                               EncodeVersionRecord(SampleRecords()[1]).size() +
                                               EncodeVersionRecord(SampleRecords()[2]).size());
}

BOOST_AUTO_TEST_CASE(damage_is_skipped_and_rewritten) {
  const std::vector<VersionRecord> records = SampleRecords();
  std::string whole;
  std::vector<std::size_t> starts;
  for (const VersionRecord& r : records) {
    starts.push_back(whole.size());
    whole += EncodeVersionRecord(r);
  }
  struct Case {
    std::string what;
    std::string data;
    std::vector<int> kept;  // indexes into records
  };
  std::string flipped_middle = whole;
  flipped_middle[starts[1] + 30] ^= 0x01;
  std::string flipped_magic = whole;
  flipped_magic[starts[2]] ^= 0x40;
  std::string garbage_between =
      whole.substr(0, starts[1]) + "\x53\x56\x49\x31zzzz" + whole.substr(starts[1]);
  const std::vector<Case> cases = {
      {"torn tail", whole.substr(0, whole.size() - 5), {0, 1}},
      {"torn in the header", whole.substr(0, starts[2] + 3), {0, 1}},
      {"a flipped byte in the middle record", flipped_middle, {0, 2}},
      {"a flipped magic", flipped_magic, {0, 1}},
      {"garbage between records", garbage_between, {0, 1, 2}},
      {"a torn append followed by a whole one",
       whole.substr(0, starts[2] - 4) + EncodeVersionRecord(records[2]),
       {0, 2}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      TempDir dir;
      WriteAll(dir.File(), c.data);
      VersionIndex index(dir.File());
      BOOST_TEST(index.size() == c.kept.size());
      BOOST_TEST(index.damaged_bytes() > 0u);
      for (int k : c.kept) BOOST_TEST(index.Find(records[k].id));
      // A walk adds what it lacks; the file is written whole again.
      for (const VersionRecord& r : records) index.Add(r);
      BOOST_TEST(index.Save().ok());
      VersionIndex again(dir.File());
      BOOST_TEST(again.size() == 3u);
      BOOST_TEST(again.damaged_bytes() == 0u);
      for (const VersionRecord& r : records) {
        BOOST_TEST((again.Find(r.id) && *again.Find(r.id) == r));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(duplicate_records_are_ignored) {
  TempDir dir;
  const std::vector<VersionRecord> records = SampleRecords();
  std::string data = EncodeVersionRecord(records[0]) + EncodeVersionRecord(records[1]) +
                     EncodeVersionRecord(records[0]) + EncodeVersionRecord(records[1]) +
                     EncodeVersionRecord(records[2]);
  WriteAll(dir.File(), data);
  VersionIndex index(dir.File());
  BOOST_TEST(index.size() == 3u);
  BOOST_TEST(index.damaged_bytes() == 0u);
  index.Add(records[1]);  // known: not pending again
  BOOST_TEST(index.pending() == 0u);
  // Two appenders of the same record: both appends are kept, one is read.
  VersionIndex a(dir.File() + "2"), b(dir.File() + "2");
  a.Add(records[2]);
  b.Add(records[2]);
  BOOST_TEST(a.Save().ok());
  BOOST_TEST(b.Save().ok());
  VersionIndex both(dir.File() + "2");
  BOOST_TEST(both.size() == 1u);
  BOOST_TEST((*both.Find(records[2].id) == records[2]));
}

BOOST_FIXTURE_TEST_CASE(walks_give_the_same_results_with_and_without_the_index, GeneratedHistory) {
  std::string without;
  {
    IndexMode off(false);
    without = RunAll(repo());
    BOOST_TEST(!fs::exists(IndexFile()));  // off: not even built
  }
  // The cases are not vacuous: filters keep some versions and drop others.
  BOOST_TEST(without.find("error") == std::string::npos);
  BOOST_TEST(without.rfind("== log HEAD\n", 0) == 0u);
  BOOST_TEST(without.rfind("== log HEAD\n0 versions", 0) != 0u);
  std::size_t empty = 0, cases = 0;
  for (std::size_t at = without.find("== "); at != std::string::npos;
       at = without.find("== ", at + 1)) {
    ++cases;
    if (without.compare(without.find('\n', at) + 1, 10, "0 versions") == 0) ++empty;
  }
  BOOST_TEST(empty * 4 < cases);
  // Built by the walks (cold), then read (warm).
  BOOST_TEST(RunAll(repo()) == without);
  BOOST_REQUIRE(fs::exists(IndexFile()));
  const std::string built = ReadAll(IndexFile());
  const std::size_t built_count = VersionIndex(IndexFile()).size();
  BOOST_TEST(built_count > 40u);
  BOOST_TEST(RunAll(repo()) == without);
  BOOST_TEST(ReadAll(IndexFile()) == built);  // warm: nothing appended
  // Damaged in the middle and torn at the end: the same, and repaired.
  std::string damaged = built;
  damaged[damaged.size() / 2] ^= 0x10;
  damaged.resize(damaged.size() - 7);
  WriteAll(IndexFile(), damaged);
  BOOST_TEST(RunAll(repo()) == without);
  VersionIndex repaired(IndexFile());
  BOOST_TEST(repaired.damaged_bytes() == 0u);
  BOOST_TEST(repaired.size() == built_count);
  // Only part of the history indexed (a walk that stopped early).
  fs::remove(IndexFile());
  LogOptions two;
  two.max_count = 2;
  BOOST_REQUIRE(repo().Log("HEAD~6", two).ok());
  BOOST_TEST(VersionIndex(IndexFile()).size() < 20u);
  BOOST_TEST(RunAll(repo()) == without);
  // Verify finds nothing wrong with an index the walks wrote. (It does find
  // the notes commits of the added labels, which have no state tree: not
  // the index's business.)
  VerifyReport report = repo().Verify().value();
  for (const std::string& p : report.problems) {
    BOOST_TEST(p.find("version index") == std::string::npos, p);
  }
}

BOOST_FIXTURE_TEST_CASE(a_missing_parent_still_fails_the_walk_naming_it, RepoFixture) {
  for (int i = 0; i < 6; ++i) {
    BOOST_REQUIRE(repo().Set("d", JsonPointer::Parse("/v").value(), i, By("ann", 1000 + i)).ok());
    BOOST_REQUIRE(repo().Set("e", JsonPointer::Parse("/v").value(), i, By("ann", 2000 + i)).ok());
  }
  BOOST_REQUIRE(repo().Log("HEAD", {}).ok());  // every version indexed
  BOOST_REQUIRE(VersionIndex(repo().path() + "/version-index").size() == 12u);
  const std::string parent = repo().ResolveRevision("HEAD~4").value();
  const std::string id = parent;
  // Strata writes packs: unpack them into loose objects (as git leaves them)
  // and read through a new Repository (an open one still maps the packs).
  BOOST_REQUIRE(testing::UnpackPacks(repo().path()));
  BOOST_REQUIRE(fs::remove(repo().path() + "/objects/" + id.substr(0, 2) + "/" + id.substr(2)));
  std::unique_ptr<Repository> fresh = Repository::Open(dir()).value();
  LogOptions label;
  label.labels = {"none"};
  LogOptions doc;
  doc.docs = {"d"};
  for (const LogOptions& o : {LogOptions(), label, doc}) {
    Result<std::vector<VersionInfo>> log = fresh->Log("HEAD", o);
    BOOST_TEST(!log.ok());
    BOOST_TEST(log.status().message().find(parent) != std::string::npos, log.status().message());
  }
  // History skips the versions that did not touch "e" without reading them,
  // but not the existence of their parents.
  Result<std::vector<LogEntry>> e = fresh->History("e", JsonPointer(), {});
  BOOST_TEST(!e.ok());
  Result<std::vector<LogEntry>> d = fresh->History("d", JsonPointer(), {});
  BOOST_TEST(!d.ok());
}

BOOST_FIXTURE_TEST_CASE(verify_names_an_entry_that_contradicts_its_commit, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("e", J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Log("HEAD", {}).ok());
  const std::string file = repo().path() + "/version-index";
  const std::string head = repo().ResolveRevision("HEAD").value();
  VersionIndex index(file);
  BOOST_REQUIRE(index.size() == 2u);
  ObjectId head_id;
  BOOST_REQUIRE(git_oid_fromstr(AsGit(head_id), head.c_str()) == 0);
  VersionRecord lie = *index.Find(head_id);
  BOOST_TEST(lie.MayHaveChanged(IndexHash("e")));
  BOOST_TEST(!lie.MayHaveChanged(IndexHash("d")));
  lie.docs = {IndexHash("d")};
  // Checksummed as a whole record: only verify can tell it lies.
  std::string data;
  for (const VersionRecord& r : index.records())
    data += EncodeVersionRecord(r.id == head_id ? lie : r);
  WriteAll(file, data);
  VerifyReport report = repo().Verify().value();
  BOOST_REQUIRE(report.problems.size() == 1u);
  BOOST_TEST(report.problems[0].find("version index") != std::string::npos, report.problems[0]);
  BOOST_TEST(report.problems[0].find(head) != std::string::npos, report.problems[0]);
  BOOST_TEST(report.problems[0].find("changed documents") != std::string::npos, report.problems[0]);
  fs::remove(file);
  BOOST_TEST(repo().Verify().value().problems.empty());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
