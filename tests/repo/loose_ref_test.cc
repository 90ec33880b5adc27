// Tests for repo/loose_ref.h: strata's own move of a loose ref (git's lock
// protocol, reflogs appended as libgit2 writes them).
#include "repo/loose_ref.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <regex>
#include <set>

#include "objects/spare_files.h"
#include "repo/refs.h"
#include "repo/transaction.h"
#include "strata/gc.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The line with its time (" SECONDS +HHMM") masked: two moves a second apart
// write the same line otherwise.
std::string MaskTime(const std::string& line) {
  return std::regex_replace(line, std::regex(" [0-9]+ [-+][0-9]{4}\t"), " T\t");
}

// Three versions on main, and a second libgit2 handle on the repository
// (what git sees), with a known committer for the reflogs.
struct LooseRefFixture : RepoFixture {
  LooseRefFixture() {
    for (const char* v : {"1", "2", "3"}) {
      BOOST_REQUIRE(repo().Put("d", J(v), By("ann")).ok());
      ids.push_back(*ObjectId::FromHex(repo().ResolveRevision("HEAD").value()));
    }
    git_repository* raw = nullptr;
    BOOST_REQUIRE(git_repository_open(&raw, repo().path().c_str()) == 0);
    git.reset(raw);
    git_config* cfg_raw = nullptr;
    BOOST_REQUIRE(git_repository_config(&cfg_raw, raw) == 0);
    ConfigPtr cfg(cfg_raw);
    BOOST_REQUIRE(git_config_set_string(cfg_raw, "user.name", "Ann Example") == 0);
    BOOST_REQUIRE(git_config_set_string(cfg_raw, "user.email", "ann@example.com") == 0);
  }
  // Creates branch `name` at `id` through libgit2.
  void Branch(const std::string& name, const ObjectId& id) {
    git_reference* raw = nullptr;
    BOOST_REQUIRE(git_reference_create(&raw, git.get(), ("refs/heads/" + name).c_str(), AsGit(id),
                                       0, "branch: Created") == 0);
    ReferencePtr made(raw);
  }
  std::string File(const std::string& rel) { return repo().path() + "/" + rel; }
  std::vector<ObjectId> ids;  // v1, v2, v3
  RepositoryPtr git;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(loose_ref)

BOOST_AUTO_TEST_CASE(reflog_lines_are_libgit2s_format) {
  const ObjectId a = *ObjectId::FromHex("0123456789abcdef0123456789abcdef01234567");
  const ObjectId b = *ObjectId::FromHex("89abcdef0123456789abcdef0123456789abcdef");
  const std::string ids = a.Hex() + " " + b.Hex() + " ";
  struct Case {
    int offset;
    char sign;
    std::string message;
    std::string want;  // after the ids
  };
  const std::vector<Case> cases = {
      {90, '+', "strata: set d /a", "Ann <a@x> 1700000000 +0130\tstrata: set d /a\n"},
      {-300, '-', "m", "Ann <a@x> 1700000000 -0500\tm\n"},
      {0, '-', "m", "Ann <a@x> 1700000000 -0000\tm\n"},
      {0, '+', "two\nlines  \n", "Ann <a@x> 1700000000 +0000\ttwo lines\n"},
      {0, '+', "", "Ann <a@x> 1700000000 +0000\n"},
  };
  for (const Case& c : cases) {
    git_signature who{};
    who.name = const_cast<char*>("Ann");
    who.email = const_cast<char*>("a@x");
    who.when.time = 1700000000;
    who.when.offset = c.offset;
    who.when.sign = c.sign;
    BOOST_TEST(ReflogLine(a, b, who, c.message) == ids + c.want);
  }
}

// The same move through libgit2 (branch a) and through SetLooseRef (branch
// b) leaves the same ref file and the same reflog line; libgit2 reads it.
BOOST_FIXTURE_TEST_CASE(a_move_writes_what_libgit2_writes, LooseRefFixture) {
  Branch("a", ids[0]);
  Branch("b", ids[0]);
  const std::string message = "strata: set d\nnow  ";
  git_reference* raw = nullptr;
  BOOST_REQUIRE(git_reference_create_matching(&raw, git.get(), "refs/heads/a", AsGit(ids[1]), 1,
                                              AsGit(ids[0]), message.c_str()) == 0);
  ReferencePtr moved(raw);
  const std::size_t head_lines = Lines(File("logs/HEAD")).size();
  Result<LooseRefOutcome> out = SetLooseRef(git.get(), "refs/heads/b", ids[0], ids[1], message);
  BOOST_REQUIRE(out.ok());
  BOOST_TEST((*out == LooseRefOutcome::kMoved));
  BOOST_TEST(Slurp(File("refs/heads/b")) == Slurp(File("refs/heads/a")));
  BOOST_TEST(Slurp(File("refs/heads/b")) == ids[1].Hex() + "\n");
  BOOST_TEST(!fs::exists(File("refs/heads/b.lock")));
  std::vector<std::string> a_log = Lines(File("logs/refs/heads/a"));
  std::vector<std::string> b_log = Lines(File("logs/refs/heads/b"));
  BOOST_REQUIRE_EQUAL(b_log.size(), 2u);
  BOOST_TEST(MaskTime(b_log[1]) == MaskTime(a_log[1]));
  // HEAD names main, not b: its reflog is untouched.
  BOOST_TEST(Lines(File("logs/HEAD")).size() == head_lines);

  git_reflog* log_raw = nullptr;
  BOOST_REQUIRE(git_reflog_read(&log_raw, git.get(), "refs/heads/b") == 0);
  std::unique_ptr<git_reflog, void (*)(git_reflog*)> log(log_raw, git_reflog_free);
  BOOST_REQUIRE_EQUAL(git_reflog_entrycount(log_raw), 2u);
  const git_reflog_entry* e = git_reflog_entry_byindex(log_raw, 0);
  BOOST_TEST(FromGit(*git_reflog_entry_id_old(e)).Hex() == ids[0].Hex());
  BOOST_TEST(FromGit(*git_reflog_entry_id_new(e)).Hex() == ids[1].Hex());
  BOOST_TEST(std::string(git_reflog_entry_committer(e)->name) == "Ann Example");
  BOOST_TEST(std::string(git_reflog_entry_message(e)) == "strata: set d now");
}

// The branch HEAD names: its reflog and HEAD's get the same line, and
// main@{1} reads the previous version.
BOOST_FIXTURE_TEST_CASE(moving_heads_branch_appends_to_heads_reflog_too, LooseRefFixture) {
  const std::size_t head_lines = Lines(File("logs/HEAD")).size();
  const std::size_t main_lines = Lines(File("logs/refs/heads/main")).size();
  Result<LooseRefOutcome> out = SetLooseRef(git.get(), "refs/heads/main", ids[2], ids[0], "back");
  BOOST_REQUIRE(out.ok());
  BOOST_TEST((*out == LooseRefOutcome::kMoved));
  std::vector<std::string> head = Lines(File("logs/HEAD"));
  std::vector<std::string> main = Lines(File("logs/refs/heads/main"));
  BOOST_REQUIRE_EQUAL(head.size(), head_lines + 1);
  BOOST_REQUIRE_EQUAL(main.size(), main_lines + 1);
  BOOST_TEST(head.back() == main.back());
  BOOST_TEST(head.back().rfind(
                 ids[2].Hex() + " " + ids[0].Hex() + " Ann Example <ann@example.com> ", 0) == 0u,
             head.back());
  BOOST_TEST(repo().ResolveRevision("main@{1}").value() == ids[2].Hex());
  BOOST_TEST(repo().ResolveRevision("HEAD@{1}").value() == ids[2].Hex());
}

BOOST_FIXTURE_TEST_CASE(compare_and_swap_is_refused_when_the_ref_moved, LooseRefFixture) {
  Branch("b", ids[0]);
  const std::string before = Slurp(File("logs/refs/heads/b"));
  Result<LooseRefOutcome> out = SetLooseRef(git.get(), "refs/heads/b", ids[2], ids[1], "m");
  BOOST_REQUIRE(out.ok());
  BOOST_TEST((*out == LooseRefOutcome::kRefMoved));
  BOOST_TEST(Slurp(File("refs/heads/b")) == ids[0].Hex() + "\n");
  BOOST_TEST(Slurp(File("logs/refs/heads/b")) == before);
  BOOST_TEST(!fs::exists(File("refs/heads/b.lock")));
}

// Another writer's lock (git's or libgit2's): nothing changes, and the lock
// is theirs to remove (the transaction waits for it, or removes it when
// stale: transaction_test).
BOOST_FIXTURE_TEST_CASE(a_held_lock_is_reported_and_left_alone, LooseRefFixture) {
  Branch("b", ids[0]);
  std::ofstream(File("refs/heads/b.lock")) << "theirs\n";
  Result<LooseRefOutcome> out = SetLooseRef(git.get(), "refs/heads/b", ids[0], ids[1], "m");
  BOOST_REQUIRE(out.ok());
  BOOST_TEST((*out == LooseRefOutcome::kLocked));
  BOOST_TEST(Slurp(File("refs/heads/b.lock")) == "theirs\n");
  BOOST_TEST(Slurp(File("refs/heads/b")) == ids[0].Hex() + "\n");
}

// A ref in packed-refs only, or a symbolic one, is libgit2's to move: the
// transaction falls back to it, and the move happens all the same.
BOOST_FIXTURE_TEST_CASE(refs_it_does_not_handle_are_moved_by_libgit2, LooseRefFixture) {
  fs::remove(File("refs/heads/main"));
  std::ofstream(File("packed-refs")) << "# pack-refs with: peeled fully-peeled sorted \n"
                                     << ids[2].Hex() << " refs/heads/main\n";
  BOOST_REQUIRE(repo().ResolveRevision("main").value() == ids[2].Hex());
  Result<LooseRefOutcome> out = SetLooseRef(git.get(), "refs/heads/main", ids[2], ids[1], "m");
  BOOST_REQUIRE(out.ok());
  BOOST_TEST((*out == LooseRefOutcome::kNotApplicable));
  BOOST_TEST(!fs::exists(File("refs/heads/main.lock")));
  BOOST_TEST(!fs::exists(File("refs/heads/main")));

  std::ofstream(File("refs/heads/sym")) << "ref: refs/heads/main\n";
  out = SetLooseRef(git.get(), "refs/heads/sym", ids[2], ids[1], "m");
  BOOST_REQUIRE(out.ok());
  BOOST_TEST((*out == LooseRefOutcome::kNotApplicable));
  BOOST_TEST(!fs::exists(File("refs/heads/sym.lock")));
  fs::remove(File("refs/heads/sym"));

  // The packed ref moves through the transaction (libgit2) by compare-and-swap.
  BOOST_REQUIRE(repo().Put("d", J("4"), By("ann")).ok());
  BOOST_TEST(repo().Get("d").value() == J("4"));
  BOOST_TEST(fs::exists(File("refs/heads/main")));
  BOOST_TEST(repo().ResolveRevision("main~1").value() == ids[2].Hex());
}

BOOST_FIXTURE_TEST_CASE(log_all_ref_updates_off_writes_no_reflog, LooseRefFixture) {
  Branch("b", ids[0]);
  git_config* raw = nullptr;
  BOOST_REQUIRE(git_repository_config(&raw, git.get()) == 0);
  ConfigPtr cfg(raw);
  BOOST_REQUIRE(git_config_set_bool(raw, "core.logAllRefUpdates", 0) == 0);
  const std::string before = Slurp(File("logs/refs/heads/b"));
  const std::string head_before = Slurp(File("logs/HEAD"));
  Result<LooseRefOutcome> out = SetLooseRef(git.get(), "refs/heads/b", ids[0], ids[1], "m");
  BOOST_REQUIRE(out.ok());
  BOOST_TEST((*out == LooseRefOutcome::kMoved));
  BOOST_TEST(Slurp(File("refs/heads/b")) == ids[1].Hex() + "\n");
  BOOST_TEST(Slurp(File("logs/refs/heads/b")) == before);
  BOOST_TEST(Slurp(File("logs/HEAD")) == head_before);
}

// A write reads user.name/user.email (its author and its reflog line) from
// one config snapshot taken when it begins: a change to the config between
// two writes of one Repository object is seen by the second.
BOOST_FIXTURE_TEST_CASE(each_write_reads_the_config_as_it_is_then, LooseRefFixture) {
  const char* env = std::getenv("STRATA_AUTHOR");
  const std::optional<std::string> saved = env ? std::optional<std::string>(env) : std::nullopt;
  ::unsetenv("STRATA_AUTHOR");
  auto author_of_a_write = [&](const char* value) {
    Result<WriteResult> w = repo().Put("d", J(value), CommitOptions{});
    BOOST_REQUIRE_MESSAGE(w.ok(), w.status().message());
    const std::vector<std::string> log = Lines(File("logs/refs/heads/main"));
    BOOST_REQUIRE(!log.empty());
    return std::make_pair(w->version.author.ToString(), log.back());
  };
  auto [first, first_log] = author_of_a_write("4");
  BOOST_TEST(first == "Ann Example <ann@example.com>");
  BOOST_TEST(first_log.find(" Ann Example <ann@example.com> ") != std::string::npos, first_log);
  git_config* cfg_raw = nullptr;
  BOOST_REQUIRE(git_repository_config(&cfg_raw, git.get()) == 0);
  ConfigPtr cfg(cfg_raw);
  BOOST_REQUIRE(git_config_set_string(cfg_raw, "user.name", "Bea Example") == 0);
  auto [second, second_log] = author_of_a_write("5");
  BOOST_TEST(second == "Bea Example <ann@example.com>");
  BOOST_TEST(second_log.find(" Bea Example <ann@example.com> ") != std::string::npos, second_log);
  if (saved) ::setenv("STRATA_AUTHOR", saved->c_str(), 1);
}

// A write renames spares into place instead of creating its files (the
// ref's lock file, the pack's and its index's temporary files), keeps the
// ref it replaces linked in spare/retired, and gc makes spares again and
// removes what was retired (objects/spare_files.h). Without spares, a
// write creates its files as before.
BOOST_FIXTURE_TEST_CASE(writes_use_spares_and_gc_makes_them_again, LooseRefFixture) {
  const std::string spare = File("spare");
  // init makes none: the fixture's three versions created their files.
  BOOST_TEST(CountSpareFiles(spare).spares == 0u);
  Result<GcReport> gc = repo().Gc(GcOptions{});
  BOOST_REQUIRE_MESSAGE(gc.ok(), gc.status().message());
  BOOST_TEST(CountSpareFiles(spare).spares == kSpareFiles);
  BOOST_TEST(CountSpareFiles(spare).retired == 0u);

  std::set<ino_t> spares;
  for (const auto& e : fs::directory_iterator(spare)) {
    struct stat st {};
    if (e.is_regular_file() && ::stat(e.path().c_str(), &st) == 0) spares.insert(st.st_ino);
  }
  struct stat ref_before {};
  BOOST_REQUIRE(::stat(File("refs/heads/main").c_str(), &ref_before) == 0);
  BOOST_REQUIRE(repo().Put("d", J("4"), By("ann")).ok());
  struct stat ref_after {};
  BOOST_REQUIRE(::stat(File("refs/heads/main").c_str(), &ref_after) == 0);
  BOOST_TEST(spares.count(ref_after.st_ino) == 1u);  // the lock file was a spare
  std::size_t packs_from_spares = 0;
  for (const auto& e : fs::directory_iterator(File("objects/pack"))) {
    struct stat st {};
    if (::stat(e.path().c_str(), &st) == 0 && spares.count(st.st_ino)) ++packs_from_spares;
  }
  BOOST_TEST(packs_from_spares == 2u);  // the pack and its index
  BOOST_TEST(CountSpareFiles(spare).spares == kSpareFiles - 3);
  BOOST_REQUIRE_EQUAL(CountSpareFiles(spare).retired, 1u);
  struct stat retired {};
  const fs::path retired_path = fs::directory_iterator(spare + "/retired")->path();
  BOOST_REQUIRE(::stat(retired_path.c_str(), &retired) == 0);
  BOOST_TEST(retired.st_ino == ref_before.st_ino);
  BOOST_TEST(Slurp(retired_path.string()) == ids[2].Hex() + "\n");

  // No spares: the next write creates its files.
  fs::remove_all(spare);
  BOOST_REQUIRE(repo().Put("d", J("5"), By("ann")).ok());
  BOOST_TEST(repo().Get("d").value() == J("5"));
  BOOST_TEST(!fs::exists(spare));
  // A write of a large pack (an import's) makes them, as gc does: 6 MiB of
  // random letters, digits and "+/" compress to more than 4 MiB.
  {
    std::mt19937_64 random(7);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string text(std::size_t{6} << 20, ' ');
    for (char& c : text) c = alphabet[random() % alphabet.size()];
    BOOST_REQUIRE(repo().Put("big", json::object{{"t", text}}, By("ann")).ok());
    BOOST_TEST(CountSpareFiles(spare).spares == kSpareFiles);
    BOOST_REQUIRE(repo().Put("d", J("5.5"), By("ann")).ok());
    BOOST_TEST(CountSpareFiles(spare).spares == kSpareFiles - 3);
    fs::remove_all(spare);
  }
  // Nor when they cannot be made: gc still runs (it is what frees space).
  std::ofstream(spare) << "not a folder\n";
  gc = repo().Gc(GcOptions{});
  BOOST_REQUIRE_MESSAGE(gc.ok(), gc.status().message());
  BOOST_REQUIRE(repo().Put("d", J("6"), By("ann")).ok());
  BOOST_TEST(repo().Get("d").value() == J("6"));
  Result<VerifyReport> verified = repo().Verify();
  BOOST_REQUIRE(verified.ok());
  BOOST_TEST(verified->problems.empty());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
