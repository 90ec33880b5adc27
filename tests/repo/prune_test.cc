#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

constexpr std::int64_t kT0 = 1700000000;

struct PruneFixture : RepoFixture {
  PruneFixture() { Git("config strata.gcAuto 0"); }

  // Version i sets config/app /n to i at kT0 + 100 i.
  std::string Write(int i, const std::vector<std::string>& labels = {},
                    const std::optional<std::string>& branch = {}, const std::string& doc = "app") {
    CommitOptions o = By("ann", kT0 + 100 * i);
    o.labels = labels;
    o.branch = branch;
    o.message = "v" + std::to_string(i);
    Result<WriteResult> w = repo().Set("config/" + doc, P("/n"), json::value(i), o);
    BOOST_REQUIRE_MESSAGE(w.ok(), w.status().message());
    return w->version.id;
  }
  std::vector<std::string> WriteN(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(Write(i));
    return ids;
  }
  int Git(const std::string& args) {
    std::string cmd = "git --git-dir='" + repo().path() + "' " + args + " >/dev/null 2>&1";
    return std::system(cmd.c_str());
  }
  std::string Head(const std::string& rev = "HEAD") { return repo().ResolveRevision(rev).value(); }
  std::vector<VersionInfo> Log(const std::string& rev = "HEAD") {
    Result<std::vector<VersionInfo>> log = repo().Log(rev, {});
    BOOST_REQUIRE_MESSAGE(log.ok(), log.status().message());
    return *log;
  }
  PruneReport Prune(PruneOptions o) {
    o.author = Signature{"pruner", "pruner@example.com"};
    Result<PruneReport> r = repo().Prune(o);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
    return *r;
  }
  static PruneOptions Keep(std::size_t n) {
    PruneOptions o;
    o.keep = n;
    return o;
  }
  void ExpectSound() {
    Result<VerifyReport> v = repo().Verify();
    BOOST_REQUIRE_MESSAGE(v.ok(), v.status().message());
    std::string problems;
    for (const auto& p : v->problems) problems += p + "\n";
    BOOST_TEST(v->problems.empty(), problems);
    BOOST_TEST(Git("fsck --strict --no-dangling") == 0);
  }
  bool Readable(const std::string& id) {
    std::unique_ptr<Repository> fresh = Repository::Open(dir()).value();
    return fresh->Read(id).ok();
  }
  // Every ref and its id, as git lists them.
  std::string Refs() {
    std::string out = dir() + "/refs.txt";
    std::string cmd = "git --git-dir='" + repo().path() + "' for-each-ref > '" + out + "'";
    BOOST_REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

BOOST_AUTO_TEST_SUITE(repo)
BOOST_FIXTURE_TEST_SUITE(prune, PruneFixture)

BOOST_AUTO_TEST_CASE(keep_squashes_the_older_versions_into_one_base) {
  const std::vector<std::string> v = WriteN(6);
  std::vector<json::value> states;
  for (const auto& id : v) states.push_back(State(id).value());
  const std::vector<VersionInfo> before = Log();

  PruneReport r = Prune(Keep(2));
  BOOST_TEST(r.squashed == 4u);
  BOOST_TEST(r.dropped == 0u);
  BOOST_TEST(r.cut == v[3]);
  BOOST_TEST(r.head_before == v[5]);
  BOOST_TEST(r.removed.size() == 4u);
  BOOST_TEST(r.removed.front().id == v[3]);  // newest first
  BOOST_TEST(r.removed.back().id == v[0]);
  BOOST_TEST(r.oldest_time == kT0);
  BOOST_TEST(r.newest_time == kT0 + 300);
  BOOST_TEST(r.rewritten.size() == 2u);
  BOOST_TEST(r.rewritten[0].from == v[4]);
  BOOST_TEST(r.rewritten[1].from == v[5]);
  BOOST_TEST(r.archived.empty());

  const std::vector<VersionInfo> after = Log();
  BOOST_REQUIRE(after.size() == 3u);
  BOOST_TEST(after[0].id == r.head_after);
  BOOST_TEST(Head() == r.head_after);
  BOOST_TEST(after[2].id == r.base);
  BOOST_TEST(after[2].parents.empty());
  BOOST_TEST(after[2].state_id == r.base_state);
  BOOST_TEST(after[2].state_id == before[2].state_id);
  BOOST_TEST(after[2].time == kT0 + 300);
  BOOST_TEST(after[2].author.name == "pruner");
  BOOST_TEST(after[2].message.find("prune: 4 versions of main squashed into one (" +
                                   v[0].substr(0, 12) + ".." + v[3].substr(0, 12)) == 0u);
  BOOST_TEST(after[2].message.find("2023-11-14T22:13:20Z to 2023-11-14T22:18:20Z") !=
             std::string::npos);
  // Kept versions: same state, message, author and time; new ids.
  for (std::size_t i = 0; i < 2; ++i) {
    BOOST_TEST(after[i].state_id == before[i].state_id);
    BOOST_TEST(after[i].message == before[i].message);
    BOOST_TEST(after[i].author.ToString() == before[i].author.ToString());
    BOOST_TEST(after[i].time == before[i].time);
    BOOST_TEST(after[i].id != before[i].id);
  }
  BOOST_TEST(State("HEAD").value() == states[5]);
  BOOST_TEST(State("HEAD~1").value() == states[4]);
  BOOST_TEST(State("HEAD~2").value() == states[3]);
  ExpectSound();
}

BOOST_AUTO_TEST_CASE(dry_run_changes_nothing_and_plans_the_same_ids) {
  WriteN(5);
  const std::string refs = Refs();
  PruneOptions o = Keep(1);
  o.dry_run = true;
  std::size_t planned = 0;
  o.on_plan = [&](const PruneReport& plan) {
    ++planned;
    BOOST_TEST(plan.squashed == 4u);
    return Status::Ok();
  };
  PruneReport dry = Prune(o);
  BOOST_TEST(planned == 1u);
  BOOST_TEST(dry.dry_run);
  BOOST_TEST(Refs() == refs);
  BOOST_TEST(Log().size() == 5u);
  PruneReport real = Prune(Keep(1));
  BOOST_TEST(!real.dry_run);
  BOOST_TEST(real.base == dry.base);
  BOOST_TEST(real.head_after == dry.head_after);
  BOOST_TEST(Log().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_refusing_plan_callback_stops_before_any_change) {
  WriteN(4);
  const std::string refs = Refs();
  PruneOptions o = Keep(1);
  o.on_plan = [](const PruneReport&) { return Status::Conflict("no, thanks"); };
  Result<PruneReport> r = repo().Prune(o);
  BOOST_TEST((r.status().code() == Code::kConflict));
  BOOST_TEST(r.status().message() == "no, thanks");
  BOOST_TEST(Refs() == refs);
}

BOOST_AUTO_TEST_CASE(before_squashes_the_versions_dated_before_it) {
  struct Case {
    std::int64_t before;
    std::size_t squashed;  // 0: nothing to prune
    std::size_t kept;
  } cases[] = {
      {kT0 + 300, 3, 3},                       // v0..v2 are older; v3 (exactly at the date) stays
      {kT0 + 301, 4, 2}, {kT0 + 10000, 6, 0},  // every version: the base is the new head
      {kT0 + 100, 0, 6},                       // only v0 is older: nothing to squash it with
      {kT0, 0, 6},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("before " << c.before) {
      PruneFixture f;
      for (int i = 0; i < 6; ++i) f.Write(i);
      PruneOptions o;
      o.before = c.before;
      Result<PruneReport> r = f.repo().Prune(o);
      if (c.squashed == 0) {
        BOOST_TEST((r.status().code() == Code::kUnchanged));
        continue;
      }
      BOOST_REQUIRE_MESSAGE(r.ok(), r.status().message());
      BOOST_TEST(r->squashed == c.squashed);
      BOOST_TEST(r->rewritten.size() == c.kept);
      BOOST_TEST(f.Log().size() == c.kept + 1);
      BOOST_TEST(f.Head() == r->head_after);
      if (c.kept == 0) BOOST_TEST(r->head_after == r->base);
      BOOST_TEST(f.State("HEAD").value() == J(R"({"config/app":{"n":5}})"));
      f.ExpectSound();
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_and_changes_nothing) {
  WriteN(3);
  const std::string refs = Refs();
  struct Case {
    const char* what;
    PruneOptions options;
    Code code;
    const char* message;
  };
  PruneOptions neither, both = Keep(1), zero = Keep(0), unknown = Keep(1), all = Keep(3);
  both.before = kT0;
  unknown.branch = "nope";
  std::vector<Case> cases = {
      {"neither", neither, Code::kInvalidArgument,
       "prune needs exactly one of --keep N and --before DATE"},
      {"both", both, Code::kInvalidArgument,
       "prune needs exactly one of --keep N and --before DATE"},
      {"keep 0", zero, Code::kInvalidArgument,
       "--keep 0 would squash the branch head itself; keep at least 1 version"},
      {"unknown branch", unknown, Code::kNotFound, "no branch 'nope'"},
      {"keep all", all, Code::kUnchanged,
       "nothing to prune: every version of main is among the newest 3"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      Result<PruneReport> r = repo().Prune(c.options);
      BOOST_TEST((r.status().code() == c.code));
      BOOST_TEST(r.status().message() == c.message);
    }
  }
  BOOST_TEST(Refs() == refs);
}

BOOST_AUTO_TEST_CASE(tags_and_labels_stay_reachable_and_move_with_kept_versions) {
  std::vector<std::string> v;
  v.push_back(Write(0, {"genesis"}));
  v.push_back(Write(1));
  v.push_back(Write(2));
  v.push_back(Write(3));
  v.push_back(Write(4));
  v.push_back(Write(5, {"release"}));
  BOOST_REQUIRE(repo().CreateTag("old", v[1], {}).ok());
  TagOptions annotated;
  annotated.message = "the good one";
  annotated.tagger = Signature{"tagger", "t@example.com"};
  annotated.time = kT0 + 1000;
  BOOST_REQUIRE(repo().CreateTag("good", v[4], annotated).ok());
  BOOST_REQUIRE(repo().AddLabels(v[2], {"audited"}, {}).ok());
  BOOST_REQUIRE(repo().AddLabels(v[5], {"shipped"}, {}).ok());

  PruneReport r = Prune(Keep(2));
  BOOST_TEST(r.squashed == 4u);
  const std::vector<std::string> archived = {
      PruneArchiveRef("main", v[0]), PruneArchiveRef("main", v[1]), PruneArchiveRef("main", v[2])};
  std::vector<std::string> got = r.archived;
  std::sort(got.begin(), got.end());
  std::vector<std::string> want = archived;
  std::sort(want.begin(), want.end());
  BOOST_TEST(got == want);
  for (const auto& ref : archived) {
    std::string id = ref.substr(ref.rfind('/') + 1);
    BOOST_TEST(Head(ref) == id);
  }
  // Squashed: its tag stays; kept: its tag moves to the copy, annotated.
  BOOST_TEST(Head("old") == v[1]);
  BOOST_REQUIRE(r.tags_moved.size() == 1u);
  BOOST_TEST(r.tags_moved[0].name == "good");
  BOOST_TEST(Head("good") == Head("HEAD~1"));
  Result<std::vector<TagInfo>> tags = repo().Tags();
  BOOST_REQUIRE(tags.ok());
  bool found = false;
  for (const TagInfo& t : *tags) {
    if (t.name != "good") continue;
    found = true;
    BOOST_TEST(t.annotated);
    BOOST_TEST(t.message == "the good one");
    BOOST_TEST(t.tagger->name == "tagger");
  }
  BOOST_TEST(found);
  // Labels: trailers travel with the message, added ones are copied.
  BOOST_TEST(r.notes_copied == 1u);
  VersionInfo head = Show("HEAD").value();
  BOOST_TEST(head.labels == std::vector<std::string>{"release"});
  BOOST_TEST(head.added_labels == std::vector<std::string>{"shipped"});
  BOOST_TEST(Show(v[2]).value().added_labels == std::vector<std::string>{"audited"});

  BOOST_REQUIRE(repo()
                    .Gc([] {
                      GcOptions g;
                      g.prune_expire = 0;
                      return g;
                    }())
                    .ok());
  // Archived: v0..v2 (and their history); v3 (the cut) had neither, and
  // v4, v5 were copied.
  for (std::size_t i = 0; i < v.size(); ++i) BOOST_TEST(Readable(v[i]) == (i <= 2), i);
  ExpectSound();
}

BOOST_AUTO_TEST_CASE(gc_then_reclaims_the_squashed_versions) {
  const std::vector<std::string> v = WriteN(6);
  PruneReport r = Prune(Keep(2));
  GcOptions g;
  g.prune_expire = 0;
  BOOST_REQUIRE(repo().Gc(g).ok());
  for (const auto& id : v) BOOST_TEST(!Readable(id), id);
  BOOST_TEST(Readable(r.base));
  for (const auto& w : r.rewritten) BOOST_TEST(Readable(w.to));
  BOOST_TEST(Readable("main@{0}"));
  ExpectSound();
}

BOOST_AUTO_TEST_CASE(history_a_remote_has_needs_force) {
  const std::vector<std::string> v = WriteN(5);
  BOOST_REQUIRE(Git("update-ref refs/remotes/origin/main " + v[2]) == 0);
  // Another branch of the remote is not this branch's history.
  BOOST_REQUIRE(Git("update-ref refs/remotes/origin/other " + v[4]) == 0);
  const std::string refs = Refs();
  Result<PruneReport> refused = repo().Prune(Keep(1));
  BOOST_TEST((refused.status().code() == Code::kConflict));
  BOOST_TEST(refused.status().message().find("remote 'origin' already has versions of main") == 0u,
             refused.status().message());
  BOOST_TEST(refused.status().message().find("--force would prune anyway") != std::string::npos);
  BOOST_TEST(Refs() == refs);
  PruneOptions o = Keep(1);
  o.force = true;
  PruneReport r = Prune(o);
  BOOST_TEST(r.remotes_rewritten == std::vector<std::string>{"origin/main"});
  BOOST_TEST(Log().size() == 2u);
  BOOST_TEST(Head("origin/main") == v[2]);
  ExpectSound();
}

BOOST_AUTO_TEST_CASE(a_merge_in_progress_refuses) {
  WriteN(3);
  BOOST_REQUIRE(repo().CreateBranch("feat").ok());
  Write(10, {}, "feat");
  Write(20);
  MergeRequest m;
  m.commit = By("merger", kT0 + 5000);
  Result<MergeOutcome> out = repo().Merge("feat", m);
  BOOST_REQUIRE(out.ok());
  BOOST_REQUIRE((out->kind == MergeOutcome::Kind::kConflicts));
  const std::string refs = Refs();
  Result<PruneReport> r = repo().Prune(Keep(1));
  BOOST_TEST((r.status().code() == Code::kConflict));
  BOOST_TEST(r.status().message().find("is in progress") != std::string::npos,
             r.status().message());
  BOOST_TEST(Refs() == refs);
}

BOOST_AUTO_TEST_CASE(merges_inside_the_cut_are_squashed_and_side_lines_before_it_dropped) {
  // main: v0 v1 ---------- M1(feat1) v3 v4 M2(feat2) v6
  // feat1 forks at v0 (merged before the cut), feat2 forks at v1 (before the
  // cut at v4, merged after it: dropped).
  Write(0);
  BOOST_REQUIRE(repo().CreateBranch("feat1").ok());
  Write(1);
  BOOST_REQUIRE(repo().CreateBranch("feat2").ok());
  Write(2, {}, "feat1", "one");
  Write(3, {}, "feat2", "two");
  Write(4, {}, "feat2", "two");
  MergeRequest m;
  m.commit = By("merger", kT0 + 500);
  BOOST_REQUIRE(repo().Merge("feat1", m).ok());
  Write(6);
  Write(7);
  m.commit = By("merger", kT0 + 800);
  BOOST_REQUIRE(repo().Merge("feat2", m).ok());
  Write(9);
  const json::value head_state = State("HEAD").value();
  const json::value prev_state = State("HEAD~1").value();

  PruneReport r = Prune(Keep(2));  // keeps v9 and M2; the cut is v7
  BOOST_TEST(r.squashed == 6u);    // v7 v6 M1 feat1's v2, v1 v0
  BOOST_TEST(r.dropped == 2u);     // feat2's v3 v4
  BOOST_TEST(r.rewritten.size() == 2u);
  const std::vector<VersionInfo> log = Log();
  BOOST_REQUIRE(log.size() == 3u);
  BOOST_TEST(log[1].parents.size() == 1u);  // M2 lost its dropped parent
  BOOST_TEST(log[1].message == "merge feat2 into main");
  BOOST_TEST(State("HEAD").value() == head_state);
  BOOST_TEST(State("HEAD~1").value() == prev_state);
  ExpectSound();
}

BOOST_AUTO_TEST_CASE(a_side_branch_that_forks_at_the_cut_is_copied_with_its_merge) {
  // main: v0 v1 v2 v3 v5 M(feat) v7; feat forks at v3 (the cut) with v4.
  for (int i = 0; i < 4; ++i) Write(i);
  BOOST_REQUIRE(repo().CreateBranch("feat").ok());
  Write(4, {}, "feat", "one");
  Write(5);
  MergeRequest m;
  m.commit = By("merger", kT0 + 600);
  BOOST_REQUIRE(repo().Merge("feat", m).ok());
  Write(7);
  const json::value merged = State("HEAD~1").value();
  PruneReport r = Prune(Keep(3));  // keeps v7, M, v5; the cut is v3
  BOOST_TEST(r.squashed == 4u);
  BOOST_TEST(r.dropped == 0u);
  BOOST_TEST(r.rewritten.size() == 4u);  // v5, feat's v4, M, v7
  const std::vector<VersionInfo> log = Log();
  BOOST_REQUIRE(log.size() == 5u);  // v7 M v5 v4 base (log lists both parents' lines)
  BOOST_TEST(Show("HEAD~1").value().parents.size() == 2u);
  BOOST_TEST(Show("HEAD~1^2").value().message == "v4");
  BOOST_TEST(Show("HEAD~1^2~1").value().id == r.base);
  BOOST_TEST(State("HEAD~1").value() == merged);
  ExpectSound();
}

BOOST_AUTO_TEST_CASE(the_projection_cache_forgets_the_old_versions) {
  const std::vector<std::string> v = WriteN(5);
  BOOST_REQUIRE(
      repo()
          .Put(".perspectives",
               J(R"({"perspectives": {"all": {"rules": [{"path": "/**", "action": "show"}]}}})"),
               By("ann", kT0 + 1000))
          .ok());
  BOOST_REQUIRE(repo().UsePerspective("all").ok());
  BOOST_REQUIRE(repo().Project("HEAD").ok());
  Result<PruneReport> refused = repo().Prune(Keep(1));
  BOOST_TEST((refused.status().code() == Code::kInvalidArgument));
  BOOST_TEST(refused.status().message().find("perspective 'all'") != std::string::npos);
  BOOST_REQUIRE(repo().UsePerspective(std::nullopt).ok());
  Prune(Keep(1));
  GcOptions g;
  g.prune_expire = 0;
  BOOST_REQUIRE(repo().Gc(g).ok());
  for (const auto& id : v) BOOST_TEST(!Readable(id), id);
  ExpectSound();
}

BOOST_AUTO_TEST_CASE(pruning_again_squashes_the_base_too) {
  WriteN(6);
  Prune(Keep(3));
  BOOST_TEST(Log().size() == 4u);
  PruneReport r = Prune(Keep(1));
  BOOST_TEST(r.squashed == 3u);
  BOOST_TEST(Log().size() == 2u);
  BOOST_TEST(State("HEAD").value() == J(R"({"config/app":{"n":5}})"));
  ExpectSound();
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
