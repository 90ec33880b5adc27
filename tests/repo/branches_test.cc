// Branches: Repository::Branches, CreateBranch, DeleteBranch, SwitchBranch,
// and the RefTransaction moves they make (delete, create-only, symbolic HEAD).
#include <git2.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "objects/git.h"
#include "repo/refs.h"
#include "repo/test_access.h"
#include "repo/transaction.h"
#include "strata/repository.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

JsonPointer P(const char* text) { return JsonPointer::Parse(text).value(); }

// What git itself says, through a second libgit2 handle on the same folder.
struct Git {
  explicit Git(const std::string& path) {
    git_repository* raw = nullptr;
    BOOST_REQUIRE(git_repository_open(&raw, path.c_str()) == 0);
    repo.reset(raw);
  }
  std::string Head() {
    git_reference* raw = nullptr;
    BOOST_REQUIRE(git_reference_lookup(&raw, repo.get(), "HEAD") == 0);
    ReferencePtr ref(raw);
    const char* target = git_reference_symbolic_target(raw);
    return target ? target : "(detached)";
  }
  std::string Ref(const std::string& name) {
    std::optional<ObjectId> id = ReadRef(repo.get(), name).value();
    return id ? id->Hex() : "(absent)";
  }
  RepositoryPtr repo;
};

// "name version-or-none current ahead behind" per branch.
std::vector<std::string> Listing(Repository& repo) {
  std::vector<std::string> out;
  const std::vector<BranchInfo> branches = repo.Branches().value();
  for (const BranchInfo& b : branches) {
    out.push_back(b.name + " " + (b.version ? b.version->substr(0, 7) : "none") + " " +
                  (b.current ? "*" : "-") + " +" + std::to_string(b.ahead) + " -" +
                  std::to_string(b.behind));
  }
  return out;
}

using Lines = std::vector<std::string>;

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(branches)

BOOST_FIXTURE_TEST_CASE(listing_before_the_first_version, RepoFixture) {
  BOOST_TEST(Listing(repo()) == (Lines{"main none * +0 -0"}), boost::test_tools::per_element());
  Result<BranchInfo> b = repo().CreateBranch("x");
  BOOST_REQUIRE(!b.ok());
  BOOST_TEST((b.status().code() == Code::kNotFound));
  BOOST_TEST(b.status().message() == "branch 'main' has no versions yet");
}

BOOST_FIXTURE_TEST_CASE(create_list_ahead_behind, RepoFixture) {
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  const std::string v1 = repo().ResolveRevision("HEAD").value();
  Result<BranchInfo> feat = repo().CreateBranch("feat");
  BOOST_REQUIRE(feat.ok());
  BOOST_TEST(*feat->version == v1);
  BOOST_TEST(!feat->current);
  // Two versions on feat, one on main.
  CommitOptions on_feat = By("bob");
  on_feat.branch = "feat";
  BOOST_REQUIRE(repo().Set("d", P("/b"), J("2"), on_feat).ok());
  BOOST_REQUIRE(repo().Set("d", P("/c"), J("3"), on_feat).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("9"), By("ann")).ok());
  const std::string f = repo().ResolveRevision("feat").value().substr(0, 7);
  const std::string m = repo().ResolveRevision("main").value().substr(0, 7);
  BOOST_TEST(Listing(repo()) == (Lines{"feat " + f + " - +2 -1", "main " + m + " * +0 -0"}),
             boost::test_tools::per_element());
  Git git(repo().path());
  BOOST_TEST(git.Ref("refs/heads/feat").substr(0, 7) == f);

  // START is any revision.
  Result<BranchInfo> old = repo().CreateBranch("old", "main~1");
  BOOST_REQUIRE(old.ok());
  BOOST_TEST(*old->version == v1);
  BOOST_TEST(old->ahead == 0u);
  BOOST_TEST(old->behind == 1u);
}

BOOST_FIXTURE_TEST_CASE(create_refuses_existing_and_invalid_names, RepoFixture) {
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("ann")).ok());
  BOOST_REQUIRE(repo().CreateBranch("x", "HEAD~1").ok());
  Result<BranchInfo> again = repo().CreateBranch("x");
  BOOST_TEST((again.status().code() == Code::kConflict));
  BOOST_TEST(again.status().message().find("branch 'x' already exists") == 0u,
             again.status().message());
  // -f moves it.
  Result<BranchInfo> moved = repo().CreateBranch("x", "HEAD", true);
  BOOST_REQUIRE(moved.ok());
  BOOST_TEST(*moved->version == repo().ResolveRevision("main").value());
  // but never the current branch.
  Result<BranchInfo> current = repo().CreateBranch("main", "HEAD~1", true);
  BOOST_TEST((current.status().code() == Code::kConflict));
  for (const char* bad : {"a..b", "HEAD", "-x", "a b", "x.lock", "a~1", "", "a:b"}) {
    Result<BranchInfo> r = repo().CreateBranch(bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST((r.status().code() == Code::kInvalidArgument));
      BOOST_TEST(r.status().message().find("invalid branch name '" + std::string(bad) + "'") == 0u);
    }
  }
  Result<BranchInfo> nowhere = repo().CreateBranch("y", "nope");
  BOOST_TEST((nowhere.status().code() == Code::kNotFound));
  BOOST_TEST(Listing(repo()).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(delete_merged_unmerged_and_current, RepoFixture) {
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().CreateBranch("merged").ok());
  BOOST_REQUIRE(repo().CreateBranch("feat").ok());
  CommitOptions on_feat = By("bob");
  on_feat.branch = "feat";
  BOOST_REQUIRE(repo().Set("d", P("/b"), J("2"), on_feat).ok());
  BOOST_REQUIRE(repo().Set("d", P("/b"), J("3"), on_feat).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("ann")).ok());  // main moves on

  Result<BranchInfo> gone = repo().DeleteBranch("merged");
  BOOST_REQUIRE(gone.ok());
  BOOST_TEST(gone->name == "merged");
  Git git(repo().path());
  BOOST_TEST(git.Ref("refs/heads/merged") == "(absent)");

  const std::string feat = repo().ResolveRevision("feat").value();
  Result<BranchInfo> refused = repo().DeleteBranch("feat");
  BOOST_TEST((refused.status().code() == Code::kConflict));
  BOOST_TEST(refused.status().message() ==
             "branch 'feat' is not merged into 'main': deleting it would lose 2 versions (use -D "
             "to delete it anyway)");
  BOOST_TEST(git.Ref("refs/heads/feat") == feat);

  Result<BranchInfo> self = repo().DeleteBranch("main", true);
  BOOST_TEST((self.status().code() == Code::kConflict));
  BOOST_TEST(self.status().message() ==
             "cannot delete branch 'main': it is the current branch (switch to another first)");

  Result<BranchInfo> forced = repo().DeleteBranch("feat", true);
  BOOST_REQUIRE(forced.ok());
  BOOST_TEST(*forced->version == feat);
  BOOST_TEST(forced->ahead == 2u);
  BOOST_TEST(git.Ref("refs/heads/feat") == "(absent)");

  Result<BranchInfo> missing = repo().DeleteBranch("feat");
  BOOST_TEST((missing.status().code() == Code::kNotFound));
  BOOST_TEST(missing.status().message() == "no branch 'feat'");
}

BOOST_FIXTURE_TEST_CASE(switch_moves_head_symbolically, RepoFixture) {
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().CreateBranch("feat").ok());
  Git git(repo().path());

  Result<SwitchResult> s = repo().SwitchBranch("feat");
  BOOST_REQUIRE(s.ok());
  BOOST_TEST(s->previous == "main");
  BOOST_TEST(s->branch.name == "feat");
  BOOST_TEST(s->branch.current);
  BOOST_TEST(!s->created);
  BOOST_TEST(s->changed);
  BOOST_TEST(git.Head() == "refs/heads/feat");
  BOOST_TEST(repo().CurrentBranch() == "feat");
  // Writes now go to feat.
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("ann")).ok());
  BOOST_TEST(Get("d", "feat").value() == J(R"({"a":2})"));
  BOOST_TEST(Get("d", "main").value() == J(R"({"a":1})"));

  s = repo().SwitchBranch("feat");
  BOOST_REQUIRE(s.ok());
  BOOST_TEST(!s->changed);

  Result<SwitchResult> missing = repo().SwitchBranch("nope");
  BOOST_TEST((missing.status().code() == Code::kNotFound));
  BOOST_TEST(missing.status().message() ==
             "no branch 'nope' (use -c to create it: strata switch -c nope)");
  BOOST_TEST(git.Head() == "refs/heads/feat");

  // -c: create at START and switch, in one transaction.
  s = repo().SwitchBranch("fix", std::string("main"));
  BOOST_REQUIRE(s.ok());
  BOOST_TEST(s->created);
  BOOST_TEST(s->previous == "feat");
  BOOST_TEST(*s->branch.version == repo().ResolveRevision("main").value());
  BOOST_TEST(git.Head() == "refs/heads/fix");
  Result<SwitchResult> exists = repo().SwitchBranch("feat", std::string("HEAD"));
  BOOST_TEST((exists.status().code() == Code::kConflict));
  BOOST_TEST(git.Head() == "refs/heads/fix");
  // Deleting the branch we left is allowed now; the current one is not.
  BOOST_TEST((repo().DeleteBranch("fix").status().code() == Code::kConflict));
  BOOST_TEST(repo().DeleteBranch("main").ok());  // fix has all of main
}

BOOST_FIXTURE_TEST_CASE(from_a_detached_head, RepoFixture) {
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("ann")).ok());
  Git git(repo().path());
  git_object* raw = nullptr;
  BOOST_REQUIRE(git_revparse_single(&raw, git.repo.get(), "main~1") == 0);
  ObjectPtr older(raw);
  BOOST_REQUIRE(git_repository_set_head_detached(git.repo.get(), git_object_id(raw)) == 0);
  BOOST_TEST(git.Head() == "(detached)");
  // Against HEAD's version: main is one ahead; deleting main is not refused
  // as "current", but as unmerged into HEAD.
  BOOST_TEST(
      Listing(repo()) ==
          (Lines{"main " + repo().ResolveRevision("main").value().substr(0, 7) + " - +1 -0"}),
      boost::test_tools::per_element());
  BOOST_TEST(repo().DeleteBranch("main").status().message() ==
             "branch 'main' is not merged into HEAD: deleting it would lose 1 version (use -D to "
             "delete it anyway)");
  Result<SwitchResult> s = repo().SwitchBranch("main");
  BOOST_REQUIRE(s.ok());
  BOOST_TEST(s->previous == "HEAD");
  BOOST_TEST(git.Head() == "refs/heads/main");
}

BOOST_FIXTURE_TEST_CASE(moves_run_the_transaction_hooks, RepoFixture) {
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  std::vector<std::string> told;
  TransactionHooks hooks;
  hooks.pre_commit = [](const RefUpdate& u) -> Status {
    if (u.ref == "refs/heads/blocked") return Status::Conflict("pre-commit: no");
    return Status::Ok();
  };
  hooks.post_commit = [&](const RefUpdate& u) {
    const char* kind = u.kind == RefUpdateKind::kDelete     ? "delete"
                       : u.kind == RefUpdateKind::kSymbolic ? "symbolic"
                                                            : "set";
    told.push_back(std::string(kind) + " " + u.ref + (u.expected ? " had" : " new") +
                   (u.kind == RefUpdateKind::kSymbolic ? " -> " + u.symbolic_target : ""));
  };
  RepositoryTestAccess::SetTransactionHooks(repo(), hooks);
  BOOST_TEST(repo().CreateBranch("blocked").status().message() == "pre-commit: no");
  BOOST_REQUIRE(repo().CreateBranch("a").ok());
  BOOST_REQUIRE(repo().SwitchBranch("b", std::string("HEAD")).ok());
  BOOST_REQUIRE(repo().DeleteBranch("a").ok());
  BOOST_TEST(told == (Lines{"set refs/heads/a new", "set refs/heads/b new",
                            "symbolic HEAD new -> refs/heads/b", "delete refs/heads/a had"}),
             boost::test_tools::per_element());
  Git git(repo().path());
  BOOST_TEST(git.Ref("refs/heads/blocked") == "(absent)");
}

BOOST_FIXTURE_TEST_CASE(transaction_compare_and_swap_for_new_kinds, RepoFixture) {
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().CreateBranch("x").ok());
  Git git(repo().path());
  const ObjectId head = *ReadRef(git.repo.get(), "HEAD").value();
  RefTransaction tx = RefTransaction::Begin(git.repo.get(), nullptr).value();
  // Create-only: expected nullopt on an existing ref is refused.
  RefUpdate create;
  create.ref = "refs/heads/x";
  create.target = head;
  tx.Update(create);
  BOOST_TEST((tx.Commit().value() == CommitOutcome::kRefMoved));
  // Delete with a wrong expected id is refused; the ref stays.
  RefUpdate del;
  del.ref = "refs/heads/x";
  del.kind = RefUpdateKind::kDelete;
  del.expected = FromGit(git_oid{});
  tx.Update(del);
  BOOST_TEST((tx.Commit().value() == CommitOutcome::kRefMoved));
  BOOST_TEST(git.Ref("refs/heads/x") == head.Hex());
  // Symbolic HEAD only moves if HEAD still names what it expects.
  RefUpdate sym;
  sym.ref = "HEAD";
  sym.kind = RefUpdateKind::kSymbolic;
  sym.symbolic_target = "refs/heads/x";
  sym.expected_symbolic = "refs/heads/other";
  tx.Update(sym);
  BOOST_TEST((tx.Commit().value() == CommitOutcome::kRefMoved));
  BOOST_TEST(git.Head() == "refs/heads/main");
  BOOST_TEST(tx.ReadSymbolic("HEAD").value() == "refs/heads/main");
  sym.expected_symbolic = "refs/heads/main";
  tx.Update(sym);
  BOOST_TEST((tx.Commit().value() == CommitOutcome::kCommitted));
  BOOST_TEST(git.Head() == "refs/heads/x");
  del.expected = head;
  del.ref = "refs/heads/main";
  tx.Update(del);
  BOOST_TEST((tx.Commit().value() == CommitOutcome::kCommitted));
  BOOST_TEST(git.Ref("refs/heads/main") == "(absent)");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
