// strata.formatVersion: new repositories are format 4 (array nodes, 16-way
// shards); a format-1 repository keeps being written without array nodes, a
// format-2 one with 256-way shards; a newer format than this build knows is
// refused on open; upgrade re-encodes either as a new repository would.
#include <git2.h>
#include <stdio.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "objects/tree_codec.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

#define CHECK_OK(expr)                                              \
  do {                                                              \
    const auto& checked_ = (expr);                                  \
    BOOST_TEST_REQUIRE(checked_.ok(), checked_.status().message()); \
  } while (0)

std::string Run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  if (status != 0) out += "(exit " + std::to_string(status) + ")";
  return out;
}

std::string GitDir(const RepoFixture& f) { return f.dir() + "/.strata"; }

void SetFormat(const std::string& git_dir, int version) {
  git_config* raw = nullptr;
  BOOST_TEST_REQUIRE(git_config_open_ondisk(&raw, (git_dir + "/config").c_str()) == 0);
  ConfigPtr cfg(raw);
  BOOST_TEST_REQUIRE(git_config_set_int32(raw, "strata.formatVersion", version) == 0);
}

// 1000 small objects: about 12 KiB of JSON, past kBlobMaxBytes.
json::value BigArray() {
  json::array a;
  for (int i = 0; i < 1000; ++i) a.push_back(json::object{{"id", i}});
  return json::value(std::move(a));
}

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(format_version)

BOOST_FIXTURE_TEST_CASE(new_repositories_are_format_4_with_array_nodes, RepoFixture) {
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' config strata.formatVersion") == "4\n");
  CHECK_OK(repo().Put("big", BigArray(), By("ann")));
  CHECK_OK(repo().Put("small", J("[1,2]"), By("ann")));
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' ls-tree --name-only HEAD:state") ==
             "big%[\nsmall\n");
  BOOST_TEST(Equal(Get("big").value(), BigArray()));
  BOOST_TEST(Get("big", "HEAD", JsonPointer::Parse("/999/id").value()).value() == json::value(999));
  std::string fsck = Run("git --git-dir='" + GitDir(*this) + "' fsck --strict 2>&1");
  BOOST_TEST(fsck.find("error") == std::string::npos, fsck);
  BOOST_TEST(fsck.find("warning") == std::string::npos, fsck);
  BOOST_TEST(fsck.find("exit") == std::string::npos, fsck);
}

BOOST_FIXTURE_TEST_CASE(format_1_keeps_large_arrays_in_blobs, RepoFixture) {
  SetFormat(GitDir(*this), 1);
  Result<std::unique_ptr<Repository>> v1 = Repository::Open(dir());
  CHECK_OK(v1);
  CHECK_OK((*v1)->Put("big", BigArray(), By("ann")));
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' ls-tree HEAD:state | cut -f2") == "big\n");
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' cat-file -t HEAD:state/big") == "blob\n");
  // An edit inside it keeps it a blob, and it reads back.
  CHECK_OK((*v1)->Set("big", JsonPointer::Parse("/3/id").value(), json::value(-3), By("ann")));
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' cat-file -t HEAD:state/big") == "blob\n");
  json::value expected = BigArray();
  expected.get_array()[3].get_object()["id"] = -3;
  Result<Snapshot> snap = (*v1)->Read("HEAD");
  CHECK_OK(snap);
  BOOST_TEST(Equal(snap->Get("big").value(), expected));
}

BOOST_FIXTURE_TEST_CASE(newer_formats_are_refused_on_open, RepoFixture) {
  struct Case {
    int version;
    bool opens;
  };
  for (const Case& c : std::vector<Case>{
           {1, true}, {2, true}, {3, true}, {4, true}, {5, false}, {99, false}, {0, false}}) {
    BOOST_TEST_CONTEXT("formatVersion " << c.version) {
      SetFormat(GitDir(*this), c.version);
      Result<std::unique_ptr<Repository>> r = Repository::Open(dir());
      BOOST_TEST(r.ok() == c.opens);
      if (!r.ok() && c.version > kFormatVersion) {
        BOOST_TEST((r.status().code() == Code::kInvalidArgument));
        BOOST_TEST(r.status().message().find("format version " + std::to_string(c.version)) !=
                       std::string::npos,
                   r.status().message());
      }
    }
  }
}

// A document whose large array sits inside a large object.
json::value Nested() {
  json::object o;
  o["list"] = BigArray();
  o["pad"] = std::string(3000, 'p');
  return json::value(std::move(o));
}

std::string RevParse(const std::string& git_dir, const std::string& rev) {
  return Run("git --git-dir='" + git_dir + "' rev-parse '" + rev + "'");
}

BOOST_FIXTURE_TEST_CASE(upgrade_reencodes_every_branch_as_a_new_repository_would, RepoFixture) {
  SetFormat(GitDir(*this), 1);
  std::unique_ptr<Repository> v1 = std::move(Repository::Open(dir())).value();
  CHECK_OK(v1->Put("big", BigArray(), By("ann")));
  CHECK_OK(v1->Put("nested", Nested(), By("ann")));
  CHECK_OK(v1->Put("small", J("[1,2]"), By("ann")));
  CHECK_OK(v1->CreateBranch("other"));
  CHECK_OK(v1->Put("small", J("[3]"), By("ann")));
  CHECK_OK(v1->CreateBranch("old", "HEAD~3"));  // only "big": one document to re-encode
  const std::string main_before = RevParse(GitDir(*this), "main");
  const std::string other_before = RevParse(GitDir(*this), "other");

  // A dry run writes nothing.
  UpgradeOptions dry;
  dry.dry_run = true;
  dry.commit = By("upgrader");
  Result<UpgradeReport> planned = v1->Upgrade(dry);
  CHECK_OK(planned);
  BOOST_TEST(planned->from_version == 1);
  BOOST_TEST(planned->to_version == 4);
  BOOST_TEST_REQUIRE(planned->branches.size() == 3u);
  for (const auto& b : planned->branches) {
    BOOST_TEST_CONTEXT(b.name) {
      BOOST_TEST(b.documents == (b.name == "old" ? 1u : 2u));
      BOOST_TEST(b.rewritten);
      BOOST_TEST(!b.version.has_value());
    }
  }
  BOOST_TEST(RevParse(GitDir(*this), "main") == main_before);
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' config strata.formatVersion") == "1\n");
  // Still format 1 after the dry run: writes keep arrays in blobs.
  CHECK_OK(v1->Set("big", JsonPointer::Parse("/0/id").value(), json::value(-1), By("ann")));
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' cat-file -t main:state/big") == "blob\n");

  UpgradeOptions options;
  options.commit = By("upgrader");
  Result<UpgradeReport> done = v1->Upgrade(options);
  CHECK_OK(done);
  BOOST_TEST_REQUIRE(done->branches.size() == 3u);
  for (const auto& b : done->branches) {
    BOOST_TEST_CONTEXT(b.name) {
      BOOST_TEST_REQUIRE(b.version.has_value());
      BOOST_TEST(RevParse(GitDir(*this), b.name) == *b.version + "\n");
    }
  }
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' config strata.formatVersion") == "4\n");
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' log -1 --format=%s other") ==
             "upgrade to format 4\n");
  BOOST_TEST(RevParse(GitDir(*this), "other~1") == other_before);
  // The same documents, and an empty diff across the upgrade.
  BOOST_TEST(Equal(State("other").value(), State("other~1").value()));
  BOOST_TEST(Diff("main~1", "main").value().empty());

  // The same states as a new (format 4) repository gives for them.
  const std::string fresh = dir() + "/fresh";
  std::unique_ptr<Repository> v2 = std::move(Repository::Init(fresh)).value();
  CHECK_OK(v2->Put("big", BigArray(), By("ann")));
  CHECK_OK(v2->Put("nested", Nested(), By("ann")));
  CHECK_OK(v2->Put("small", J("[1,2]"), By("ann")));
  BOOST_TEST(RevParse(fresh + "/.strata", "HEAD:state") == RevParse(GitDir(*this), "other:state"));

  // The repository now writes array nodes; upgrading again does nothing.
  Result<std::unique_ptr<Repository>> reopened = Repository::Open(dir());
  CHECK_OK(reopened);
  CHECK_OK((*reopened)->Put("more", BigArray(), By("ann")));
  BOOST_TEST(Run("git --git-dir='" + GitDir(*this) + "' cat-file -t main:state/more%[") ==
             "tree\n");
  Result<UpgradeReport> again = (*reopened)->Upgrade(options);
  CHECK_OK(again);
  BOOST_TEST(again->from_version == 4);
  BOOST_TEST(again->branches.empty());
  std::string fsck = Run("git --git-dir='" + GitDir(*this) + "' fsck --strict 2>&1");
  BOOST_TEST(fsck.find("error") == std::string::npos, fsck);
  BOOST_TEST(fsck.find("exit") == std::string::npos, fsck);
}

// 300 documents and one of 200 members (~3 KB): flat nodes in format 2
// (at most 512 members), sharded 16 ways in format 3 (past 128).
void PutWide(Repository& repo, const CommitOptions& by) {
  std::vector<std::pair<std::string, json::value>> docs;
  for (int i = 0; i < 300; ++i) docs.emplace_back("d" + std::to_string(i), json::value(i));
  json::object wide;
  for (int i = 0; i < 200; ++i) wide["member-" + std::to_string(i)] = i;
  docs.emplace_back("wide", std::move(wide));
  BOOST_TEST_REQUIRE(repo.Import(docs, by).ok());
}

BOOST_FIXTURE_TEST_CASE(format_2_keeps_256_way_shards_until_upgraded, RepoFixture) {
  SetFormat(GitDir(*this), 2);
  std::unique_ptr<Repository> v2 = std::move(Repository::Open(dir())).value();
  PutWide(*v2, By("ann"));
  auto first_name = [&](const std::string& tree) {
    std::string out = Run("git --git-dir='" + GitDir(*this) + "' ls-tree --name-only " + tree);
    return out.substr(0, out.find('\n'));
  };
  // Format 2: both nodes flat, and a write keeps them so.
  CHECK_OK(v2->Set("wide", JsonPointer::Parse("/member-7").value(), json::value(-7), By("ann")));
  BOOST_TEST(first_name("main:state")[0] != '.');
  BOOST_TEST(first_name("main:state/wide")[0] != '.');
  const std::string before = RevParse(GitDir(*this), "main");

  UpgradeOptions options;
  options.commit = By("upgrader");
  Result<UpgradeReport> done = v2->Upgrade(options);
  CHECK_OK(done);
  BOOST_TEST(done->from_version == 2);
  BOOST_TEST(done->to_version == 4);
  BOOST_TEST_REQUIRE(done->branches.size() == 1u);
  BOOST_TEST(done->branches[0].documents == 1u);  // "wide"; the rest are small blobs
  BOOST_TEST(done->branches[0].rewritten);
  BOOST_TEST(RevParse(GitDir(*this), "main~1") == before);
  // 16-way shards: buckets named by one hex digit, state and metadata alike.
  BOOST_TEST(first_name("main:state").size() == 2u);
  BOOST_TEST(
      first_name("main:state/" + BucketName(KeyHash("wide"), 0, kNibbleShards) + "/wide").size() ==
      2u);
  BOOST_TEST(first_name("main:meta").size() == 2u);
  BOOST_TEST(Diff("main~1", "main").value().empty());
  BOOST_TEST(Equal(State("main").value(), State("main~1").value()));

  // The same state as a new repository writes for the same documents.
  const std::string fresh = dir() + "/fresh";
  std::unique_ptr<Repository> v3 = std::move(Repository::Init(fresh)).value();
  PutWide(*v3, By("ann"));
  CHECK_OK(v3->Set("wide", JsonPointer::Parse("/member-7").value(), json::value(-7), By("ann")));
  BOOST_TEST(RevParse(fresh + "/.strata", "HEAD:state") == RevParse(GitDir(*this), "main:state"));

  // Diffs and history across the upgrade see only real changes.
  Result<std::unique_ptr<Repository>> reopened = Repository::Open(dir());
  CHECK_OK(reopened);
  CHECK_OK((*reopened)->Put("d5", json::value(55), By("ann")));
  Result<std::vector<Change>> across = Diff("main~2", "main");
  CHECK_OK(across);
  BOOST_TEST_REQUIRE(across->size() == 1u);
  BOOST_TEST(across->front().doc == "d5");
  std::string fsck = Run("git --git-dir='" + GitDir(*this) + "' fsck --strict 2>&1");
  BOOST_TEST(fsck.find("error") == std::string::npos, fsck);
  BOOST_TEST(fsck.find("exit") == std::string::npos, fsck);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
