// Tests for the repository merge (repo/merge.cc): Merge, CherryPick, Revert,
// the merge in progress (Resolve, ContinueMerge, AbortMerge). The table of
// cases is tests/merge/cases.json, shared with tests/cli/t0560-merge.sh.
#include <git2.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "objects/state_editor.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

json::value LoadCases() {
  std::ifstream in(std::string(STRATA_SOURCE_DIR) + "/tests/merge/cases.json");
  std::stringstream text;
  text << in.rdbuf();
  return ParseJson(text.str(), "cases.json").value();
}

// Writes `state` (an object {doc: value}) as one version on `branch`:
// documents not in it are removed. Unchanged is fine (no version).
void WriteState(Repository& repo, const json::object& state, const std::string& branch,
                std::int64_t time) {
  CommitOptions o = RepoFixture::By("tester", time);
  o.branch = branch;
  Result<WriteResult> w = repo.Write(
      [&](PatchTarget& e) -> Status {
        STRATA_ASSIGN_OR_RETURN(json::value now, e.Get(JsonPointer()));
        if (const json::object* docs = now.if_object()) {
          for (const auto& [doc, v] : *docs) {
            if (!state.contains(doc)) STRATA_RETURN_IF_ERROR(e.Remove(JsonPointer({doc})));
          }
        }
        for (const auto& [doc, v] : state) STRATA_RETURN_IF_ERROR(e.Add(JsonPointer({doc}), v));
        return Status::Ok();
      },
      "state", o);
  if (!w.ok() && w.status().code() != Code::kUnchanged) {
    BOOST_FAIL("cannot write the state on " + branch + ": " + w.status().message());
  }
}

// A branch NAME at `rev`, made with libgit2 (the branch command is not ours).
void CreateBranch(const std::string& dir, const std::string& name, const std::string& rev) {
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open(&raw, (dir + "/.strata").c_str()) == 0);
  RepositoryPtr repo(raw);
  git_object* obj = nullptr;
  BOOST_REQUIRE(git_revparse_single(&obj, raw, rev.c_str()) == 0);
  ObjectPtr o(obj);
  git_reference* ref = nullptr;
  BOOST_REQUIRE(git_branch_create(&ref, raw, name.c_str(), reinterpret_cast<git_commit*>(obj), 0) ==
                0);
  git_reference_free(ref);
}

std::string Head(Repository& repo, const std::string& rev = "HEAD") {
  return repo.ResolveRevision(rev).value();
}

std::string StateId(Repository& repo, const std::string& rev) {
  return repo.Read(rev).value().version()->state_id;
}

MergeStrategy StrategyOf(const json::object& c) {
  if (!c.contains("strategy")) return MergeStrategy::kNormal;
  return ParseMergeStrategy(c.at("strategy").as_string()).value();
}

// The same merge over whole states as JSON values: the model the
// repository merge must agree with.
json::value Oracle(const json::object& c, MergeStrategy strategy) {
  MergeOptions o;
  o.strategy = strategy;
  // The policies of ours' .merge; theirs is written after ours (SetUp).
  MergePolicies policies;
  if (const json::value* settings = c.at("ours").as_object().if_contains(".merge")) {
    policies = MergePolicies::Parse(*settings).value();
  }
  o.policies = &policies;
  o.theirs_newer = true;
  MergeResult r = MergeValues(c.at("base"), c.at("ours"), c.at("theirs"), o).value();
  return *r.merged;
}

// Sets up main (base, then ours) and feat (theirs) for case `c`.
void SetUp(RepoFixture& f, const json::object& c) {
  WriteState(f.repo(), c.at("base").as_object(), "main", 1700000000);
  CreateBranch(f.dir(), "feat", "main");
  WriteState(f.repo(), c.at("ours").as_object(), "main", 1700000100);
  WriteState(f.repo(), c.at("theirs").as_object(), "feat", 1700000200);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(merge)

BOOST_AUTO_TEST_CASE(table_of_cases) {
  const json::value all = LoadCases();
  const json::array& cases = all.at("cases").as_array();
  BOOST_TEST(cases.size() >= 40u);
  for (const json::value& cv : cases) {
    const json::object& c = cv.as_object();
    const std::string name(c.at("name").as_string());
    BOOST_TEST_CONTEXT("case: " << name) {
      RepoFixture f;
      Repository& repo = f.repo();
      SetUp(f, c);
      const std::string ours = Head(repo), theirs = Head(repo, "feat");
      MergeRequest request;
      request.strategy = StrategyOf(c);
      if (c.contains("only")) {
        for (const auto& d : c.at("only").as_array()) request.only.emplace_back(d.as_string());
      }
      request.commit = RepoFixture::By("merger", 1700000300);
      Result<MergeOutcome> out = repo.Merge("feat", request);
      BOOST_REQUIRE_MESSAGE(out.ok(), out.status().message());

      if (c.contains("merged")) {
        BOOST_TEST((out->kind != MergeOutcome::Kind::kConflicts));
        BOOST_TEST(Equal(f.State("HEAD").value(), c.at("merged")),
                   FormatJson(f.State("HEAD").value(), {0, false}));
        if (out->kind == MergeOutcome::Kind::kMerged) {
          BOOST_TEST((out->version->parents == std::vector<std::string>{ours, theirs}));
          BOOST_TEST(out->version->message == "merge feat into main");
        }
        if (!c.contains("only")) {
          BOOST_TEST(Equal(f.State("HEAD").value(), Oracle(c, request.strategy)));
        }
        // (Policies such as union keep ours' order first, so they are not symmetric.)
        if (!c.contains("only") && request.strategy == MergeStrategy::kNormal &&
            !c.at("base").as_object().contains(".merge")) {
          // Merging the other way round gives the same state.
          Result<MergeOutcome> back = repo.Merge(ours, [] {
            MergeRequest r;
            r.commit = RepoFixture::By("merger", 1700000300);
            r.commit.branch = "feat";
            return r;
          }());
          BOOST_REQUIRE_MESSAGE(back.ok(), back.status().message());
          BOOST_TEST(StateId(repo, "feat") == StateId(repo, "main"));
        }
        BOOST_TEST(!repo.CurrentMerge().value().has_value());
        continue;
      }

      // A case that stops: the conflicts, as data; main has not moved.
      BOOST_TEST((out->kind == MergeOutcome::Kind::kConflicts));
      std::vector<std::string> got, want;
      for (const MergeConflict& m : out->conflicts) {
        got.push_back(m.doc + " " + m.pointer.ToString() + " " +
                      std::string(ConflictKindName(m.kind)));
      }
      for (const auto& w : c.at("conflicts").as_array()) {
        const json::array& t = w.as_array();
        want.push_back(std::string(t[0].as_string()) + " " + std::string(t[1].as_string()) + " " +
                       std::string(t[2].as_string()));
      }
      BOOST_TEST(got == want, boost::test_tools::per_element());
      BOOST_TEST(Head(repo) == ours);
      // Kept in the repository, seen by another process's Repository.
      auto other = Repository::Open(f.dir()).value();
      std::optional<MergeInProgress> kept = other->CurrentMerge().value();
      BOOST_REQUIRE(kept.has_value());
      BOOST_TEST(kept->conflicts.size() == out->conflicts.size());
      BOOST_TEST(kept->ours == ours);
      BOOST_TEST(kept->theirs == theirs);
      // Writes to main wait for it; --continue names what remains.
      Result<WriteResult> blocked = repo.Put("z", json::value(1), RepoFixture::By("w"));
      BOOST_TEST((blocked.status().code() == Code::kConflict));
      BOOST_TEST(blocked.status().message().find("strata merge --continue") != std::string::npos);
      Result<MergeOutcome> early = repo.ContinueMerge(RepoFixture::By("merger"));
      BOOST_TEST((early.status().code() == Code::kConflict));
      BOOST_TEST(early.status().message().find(out->conflicts.front().doc) != std::string::npos);
      BOOST_TEST(Head(repo) == ours);
      // Every conflict resolved with theirs is the theirs strategy.
      ResolveRequest all;
      all.take = ResolveRequest::Take::kTheirs;
      Result<MergeInProgress> left = repo.Resolve(all);
      BOOST_REQUIRE_MESSAGE(left.ok(), left.status().message());
      BOOST_TEST(left->conflicts.empty());
      BOOST_TEST(left->resolved == out->conflicts.size());
      Result<MergeOutcome> done = repo.ContinueMerge(RepoFixture::By("merger", 1700000400));
      BOOST_REQUIRE_MESSAGE(done.ok(), done.status().message());
      BOOST_TEST((done->kind == MergeOutcome::Kind::kMerged));
      BOOST_TEST((done->version->parents == std::vector<std::string>{ours, theirs}));
      BOOST_TEST(Equal(f.State("HEAD").value(), Oracle(c, MergeStrategy::kTheirs)));
      BOOST_TEST(!repo.CurrentMerge().value().has_value());
      BOOST_TEST(repo.Put("z", json::value(1), RepoFixture::By("w")).ok());
    }
  }
}

BOOST_FIXTURE_TEST_CASE(merging_a_branch_into_itself_or_an_ancestor_changes_nothing, RepoFixture) {
  repo().Put("a", J(R"({"x":1})"), By("t")).value();
  repo().Put("a", J(R"({"x":2})"), By("t")).value();
  const std::string head = Head(repo());
  for (const std::string& rev : std::vector<std::string>{"main", "HEAD", "HEAD~1", head}) {
    Result<MergeOutcome> out = repo().Merge(rev, {});
    BOOST_REQUIRE_MESSAGE(out.ok(), out.status().message());
    BOOST_TEST((out->kind == MergeOutcome::Kind::kUpToDate), rev);
    BOOST_TEST(Head(repo()) == head);
  }
  BOOST_TEST((repo().Merge("nope", {}).status().code() == Code::kNotFound));
}

BOOST_FIXTURE_TEST_CASE(options_are_checked_before_any_work, RepoFixture) {
  repo().Put("a", J(R"({"x":1})"), By("t")).value();
  CreateBranch(dir(), "feat", "main");
  CommitOptions o = By("t");
  o.branch = "feat";
  repo().Set("a", P("/x"), json::value(2), o).value();
  const std::string head = Head(repo());
  struct Bad {
    const char* what;
    std::function<void(CommitOptions&)> spoil;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"time", [](CommitOptions& c) { c.time = 4294967296; }},
           {"label", [](CommitOptions& c) { c.labels = {"no spaces"}; }},
           {"message", [](CommitOptions& c) { c.message = "x\nLabel: forged"; }},
       }) {
    MergeRequest r;
    r.no_ff = true;
    r.commit = By("m");
    bad.spoil(r.commit);
    BOOST_TEST((repo().Merge("feat", r).status().code() == Code::kInvalidArgument), bad.what);
    BOOST_TEST(Head(repo()) == head);
  }
}

BOOST_FIXTURE_TEST_CASE(no_ff_writes_a_merge_version, RepoFixture) {
  repo().Put("a", J(R"({"x":1})"), By("t")).value();
  CreateBranch(dir(), "feat", "main");
  CommitOptions o = By("t");
  o.branch = "feat";
  repo().Set("a", P("/x"), json::value(2), o).value();
  const std::string main = Head(repo()), feat = Head(repo(), "feat");
  MergeRequest r;
  r.no_ff = true;
  r.commit = By("m");
  MergeOutcome out = repo().Merge("feat", r).value();
  BOOST_TEST((out.kind == MergeOutcome::Kind::kMerged));
  BOOST_TEST((out.version->parents == std::vector<std::string>{main, feat}));
  BOOST_TEST(StateId(repo(), "main") == StateId(repo(), "feat"));
  // Its delta is the change from the first parent, as every version's.
  Snapshot s = repo().Read("HEAD").value();
  BOOST_TEST(
      Equal(PatchToJson(s.Delta().value()), J(R"([{"op":"replace","path":"/a/x","value":2}])")));
  BOOST_TEST(repo().Verify().value().problems.empty());
}

BOOST_FIXTURE_TEST_CASE(abort_restores_the_branch_and_allows_writes, RepoFixture) {
  repo().Put("a", J(R"({"x":1})"), By("t")).value();
  CreateBranch(dir(), "feat", "main");
  CommitOptions o = By("t");
  o.branch = "feat";
  repo().Set("a", P("/x"), json::value(3), o).value();
  repo().Set("a", P("/x"), json::value(2), By("t")).value();
  const std::string head = Head(repo());
  MergeOutcome out = repo().Merge("feat", {}).value();
  BOOST_TEST((out.kind == MergeOutcome::Kind::kConflicts));
  // A second merge is refused while one is in progress.
  BOOST_TEST((repo().Merge("feat", {}).status().code() == Code::kConflict));
  // The merge in progress is a valid version-shaped commit: verify is clean.
  BOOST_TEST(repo().Verify().value().problems.empty());
  MergeInProgress gone = repo().AbortMerge().value();
  BOOST_TEST(gone.rev == "feat");
  BOOST_TEST(Head(repo()) == head);
  BOOST_TEST(!repo().CurrentMerge().value().has_value());
  BOOST_TEST((repo().AbortMerge().status().code() == Code::kNotFound));
  BOOST_TEST(repo().Set("a", P("/y"), json::value(1), By("t")).ok());
}

BOOST_FIXTURE_TEST_CASE(resolve_by_document_pointer_and_value, RepoFixture) {
  repo().Put("a", J(R"({"x":1,"y":1,"z":1})"), By("t")).value();
  repo().Put("b", J(R"({"k":1})"), By("t")).value();
  CreateBranch(dir(), "feat", "main");
  CommitOptions o = By("t");
  o.branch = "feat";
  repo().Put("a", J(R"({"x":3,"y":3,"z":3})"), o).value();
  repo().Put("b", J(R"({"k":3})"), o).value();
  repo().Put("a", J(R"({"x":2,"y":2,"z":2})"), By("t")).value();
  repo().Put("b", J(R"({"k":2})"), By("t")).value();
  BOOST_TEST(repo().Merge("feat", {}).value().conflicts.size() == 4u);

  ResolveRequest r;
  r.doc = "a";
  r.pointer = P("/x");
  r.take = ResolveRequest::Take::kBase;
  BOOST_TEST(repo().Resolve(r).value().conflicts.size() == 3u);
  // The same conflict again: gone, and the message lists what remains.
  Result<MergeInProgress> again = repo().Resolve(r);
  BOOST_TEST((again.status().code() == Code::kNotFound));
  BOOST_TEST(again.status().message().find("a /y") != std::string::npos);
  r.pointer = P("/y");
  r.take = ResolveRequest::Take::kValue;
  BOOST_TEST((repo().Resolve(r).status().code() == Code::kInvalidArgument));  // no value
  r.value = J(R"({"mine":true})");
  BOOST_TEST(repo().Resolve(r).value().conflicts.size() == 2u);
  r.pointer.reset();  // every conflict left in a: /z
  r.take = ResolveRequest::Take::kTheirs;
  BOOST_TEST(repo().Resolve(r).value().conflicts.size() == 1u);
  BOOST_TEST(repo().CurrentMerge().value()->conflicts.front().doc == "b");
  r.doc = "b";
  r.take = ResolveRequest::Take::kOurs;
  BOOST_TEST(repo().Resolve(r).value().conflicts.empty());
  MergeOutcome done = repo().ContinueMerge(By("m")).value();
  BOOST_TEST((done.kind == MergeOutcome::Kind::kMerged));
  BOOST_TEST(Equal(Get("a").value(), J(R"({"x":1,"y":{"mine":true},"z":3})")));
  BOOST_TEST(Equal(Get("b").value(), J(R"({"k":2})")));
  BOOST_TEST(repo().Verify().value().problems.empty());
}

BOOST_FIXTURE_TEST_CASE(cherry_pick_applies_one_versions_change, RepoFixture) {
  repo().Put("a", J(R"({"x":1,"y":1})"), By("t")).value();
  CreateBranch(dir(), "feat", "main");
  CommitOptions o = By("t");
  o.branch = "feat";
  repo().Set("a", P("/x"), json::value(5), o).value();
  const std::string pick = repo().Set("a", P("/y"), json::value(7), o).value().version.id;
  repo().Put("b", json::value(1), By("t")).value();
  const std::string head = Head(repo());
  MergeOutcome out = repo().CherryPick(pick, {}).value();
  BOOST_TEST((out.kind == MergeOutcome::Kind::kMerged));
  BOOST_TEST((out.version->parents == std::vector<std::string>{head}));
  BOOST_TEST(out.version->message.find("cherry-pick " + pick.substr(0, 12)) == 0u);
  // Only that version's change: /y, not the /x before it.
  BOOST_TEST(Equal(Get("a").value(), J(R"({"x":1,"y":7})")));
  // Picking it again changes nothing.
  BOOST_TEST((repo().CherryPick(pick, {}).value().kind == MergeOutcome::Kind::kUpToDate));
  // A conflicting pick stops, and --continue finishes it as a cherry-pick.
  repo().Set("a", P("/x"), json::value(9), By("t")).value();
  const std::string x5 = Head(repo(), "feat~1");
  MergeOutcome stop = repo().CherryPick(x5, {}).value();
  BOOST_TEST((stop.kind == MergeOutcome::Kind::kConflicts));
  BOOST_TEST(stop.conflicts.size() == 1u);
  BOOST_TEST(stop.conflicts.front().pointer.ToString() == "/x");
  ResolveRequest all;
  all.take = ResolveRequest::Take::kTheirs;
  repo().Resolve(all).value();
  MergeOutcome done = repo().ContinueMerge(By("t")).value();
  BOOST_TEST(done.version->parents.size() == 1u);
  BOOST_TEST(Equal(Get("a", "HEAD", P("/x")).value(), json::value(5)));
}

BOOST_FIXTURE_TEST_CASE(revert_undoes_exactly_one_version, RepoFixture) {
  repo().Put("a", J(R"({"x":1,"y":1})"), By("t")).value();
  const std::string bad = repo().Set("a", P("/x"), json::value(2), By("t")).value().version.id;
  repo().Set("a", P("/y"), json::value(3), By("t")).value();
  repo().Put("b", J(R"({"k":1})"), By("t")).value();
  MergeOutcome out = repo().Revert(bad, {}).value();
  BOOST_TEST((out.kind == MergeOutcome::Kind::kMerged));
  BOOST_TEST(out.version->message.find("revert " + bad.substr(0, 12)) == 0u);
  BOOST_TEST(Equal(Get("a").value(), J(R"({"x":1,"y":3})")));
  BOOST_TEST(Equal(Get("b").value(), J(R"({"k":1})")));
  // Reverting the revert brings the change back.
  repo().Revert("HEAD", {}).value();
  BOOST_TEST(Equal(Get("a").value(), J(R"({"x":2,"y":3})")));
  // Reverting a version that added a document removes it.
  repo().Revert(Head(repo(), "HEAD~2"), {}).value();
  BOOST_TEST(!Get("b").ok());
  BOOST_TEST(Equal(Get("a").value(), J(R"({"x":2,"y":3})")));
}

BOOST_FIXTURE_TEST_CASE(revert_against_later_changes_is_a_conflict_naming_each_value, RepoFixture) {
  repo().Put("a", J(R"({"x":1,"y":1})"), By("t")).value();
  const std::string bad = repo().Put("a", J(R"({"x":2,"y":2})"), By("t")).value().version.id;
  repo().Set("a", P("/x"), json::value(3), By("t")).value();
  const std::string head = Head(repo());
  MergeOutcome out = repo().Revert(bad, {}).value();
  BOOST_TEST((out.kind == MergeOutcome::Kind::kConflicts));
  BOOST_REQUIRE(out.conflicts.size() == 1u);
  const MergeConflict& c = out.conflicts.front();
  BOOST_TEST(c.doc == "a");
  BOOST_TEST(c.pointer.ToString() == "/x");
  BOOST_TEST(Equal(*c.base, json::value(2)));
  BOOST_TEST(Equal(*c.ours, json::value(3)));
  BOOST_TEST(Equal(*c.theirs, json::value(1)));
  BOOST_TEST(Head(repo()) == head);
  // The merged state so far already undoes /y.
  BOOST_TEST((repo().CurrentMerge().value()->operation == MergeKind::kRevert));
  repo().AbortMerge().value();
  MergeRequest theirs;
  theirs.strategy = MergeStrategy::kTheirs;
  repo().Revert(bad, theirs).value();
  BOOST_TEST(Equal(Get("a").value(), J(R"({"x":1,"y":1})")));
}

// Merging either way round gives the same state, over generated cases.
BOOST_AUTO_TEST_CASE(merge_is_symmetric_without_conflicts) {
  std::mt19937 rng(20261130);
  auto gen_doc = [&](int salt) {
    json::object o;
    for (int k = 0; k < 4; ++k) {
      int pick = static_cast<int>(rng() % 4);
      if (pick == 0) continue;  // absent
      std::string key = std::string(1, static_cast<char>('k' + k));
      if (pick == 1) o[key] = static_cast<int>(rng() % 3) + salt;
      if (pick == 2) o[key] = json::array{static_cast<int>(rng() % 2)};
      if (pick == 3) o[key] = json::object{{"n", static_cast<int>(rng() % 2)}};
    }
    return o;
  };
  int clean = 0;
  for (int round = 0; round < 40; ++round) {
    json::object base{{"a", gen_doc(0)}, {"b", gen_doc(0)}, {"keep", 1}};
    auto mutate = [&](json::object s) {
      for (const char* doc : {"a", "b", "c"}) {
        int what = static_cast<int>(rng() % 4);
        if (what == 1) s[doc] = gen_doc(static_cast<int>(rng() % 2));
        if (what == 2) s.erase(doc);
      }
      return s;
    };
    json::object ours = mutate(base), theirs = mutate(base);
    json::object c{{"base", base}, {"ours", ours}, {"theirs", theirs}};
    RepoFixture f;
    SetUp(f, c);
    const std::string ours_id = Head(f.repo());
    MergeRequest r;
    r.commit = RepoFixture::By("m", 1700000300);
    Result<MergeOutcome> one = f.repo().Merge("feat", r);
    BOOST_REQUIRE_MESSAGE(one.ok(), one.status().message());
    MergeRequest back = r;
    back.commit.branch = "feat";
    Result<MergeOutcome> two = f.repo().Merge(ours_id, back);
    BOOST_REQUIRE_MESSAGE(two.ok(), two.status().message());
    const bool stopped = one->kind == MergeOutcome::Kind::kConflicts;
    BOOST_TEST(stopped == (two->kind == MergeOutcome::Kind::kConflicts));
    BOOST_TEST(one->conflicts.size() == two->conflicts.size());
    if (stopped) continue;
    ++clean;
    BOOST_TEST(StateId(f.repo(), "main") == StateId(f.repo(), "feat"), "round " << round);
    BOOST_TEST(Equal(f.State("main").value(), Oracle(c, MergeStrategy::kNormal)));
  }
  BOOST_TEST(clean >= 10);  // the generator must give clean merges to compare
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
