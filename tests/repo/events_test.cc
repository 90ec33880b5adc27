// Events: Repository::Subscribe, NarrowEvent, EventToJson against
// docs/event.schema.json, and the hooks as library writes run them.
#include "strata/events.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "repo/schemas.h"
#include "strata/repository.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

using Lines = std::vector<std::string>;

// One line per event: what a test can state exactly.
std::string Summary(const Event& e) {
  std::string s = std::string(EventKindName(e.kind)) + " " + e.action + " " + e.ref;
  s += e.old_id ? " old" : " -";
  s += e.new_id ? " new" : " -";
  if (!e.names.empty()) s += " names=" + e.names;
  if (e.written) s += " written";
  if (e.fast_forward) s += " ff";
  if (e.version && !e.written) s += " at=" + e.version->message;
  if (!e.delta.empty()) s += " " + CanonicalJson(PatchToJson(e.delta));
  return s;
}

struct Recorder {
  std::vector<Event> events;
  Lines Summaries() const {
    Lines out;
    for (const Event& e : events) out.push_back(Summary(e));
    return out;
  }
};

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The schema in docs/, compiled by strata's own valijson wrapper.
std::shared_ptr<const SchemaSet> EventSchema() {
  Result<json::value> schema =
      ParseJson(ReadFile(std::string(STRATA_SOURCE_DIR) + "/docs/event.schema.json"),
                "docs/event.schema.json");
  BOOST_REQUIRE_MESSAGE(schema.ok(), schema.status().message());
  json::object entry{{"doc", "event"}, {"schema", *schema}};
  json::object doc{{"schemas", json::array{json::value(entry)}}};
  Result<std::shared_ptr<const SchemaSet>> set = SchemaSet::Compile(doc);
  BOOST_REQUIRE_MESSAGE(set.ok(), set.status().message());
  return *set;
}

std::string Violations(const SchemaSet& schema, const json::value& v) {
  std::string out;
  for (const SchemaViolation& x : schema.Validate("event", v)) {
    out += FormatSchemaViolation(x) + "\n";
  }
  return out;
}

// Every kind of event a repository makes, from real operations.
struct History : RepoFixture {
  Recorder all;
  EventConnection connection;
  std::unique_ptr<Repository> other;
  History() {
    connection = repo().Subscribe({}, [this](const Event& e) { all.events.push_back(e); });
    other = Repository::Init(dir() + "/other").value();
  }

  void Run() {
    CommitOptions labelled = By("ann", 1700000000);
    labelled.message = "first";
    labelled.labels = {"reviewed"};
    BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), labelled).ok());
    BOOST_REQUIRE(repo().CreateBranch("topic").ok());
    CommitOptions on_topic = By("bob", 1700000100);
    on_topic.branch = "topic";
    on_topic.message = "two";
    BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), on_topic).ok());
    MergeRequest merge;
    merge.commit = By("ann", 1700000200);
    BOOST_REQUIRE(repo().Merge("topic", merge).ok());  // a fast-forward
    on_topic.message = "three";
    BOOST_REQUIRE(repo().Put("e", J("{\"x\":1}"), on_topic).ok());
    BOOST_REQUIRE(repo().Set("d", P("/b"), J("true"), By("ann", 1700000300)).ok());
    merge.commit.message = "merge topic";
    BOOST_REQUIRE(repo().Merge("topic", merge).ok());  // a merge version
    BOOST_REQUIRE(repo().DeleteBranch("topic").ok());
    BOOST_REQUIRE(repo().SwitchBranch("side", std::string("HEAD")).ok());
    BOOST_REQUIRE(repo().CreateTag("v1", "HEAD", {}).ok());
    BOOST_REQUIRE(repo().AddLabels("HEAD", {"shipped"}, {}).ok());
    // Fetch from a repository in a local folder, twice.
    BOOST_REQUIRE(other->Put("o", J("1"), By("cy", 1700000400)).ok());
    BOOST_REQUIRE(repo().AddRemote("origin", dir() + "/other").ok());
    BOOST_REQUIRE(repo().Fetch("origin", {}).ok());
    CommitOptions o2 = By("cy", 1700000500);
    o2.message = "o two";
    BOOST_REQUIRE(other->Put("o", J("2"), o2).ok());
    BOOST_REQUIRE(repo().Fetch("origin", {}).ok());
  }
};

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(events)

BOOST_FIXTURE_TEST_CASE(each_kind_of_move_is_an_event_with_its_fields, History) {
  Run();
  const Lines expected = {
      R"(write create refs/heads/main - new written [{"op":"add","path":"/d","value":{"a":1}}])",
      "branch create refs/heads/topic - new at=first",
      R"(write update refs/heads/topic old new written [{"op":"replace","path":"/d/a","value":2}])",
      R"(merge update refs/heads/main old new ff at=two [{"op":"replace","path":"/d/a","value":2}])",
      R"(write update refs/heads/topic old new written [{"op":"add","path":"/e","value":{"x":1}}])",
      R"(write update refs/heads/main old new written [{"op":"add","path":"/d/b","value":true}])",
      R"(merge update refs/heads/main old new written [{"op":"add","path":"/e","value":{"x":1}}])",
      "branch delete refs/heads/topic old -",
      "branch create refs/heads/side - new at=merge topic",
      "branch switch HEAD - - names=refs/heads/side",
      "tag create refs/tags/v1 - new at=merge topic",
      "labels create refs/notes/strata-labels - new",
      "fetch create refs/remotes/origin/main - new at=put o",
      R"(fetch update refs/remotes/origin/main old new at=o two [{"op":"replace","path":"/o","value":2}])",
  };
  BOOST_TEST(all.Summaries() == expected, boost::test_tools::per_element());
  BOOST_REQUIRE(all.events.size() == expected.size());

  // The first write: ids, author, time, message, labels.
  const Event& first = all.events[0];
  BOOST_REQUIRE(first.version.has_value());
  BOOST_TEST(*first.new_id == first.version->id);
  BOOST_TEST(first.version->author.name == "ann");
  BOOST_TEST(first.version->time == 1700000000);
  BOOST_TEST(first.version->message == "first");
  BOOST_TEST(first.version->labels == Lines{"reviewed"}, boost::test_tools::per_element());
  BOOST_TEST(first.reason == "strata: first");
  // The fast-forward moves main from the first version to topic's.
  const Event& ff = all.events[3];
  BOOST_TEST(*ff.old_id == first.version->id);
  BOOST_TEST(*ff.new_id == *all.events[2].new_id);
  // The merge version has two parents: main's and topic's.
  const Event& merged = all.events[6];
  BOOST_TEST(merged.version->parents == (Lines{*all.events[5].new_id, *all.events[4].new_id}),
             boost::test_tools::per_element());
  BOOST_TEST(merged.version->message == "merge topic");
}

BOOST_FIXTURE_TEST_CASE(real_events_validate_against_the_schema, History) {
  Run();
  std::shared_ptr<const SchemaSet> schema = EventSchema();
  for (const Event& e : all.events) {
    BOOST_TEST(Violations(*schema, EventToJson(e)) == "", Summary(e));
  }
  // And the schema does refuse what is not an event.
  json::object bad = EventToJson(all.events[0]);
  bad["kind"] = "bogus";
  BOOST_TEST(Violations(*schema, bad) != "");
  json::object no_version = EventToJson(all.events[0]);
  no_version["version"] = nullptr;  // written, yet no version
  BOOST_TEST(Violations(*schema, no_version) != "");
}

BOOST_FIXTURE_TEST_CASE(subscribers_run_in_order_and_one_that_throws_stops_nothing, RepoFixture) {
  Lines calls, reports;
  repo().SetEventReporter([&](const std::string& m) { reports.push_back(m); });
  EventConnection a = repo().Subscribe({}, [&](const Event&) { calls.push_back("a"); });
  EventConnection b = repo().Subscribe({}, [&](const Event&) {
    calls.push_back("b");
    throw std::runtime_error("boom");
  });
  EventConnection c = repo().Subscribe({}, [&](const Event&) {
    calls.push_back("c");
    throw 42;
  });
  EventConnection d = repo().Subscribe({}, [&](const Event&) { calls.push_back("d"); });
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  BOOST_TEST(calls == (Lines{"a", "b", "c", "d"}), boost::test_tools::per_element());
  BOOST_TEST(
      reports == (Lines{"an event subscriber failed on the write event of refs/heads/main: boom",
                        "an event subscriber failed on the write event of refs/heads/main: an "
                        "exception that is not a std::exception"}),
      boost::test_tools::per_element());
  BOOST_TEST(LogSize(repo()) == 1u);
  BOOST_TEST(Get("d").value() == J("{\"a\":1}"));
}

BOOST_FIXTURE_TEST_CASE(disconnected_subscribers_get_nothing_more, RepoFixture) {
  int kept = 0, dropped = 0, scoped = 0;
  EventConnection keep = repo().Subscribe({}, [&](const Event&) { ++kept; });
  EventConnection drop = repo().Subscribe({}, [&](const Event&) { ++dropped; });
  {
    EventConnection in_scope = repo().Subscribe({}, [&](const Event&) { ++scoped; });
    BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  }
  drop.disconnect();
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("ann")).ok());
  BOOST_TEST(kept == 2);
  BOOST_TEST(dropped == 1);
  BOOST_TEST(scoped == 1);
}

// A handler may subscribe and disconnect from inside a delivery.
BOOST_FIXTURE_TEST_CASE(a_handler_may_disconnect_itself, RepoFixture) {
  int calls = 0;
  EventConnection self;
  self = repo().Subscribe({}, [&](const Event&) {
    ++calls;
    self.disconnect();
  });
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("ann")).ok());
  BOOST_TEST(calls == 1);
}

EventFilter Filter(std::vector<EventKind> kinds, std::optional<std::string> doc = std::nullopt,
                   const char* pointer = "") {
  EventFilter f;
  f.kinds = std::move(kinds);
  f.doc = std::move(doc);
  f.pointer = P(pointer);
  return f;
}

Perspective Ops() {
  json::value doc = ParseJson(R"({"perspectives": {"ops": {"rules": [
      {"path": "", "action": "show"},
      {"path": "/pw", "action": "mask"},
      {"path": "/**/secret", "action": "hide"}]}}})")
                        .value();
  return Perspective::Resolve(&doc, "ops").value();
}

Event Sample() {
  Event e;
  e.kind = EventKind::kWrite;
  e.action = "update";
  e.ref = "refs/heads/main";
  e.written = true;
  e.delta = ParsePatch(ParseJson(R"([
      {"op": "replace", "path": "/d/a", "value": 1},
      {"op": "add", "path": "/d/b", "value": {"c": 2, "secret": 3, "pw": "x"}},
      {"op": "remove", "path": "/d/secret"},
      {"op": "replace", "path": "/d/pw", "value": "hunter2"},
      {"op": "add", "path": "/e", "value": {"x": [1]}},
      {"op": "remove", "path": "/d/b/c"}])")
                           .value())
                .value();
  return e;
}

BOOST_AUTO_TEST_CASE(narrowing_by_kind_document_pointer_and_perspective) {
  struct Case {
    const char* name;
    EventFilter filter;
    std::string delta;  // "skipped": the subscriber does not get the event
  };
  EventFilter ops;
  ops.perspective = Ops();
  EventFilter b_ops;
  b_ops.doc = "d";
  b_ops.pointer = P("/b");
  b_ops.perspective = Ops();
  const Case cases[] = {
      {"everything", {}, CanonicalJson(PatchToJson(Sample().delta))},
      {"its kind", Filter({EventKind::kMerge, EventKind::kWrite}),
       CanonicalJson(PatchToJson(Sample().delta))},
      {"another kind", Filter({EventKind::kBranch}), "skipped"},
      {"document e", Filter({}, "e"), R"([{"op":"add","path":"/e","value":{"x":[1]}}])"},
      {"a pointer in d", Filter({}, "d", "/b"),
       R"([{"op":"add","path":"/d/b","value":{"c":2,"pw":"x","secret":3}},{"op":"remove","path":"/d/b/c"}])"},
      {"a pointer under a replaced value", Filter({}, "e", "/x/0"),
       R"([{"op":"add","path":"/e","value":{"x":[1]}}])"},
      {"a document it does not touch", Filter({}, "f"), "skipped"},
      {"a pointer it does not touch", Filter({}, "d", "/zz"), "skipped"},
      {"through a perspective", ops,
       R"([{"op":"replace","path":"/d/a","value":1},)"
       R"({"op":"add","path":"/d/b","value":{"c":2,"pw":"x"}},)"
       R"({"op":"replace","path":"/d/pw","value":"***"},)"
       R"({"op":"add","path":"/e","value":{"x":[1]}},{"op":"remove","path":"/d/b/c"}])"},
      {"a pointer through a perspective", b_ops,
       R"([{"op":"add","path":"/d/b","value":{"c":2,"pw":"x"}},{"op":"remove","path":"/d/b/c"}])"},
  };
  for (const Case& c : cases) {
    std::optional<Event> seen = NarrowEvent(Sample(), c.filter);
    const std::string got = seen ? CanonicalJson(PatchToJson(seen->delta)) : "skipped";
    BOOST_TEST(got == c.delta, c.name << ": " << got);
    if (seen) BOOST_TEST(seen->ref == "refs/heads/main", c.name);
  }

  // Only hidden changes: the perspective's reader gets no event.
  Event hidden = Sample();
  hidden.delta = ParsePatch(ParseJson(R"([{"op":"remove","path":"/d/secret"}])").value()).value();
  BOOST_TEST(!NarrowEvent(hidden, ops).has_value());
  // No change at all (a branch created): every reader but a document's gets it.
  Event branch;
  branch.kind = EventKind::kBranch;
  branch.action = "create";
  BOOST_TEST(NarrowEvent(branch, ops).has_value());
  BOOST_TEST(!NarrowEvent(branch, Filter({}, "d")).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_subscription_sees_its_document_only, RepoFixture) {
  Recorder d, e;
  EventConnection cd =
      repo().Subscribe(Filter({}, "d"), [&](const Event& x) { d.events.push_back(x); });
  EventConnection ce = repo().Subscribe(Filter({EventKind::kWrite}, "e"),
                                        [&](const Event& x) { e.events.push_back(x); });
  BOOST_REQUIRE(repo().Put("d", J("{\"a\":1}"), By("ann")).ok());
  BOOST_REQUIRE(repo()
                    .Patch(std::nullopt,
                           ParsePatch(J(R"([{"op":"add","path":"/e","value":1},
                                              {"op":"replace","path":"/d/a","value":2}])"))
                               .value(),
                           By("ann"))
                    .ok());
  BOOST_REQUIRE(repo().CreateBranch("x").ok());
  BOOST_TEST(
      d.Summaries() ==
          (Lines{
              R"(write create refs/heads/main - new written [{"op":"add","path":"/d","value":{"a":1}}])",
              R"(write update refs/heads/main old new written [{"op":"replace","path":"/d/a","value":2}])"}),
      boost::test_tools::per_element());
  BOOST_TEST(
      e.Summaries() ==
          (Lines{
              R"(write update refs/heads/main old new written [{"op":"add","path":"/e","value":1}])"}),
      boost::test_tools::per_element());
}

// Hooks run for library writes too, unless turned off.
BOOST_FIXTURE_TEST_CASE(library_writes_run_the_hooks_unless_turned_off, RepoFixture) {
  const std::string hooks = repo().path() + "/hooks";
  fs::create_directories(hooks);
  WriteFile(hooks + "/pre-commit", "#!/bin/sh\necho 'no writes today' >&2\nexit 1\n", 0755);
  WriteFile(hooks + "/post-commit", "#!/bin/sh\ncat > \"$STRATA_DIR/seen\"\nexit 3\n", 0755);
  Lines reports;
  repo().SetEventReporter([&](const std::string& m) { reports.push_back(m); });

  Result<WriteResult> refused = repo().Set("d", P("/a"), J("1"), By("ann"));
  BOOST_TEST((refused.status().code() == Code::kConflict));
  BOOST_TEST(refused.status().message() ==
             "the pre-commit hook refused the version on refs/heads/main (exit 1); nothing was "
             "written: no writes today");
  BOOST_TEST(!repo().Read("HEAD").value().version());  // no version written

  fs::remove(hooks + "/pre-commit");
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("1"), By("ann")).ok());
  BOOST_TEST(reports == Lines{"post-commit hook failed (exit 3)"},
             boost::test_tools::per_element());
  json::value seen = ParseJson(ReadFile(repo().path() + "/seen")).value();
  BOOST_TEST(std::string(seen.at("kind").as_string()) == "write");
  BOOST_TEST(std::string(seen.at("version").at("id").as_string()) == Show("HEAD").value().id);

  repo().SetRunHooks(false);
  WriteFile(hooks + "/pre-commit", "#!/bin/sh\nexit 1\n", 0755);
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("ann")).ok());
  BOOST_TEST(reports.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
