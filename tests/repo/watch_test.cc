// Tests for Watcher (strata/watch.h): every version on the branch once, in
// history order, narrowed by document, pointer and perspective; resuming
// with `since`; branches that appear later or move backwards; and writes
// made through another Repository object (as another process would).
#include "strata/watch.h"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

class WatchFixture : public RepoFixture {
 public:
  // Puts `doc` = {"n": n}: one version, on `branch` (nullopt: the current one).
  std::string SetN(const std::string& doc, int n, const std::optional<std::string>& branch = {},
                   Repository* through = nullptr) {
    CommitOptions o = By("ann", 1700000000 + (++clock_));
    o.branch = branch;
    Result<WriteResult> r =
        (through ? *through : repo()).Put(doc, J("{\"n\": " + std::to_string(n) + "}"), o);
    if (!r.ok()) throw std::runtime_error(r.status().message());
    return r->version.id;
  }
  std::unique_ptr<Watcher> Watch(WatchOptions o = {}) {
    Result<std::unique_ptr<Watcher>> w = Watcher::Make(repo(), std::move(o));
    if (!w.ok()) throw std::runtime_error(w.status().message());
    return std::move(w).value();
  }
  static std::vector<std::string> Ids(Watcher& w) {
    Result<std::vector<LogEntry>> batch = w.Poll();
    if (!batch.ok()) throw std::runtime_error(batch.status().message());
    std::vector<std::string> ids;
    for (const LogEntry& e : *batch) ids.push_back(e.version.id);
    return ids;
  }
  using Ids_ = std::vector<std::string>;

 private:
  int clock_ = 0;
};

BOOST_AUTO_TEST_SUITE(repo)
BOOST_FIXTURE_TEST_SUITE(watch, WatchFixture)

BOOST_AUTO_TEST_CASE(poll_gives_each_new_version_once_in_order) {
  std::unique_ptr<Watcher> w = Watch();  // main has no versions yet
  BOOST_TEST(w->branch() == "main");
  BOOST_TEST(!w->last().has_value());
  BOOST_TEST(Ids(*w) == Ids_{});
  std::string a = SetN("a", 1), b = SetN("b", 1), c = SetN("a", 2);
  BOOST_TEST(Ids(*w) == (Ids_{a, b, c}));
  BOOST_TEST(Ids(*w) == Ids_{});
  std::string d = SetN("b", 2);
  BOOST_TEST(Ids(*w) == Ids_{d});
  BOOST_TEST(*w->last() == d);
  // A watcher made now starts after the tip.
  std::unique_ptr<Watcher> later = Watch();
  BOOST_TEST(Ids(*later) == Ids_{});
  std::string e = SetN("a", 3);
  BOOST_TEST(Ids(*later) == Ids_{e});
  BOOST_TEST(Ids(*w) == Ids_{e});
}

BOOST_AUTO_TEST_CASE(selection_by_document_and_pointer) {
  const std::string v1 = SetN("a", 1), v2 = SetN("b", 1);
  CommitOptions o = By("ann", 1700000100);
  const std::string v3 = repo().Set("a", *JsonPointer::Parse("/m"), json::value(5), o)->version.id;
  const std::string v4 = SetN("a", 2);  // drops /m, changes /n
  const std::string v5 = SetN("c", 1);
  struct Case {
    std::vector<std::string> docs;
    std::vector<std::string> paths;
    Ids_ expected;
  };
  const std::vector<Case> cases = {
      {{}, {}, {v1, v2, v3, v4, v5}},
      {{"a"}, {}, {v1, v3, v4}},
      {{"b", "c"}, {}, {v2, v5}},
      {{}, {"a:/n"}, {v1, v4}},
      {{}, {"a:/m"}, {v3, v4}},
      {{"c"}, {"a:/m"}, {v3, v4, v5}},
      {{"nope"}, {}, {}},
  };
  for (const Case& c : cases) {
    WatchOptions wo;
    wo.docs = c.docs;
    for (const std::string& p : c.paths) wo.paths.push_back(ParsePathFilter(p).value());
    std::unique_ptr<Watcher> w = Watch(wo);
    BOOST_TEST(Ids(*w) == Ids_{});  // nothing new yet
    // Replay the whole branch through a watcher that starts before it.
    WatchOptions from_start = wo;
    from_start.branch = "replay";
    std::unique_ptr<Watcher> r = Watch(from_start);
    BOOST_REQUIRE(repo().CreateBranch("replay", "main").ok());
    BOOST_TEST(Ids(*r) == c.expected);
    BOOST_REQUIRE(repo().DeleteBranch("replay", true).ok());
  }
}

BOOST_AUTO_TEST_CASE(since_replays_then_follows) {
  std::vector<std::string> v;
  for (int i = 0; i < 5; ++i) v.push_back(SetN("a", i));
  struct Case {
    std::string since;
    Ids_ expected;
  };
  const std::vector<Case> cases = {
      {v[0], {v[1], v[2], v[3], v[4]}},
      {"HEAD~2", {v[3], v[4]}},
      {v[4].substr(0, 12), {}},
      {"main", {}},
  };
  for (const Case& c : cases) {
    WatchOptions o;
    o.since = c.since;
    std::unique_ptr<Watcher> w = Watch(o);
    BOOST_TEST(Ids(*w) == c.expected, "since " << c.since);
    BOOST_TEST(Ids(*w) == Ids_{});
  }
  WatchOptions o;
  o.since = v[2];
  std::unique_ptr<Watcher> w = Watch(o);
  BOOST_TEST(Ids(*w) == (Ids_{v[3], v[4]}));
  std::string next = SetN("b", 9);
  BOOST_TEST(Ids(*w) == Ids_{next});
}

BOOST_AUTO_TEST_CASE(errors_name_what_is_wrong) {
  SetN("a", 1);
  struct Case {
    std::optional<std::string> since, branch;
    Code code;
    std::string in_message;
  };
  const std::vector<Case> cases = {
      {"nope", {}, Code::kNotFound, "nope"},
      {"HEAD~5", {}, Code::kNotFound, "HEAD~5"},
      {{}, "bad..name", Code::kInvalidArgument, "bad..name"},
      {{}, "-x", Code::kInvalidArgument, "-x"},
  };
  for (const Case& c : cases) {
    WatchOptions o;
    o.since = c.since;
    o.branch = c.branch;
    Result<std::unique_ptr<Watcher>> w = Watcher::Make(repo(), o);
    BOOST_REQUIRE(!w.ok());
    BOOST_TEST(static_cast<int>(w.status().code()) == static_cast<int>(c.code));
    BOOST_TEST(w.status().message().find(c.in_message) != std::string::npos, w.status().message());
  }
}

BOOST_AUTO_TEST_CASE(parse_path_filter) {
  struct Case {
    std::string text;
    bool ok;
    std::string doc, pointer;
  };
  const std::vector<Case> cases = {
      {"config/app1:/db/host", true, "config/app1", "/db/host"},
      {"a:", true, "a", ""},
      {"a:b:/x", true, "a:b", "/x"},
      {"a:/x:y", true, "a", "/x:y"},
      {"a", false, "", ""},
      {":/x", false, "", ""},
      {"a:/x~2", false, "", ""},  // ~2 is no escape
  };
  for (const Case& c : cases) {
    Result<LogOptions::PathFilter> p = ParsePathFilter(c.text);
    BOOST_TEST(p.ok() == c.ok, c.text);
    if (!p.ok()) {
      BOOST_TEST(p.status().message().find(c.text) != std::string::npos, p.status().message());
      continue;
    }
    BOOST_TEST(p->doc == c.doc);
    BOOST_TEST(p->pointer.ToString() == c.pointer);
  }
}

BOOST_AUTO_TEST_CASE(a_branch_created_later_gives_all_its_versions) {
  const std::string m1 = SetN("a", 1), m2 = SetN("a", 2);
  WatchOptions o;
  o.branch = "team/feature";  // its folder refs/heads/team does not exist yet
  std::unique_ptr<Watcher> w = Watch(o);
  BOOST_TEST(!w->last().has_value());
  BOOST_TEST(Ids(*w) == Ids_{});
  BOOST_REQUIRE(repo().CreateBranch("team/feature", "main").ok());
  BOOST_TEST(Ids(*w) == (Ids_{m1, m2}));
  const std::string f1 = SetN("b", 1, "team/feature");
  SetN("a", 3);  // on main: not watched
  BOOST_TEST(Ids(*w) == Ids_{f1});
  // Deleted, then made again at main: only what the last tip seen lacks.
  BOOST_REQUIRE(repo().DeleteBranch("team/feature", true).ok());
  BOOST_TEST(Ids(*w) == Ids_{});
  BOOST_REQUIRE(repo().CreateBranch("team/feature", "main").ok());
  BOOST_TEST(Ids(*w) == Ids_{repo().ResolveRevision("main").value()});
}

BOOST_AUTO_TEST_CASE(a_jump_lists_every_version_oldest_first_merges_included) {
  SetN("a", 0);
  std::unique_ptr<Watcher> w = Watch();
  // Many writes on another branch, then one fast-forward: one ref move.
  BOOST_REQUIRE(repo().CreateBranch("side", "main").ok());
  Ids_ side;
  for (int i = 1; i <= 4; ++i) side.push_back(SetN("s", i, "side"));
  MergeRequest ff;
  ff.commit = By("ann", 1700001000);
  Result<MergeOutcome> out = repo().Merge("side", ff);
  BOOST_REQUIRE(out.ok());
  BOOST_TEST(static_cast<int>(out->kind) == static_cast<int>(MergeOutcome::Kind::kFastForward));
  BOOST_TEST(Ids(*w) == side);

  // Versions on both sides, then a merge version: its second parent's
  // versions come too, each before the versions that build on it.
  BOOST_REQUIRE(repo().CreateBranch("side2", "main").ok());
  const std::string t1 = SetN("t", 1, "side2"), t2 = SetN("t", 2, "side2");
  const std::string m1 = SetN("a", 5);
  BOOST_TEST(Ids(*w) == Ids_{m1});
  MergeRequest merge;
  merge.commit = By("ann", 1700002000);
  out = repo().Merge("side2", merge);
  BOOST_REQUIRE(out.ok());
  BOOST_REQUIRE(static_cast<int>(out->kind) == static_cast<int>(MergeOutcome::Kind::kMerged));
  BOOST_TEST(Ids(*w) == (Ids_{t1, t2, out->version->id}));
}

BOOST_AUTO_TEST_CASE(a_branch_moved_backwards_gives_nothing_then_follows) {
  const std::string v1 = SetN("a", 1);
  BOOST_REQUIRE(repo().CreateBranch("b", "main").ok());
  const std::string v2 = SetN("a", 2, "b"), v3 = SetN("a", 3, "b");
  WatchOptions o;
  o.branch = "b";
  std::unique_ptr<Watcher> w = Watch(o);
  BOOST_REQUIRE(repo().CreateBranch("b", v1, /*force=*/true).ok());
  BOOST_TEST(Ids(*w) == Ids_{});
  BOOST_TEST(*w->last() == v1);
  const std::string v4 = SetN("c", 1, "b");
  BOOST_TEST(Ids(*w) == Ids_{v4});
  // Forced sideways (to a line v4 is not on): the versions v4 lacks.
  BOOST_REQUIRE(repo().CreateBranch("b", v3, /*force=*/true).ok());
  BOOST_TEST(Ids(*w) == (Ids_{v2, v3}));
}

BOOST_AUTO_TEST_CASE(sees_what_another_repository_object_writes) {
  SetN("a", 0);
  WatchOptions o;
  o.changes = true;
  std::unique_ptr<Watcher> w = Watch(o);
  Result<std::unique_ptr<Repository>> other = Repository::Open(dir());
  BOOST_REQUIRE(other.ok());
  // A small write (a pack of a few objects), then a large one.
  const std::string v1 = SetN("a", 1, {}, other->get());
  std::vector<std::pair<std::string, json::value>> docs;
  for (int i = 0; i < 192; ++i) {
    docs.emplace_back("many/d" + std::to_string(i), J("{\"i\": " + std::to_string(i) + "}"));
  }
  Result<WriteResult> big = (*other)->Import(docs, By("bob"));
  BOOST_REQUIRE(big.ok());
  BOOST_TEST(big->objects_written > 192u);
  Result<std::vector<LogEntry>> batch = w->Poll();
  BOOST_REQUIRE_MESSAGE(batch.ok(), batch.status().message());
  BOOST_REQUIRE(batch->size() == 2u);
  BOOST_TEST((*batch)[0].version.id == v1);
  BOOST_TEST((*batch)[0].changes.size() == 1u);
  BOOST_TEST((*batch)[1].version.id == big->version.id);
  BOOST_TEST((*batch)[1].changes.size() == docs.size());
}

BOOST_AUTO_TEST_CASE(wait_wakes_on_a_write_and_on_wake) {
  SetN("a", 0);
  std::unique_ptr<Watcher> w = Watch();
  Result<std::unique_ptr<Repository>> other = Repository::Open(dir());
  BOOST_REQUIRE(other.ok());
  using Clock = std::chrono::steady_clock;
  // The bound is generous (the wake-up is immediate); only a Wait that
  // sleeps out its full timeout fails it.
  const auto kTimeout = std::chrono::milliseconds(60000);
  const std::string v = SetN("a", 1, {}, other->get());
  auto start = Clock::now();
  BOOST_REQUIRE(w->Wait(kTimeout).ok());
  BOOST_TEST((Clock::now() - start < std::chrono::seconds(30)));
  BOOST_TEST(Ids(*w) == Ids_{v});
  w->Wake();
  start = Clock::now();
  BOOST_REQUIRE(w->Wait(kTimeout).ok());
  BOOST_TEST((Clock::now() - start < std::chrono::seconds(30)));
  // A short timeout returns with nothing to do.
  BOOST_REQUIRE(w->Wait(std::chrono::milliseconds(1)).ok());
  BOOST_TEST(Ids(*w) == Ids_{});
}

BOOST_AUTO_TEST_CASE(a_perspective_hides_versions_that_change_nothing_it_shows) {
  const char* defs = R"({"perspectives": {"pub": {"docs": ["config/**"],
      "rules": [{"path": "/**", "action": "show"}, {"path": "/secret", "action": "hide"}]}}})";
  BOOST_REQUIRE(repo().Put(".perspectives", J(defs), By("ann")).ok());
  BOOST_REQUIRE(repo().UsePerspective("pub").ok());
  WatchOptions o;
  o.changes = true;
  std::unique_ptr<Watcher> w = Watch(o);
  // Written through a second object without the perspective.
  Result<std::unique_ptr<Repository>> other = Repository::Open(dir());
  BOOST_REQUIRE(other.ok());
  auto put = [&](const std::string& doc, const char* value) {
    Result<WriteResult> r = (*other)->Put(doc, J(value), By("bob"));
    if (!r.ok()) throw std::runtime_error(r.status().message());
    return r->version.id;
  };
  const std::string shown = put("config/a", R"({"x": 1, "secret": "s1"})");
  put("private/b", R"({"y": 1})");                 // a hidden document
  put("config/a", R"({"x": 1, "secret": "s2"})");  // a hidden value
  const std::string both = put("config/a", R"({"x": 2, "secret": "s3"})");
  Result<std::vector<LogEntry>> batch = w->Poll();
  BOOST_REQUIRE_MESSAGE(batch.ok(), batch.status().message());
  BOOST_REQUIRE(batch->size() == 2u);
  BOOST_TEST((*batch)[0].version.id == shown);
  BOOST_TEST((*batch)[1].version.id == both);
  BOOST_REQUIRE((*batch)[1].changes.size() == 1u);
  BOOST_TEST((*batch)[1].changes[0].pointer.ToString() == "/x");
  // Without -p, changes are not given, and the same versions are.
  WatchOptions from;
  from.since = shown + "~1";
  std::unique_ptr<Watcher> plain = Watch(from);
  batch = plain->Poll();
  BOOST_REQUIRE(batch.ok());
  BOOST_REQUIRE(batch->size() == 2u);
  BOOST_TEST((*batch)[1].version.id == both);
  BOOST_TEST((*batch)[1].changes.empty());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
