// Tests for Repository::Verify and history reads on broken repositories:
// every ref and every reachable version is checked, and no read passes a
// partial history off as whole.
#include <boost/test/unit_test.hpp>
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
  BOOST_REQUIRE(fs::remove(LooseFile(repo().path(), parent)));

  VerifyReport r = repo().Verify().value();
  BOOST_TEST(Mentions(r, "version " + head + ": its parent " + parent + " is missing"), Joined(r));
  Result<std::vector<VersionInfo>> log = repo().Log("HEAD", {});
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

BOOST_FIXTURE_TEST_CASE(leftovers_of_interrupted_writes_are_reported, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  const std::string tmp = repo().path() + "/objects/pack/pack_git2_abc123";
  WriteFile(tmp, "partial");
  VerifyReport r = repo().Verify().value();
  BOOST_TEST(Mentions(r, "temporary file " + tmp, "rm '" + tmp + "'"), Joined(r));
  fs::remove(tmp);
  // strata's own write lock is no leftover: the kernel releases it.
  BOOST_TEST(fs::exists(repo().path() + "/strata.lock"));
  BOOST_TEST(repo().Verify().value().problems.empty());
}

BOOST_FIXTURE_TEST_CASE(problems_name_each_version_once, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann")).ok());
  const std::string head = repo().ResolveRevision("HEAD").value();
  // Replace the delta with garbage: the commit's tree still names it.
  Snapshot s = repo().Read("HEAD").value();
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open_bare(&raw, repo().path().c_str()) == 0);
  RepositoryPtr git(raw);
  git_object* delta = nullptr;
  BOOST_REQUIRE(git_revparse_single(&delta, raw, "HEAD:delta.zst") == 0);
  const std::string delta_id = ObjectId(*git_object_id(delta)).Hex();
  git_object_free(delta);
  // A valid loose object with the wrong content type for a delta: rewrite
  // it as a blob whose bytes are not zstd. Its id no longer matches, so the
  // object check reports it first; that report names it once.
  const std::string file = LooseFile(repo().path(), delta_id);
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  WriteFile(file, "not zlib");
  VerifyReport r = repo().Verify().value();
  BOOST_TEST(Mentions(r, "object " + delta_id), Joined(r));
  for (const auto& p : r.problems) {
    std::size_t first = p.find("version ");
    BOOST_TEST((first == std::string::npos || p.find("version ", first + 1) == std::string::npos),
               p);
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
