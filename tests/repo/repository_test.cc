// Tests for strata/repository.h: writes, reads, metadata, concurrency, verify.
#include "strata/repository.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "objects/state_editor.h"
#include "objects/tree_codec.h"
#include "repo/document_meta.h"
#include "tests/repo/repo_fixture.h"

namespace strata {

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(repository)

BOOST_FIXTURE_TEST_CASE(init_creates_a_bare_repository_on_main, RepoFixture) {
  BOOST_TEST(fs::exists(fs::path(dir()) / ".strata" / "HEAD"));
  BOOST_TEST(repo().CurrentBranch() == "main");
  Result<std::unique_ptr<Repository>> again = Repository::Init(dir());
  BOOST_TEST(!again.ok());
  BOOST_TEST((again.status().code() == Code::kConflict));
  // An empty branch has no versions to read.
  Result<json::value> missing = Get("x");
  BOOST_TEST((missing.status().code() == Code::kNotFound));
  // ...but listing an empty branch is an empty list.
  BOOST_TEST(List().value().empty());
  BOOST_TEST((List("nope").status().code() == Code::kNotFound));
  BOOST_TEST(missing.status().message().find("no versions yet") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(open_and_discover_find_the_repository, RepoFixture) {
  fs::create_directories(fs::path(dir()) / "a" / "b");
  BOOST_TEST(Repository::Open(dir()).ok());
  BOOST_TEST(Repository::Open(dir() + "/.strata").ok());
  BOOST_TEST(Repository::Discover(dir() + "/a/b").ok());
  Result<std::unique_ptr<Repository>> none = Repository::Open(dir() + "/a");
  BOOST_TEST((none.status().code() == Code::kNotFound));
}

BOOST_FIXTURE_TEST_CASE(put_get_and_time_travel, RepoFixture) {
  BOOST_REQUIRE(repo().Put("config/app1", J(R"({"db":{"host":"a","port":1}})"), By("ann")).ok());
  BOOST_REQUIRE(repo().Set("config/app1", P("/db/host"), J(R"("b")"), By("bob")).ok());
  BOOST_TEST(CanonicalJson(Get("config/app1").value()) == R"({"db":{"host":"b","port":1}})");
  BOOST_TEST(CanonicalJson(Get("config/app1", "HEAD~1", P("/db/host")).value()) == R"("a")");
  BOOST_TEST(CanonicalJson(Get("config/app1", "main^", P("/db")).value()) ==
             R"({"host":"a","port":1})");
  std::string head = repo().ResolveRevision("HEAD").value();
  BOOST_TEST(repo().ResolveRevision(head.substr(0, 10)).value() == head);
  BOOST_TEST((Get("config/app1", "HEAD~5").status().code() == Code::kNotFound));
  BOOST_TEST((Get("config/app1", "HEAD", P("/nope")).status().code() == Code::kNotFound));
}

BOOST_FIXTURE_TEST_CASE(version_at_a_time_follows_the_first_parent_line, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J("1"), By("ann", 1000)).ok());
  BOOST_REQUIRE(repo().Put("d", J("2"), By("ann", 2000)).ok());
  BOOST_REQUIRE(repo().Put("d", J("3"), By("ann", 3000)).ok());
  std::string at = repo().ReadAt("HEAD", 2500).value().version_id();
  BOOST_TEST(at == repo().ResolveRevision("HEAD~1").value());
  BOOST_TEST(CanonicalJson(repo().ReadAt("main", 2000).value().Get("d").value()) == "2");
  BOOST_TEST(repo().ReadAt("HEAD", 99999).value().version_id() ==
             repo().ResolveRevision("HEAD").value());
  BOOST_TEST((repo().ReadAt("HEAD", 999).status().code() == Code::kNotFound));
}

BOOST_FIXTURE_TEST_CASE(set_creates_the_document_and_missing_parents, RepoFixture) {
  BOOST_REQUIRE(repo().Set("a", P("/x/y/z"), J("1"), By("ann")).ok());
  BOOST_TEST(CanonicalJson(Get("a").value()) == R"({"x":{"y":{"z":1}}})");
  BOOST_REQUIRE(repo().Set("a", P("/x/w/v"), J("2"), By("ann")).ok());
  BOOST_TEST(CanonicalJson(Get("a").value()) == R"({"x":{"w":{"v":2},"y":{"z":1}}})");
  BOOST_REQUIRE(repo().Set("a", P("/x/y/z"), J("3"), By("ann")).ok());
  BOOST_TEST(CanonicalJson(Get("a").value()) == R"({"x":{"w":{"v":2},"y":{"z":3}}})");
  // A 10,000-token pointer is created in one go.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "/k";
  BOOST_REQUIRE(repo().Set("b", P(deep), J("true"), By("ann")).ok());
  BOOST_TEST(CanonicalJson(Get("b", "HEAD", P(deep)).value()) == "true");
  // A scalar in the way is an error, and nothing is written.
  BOOST_REQUIRE(repo().Set("a", P("/s"), J("5"), By("ann")).ok());
  std::size_t before = LogSize(repo());
  BOOST_TEST(!repo().Set("a", P("/s/t"), J("1"), By("ann")).ok());
  BOOST_TEST(LogSize(repo()) == before);
}

BOOST_FIXTURE_TEST_CASE(a_write_that_changes_nothing_writes_no_version, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1})"), By("ann")).ok());
  std::string head = repo().ResolveRevision("HEAD").value();
  Result<WriteResult> same = repo().Put("d", J(R"({"a":1.0})"), By("ann"));
  BOOST_TEST((same.status().code() == Code::kUnchanged));
  Result<WriteResult> same_field = repo().Set("d", P("/a"), J("1"), By("ann"));
  BOOST_TEST((same_field.status().code() == Code::kUnchanged));
  BOOST_TEST(repo().ResolveRevision("HEAD").value() == head);
}

BOOST_FIXTURE_TEST_CASE(remove_a_document_or_a_value, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1,"b":2})"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("e", J("[1,2]"), By("ann")).ok());
  BOOST_REQUIRE(repo().Remove("d", P("/a"), By("ann")).ok());
  BOOST_TEST(CanonicalJson(Get("d").value()) == R"({"b":2})");
  BOOST_REQUIRE(repo().Remove("e", std::nullopt, By("ann")).ok());
  BOOST_TEST((Get("e").status().code() == Code::kNotFound));
  BOOST_TEST(CanonicalJson(Get("e", "HEAD~1").value()) == "[1,2]");
  BOOST_TEST((repo().Remove("nope", std::nullopt, By("ann")).status().code() == Code::kNotFound));
}

BOOST_FIXTURE_TEST_CASE(patch_over_the_state_is_one_version_all_or_nothing, RepoFixture) {
  BOOST_REQUIRE(repo().Put("config/a", J(R"({"n":1})"), By("ann")).ok());
  std::size_t before = LogSize(repo());
  Patch ok = ParsePatch(J(R"([
      {"op":"replace","path":"/config~1a/n","value":2},
      {"op":"add","path":"/config~1b","value":{"m":true}},
      {"op":"copy","from":"/config~1a","path":"/config~1c"}])"))
                 .value();
  Result<WriteResult> w = repo().Patch(std::nullopt, ok, By("ann"));
  BOOST_REQUIRE(w.ok());
  BOOST_TEST(LogSize(repo()) == before + 1);
  BOOST_TEST(CanonicalJson(State("HEAD").value()) ==
             R"({"config/a":{"n":2},"config/b":{"m":true},"config/c":{"n":2}})");

  std::string head = repo().ResolveRevision("HEAD").value();
  Patch failing = ParsePatch(J(R"([
      {"op":"replace","path":"/config~1a/n","value":3},
      {"op":"test","path":"/config~1b/m","value":false}])"))
                      .value();
  Result<WriteResult> bad = repo().Patch(std::nullopt, failing, By("ann"));
  BOOST_TEST((bad.status().code() == Code::kConflict));
  BOOST_TEST(bad.status().message().find("patch operation 1") != std::string::npos);
  BOOST_TEST(repo().ResolveRevision("HEAD").value() == head);

  // With a document, pointers are inside it, and the document must exist.
  Patch inside = ParsePatch(J(R"([{"op":"add","path":"/k","value":1}])")).value();
  BOOST_REQUIRE(repo().Patch(std::string("config/b"), inside, By("ann")).ok());
  BOOST_TEST(CanonicalJson(Get("config/b").value()) == R"({"k":1,"m":true})");
  BOOST_TEST(
      (repo().Patch(std::string("nope"), inside, By("ann")).status().code() == Code::kNotFound));
}

BOOST_FIXTURE_TEST_CASE(labels_message_and_author_are_recorded, RepoFixture) {
  CommitOptions o = By("ann");
  o.message = "raise the pool";
  o.labels = {"ui-change", "minor-edit"};
  BOOST_REQUIRE(repo().Set("d", P("/pool"), J("20"), o).ok());
  VersionInfo v = Show("HEAD").value();
  BOOST_TEST(v.message == "raise the pool");
  BOOST_TEST(v.labels == (std::vector<std::string>{"ui-change", "minor-edit"}),
             boost::test_tools::per_element());
  BOOST_TEST(v.author.name == "ann");
  BOOST_TEST(v.author.email == "ann@example.com");
  BOOST_TEST(v.time == 1700000000);
  BOOST_TEST(v.parents.empty());
  // The default message says what changed.
  BOOST_REQUIRE(repo().Set("d", P("/x"), J("1"), By("bob")).ok());
  BOOST_TEST(Show("HEAD").value().message == "set d /x");
  CommitOptions bad = By("ann");
  bad.labels = {"has space"};
  BOOST_TEST((repo().Set("d", P("/y"), J("1"), bad).status().code() == Code::kInvalidArgument));
}

BOOST_FIXTURE_TEST_CASE(document_metadata_without_walking_history, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1})"), By("ann", 100)).ok());
  BOOST_REQUIRE(repo().Put("other", J("1"), By("ann", 150)).ok());
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("2"), By("bob", 200)).ok());
  DocumentInfo info = Info("d").value();
  BOOST_TEST(info.versions == 2u);
  BOOST_TEST(info.created_at == 100);
  BOOST_TEST(info.created_by == "ann <ann@example.com>");
  BOOST_TEST(info.updated_at == 200);
  BOOST_TEST(info.updated_by == "bob <bob@example.com>");
  std::vector<DocumentInfo> all = List().value();
  BOOST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].id == "d");
  BOOST_TEST(all[1].id == "other");
  BOOST_TEST(all[1].versions == 1u);
  // Removing and re-creating starts the count again.
  BOOST_REQUIRE(repo().Remove("d", std::nullopt, By("cy", 300)).ok());
  BOOST_TEST(List().value().size() == 1u);
  BOOST_REQUIRE(repo().Put("d", J("0"), By("cy", 400)).ok());
  info = Info("d").value();
  BOOST_TEST(info.versions == 1u);
  BOOST_TEST(info.created_at == 400);
}

// An import creates many documents at once: their metadata (one blob they
// share) lands in a sharded meta tree, and a later import that changes some
// and prunes others counts and drops exactly those.
BOOST_FIXTURE_TEST_CASE(document_metadata_of_a_large_import, RepoFixture) {
  std::vector<std::pair<std::string, json::value>> docs;
  for (int i = 0; i < 1200; ++i) docs.emplace_back("d" + std::to_string(i), json::value(i));
  BOOST_REQUIRE(repo().Import(docs, By("ann", 100)).ok());
  std::vector<std::pair<std::string, json::value>> again;
  for (int i = 0; i < 1200; i += 2) {
    again.emplace_back("d" + std::to_string(i), json::value(i % 4 == 0 ? i : -i));
  }
  ImportOptions prune;
  prune.prune = true;
  BOOST_REQUIRE(repo().Import(again, By("bob", 200), prune).ok());
  std::vector<DocumentInfo> all = List().value();
  BOOST_TEST(all.size() == 600u);
  for (const DocumentInfo& info : all) {
    const int i = std::stoi(info.id.substr(1));
    BOOST_TEST_CONTEXT(info.id) {
      BOOST_TEST(i % 2 == 0);
      BOOST_TEST(info.created_at == 100);
      BOOST_TEST(info.created_by == "ann <ann@example.com>");
      BOOST_TEST(info.versions == (i % 4 == 0 ? 1u : 2u));
      BOOST_TEST(info.updated_at == (i % 4 == 0 ? 100 : 200));
    }
  }
  // A pruned document's metadata went with it: created again, it starts over.
  BOOST_REQUIRE(repo().Put("d1", J("1"), By("cy", 300)).ok());
  BOOST_TEST(Info("d1").value().versions == 1u);
  BOOST_TEST(Info("d1").value().created_at == 300);
}

// The documents a delta touches, each once and in order, whatever the order
// of its operations (a move touches its source too).
BOOST_FIXTURE_TEST_CASE(touched_documents_are_sorted_and_distinct, RepoFixture) {
  Patch delta = ParsePatch(J(R"([
    {"op":"add","path":"/b/x","value":1},
    {"op":"add","path":"/b/y","value":1},
    {"op":"remove","path":"/a"},
    {"op":"replace","path":"/b/z","value":2},
    {"op":"move","from":"/d/k","path":"/c/k"},
    {"op":"add","path":"/a","value":0},
    {"op":"add","path":"","value":{}}
  ])"))
                    .value();
  BOOST_TEST((TouchedDocuments(delta) == std::vector<std::string>{"a", "b", "c", "d"}));
  BOOST_TEST(TouchedDocuments(Patch{}).empty());
}

// A version that changes documents whose metadata differ (created or last
// changed by different versions) gives each its own: the new metadata is
// made once per old metadata value, never shared across different ones.
BOOST_FIXTURE_TEST_CASE(one_version_updates_documents_of_different_histories, RepoFixture) {
  std::vector<std::pair<std::string, json::value>> first, second;
  for (int i = 0; i < 10; ++i) first.emplace_back("a" + std::to_string(i), json::value(i));
  BOOST_REQUIRE(repo().Import(first, By("ann", 100)).ok());
  for (int i = 0; i < 5; ++i) {
    second.emplace_back("a" + std::to_string(i), json::value(-i - 1));
    second.emplace_back("b" + std::to_string(i), json::value(i));
  }
  BOOST_REQUIRE(repo().Import(second, By("bob", 200)).ok());
  json::array ops;
  for (int i = 0; i < 10; ++i) {
    ops.push_back(
        json::object{{"op", "replace"}, {"path", "/a" + std::to_string(i)}, {"value", 100}});
  }
  for (int i = 0; i < 5; ++i) {
    ops.push_back(
        json::object{{"op", "replace"}, {"path", "/b" + std::to_string(i)}, {"value", 100}});
  }
  ops.push_back(json::object{{"op", "add"}, {"path", "/c0"}, {"value", 1}});
  ops.push_back(json::object{{"op", "add"}, {"path", "/c1"}, {"value", 2}});
  BOOST_REQUIRE(repo().Patch(std::nullopt, ParsePatch(ops).value(), By("cy", 300)).ok());
  std::vector<DocumentInfo> all = List().value();
  BOOST_REQUIRE(all.size() == 17u);
  for (const DocumentInfo& info : all) {
    BOOST_TEST_CONTEXT(info.id) {
      const int i = std::stoi(info.id.substr(1));
      BOOST_TEST(info.updated_at == 300);
      BOOST_TEST(info.updated_by == "cy <cy@example.com>");
      if (info.id[0] == 'a') {
        BOOST_TEST(info.created_at == 100);
        BOOST_TEST(info.created_by == "ann <ann@example.com>");
        BOOST_TEST(info.versions == (i < 5 ? 3u : 2u));
      } else if (info.id[0] == 'b') {
        BOOST_TEST(info.created_at == 200);
        BOOST_TEST(info.created_by == "bob <bob@example.com>");
        BOOST_TEST(info.versions == 2u);
      } else {
        BOOST_TEST(info.created_at == 300);
        BOOST_TEST(info.created_by == "cy <cy@example.com>");
        BOOST_TEST(info.versions == 1u);
      }
    }
  }
}

BOOST_FIXTURE_TEST_CASE(the_same_state_by_two_histories_has_one_id, RepoFixture) {
  BOOST_REQUIRE(repo().Put("a", J(R"({"x":1,"y":[1,2]})"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("b", J("true"), By("ann")).ok());
  std::string first = Show("HEAD").value().state_id;

  RepoFixture other;
  BOOST_REQUIRE(other.repo().Put("b", J("false"), By("bob")).ok());
  BOOST_REQUIRE(other.repo().Put("a", J(R"({"y":[1,2]})"), By("bob")).ok());
  BOOST_REQUIRE(other.repo().Set("a", P("/x"), J("1.0"), By("bob")).ok());
  BOOST_REQUIRE(other.repo().Put("c", J("1"), By("bob")).ok());
  BOOST_REQUIRE(other.repo().Remove("c", std::nullopt, By("bob")).ok());
  BOOST_REQUIRE(other.repo().Set("b", P(""), J("true"), By("bob")).ok());
  BOOST_TEST(other.Show("HEAD").value().state_id == first);
}

BOOST_FIXTURE_TEST_CASE(import_writes_many_documents_in_one_version, RepoFixture) {
  std::vector<std::pair<std::string, json::value>> docs;
  for (int i = 0; i < 3000; ++i) {
    docs.emplace_back("doc/" + std::to_string(i), json::object{{"i", i}});
  }
  Result<WriteResult> w = repo().Import(docs, By("ann"));
  BOOST_REQUIRE(w.ok());
  BOOST_TEST(w->operations == 3000u);
  BOOST_TEST(LogSize(repo()) == 1u);
  BOOST_TEST(List().value().size() == 3000u);
  BOOST_TEST(CanonicalJson(Get("doc/2999").value()) == R"({"i":2999})");
  // An invalid id refuses the whole import.
  docs.emplace_back("bad id", json::value(1));
  BOOST_TEST((repo().Import(docs, By("ann")).status().code() == Code::kInvalidArgument));
  BOOST_TEST(LogSize(repo()) == 1u);
}

BOOST_FIXTURE_TEST_CASE(one_field_in_a_large_state_writes_few_objects, RepoFixture) {
  std::vector<std::pair<std::string, json::value>> docs;
  for (int i = 0; i < 20000; ++i) {
    docs.emplace_back("d" + std::to_string(i), json::object{{"v", i}, {"name", "doc"}});
  }
  BOOST_REQUIRE(repo().Import(docs, By("ann")).ok());
  Result<WriteResult> w = repo().Set("d12345", P("/v"), J("-1"), By("ann"));
  BOOST_REQUIRE(w.ok());
  // commit, root, delta, and for state and meta: two 16-way shard trees
  // (20,000 documents: ~78 per bucket), a flat node and the blob. Each tree
  // is small (a shard tree ~0.5 KiB, a bucket ~3 KiB).
  BOOST_TEST(w->objects_written <= 11u);
  BOOST_TEST(w->bytes_written < 16u * 1024, w->bytes_written);
  BOOST_TEST(w->operations == 1u);
}

BOOST_FIXTURE_TEST_CASE(one_field_in_a_large_document_writes_few_objects, RepoFixture) {
  json::object big;
  for (int i = 0; i < 20000; ++i) big["k" + std::to_string(i)] = i;
  BOOST_REQUIRE(repo().Put("big", big, By("ann")).ok());
  Result<WriteResult> w = repo().Set("big", P("/k777"), J("\"changed\""), By("ann"));
  BOOST_REQUIRE(w.ok());
  BOOST_TEST(w->objects_written <= 10u);
  BOOST_TEST(w->bytes_written < 64u * 1024);
  BOOST_TEST(CanonicalJson(Get("big", "HEAD", P("/k777")).value()) == R"("changed")");
  BOOST_TEST(CanonicalJson(Get("big", "HEAD~1", P("/k777")).value()) == "777");
  Result<json::value> missing = Get("big", "HEAD", P("/nope/x"));
  BOOST_TEST((missing.status().code() == Code::kNotFound));
  BOOST_TEST(missing.status().message().find("no member 'nope'") != std::string::npos,
             missing.status().message());
  BOOST_TEST(Diff("HEAD~1", "HEAD").value().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_concurrent_write_to_other_values_is_replayed, RepoFixture) {
  BOOST_REQUIRE(repo().Put("a", J(R"({"n":0})"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("b", J(R"({"n":0})"), By("ann")).ok());
  std::unique_ptr<Repository> other = Repository::Open(dir()).value();
  bool raced = false;
  // Our edit runs; before we move the branch, the other writer moves it.
  Result<WriteResult> ours = repo().Write(
      [&](PatchTarget& e) -> Status {
        if (!raced) {
          raced = true;
          Result<WriteResult> theirs = other->Set("b", P("/n"), J("1"), By("bob"));
          if (!theirs.ok()) return theirs.status();
        }
        return e.Replace(P("/a/n"), J("2"));
      },
      "ours", By("ann"));
  BOOST_REQUIRE(ours.ok());
  BOOST_TEST(ours->replayed);
  BOOST_TEST(CanonicalJson(Get("a").value()) == R"({"n":2})");
  BOOST_TEST(CanonicalJson(Get("b").value()) == R"({"n":1})");
  BOOST_TEST(LogSize(repo()) == 4u);
  BOOST_TEST(Show("HEAD").value().parents.size() == 1u);
  BOOST_TEST(repo().Verify().value().problems.empty());
}

BOOST_FIXTURE_TEST_CASE(a_concurrent_blind_write_to_the_same_value_is_applied_again, RepoFixture) {
  // Blind writes say what a value must become: when another writer moved
  // the branch, ours runs again on its state and the later one wins.
  BOOST_REQUIRE(repo().Put("a", J(R"({"n":0,"list":[1,2,3]})"), By("ann")).ok());
  std::unique_ptr<Repository> other = Repository::Open(dir()).value();
  bool raced = false;
  Result<WriteResult> ours = repo().Write(
      [&](PatchTarget& e) -> Status {
        if (!raced) {
          raced = true;
          Result<WriteResult> theirs = other->Set("a", P("/list/0"), J("0"), By("bob"));
          if (!theirs.ok()) return theirs.status();
          theirs = other->Set("a", P("/n"), J("1"), By("bob"));
          if (!theirs.ok()) return theirs.status();
        }
        STRATA_RETURN_IF_ERROR(e.Replace(P("/a/list/2"), J("9")));
        return e.Replace(P("/a/n"), J("2"));
      },
      "ours", By("ann"));
  BOOST_REQUIRE(ours.ok());
  BOOST_TEST(ours->replayed);
  BOOST_TEST(CanonicalJson(Get("a").value()) == R"({"list":[0,1,9,3],"n":2})");
  BOOST_TEST(LogSize(repo()) == 4u);
  BOOST_TEST(repo().Verify().value().problems.empty());
}

BOOST_FIXTURE_TEST_CASE(a_replay_that_cannot_apply_is_refused, RepoFixture) {
  BOOST_REQUIRE(repo().Put("a", J(R"({"n":0})"), By("ann")).ok());
  std::unique_ptr<Repository> other = Repository::Open(dir()).value();
  bool raced = false;
  Patch patch = ParsePatch(J(R"([{"op":"test","path":"/a/n","value":0},
                                 {"op":"replace","path":"/a/n","value":5}])"))
                    .value();
  Result<WriteResult> ours = repo().Write(
      [&](PatchTarget& e) -> Status {
        if (!raced) {
          raced = true;
          Result<WriteResult> theirs = other->Set("a", P("/n"), J("1"), By("bob"));
          if (!theirs.ok()) return theirs.status();
        }
        return ApplyPatch(e, patch);
      },
      "ours", By("ann"));
  BOOST_TEST(!ours.ok());
  BOOST_TEST((ours.status().code() == Code::kConflict), ours.status().message());
  // Theirs is kept, ours is not written.
  BOOST_TEST(CanonicalJson(Get("a").value()) == R"({"n":1})");
  BOOST_TEST(LogSize(repo()) == 2u);
}

BOOST_FIXTURE_TEST_CASE(verify_checks_every_delta, RepoFixture) {
  BOOST_REQUIRE(repo().Put("a", J(R"({"n":0})"), By("ann")).ok());
  BOOST_REQUIRE(repo().Set("a", P("/n"), J("1"), By("ann")).ok());
  BOOST_REQUIRE(repo().Set("a", P("/m"), J("[true]"), By("ann")).ok());
  VerifyReport ok = repo().Verify().value();
  BOOST_TEST(ok.versions == 3u);
  BOOST_TEST(ok.problems.empty());

  // Forge a version whose delta does not lead to its state: the tree of
  // HEAD with the delta of HEAD~1.
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open_bare(&raw, (dir() + "/.strata").c_str()) == 0);
  RepositoryPtr git(raw);
  git_object* head_obj = nullptr;
  git_object* prev_obj = nullptr;
  BOOST_REQUIRE(git_revparse_single(&head_obj, raw, "HEAD^{tree}") == 0);
  BOOST_REQUIRE(git_revparse_single(&prev_obj, raw, "HEAD~1^{tree}") == 0);
  ObjectPtr head_tree(head_obj), prev_tree(prev_obj);
  git_treebuilder* tb = nullptr;
  BOOST_REQUIRE(git_treebuilder_new(&tb, raw, reinterpret_cast<git_tree*>(head_obj)) == 0);
  const git_tree_entry* old_delta =
      git_tree_entry_byname(reinterpret_cast<git_tree*>(prev_obj), "delta.zst");
  BOOST_REQUIRE(git_treebuilder_insert(nullptr, tb, "delta.zst", git_tree_entry_id(old_delta),
                                       GIT_FILEMODE_BLOB) == 0);
  git_oid forged_tree;
  BOOST_REQUIRE(git_treebuilder_write(&forged_tree, tb) == 0);
  git_treebuilder_free(tb);
  git_object* parent_obj = nullptr;
  BOOST_REQUIRE(git_revparse_single(&parent_obj, raw, "HEAD~1") == 0);
  ObjectPtr parent(parent_obj);
  git_tree* tree = nullptr;
  BOOST_REQUIRE(git_tree_lookup(&tree, raw, &forged_tree) == 0);
  TreePtr tree_owner(tree);
  git_signature* sig = nullptr;
  BOOST_REQUIRE(git_signature_new(&sig, "mallory", "m@example.com", 1700000000, 0) == 0);
  SignaturePtr sig_owner(sig);
  const git_commit* parents[] = {reinterpret_cast<git_commit*>(parent_obj)};
  git_oid forged;
  BOOST_REQUIRE(git_commit_create(&forged, raw, "refs/heads/forged", sig, sig, nullptr, "forged",
                                  tree, 1, parents) == 0);
  VerifyReport bad = repo().Verify().value();
  BOOST_REQUIRE(bad.problems.size() == 1u);
  BOOST_TEST(bad.problems[0].find(FromGit(forged).Hex()) != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(deeply_nested_documents_round_trip, RepoFixture) {
  const int depth = 10000;
  std::string text;
  for (int i = 0; i < depth; ++i) text += R"({"a":[)";
  text += "1";
  for (int i = 0; i < depth; ++i) text += "]}";
  BOOST_REQUIRE(repo().Put("deep", J(text), By("ann")).ok());
  std::string changed = text;
  changed[changed.find('1')] = '2';
  BOOST_REQUIRE(repo().Put("deep", J(changed), By("ann")).ok());
  BOOST_TEST(CanonicalJson(Get("deep", "HEAD~1").value()) == text);
  std::vector<Change> diff = Diff("HEAD~1", "HEAD").value();
  BOOST_REQUIRE(diff.size() == 1u);
  BOOST_TEST(diff[0].op.path.tokens().size() == 1u + 2 * depth);
  BOOST_TEST(CanonicalJson(*diff[0].old_value) == "1");
  BOOST_TEST(repo().Verify().value().problems.empty());
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
