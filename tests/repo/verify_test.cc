// Tests for Repository::Verify and history reads on broken repositories:
// every ref and every reachable version is checked, and no read passes a
// partial history off as whole.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

std::string LooseFile(const std::string& git_dir, const std::string& id) {
  return git_dir + "/objects/" + id.substr(0, 2) + "/" + id.substr(2);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// The problems, one per line, for test messages.
std::string Joined(const VerifyReport& r) {
  std::string s;
  for (const auto& p : r.problems) s += p + "\n";
  return s;
}

bool Mentions(const VerifyReport& r, const std::string& a, const std::string& b = "") {
  for (const auto& p : r.problems) {
    if (p.find(a) != std::string::npos && p.find(b) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(verify)

BOOST_FIXTURE_TEST_CASE(a_missing_parent_fails_verify_and_log, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("d", J("2"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("d", J("3"), By("ann")).ok());
  const std::string parent = repo().ResolveRevision("HEAD~1").value();
  const std::string head = repo().ResolveRevision("HEAD").value();
  BOOST_REQUIRE(testing::UnpackPacks(repo().path()));
  BOOST_REQUIRE(fs::remove(LooseFile(repo().path(), parent)));
  std::unique_ptr<Repository> fresh = Repository::Open(dir()).value();

  VerifyReport r = fresh->Verify().value();
  BOOST_TEST(Mentions(r, "version " + head + ": its parent " + parent + " is missing"), Joined(r));
  Result<std::vector<VersionInfo>> log = fresh->Log("HEAD", {});
  BOOST_TEST(!log.ok());
  BOOST_TEST(log.status().message().find(parent) != std::string::npos, log.status().message());
  // A read of a version that is there still works.
  BOOST_TEST(CanonicalJson(Get("d").value()) == "3");
}

BOOST_FIXTURE_TEST_CASE(every_ref_is_checked, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  const std::string git = repo().path();
  BOOST_TEST(repo().Verify().value().problems.empty());
  const std::string blob = Get("d").ok() ? Show("HEAD")->state_id : "";

  struct Case {
    const char* name;
    std::string file;
    std::string text;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"garbage in a branch", "refs/heads/main", "garbage\n",
       "ref refs/heads/main does not hold a version id: 'garbage'"},
      {"a ref to a missing object", "refs/heads/gone", "1234567890123456789012345678901234567890\n",
       "ref refs/heads/gone names 1234567890123456789012345678901234567890, which is missing"},
      {"a ref to a tree", "refs/tags/tree", blob + "\n", "a tree, not a version"},
      {"garbage in HEAD", "HEAD", "nonsense", "ref HEAD does not hold a version id"},
      {"HEAD to a bad name", "HEAD", "ref: refs/heads/a..b\n", "not a valid ref name"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const std::string path = git + "/" + c.file;
      std::ifstream in(path, std::ios::binary);
      std::string saved((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      bool existed = in.good() || !saved.empty();
      WriteFile(path, c.text);
      VerifyReport r = repo().Verify().value();
      BOOST_TEST(Mentions(r, c.expect), Joined(r));
      if (existed)
        WriteFile(path, saved);
      else
        fs::remove(path);
    }
  }
  BOOST_TEST(repo().Verify().value().problems.empty(), Joined(repo().Verify().value()));
}

BOOST_FIXTURE_TEST_CASE(leftovers_of_interrupted_writes_are_notes, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  const std::string tmp = repo().path() + "/objects/pack/pack_git2_abc123";
  WriteFile(tmp, "partial");
  VerifyReport r = repo().Verify().value();
  // A note, not a problem: it is part of no version (a killed writer leaves
  // a repository that verifies).
  BOOST_TEST(r.problems.empty(), Joined(r));
  BOOST_REQUIRE_EQUAL(r.notes.size(), 1u);
  BOOST_TEST(r.notes[0].find("temporary file " + tmp) != std::string::npos, r.notes[0]);
  BOOST_TEST(r.notes[0].find("rm '" + tmp + "'") != std::string::npos, r.notes[0]);
  fs::remove(tmp);
  // strata's own write lock is no leftover: the kernel releases it.
  BOOST_TEST(fs::exists(repo().path() + "/strata.lock"));
  BOOST_TEST(repo().Verify().value().problems.empty());
  BOOST_TEST(repo().Verify().value().notes.empty());
}

// Regression: a version whose delta could not be read was reported as
// "version X: version X: ...", since the delta's own error already named it.
// The objects here are all intact, so the check reaches the delta replay.
BOOST_FIXTURE_TEST_CASE(problems_name_each_version_once, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open_bare(&raw, repo().path().c_str()) == 0);
  RepositoryPtr git(raw);
  // HEAD's tree with a delta.zst that is a sound blob but no zstd frame.
  const char garbage[] = "not a zstd frame";
  git_oid blob;
  BOOST_REQUIRE(git_blob_create_from_buffer(&blob, raw, garbage, sizeof garbage - 1) == 0);
  git_object* head_tree = nullptr;
  BOOST_REQUIRE(git_revparse_single(&head_tree, raw, "HEAD^{tree}") == 0);
  ObjectPtr head_tree_owner(head_tree);
  git_treebuilder* tb = nullptr;
  BOOST_REQUIRE(git_treebuilder_new(&tb, raw, reinterpret_cast<git_tree*>(head_tree)) == 0);
  BOOST_REQUIRE(git_treebuilder_insert(nullptr, tb, "delta.zst", &blob, GIT_FILEMODE_BLOB) == 0);
  git_oid tree_id;
  BOOST_REQUIRE(git_treebuilder_write(&tree_id, tb) == 0);
  git_treebuilder_free(tb);
  git_tree* tree = nullptr;
  BOOST_REQUIRE(git_tree_lookup(&tree, raw, &tree_id) == 0);
  TreePtr tree_owner(tree);
  git_signature* sig = nullptr;
  BOOST_REQUIRE(git_signature_new(&sig, "mallory", "m@example.com", 1700000000, 0) == 0);
  SignaturePtr sig_owner(sig);
  git_oid forged;
  BOOST_REQUIRE(git_commit_create(&forged, raw, "refs/heads/forged", sig, sig, nullptr, "forged",
                                  tree, 0, nullptr) == 0);
  const std::string id = FromGit(forged).Hex();

  VerifyReport r = repo().Verify().value();
  BOOST_REQUIRE_MESSAGE(r.problems.size() == 1u, Joined(r));
  const std::string& p = r.problems[0];
  BOOST_TEST(p.rfind("version " + id + ": ", 0) == 0u, p);
  BOOST_TEST(p.find(id, id.size() + 8) == std::string::npos, p);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
