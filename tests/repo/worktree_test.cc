// Tests for strata/worktree.h: working folders through the library.
#include "strata/worktree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "strata/export.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A repository with three documents and a working folder of it.
struct FolderFixture : RepoFixture {
  FolderFixture() {
    BOOST_REQUIRE(repo().Put("config/app1", J(R"({"name":"app1","db":{"pool":5}})"), By("a")).ok());
    BOOST_REQUIRE(repo().Put("config/app2", J(R"({"name":"app2"})"), By("a")).ok());
    BOOST_REQUIRE(repo().Put("users/u1", J(R"({"name":"Ann"})"), By("a")).ok());
    folder = dir() + "/wt";
    Result<std::unique_ptr<Worktree>> w = Worktree::Add(repo(), folder, {});
    BOOST_REQUIRE_MESSAGE(w.ok(), w.status().message());
    wt = std::move(w).value();
  }
  WorktreeStatus Status() {
    Result<WorktreeStatus> s = wt->ReadStatus();
    BOOST_REQUIRE_MESSAGE(s.ok(), s.status().message());
    return *s;
  }
  std::string folder;
  std::unique_ptr<Worktree> wt;
};

using Ids = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(worktree)

BOOST_FIXTURE_TEST_CASE(add_writes_the_files_and_the_record, FolderFixture) {
  BOOST_TEST(Slurp(folder + "/config/app2.json") == "{\n  \"name\": \"app2\"\n}\n");
  BOOST_TEST(wt->record().branch == "main");
  BOOST_TEST(wt->record().base == repo().ResolveRevision("main").value());
  BOOST_TEST(fs::is_regular_file(folder + "/.strata"));
  BOOST_TEST(Status().clean());
  // Discover from a sub-folder opens the repository the record names.
  Result<std::unique_ptr<Repository>> found = Repository::Discover(folder + "/config");
  BOOST_REQUIRE(found.ok());
  BOOST_TEST((*found)->path() == repo().path());
  BOOST_TEST(Worktree::Find(folder + "/config").value() == folder);
  BOOST_TEST(!Worktree::Find(dir()).has_value());
}

// Each edit, and what status says of it.
BOOST_AUTO_TEST_CASE(status_table) {
  struct Case {
    std::string name;
    std::function<void(const std::string& dir)> edit;
    Ids created, modified, deleted;
    std::vector<std::string> invalid_files;
    std::string first_error;  // a prefix of the first invalid file's error
  } cases[] = {
      {"nothing", [](const std::string&) {}, {}, {}, {}, {}, ""},
      {"reformatted",
       [](const std::string& d) {
         WriteText(d + "/config/app1.json", R"({"db": {"pool": 5}, "name":"app1"})");
       },
       {},
       {},
       {},
       {},
       ""},
      {"changed",
       [](const std::string& d) {
         WriteText(d + "/config/app1.json", R"({"db": {"pool": 6}, "name":"app1"})");
       },
       {},
       {"config/app1"},
       {},
       {},
       ""},
      {"created and deleted",
       [](const std::string& d) {
         WriteText(d + "/users/u2.json", R"({"name":"Bob"})");
         fs::remove(d + "/users/u1.json");
       },
       {"users/u2"},
       {},
       {"users/u1"},
       {},
       ""},
      {"bad json",
       [](const std::string& d) { WriteText(d + "/config/app2.json", "{\n  \"name\": \n}\n"); },
       {},
       {},
       {},
       {"config/app2.json"},
       "config/app2.json:3:1: "},
      {"bad id",
       [](const std::string& d) { WriteText(d + "/a b.json", "{}"); },
       {},
       {},
       {},
       {"a b.json"},
       "invalid document id 'a b'"},
      {"hidden, not json, a link: not documents",
       [](const std::string& d) {
         WriteText(d + "/.hidden.json", "{}");
         WriteText(d + "/notes.txt", "x");
         fs::create_symlink(d + "/config/app2.json", d + "/alias.json");
       },
       {},
       {},
       {},
       {},
       ""},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      FolderFixture f;
      c.edit(f.folder);
      WorktreeStatus s = f.Status();
      BOOST_TEST(s.created == c.created, boost::test_tools::per_element());
      BOOST_TEST(s.modified == c.modified, boost::test_tools::per_element());
      BOOST_TEST(s.deleted == c.deleted, boost::test_tools::per_element());
      std::vector<std::string> files;
      for (const InvalidFile& i : s.invalid) files.push_back(i.file);
      BOOST_TEST(files == c.invalid_files, boost::test_tools::per_element());
      if (!c.first_error.empty() && !s.invalid.empty()) {
        BOOST_TEST(s.invalid[0].error.rfind(c.first_error, 0) == 0, s.invalid[0].error);
      }
    }
  }
}

BOOST_FIXTURE_TEST_CASE(status_reads_again_only_changed_files, FolderFixture) {
  Status();  // the first look may read files whose stat is racy
  WriteText(folder + "/config/app1.json", R"({"db":{"pool":7},"name":"app1"})");
  WorktreeStatus s = Status();
  BOOST_TEST(s.files_read == 1u);
  BOOST_TEST(s.modified == Ids{"config/app1"}, boost::test_tools::per_element());
  // Same size, mtime put back: the ctime still tells.
  struct stat before {};
  BOOST_REQUIRE(::stat((folder + "/config/app1.json").c_str(), &before) == 0);
  WriteText(folder + "/config/app1.json", R"({"db":{"pool":5},"name":"app1"})");
  const timespec times[2] = {before.st_atim, before.st_mtim};
  BOOST_REQUIRE(::utimensat(AT_FDCWD, (folder + "/config/app1.json").c_str(), times, 0) == 0);
  BOOST_TEST(Status().clean());
}

BOOST_FIXTURE_TEST_CASE(commit_writes_the_changes_and_moves_the_base, FolderFixture) {
  WriteText(folder + "/config/app1.json", R"({"db":{"pool":8},"name":"app1"})");
  WriteText(folder + "/users/u2.json", R"({"name":"Bob"})");
  fs::remove(folder + "/users/u1.json");
  CommitOptions o = By("b");
  o.message = "edit in the folder";
  o.labels = {"folder"};
  Result<WorktreeCommit> c = wt->Commit(o);
  BOOST_REQUIRE_MESSAGE(c.ok(), c.status().message());
  BOOST_TEST(!c->merged);
  BOOST_TEST(c->created == 1u);
  BOOST_TEST(c->modified == 1u);
  BOOST_TEST(c->deleted == 1u);
  BOOST_TEST(c->version.id == repo().ResolveRevision("main").value());
  BOOST_TEST(wt->record().base == c->version.id);
  BOOST_TEST(Get("config/app1", "HEAD", P("/db/pool")).value() == json::value(8));
  BOOST_TEST((Get("users/u1").status().code() == Code::kNotFound));
  BOOST_TEST(Status().clean());
  // Nothing more to commit.
  BOOST_TEST((wt->Commit(o).status().code() == Code::kUnchanged));
}

BOOST_FIXTURE_TEST_CASE(commit_refuses_invalid_files_and_writes_nothing, FolderFixture) {
  const std::string head = repo().ResolveRevision("main").value();
  WriteText(folder + "/config/app1.json", R"({"db":{"pool":8},"name":"app1"})");
  WriteText(folder + "/broken.json", "{");
  Result<WorktreeCommit> c = wt->Commit(By("b"));
  BOOST_TEST((c.status().code() == Code::kInvalidArgument));
  BOOST_TEST(c.status().message().find("broken.json:1:2") != std::string::npos,
             c.status().message());
  BOOST_TEST(repo().ResolveRevision("main").value() == head);
}

BOOST_FIXTURE_TEST_CASE(commit_after_the_branch_moved_merges, FolderFixture) {
  BOOST_REQUIRE(repo().Set("config/app2", P("/name"), json::value("two"), By("a")).ok());
  WriteText(folder + "/config/app1.json", R"({"db":{"pool":9},"name":"app1"})");
  Result<WorktreeCommit> c = wt->Commit(By("b"));
  BOOST_REQUIRE_MESSAGE(c.ok(), c.status().message());
  BOOST_TEST(c->merged);
  BOOST_TEST((c->merge.kind == MergeOutcome::Kind::kMerged));
  BOOST_TEST(Get("config/app2", "HEAD", P("/name")).value() == json::value("two"));
  BOOST_TEST(Get("config/app1", "HEAD", P("/db/pool")).value() == json::value(9));
  BOOST_TEST(Slurp(folder + "/config/app2.json") == "{\n  \"name\": \"two\"\n}\n");
  BOOST_TEST(wt->record().base == repo().ResolveRevision("main").value());
  BOOST_TEST(Status().clean());
}

BOOST_FIXTURE_TEST_CASE(commit_conflict_then_continue_follows_the_branch, FolderFixture) {
  BOOST_REQUIRE(repo().Set("config/app1", P("/db/pool"), json::value(1), By("a")).ok());
  WriteText(folder + "/config/app1.json", R"({"db":{"pool":2},"name":"app1"})");
  const std::string base = wt->record().base;
  Result<WorktreeCommit> c = wt->Commit(By("b"));
  BOOST_REQUIRE_MESSAGE(c.ok(), c.status().message());
  BOOST_TEST((c->merge.kind == MergeOutcome::Kind::kConflicts));
  BOOST_TEST(wt->record().base == base);  // the folder waits for the merge
  ResolveRequest r;
  r.take = ResolveRequest::Take::kTheirs;
  BOOST_REQUIRE(repo().Resolve(r).ok());
  BOOST_REQUIRE(repo().ContinueMerge(By("b")).ok());
  Result<WorktreeUpdate> u = wt->FollowBranch();
  BOOST_REQUIRE_MESSAGE(u.ok(), u.status().message());
  BOOST_TEST(Get("config/app1", "HEAD", P("/db/pool")).value() == json::value(2));
  BOOST_TEST(wt->record().base == repo().ResolveRevision("main").value());
  BOOST_TEST(Status().clean());
}

BOOST_FIXTURE_TEST_CASE(switch_refuses_to_lose_changes, FolderFixture) {
  BOOST_REQUIRE(repo().CreateBranch("dev").ok());
  CommitOptions o = By("a");
  o.branch = "dev";
  BOOST_REQUIRE(repo().Set("config/app1", P("/db/pool"), json::value(3), o).ok());
  WriteText(folder + "/config/app1.json", R"({"db":{"pool":4},"name":"app1"})");
  Result<WorktreeUpdate> refused = wt->Switch("dev", false);
  BOOST_TEST((refused.status().code() == Code::kConflict));
  BOOST_TEST(refused.status().message().find("config/app1.json") != std::string::npos);
  BOOST_TEST(wt->record().branch == "main");
  BOOST_REQUIRE(wt->Restore({"config/app1"}, false).ok());
  Result<WorktreeUpdate> ok = wt->Switch("dev", false);
  BOOST_REQUIRE_MESSAGE(ok.ok(), ok.status().message());
  BOOST_TEST(ok->written == 1u);
  BOOST_TEST(wt->record().branch == "dev");
  BOOST_TEST(repo().CurrentBranch() == "main");  // HEAD did not move
  BOOST_TEST(Status().clean());
}

BOOST_FIXTURE_TEST_CASE(remove_refuses_changes_and_keeps_foreign_files, FolderFixture) {
  WriteText(folder + "/users/u2.json", R"({"name":"Bob"})");
  WriteText(folder + "/README", "mine");
  BOOST_TEST((Worktree::Remove(repo(), folder, false).status().code() == Code::kConflict));
  wt.reset();
  fs::remove(folder + "/users/u2.json");
  Result<WorktreeRemoval> r = Worktree::Remove(repo(), folder, false);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
  BOOST_TEST(r->removed == 3u);
  BOOST_TEST(r->left == Ids{"README"}, boost::test_tools::per_element());
  BOOST_TEST(!fs::exists(folder + "/.strata"));
  BOOST_TEST(!fs::exists(folder + "/config"));
  BOOST_TEST(Worktree::List(repo()).value().empty());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
