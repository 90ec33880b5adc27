// Tests for projection (Repository::Project, repo/projection.cc): a history
// seen through a perspective, as versions of its own, for pushing to a site
// that may see only that view.
#include <git2.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <unordered_set>

#include "objects/delta_codec.h"
#include "objects/tree_codec.h"
#include "tests/repo/repo_fixture.h"

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)

namespace strata {
namespace {

const char* kDefinitions = R"({"perspectives": {
  "public":   {"docs": ["config/**", "!config/internal/**"],
               "rules": [{"path": "/**", "action": "show"},
                         {"path": "/secrets/**", "action": "hide"},
                         {"path": "/db/password", "action": "mask"}]},
  "everything": {"rules": [{"path": "/**", "action": "show"}]}}})";

const char* kApp = R"({"name": "app1", "db": {"host": "db1", "password": "pw-SECRET1"},
                       "secrets": {"apikey-KEYNAME": "key-SECRET2"}})";

// Strings that must never leave through "public": secret values, a hidden
// document's id, hidden keys.
const std::vector<std::string> kSecrets = {"SECRET", "vault-DOCNAME",   "KEYNAME",
                                           "apikey", "config/internal", "secrets"};

class ProjectionFixture : public RepoFixture {
 public:
  static void Must(const Result<WriteResult>& r) {
    if (!r.ok()) throw std::runtime_error(r.status().message());
  }
  void Use(const std::optional<std::string>& p) {
    Status s = repo().UsePerspective(p);
    if (!s.ok()) throw std::runtime_error(s.message());
  }
  // Projects `rev` through `p`, then reads and writes with no perspective.
  std::optional<std::string> Project(const std::string& p, const std::string& rev = "HEAD") {
    Use(p);
    Result<std::optional<std::string>> r = repo().Project(rev);
    Use(std::nullopt);
    if (!r.ok()) throw std::runtime_error(r.status().message());
    return *r;
  }
  std::string Head() { return repo().ResolveRevision("HEAD").value(); }
  std::string GitDir() const { return (fs::path(dir()) / ".strata").string(); }
  std::string MappingFile(const std::string& p) {
    Use(p);
    std::string id = repo().perspective()->id();
    Use(std::nullopt);
    return (fs::path(GitDir()) / "projections" / id).string();
  }
  // A history with secrets in hidden values, a hidden document and
  // messages: the writes of the planted-secrets test.
  void WriteHistory(std::int64_t t = 1700000000) {
    Must(repo().Put(".perspectives", J(kDefinitions), By("ann", t)));
    Must(repo().Put("config/app1", J(kApp), By("ann", t + 1)));
    // Hidden only: left out.
    Must(repo().Put("config/internal/vault-DOCNAME", J(R"({"token": "SECRET3"})"),
                    By("bob", t + 2)));
    Must(repo().Set("config/app1", P("/secrets/apikey-KEYNAME"), json::value("key-SECRET4"),
                    By("bob", t + 3)));
    // Masked only ("***" before and after): left out.
    Must(repo().Set("config/app1", P("/db/password"), json::value("pw-SECRET5"), By("bob", t + 4)));
    // Visible and hidden at once, with composed messages naming what is hidden.
    Must(repo().Write(
        [](PatchTarget& e) -> Status {
          STRATA_RETURN_IF_ERROR(e.Replace(P("/config~1app1/name"), json::value("app2")));
          return e.Add(P("/config~1app1/secrets/apikey-KEYNAME"), json::value("key-SECRET6"));
        },
        "set config/app1 /secrets/apikey-KEYNAME", By("cy", t + 5)));
    Must(repo().Write(
        [](PatchTarget& e) -> Status {
          STRATA_RETURN_IF_ERROR(e.Add(P("/config~1web"), J(R"({"port": 80})")));
          return e.Add(P("/config~1internal~1vault-DOCNAME/KEYNAME-token"), json::value("SECRET7"));
        },
        "set config/internal/vault-DOCNAME /KEYNAME-token", By("cy", t + 6)));
    CommitOptions labelled = By("dee", t + 7);
    labelled.message = "raise the port";
    labelled.labels = {"ops", "minor-edit"};
    Must(repo().Set("config/web", P("/port"), json::value(8080), labelled));
  }
};

// Every object reachable from a commit, read with libgit2 directly.
struct Reachable {
  std::vector<std::string> commits;  // ids, any order
  std::unordered_set<std::string> ids;
  // Every byte reachable: raw objects, tree entry names unescaped, deltas
  // decompressed.
  std::string text;
};

Reachable ReadReachable(const std::string& git_dir, const std::string& commit) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, git_dir.c_str()) < 0) throw std::runtime_error("open");
  RepositoryPtr repo(raw);
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, raw) < 0) throw std::runtime_error("odb");
  OdbPtr odb(odb_raw);
  Reachable out;
  git_oid start;
  git_oid_fromstr(&start, commit.c_str());
  std::vector<git_oid> stack{start};
  while (!stack.empty()) {
    git_oid id = stack.back();
    stack.pop_back();
    std::string hex = FromGit(id).Hex();
    if (!out.ids.insert(hex).second) continue;
    git_odb_object* obj_raw = nullptr;
    if (git_odb_read(&obj_raw, odb.get(), &id) < 0) throw std::runtime_error("missing " + hex);
    OdbObjectPtr obj(obj_raw);
    std::string data(static_cast<const char*>(git_odb_object_data(obj_raw)),
                     git_odb_object_size(obj_raw));
    out.text += data;
    out.text += '\n';
    switch (git_odb_object_type(obj_raw)) {
      case GIT_OBJECT_COMMIT: {
        out.commits.push_back(hex);
        git_commit* c = nullptr;
        if (git_commit_lookup(&c, raw, &id) < 0) throw std::runtime_error("commit " + hex);
        CommitPtr cp(c);
        stack.push_back(*git_commit_tree_id(c));
        for (unsigned i = 0; i < git_commit_parentcount(c); ++i) {
          stack.push_back(*git_commit_parent_id(c, i));
        }
        break;
      }
      case GIT_OBJECT_TREE: {
        git_tree* t = nullptr;
        if (git_tree_lookup(&t, raw, &id) < 0) throw std::runtime_error("tree " + hex);
        TreePtr tp(t);
        for (std::size_t i = 0; i < git_tree_entrycount(t); ++i) {
          const git_tree_entry* e = git_tree_entry_byindex(t, i);
          Result<std::string> name = UnescapeKey(git_tree_entry_name(e));
          out.text += name.ok() ? *name : std::string(git_tree_entry_name(e));
          out.text += '\n';
          stack.push_back(*git_tree_entry_id(e));
        }
        break;
      }
      default: {
        Result<std::string> plain = ZstdDecompress(data);
        if (plain.ok()) out.text += *plain + '\n';
        break;
      }
    }
  }
  return out;
}

std::size_t Lines(const std::string& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// The objects on disk (loose and packed), as ids.
std::set<std::string> LooseObjects(const std::string& git_dir) {
  std::set<std::string> out;
  std::string command =
      "git --git-dir='" + git_dir + "' cat-file --batch-all-objects --batch-check='%(objectname)'";
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  char line[128];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::string id(line);
    while (!id.empty() && id.back() == '\n') id.pop_back();
    out.insert(id);
  }
  BOOST_REQUIRE(pclose(pipe) == 0);
  return out;
}

std::size_t Packs(const std::string& git_dir) {
  std::size_t n = 0;
  for (const auto& f : fs::directory_iterator(fs::path(git_dir) / "objects" / "pack")) {
    n += f.path().extension() == ".pack";
  }
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_FIXTURE_TEST_SUITE(projection, ProjectionFixture)

BOOST_AUTO_TEST_CASE(needs_a_perspective) {
  Must(repo().Put("config/app1", J(kApp), By("ann")));
  Result<std::optional<std::string>> r = repo().Project("HEAD");
  BOOST_TEST((r.status().code() == Code::kInvalidArgument));
  BOOST_TEST(r.status().message() == "projecting 'HEAD' needs a perspective; name one");
}

BOOST_AUTO_TEST_CASE(projects_the_view_and_leaves_out_what_changes_nothing_visible) {
  WriteHistory();
  const std::optional<std::string> projected = Project("public");
  BOOST_REQUIRE(projected.has_value());
  // 8 versions: .perspectives (nothing visible yet), app1, the hidden
  // document, a hidden value and a masked one (left out), then three
  // visible changes.
  BOOST_TEST(LogSize(repo()) == 8u);
  std::vector<VersionInfo> log = repo().Log(*projected, {}).value();
  BOOST_REQUIRE(log.size() == 4u);
  BOOST_TEST(log[0].message == "raise the port");
  BOOST_TEST((log[0].labels == std::vector<std::string>{"ops", "minor-edit"}));
  BOOST_TEST(log[0].author.ToString() == "dee <dee@example.com>");
  BOOST_TEST(log[0].time == 1700000007);
  BOOST_TEST(log[1].message == "set (hidden) (hidden)");
  BOOST_TEST(log[1].author.name == "cy");
  BOOST_TEST(log[2].message == "set config/app1 (hidden)");
  BOOST_TEST(log[3].message == "put config/app1");
  BOOST_TEST(log[3].time == 1700000001);
  BOOST_TEST(log[3].parents.empty());
  // The projected state is the view: the masked value masked.
  BOOST_TEST(State(*projected).value() == J(R"({"config/app1": {"name": "app2",
      "db": {"host": "db1", "password": "***"}}, "config/web": {"port": 8080}})"));
  Use("public");
  BOOST_TEST(State(*projected).value() == State("HEAD").value());
  Use(std::nullopt);
  // Per-document metadata counts the projected versions.
  BOOST_REQUIRE(repo().CreateBranch("projected", *projected).ok());
  Snapshot s = repo().Read("projected").value();
  std::vector<DocumentInfo> docs = s.List().value();
  BOOST_REQUIRE(docs.size() == 2u);
  BOOST_TEST(docs[0].id == "config/app1");
  BOOST_TEST(docs[0].versions == 2u);
  BOOST_TEST(docs[0].created_at == 1700000001);
  BOOST_TEST(docs[1].id == "config/web");
  BOOST_TEST(docs[1].versions == 2u);
}

BOOST_AUTO_TEST_CASE(planted_secrets_never_reach_a_projected_object) {
  WriteHistory();
  // The original history holds every secret (so the search can find them).
  Reachable original = ReadReachable(GitDir(), Head());
  for (const std::string& s : kSecrets) {
    BOOST_TEST_CONTEXT(s) { BOOST_TEST(original.text.find(s) != std::string::npos); }
  }
  const std::optional<std::string> projected = Project("public");
  BOOST_REQUIRE(projected.has_value());
  Reachable seen = ReadReachable(GitDir(), *projected);
  BOOST_TEST(seen.commits.size() == 4u);
  for (const std::string& s : kSecrets) {
    BOOST_TEST_CONTEXT(s) { BOOST_TEST(seen.text.find(s) == std::string::npos); }
  }
  // What is visible is there, the masked value as "***".
  BOOST_TEST(seen.text.find("db1") != std::string::npos);
  BOOST_TEST(seen.text.find("\"***\"") != std::string::npos);
  BOOST_TEST(seen.text.find("pw-") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(deltas_of_the_projected_history_apply) {
  WriteHistory();
  const std::optional<std::string> projected = Project("public");
  BOOST_REQUIRE(projected.has_value());
  BOOST_REQUIRE(repo().CreateBranch("projected", *projected).ok());
  VerifyReport report = repo().Verify().value();
  BOOST_TEST(report.problems.empty());
  // And by hand: each delta applied to its first parent's state.
  const std::vector<VersionInfo> log = repo().Log(*projected, {}).value();
  BOOST_TEST(log.size() == 4u);
  for (const VersionInfo& v : log) {
    json::value before = v.parents.empty() ? json::value(json::object()) : *State(v.parents[0]);
    Snapshot s = repo().Read(v.id).value();
    strata::Patch delta = s.Delta().value();
    BOOST_TEST(!delta.empty());
    ValueTarget target(before);
    BOOST_REQUIRE(ApplyPatch(target, delta).ok());
    BOOST_TEST(before == *State(v.id));
  }
}

BOOST_AUTO_TEST_CASE(projection_is_deterministic) {
  WriteHistory();
  const std::optional<std::string> first = Project("public");
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(Project("public") == first);
  // Without the remembered mapping and views: the same ids, computed again.
  fs::remove_all(fs::path(GitDir()) / "projections");
  fs::remove_all(fs::path(GitDir()) / "views");
  BOOST_TEST(Project("public") == first);
  // Another repository given the same writes projects to the same ids.
  ProjectionFixture other;
  other.WriteHistory();
  BOOST_TEST(other.Head() == Head());
  BOOST_TEST(other.Project("public") == first);
  // A different history (one second later) projects to other ids.
  ProjectionFixture later;
  later.WriteHistory(1700000001);
  BOOST_TEST(later.Project("public") != first);
}

BOOST_AUTO_TEST_CASE(a_perspective_that_shows_everything_projects_a_history_onto_itself) {
  WriteHistory();
  BOOST_TEST(Project("everything") == std::optional<std::string>(Head()));
}

BOOST_AUTO_TEST_CASE(nothing_visible_is_nullopt) {
  Must(repo().Put(".perspectives", J(kDefinitions), By("ann")));
  Must(repo().Put("config/internal/x", J(R"({"a": 1})"), By("ann")));
  BOOST_TEST(!Project("public").has_value());
  BOOST_TEST(Lines(MappingFile("public")) == 2u);
}

BOOST_AUTO_TEST_CASE(one_new_version_projects_only_that_version) {
  WriteHistory();
  const std::string mapping = MappingFile("public");
  const std::optional<std::string> before = Project("public");
  BOOST_REQUIRE(before.has_value());
  BOOST_TEST(Lines(mapping) == 8u);
  Must(repo().Set("config/web", P("/port"), json::value(8081), By("eve", 1700000100)));
  const std::set<std::string> loose = LooseObjects(GitDir());
  const std::size_t packs = Packs(GitDir());
  const std::optional<std::string> after = Project("public");
  BOOST_REQUIRE(after.has_value());
  BOOST_TEST(*after != *before);
  BOOST_TEST(Lines(mapping) == 9u);
  BOOST_TEST(Packs(GitDir()) == packs + 1);  // one flush, one pack
  // Every object written belongs to the new projected version and not to
  // the old one; what else the new version adds was on disk already (the
  // write stored the document, which the view shows whole).
  std::set<std::string> written;
  for (const std::string& id : LooseObjects(GitDir())) {
    if (!loose.count(id)) written.insert(id);
  }
  Reachable old_side = ReadReachable(GitDir(), *before);
  Reachable new_side = ReadReachable(GitDir(), *after);
  std::set<std::string> added, added_now;
  for (const std::string& id : new_side.ids) {
    if (old_side.ids.count(id)) continue;
    added.insert(id);
    if (!loose.count(id)) added_now.insert(id);
  }
  BOOST_TEST(written == added_now, boost::test_tools::per_element());
  // Written: the commit, its root tree, meta tree and state tree. Added
  // besides: the document, its meta entry and the delta, each the same
  // bytes as the write's own (the view shows config/web whole).
  BOOST_TEST(written.size() == 4u);
  BOOST_TEST(added.size() == 7u);
  BOOST_TEST(written.count(*after) == 1u);
  // A version that changes only hidden values adds one line and no object.
  Must(repo().Set("config/app1", P("/secrets/x"), json::value("SECRET8"), By("eve", 1700000101)));
  const std::set<std::string> loose2 = LooseObjects(GitDir());
  BOOST_TEST(Project("public") == after);
  BOOST_TEST(Lines(mapping) == 10u);
  BOOST_TEST(LooseObjects(GitDir()) == loose2, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_torn_mapping_line_is_ignored) {
  WriteHistory();
  const std::string mapping = MappingFile("public");
  const std::optional<std::string> first = Project("public");
  {
    std::ofstream out(mapping, std::ios::app);
    out << "0123456789abcdef";  // a crash mid-append
  }
  BOOST_TEST(Project("public") == first);
  Must(repo().Set("config/web", P("/port"), json::value(1), By("eve", 1700000100)));
  const std::optional<std::string> next = Project("public");
  BOOST_REQUIRE(next.has_value());
  // The torn line ended with a newline before the new one: both read back.
  BOOST_TEST(Lines(mapping) == 10u);
  fs::remove_all(fs::path(GitDir()) / "views");
  BOOST_TEST(Project("public") == next);
  BOOST_TEST(Lines(mapping) == 10u);
}

BOOST_AUTO_TEST_CASE(a_pruned_projection_is_made_again) {
  WriteHistory();
  const std::optional<std::string> first = Project("public");
  BOOST_REQUIRE(first.has_value());
  // As `git gc` may prune unpushed projected versions (no ref names them).
  const std::string mapping = MappingFile("public");
  BOOST_REQUIRE(testing::UnpackPacks(GitDir()));
  const fs::path file = fs::path(GitDir()) / "objects" / first->substr(0, 2) / first->substr(2);
  BOOST_REQUIRE(fs::remove(file));
  std::unique_ptr<Repository> fresh = Repository::Open(dir()).value();
  BOOST_REQUIRE(fresh->UsePerspective("public").ok());
  BOOST_TEST(fresh->Project("HEAD").value() == first);
  BOOST_TEST(LooseObjects(GitDir()).count(*first) == 1u);  // written again (as a pack)
  BOOST_TEST(Lines(mapping) == 9u);                        // the tip's line again
}

BOOST_AUTO_TEST_CASE(visibility_that_comes_and_goes) {
  Must(repo().Put(".perspectives", J(kDefinitions), By("ann", 1700000000)));
  Must(repo().Put("other/x", J(R"({"a": 1})"), By("ann", 1700000001)));
  Must(repo().Put("config/a", J(R"({"b": 1})"), By("ann", 1700000002)));
  Must(repo().Remove("config/a", std::nullopt, By("ann", 1700000003)));
  Must(repo().Put("other/x", J(R"({"a": 2})"), By("ann", 1700000004)));
  const std::optional<std::string> projected = Project("public");
  BOOST_REQUIRE(projected.has_value());
  // The first visible version is a root; removing the only visible
  // document is a version whose state is empty.
  std::vector<VersionInfo> log = repo().Log(*projected, {}).value();
  BOOST_REQUIRE(log.size() == 2u);
  BOOST_TEST(log[0].message == "rm config/a");
  BOOST_TEST(log[1].message == "put config/a");
  BOOST_TEST(log[1].parents.empty());
  BOOST_TEST(State(*projected).value() == J("{}"));
  Snapshot s = repo().Read(*projected).value();
  BOOST_TEST(s.Delta().value().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_changed_definition_does_not_reuse_projections) {
  WriteHistory();
  const std::string old_mapping = MappingFile("public");
  const std::optional<std::string> old_projection = Project("public");
  // Now "public" masks the host too.
  json::value defs = J(kDefinitions);
  defs.as_object()["perspectives"].as_object()["public"].as_object()["rules"].as_array().push_back(
      J(R"({"path": "/db/host", "action": "mask"})"));
  Must(repo().Put(".perspectives", defs, By("ann", 1700000100)));
  const std::string new_mapping = MappingFile("public");
  BOOST_TEST(new_mapping != old_mapping);
  const std::optional<std::string> projected = Project("public", "HEAD~1");
  BOOST_REQUIRE(projected.has_value());
  BOOST_TEST(*projected != *old_projection);
  BOOST_TEST(Get("config/app1", *projected, P("/db/host")).value() == json::value("***"));
  BOOST_TEST(Lines(new_mapping) == 8u);
}

BOOST_AUTO_TEST_CASE(a_merge_projects_to_a_merge) {
  Must(repo().Put(".perspectives", J(kDefinitions), By("ann", 1700000000)));
  Must(repo().Put("config/app1", J(kApp), By("ann", 1700000001)));
  BOOST_REQUIRE(repo().CreateBranch("feature").ok());
  BOOST_REQUIRE(repo().CreateBranch("quiet").ok());
  CommitOptions on_feature = By("bob", 1700000002);
  on_feature.branch = "feature";
  Must(repo().Set("config/app1", P("/name"), json::value("app9"), on_feature));
  CommitOptions on_quiet = By("bob", 1700000003);
  on_quiet.branch = "quiet";
  Must(repo().Set("config/app1", P("/secrets/k"), json::value("SECRET9"), on_quiet));
  Must(repo().Put("config/web", J(R"({"port": 80})"), By("ann", 1700000004)));

  MergeRequest request;
  request.commit = By("ann", 1700000005);
  Result<MergeOutcome> merged = repo().Merge("feature", request);
  BOOST_REQUIRE(merged.ok());
  BOOST_REQUIRE((merged->kind == MergeOutcome::Kind::kMerged));
  std::optional<std::string> projected = Project("public");
  BOOST_REQUIRE(projected.has_value());
  VersionInfo v = Show(*projected).value();
  BOOST_TEST(v.message == "merge feature into main");
  BOOST_REQUIRE(v.parents.size() == 2u);
  BOOST_TEST(v.parents[0] == Project("public", "HEAD~1"));
  BOOST_TEST(v.parents[1] == Project("public", "feature"));
  BOOST_TEST(Get("config/app1", *projected, P("/name")).value() == json::value("app9"));

  // A merge that brings only hidden changes adds nothing visible: left out.
  request.commit = By("ann", 1700000006);
  merged = repo().Merge("quiet", request);
  BOOST_REQUIRE(merged.ok());
  BOOST_REQUIRE((merged->kind == MergeOutcome::Kind::kMerged));
  BOOST_TEST(Show("HEAD").value().parents.size() == 2u);
  BOOST_TEST(Project("public") == projected);
  BOOST_TEST(Project("public", "quiet") == Project("public", "HEAD~3"));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
