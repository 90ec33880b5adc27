// Tests for reads and writes through a perspective (repo/views.h;
// Repository::UsePerspective): the view state, its cache, writes put back
// with what the perspective hides, and merges seen through it.
#include "repo/views.h"

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "repo/schemas.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

// The issue's example definitions.
const char* kDefinitions = R"({"perspectives": {
  "public":   {"docs": ["config/**", "!config/internal/**"],
               "rules": [{"path": "/**", "action": "show"},
                         {"path": "/secrets/**", "action": "hide"},
                         {"path": "/db/password", "action": "mask"}]},
  "detailed": {"extends": "public", "rules": [{"path": "/secrets/owner", "action": "show"}]},
  "editor":   {"extends": "detailed", "docs": ["**"],
               "rules": [{"path": "/secrets/**", "action": "show"},
                         {"path": "/db/password", "action": "show"}]}}})";

const char* kApp = R"({"name": "app1", "db": {"host": "db1", "password": "pw-SECRET1"},
                       "secrets": {"apikey": "key-SECRET2", "owner": "ann"},
                       "list": [1, {"keep": true}]})";

class ViewFixture : public RepoFixture {
 public:
  ViewFixture() {
    Must(repo().Put(".perspectives", J(kDefinitions), By("ann")));
    Must(repo().Put("config/app1", J(kApp), By("ann")));
    Must(repo().Put("config/internal/x", J(R"({"token": "SECRET3"})"), By("ann")));
    Must(repo().Put("other/doc", J(R"({"a": 1})"), By("ann")));
  }
  static void Must(const Result<WriteResult>& r) {
    if (!r.ok()) throw std::runtime_error(r.status().message());
  }
  void Use(const std::optional<std::string>& p) {
    Status s = repo().UsePerspective(p);
    if (!s.ok()) throw std::runtime_error(s.message());
  }
  std::string Head() { return repo().ResolveRevision("HEAD").value(); }
  std::string ViewsFile() {
    return (fs::path(dir()) / ".strata" / "views" / repo().perspective()->id()).string();
  }
};

std::size_t Lines(const std::string& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

const json::value kPublicApp = RepoFixture::J(
    R"({"name": "app1", "db": {"host": "db1", "password": "***"}, "list": [1, {"keep": true}]})");

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_FIXTURE_TEST_SUITE(views, ViewFixture)

BOOST_AUTO_TEST_CASE(every_read_of_a_snapshot_sees_the_view) {
  Use("public");
  BOOST_TEST(Get("config/app1").value() == kPublicApp);
  BOOST_TEST(Get("config/app1", "HEAD", *JsonPointer::Parse("/db/password")).value() ==
             json::value("***"));
  // A hidden document answers exactly as a missing one.
  Result<json::value> hidden = Get("config/internal/x");
  Result<json::value> missing = Get("config/internal/y");
  BOOST_TEST((hidden.status().code() == Code::kNotFound));
  const std::string at = " at HEAD (" + Head().substr(0, 12) + ")";
  BOOST_TEST(hidden.status().message() == "no document 'config/internal/x'" + at);
  BOOST_TEST(missing.status().message() == "no document 'config/internal/y'" + at);
  // A hidden member answers as a missing one.
  Result<json::value> secret = Get("config/app1", "HEAD", *JsonPointer::Parse("/secrets"));
  BOOST_TEST((secret.status().code() == Code::kNotFound));
  BOOST_TEST(secret.status().message().find("SECRET") == std::string::npos);
  std::vector<DocumentInfo> listed = List().value();
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST(listed[0].id == "config/app1");
  BOOST_TEST(State("HEAD").value() == json::value(json::object{{"config/app1", kPublicApp}}));
  // The version that wrote the hidden document changed nothing visible.
  Result<Snapshot> v3 = repo().Read("HEAD~1");
  BOOST_TEST(v3->Changes().value().empty());
  BOOST_TEST(v3->Delta().value().empty());
  // The one that wrote config/app1 shows its view.
  Result<Snapshot> v2 = repo().Read("HEAD~2");
  std::vector<Change> changes = v2->Changes().value();
  BOOST_REQUIRE_EQUAL(changes.size(), 1u);
  BOOST_TEST(changes[0].op.value == kPublicApp);
  BOOST_TEST(CanonicalJson(PatchToJson(v2->Delta().value())).find("SECRET") == std::string::npos);
  // The perspective as defined now governs old versions too.
  BOOST_TEST(Get("config/app1", "HEAD~2").value() == kPublicApp);
  // detailed sees the owner; editor sees everything.
  Use("detailed");
  BOOST_TEST(Get("config/app1", "HEAD", *JsonPointer::Parse("/secrets")).value() ==
             J(R"({"owner": "ann"})"));
  Use("editor");
  BOOST_TEST(Get("config/app1").value() == J(kApp));
  BOOST_TEST(Get("config/internal/x").ok());
  Use(std::nullopt);
  BOOST_TEST(List().value().size() == 4u);
}

BOOST_AUTO_TEST_CASE(a_change_of_a_hidden_value_alone_changes_nothing_visible) {
  Must(repo().Set("config/app1", *JsonPointer::Parse("/secrets/apikey"), "key-SECRET4", By("bob")));
  Use("public");
  Result<Snapshot> head = repo().Read("HEAD");
  BOOST_TEST(head->Changes().value().empty());
  std::vector<Change> diff = Diff("HEAD~1", "HEAD").value();
  BOOST_TEST(diff.empty());
  // The log still lists the version; a --doc filter on the view skips it.
  LogOptions only_app;
  only_app.docs = {"config/app1"};
  std::vector<VersionInfo> log = repo().Log("HEAD", only_app).value();
  BOOST_REQUIRE_EQUAL(log.size(), 1u);
  BOOST_TEST(log[0].message == "put config/app1");
}

BOOST_AUTO_TEST_CASE(unknown_perspective_names_itself) {
  Status s = repo().UsePerspective("nosuch");
  BOOST_TEST((s.code() == Code::kNotFound));
  BOOST_TEST(s.message().find("unknown perspective 'nosuch'") != std::string::npos);
  BOOST_TEST(repo().perspective() == nullptr);
}

BOOST_AUTO_TEST_CASE(a_large_sharded_state_views_as_each_document_does) {
  // More documents than one tree node holds, so the state is sharded; every
  // third one is outside the perspective.
  std::vector<std::pair<std::string, json::value>> docs;
  for (int i = 0; i < 1300; ++i) {
    std::string id = (i % 3 == 0 ? "config/internal/d" : "config/d") + std::to_string(i);
    docs.emplace_back(id, J(R"({"n": )" + std::to_string(i) +
                            R"(, "secrets": {"k": "SECRET5"}, "db": {"password": "x"}})"));
  }
  Must(repo().Import(docs, By("ann")));
  Result<json::value> defs = Get(".perspectives");
  Perspective p = Perspective::Resolve(&*defs, "public").value();
  json::object expected;
  expected["config/app1"] = kPublicApp;
  for (const auto& [id, v] : docs) {
    if (p.DocVisible(id)) expected[id] = *p.View(v);
  }
  std::string id_one_thread, id_threads;
  {
    setenv("STRATA_VIEW_THREADS", "1", 1);
    Use("public");
    BOOST_TEST(State("HEAD").value() == json::value(expected));
    id_one_thread = Show("HEAD")->state_id;
  }
  fs::remove_all(fs::path(dir()) / ".strata" / "views");
  {
    setenv("STRATA_VIEW_THREADS", "4", 1);
    auto again = Repository::Open(dir()).value();
    BOOST_REQUIRE(again->UsePerspective("public").ok());
    id_threads = again->Read("HEAD")->version()->state_id;
  }
  unsetenv("STRATA_VIEW_THREADS");
  BOOST_TEST(id_one_thread == id_threads);
  BOOST_TEST(id_one_thread != Show("HEAD~1")->state_id);
}

BOOST_AUTO_TEST_CASE(views_are_computed_once_across_processes) {
  Use("public");
  BOOST_TEST(Get("config/app1").ok());
  const std::string file = ViewsFile();
  const std::size_t lines = Lines(file);
  BOOST_TEST(lines >= 2u);  // the state tree and config/app1
  {
    auto again = Repository::Open(dir()).value();
    BOOST_REQUIRE(again->UsePerspective("public").ok());
    BOOST_TEST(again->Read("HEAD")->Get("config/app1").value() == kPublicApp);
  }
  BOOST_TEST(Lines(file) == lines);
  // A new version views only what changed: its state tree, the bucket path
  // and the document.
  Must(repo().Set("config/app1", *JsonPointer::Parse("/name"), "app2", By("bob")));
  BOOST_TEST(Get("config/app1", "HEAD", *JsonPointer::Parse("/name")).value() == "app2");
  BOOST_TEST(Lines(file) == lines + 2);
}

BOOST_AUTO_TEST_CASE(a_damaged_or_stale_cache_is_ignored) {
  Use("public");
  const std::string head_state = repo().Read("HEAD")->version()->id;  // warms nothing: raw id
  (void)head_state;
  const std::string file = ViewsFile();
  fs::create_directories(fs::path(file).parent_path());
  // The raw state tree of HEAD, as written (read without the perspective).
  Use(std::nullopt);
  const std::string raw_state = Show("HEAD")->state_id;
  {
    std::ofstream out(file, std::ios::trunc);
    out << "garbage line\n";
    // The state mapped to an object that does not exist.
    out << raw_state << " " << std::string(39, '1') << "2 t\n";
    out << std::string(40, 'a') << " torn";  // no newline
  }
  Use("public");
  BOOST_TEST(Get("config/app1").value() == kPublicApp);
  BOOST_TEST(State("HEAD").value() == json::value(json::object{{"config/app1", kPublicApp}}));
}

BOOST_AUTO_TEST_CASE(writes_through_a_perspective_keep_what_it_hides) {
  Use("public");
  // A masked value may be written; it is never shown.
  Must(repo().Set("config/app1", *JsonPointer::Parse("/db/password"), "pw-NEW", By("bob")));
  BOOST_TEST(Get("config/app1", "HEAD", *JsonPointer::Parse("/db/password")).value() == "***");
  // The whole view written back, "***" left as it was: the stored value stays.
  json::value edited = kPublicApp;
  edited.as_object()["name"] = "app9";
  Must(repo().Put("config/app1", edited, By("bob")));
  // A hidden value cannot be written.
  const std::string before = Head();
  Result<WriteResult> hidden =
      repo().Set("config/app1", *JsonPointer::Parse("/secrets/apikey"), "leaked", By("bob"));
  BOOST_TEST((hidden.status().code() == Code::kInvalidArgument));
  BOOST_TEST(hidden.status().message().find("/secrets") != std::string::npos);
  BOOST_TEST(hidden.status().message().find("leaked") == std::string::npos);
  BOOST_TEST(Head() == before);
  // Nor a document outside it.
  Result<WriteResult> outside = repo().Put("config/internal/y", J("{}"), By("bob"));
  BOOST_TEST((outside.status().code() == Code::kInvalidArgument));
  BOOST_TEST(Head() == before);
  // A test on a hidden value fails as on a missing one.
  Result<Patch> probe = ParsePatch(J(R"([{"op": "test", "path": "/secrets/apikey",
                                          "value": "key-SECRET2"}])"));
  Result<WriteResult> tested = repo().Patch(std::string("config/app1"), *probe, By("bob"));
  BOOST_TEST(!tested.ok());
  BOOST_TEST(Head() == before);

  Use("editor");
  json::value stored = Get("config/app1").value();
  BOOST_TEST(stored.at("db").at("password") == "pw-NEW");
  BOOST_TEST(stored.at("name") == "app9");
  BOOST_TEST(stored.at("secrets") == J(R"({"apikey": "key-SECRET2", "owner": "ann"})"));

  // Removing the document through public leaves what public hides.
  Use("public");
  Must(repo().Remove("config/app1", std::nullopt, By("bob")));
  BOOST_TEST((Get("config/app1").status().code() == Code::kNotFound));
  Use("editor");
  BOOST_TEST(Get("config/app1").value() ==
             J(R"({"secrets": {"apikey": "key-SECRET2", "owner": "ann"}})"));
}

BOOST_AUTO_TEST_CASE(expected_versions_compare_stored_states) {
  Use("public");
  CommitOptions o = By("bob");
  o.expected = Head();
  Must(repo().Set("config/app1", *JsonPointer::Parse("/name"), "app3", o));
}

BOOST_AUTO_TEST_CASE(merge_conflicts_show_only_what_the_perspective_shows) {
  BOOST_REQUIRE(repo().CreateBranch("side", "HEAD").ok());
  CommitOptions on_side = By("bob");
  on_side.branch = "side";
  Must(repo().Patch(std::string("config/app1"), *ParsePatch(J(R"([
    {"op": "replace", "path": "/name", "value": "side"},
    {"op": "replace", "path": "/db/password", "value": "pw-SIDE-SECRET6"},
    {"op": "replace", "path": "/secrets/apikey", "value": "key-SIDE-SECRET7"}])")),
                    on_side));
  Must(repo().Patch(std::string("config/app1"), *ParsePatch(J(R"([
    {"op": "replace", "path": "/name", "value": "main"},
    {"op": "replace", "path": "/db/password", "value": "pw-MAIN-SECRET8"},
    {"op": "replace", "path": "/secrets/apikey", "value": "key-MAIN-SECRET9"}])")),
                    By("ann")));
  Use("public");
  MergeRequest request;
  request.commit = By("ann");
  MergeOutcome out = repo().Merge("side", request).value();
  BOOST_TEST((out.kind == MergeOutcome::Kind::kConflicts));
  std::string all;
  for (const MergeConflict& c : out.conflicts) all += CanonicalJson(MergeConflictToJson(c));
  BOOST_TEST(all.find("SECRET") == std::string::npos);
  BOOST_REQUIRE_EQUAL(out.conflicts.size(), 2u);
  BOOST_TEST(out.conflicts[0].pointer.ToString() == "/db/password");
  BOOST_TEST(*out.conflicts[0].ours == "***");
  BOOST_TEST(out.conflicts[1].pointer.ToString() == "/name");
  std::optional<MergeInProgress> m = repo().CurrentMerge().value();
  BOOST_REQUIRE(m);
  BOOST_TEST(m->conflicts.size() == 2u);
  // A hidden conflict is not there to resolve, and messages do not name it.
  ResolveRequest hidden;
  hidden.take = ResolveRequest::Take::kTheirs;
  hidden.doc = "config/app1";
  hidden.pointer = *JsonPointer::Parse("/secrets/apikey");
  Result<MergeInProgress> r = repo().Resolve(hidden);
  BOOST_TEST((r.status().code() == Code::kNotFound));
  // It answers as a conflict that does not exist (the pointer is the caller's own).
  hidden.pointer = *JsonPointer::Parse("/secrets/nosuch");
  Result<MergeInProgress> none = repo().Resolve(hidden);
  std::string said = r.status().message();
  said.replace(said.find("apikey"), 6, "nosuch");
  BOOST_TEST(said == none.status().message());
  BOOST_TEST(said.find("apikey") == std::string::npos);
  Result<MergeOutcome> early = repo().ContinueMerge(By("ann"));
  BOOST_TEST((early.status().code() == Code::kConflict));
  BOOST_TEST(early.status().message().find("apikey") == std::string::npos);
  BOOST_TEST(early.status().message().find("1 that perspective 'public' hides") !=
             std::string::npos);
  // Without the perspective the hidden conflict is there.
  Use(std::nullopt);
  BOOST_TEST(repo().CurrentMerge().value()->conflicts.size() == 3u);
  BOOST_TEST(repo().ContinueMerge(By("ann")).status().message().find("/secrets/apikey") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_fast_forward_through_a_perspective_may_not_change_hidden_values) {
  BOOST_REQUIRE(repo().CreateBranch("side", "HEAD").ok());
  CommitOptions on_side = By("bob");
  on_side.branch = "side";
  Must(repo().Set("config/app1", *JsonPointer::Parse("/secrets/apikey"), "key-SIDE", on_side));
  const std::string before = Head();
  Use("public");
  MergeRequest request;
  request.commit = By("ann");
  Result<MergeOutcome> out = repo().Merge("side", request);
  BOOST_TEST((out.status().code() == Code::kInvalidArgument));
  BOOST_TEST(Head() == before);
  Use("editor");
  BOOST_TEST((repo().Merge("side", request)->kind == MergeOutcome::Kind::kFastForward));
}

BOOST_AUTO_TEST_CASE(verify_reads_the_stored_state_whatever_the_perspective) {
  Use("public");
  VerifyReport report = repo().Verify().value();
  BOOST_TEST(report.problems.empty());
  BOOST_TEST(repo().perspective() != nullptr);
}

BOOST_AUTO_TEST_CASE(validate_judges_stored_documents_and_reports_only_what_is_seen) {
  // Before the schemas: app1's apikey is a string, x's token too.
  CommitOptions force = By("ann");
  force.force = true;
  Must(repo().Put(".schemas", J(R"({"schemas": [
    {"doc": "config/**", "schema": {"properties": {
      "name": {"type": "integer"},
      "secrets": {"properties": {"apikey": {"type": "integer"}}},
      "token": {"type": "integer"}}}}]})"),
                  force));
  std::vector<SchemaViolation> all = repo().Validate("HEAD").value();
  BOOST_TEST(all.size() == 3u);  // /name and /secrets/apikey of app1, /token of x
  Use("public");
  std::vector<SchemaViolation> seen = repo().Validate("HEAD").value();
  BOOST_REQUIRE_EQUAL(seen.size(), 1u);
  BOOST_TEST(seen[0].doc == "config/app1");
  BOOST_TEST(seen[0].pointer.ToString() == "/name");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
