// Tests for strata/snapshot.h: one resolved version per read, old values in
// diffs, the empty state of a branch with no versions.
#include "strata/snapshot.h"

#include <boost/test/unit_test.hpp>

#include "tests/repo/repo_fixture.h"

namespace strata {

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(snapshot)

BOOST_FIXTURE_TEST_CASE(a_snapshot_keeps_its_version_while_the_branch_moves, RepoFixture) {
  BOOST_REQUIRE(repo().Put("d", J(R"({"a":1,"b":{"c":2}})"), By("ann")).ok());
  Snapshot s = repo().Read("HEAD").value();
  const std::string id = s.version_id();
  BOOST_REQUIRE(repo().Set("d", P("/a"), J("5"), By("bob")).ok());
  BOOST_REQUIRE(repo().Put("e", J("true"), By("bob")).ok());
  // Every lookup in the snapshot answers from the version it resolved.
  BOOST_TEST(s.version_id() == id);
  BOOST_TEST(CanonicalJson(s.Get("d", P("/a")).value()) == "1");
  BOOST_TEST(!s.Contains("e").value());
  BOOST_TEST(s.List().value().size() == 1u);
  BOOST_TEST(CanonicalJson(s.State().value()) == R"({"d":{"a":1,"b":{"c":2}}})");
  // A new read sees the new head.
  BOOST_TEST(CanonicalJson(Get("d", "HEAD", P("/a")).value()) == "5");
}

BOOST_FIXTURE_TEST_CASE(the_current_branch_before_its_first_version_is_empty, RepoFixture) {
  Snapshot s = repo().Read("HEAD").value();
  BOOST_TEST(!s.version().has_value());
  BOOST_TEST(s.version_id().empty());
  BOOST_TEST(s.List().value().empty());
  BOOST_TEST(CanonicalJson(s.State().value()) == "{}");
  BOOST_TEST(s.Delta().value().empty());
  BOOST_TEST(s.Changes().value().empty());
  Result<json::value> missing = s.Get("x");
  BOOST_TEST((missing.status().code() == Code::kNotFound));
  BOOST_TEST(missing.status().message().find("has no versions yet") != std::string::npos,
             missing.status().message());
  BOOST_TEST(repo().Read("main").ok());
  // Any other name is unknown.
  BOOST_TEST((repo().Read("nope").status().code() == Code::kNotFound));
  BOOST_TEST((repo().Read("HEAD~1").status().code() == Code::kNotFound));
}

BOOST_FIXTURE_TEST_CASE(diffs_carry_old_values_from_the_walk, RepoFixture) {
  json::object big;
  for (int i = 0; i < 3000; ++i) big["k" + std::to_string(i)] = i;
  BOOST_REQUIRE(repo().Put("big", big, By("ann")).ok());
  BOOST_REQUIRE(repo().Put("small", J(R"({"list":[1,2,3],"s":"x"})"), By("ann")).ok());
  Snapshot before = repo().Read("HEAD").value();
  Patch edit = ParsePatch(J(R"([
      {"op":"replace","path":"/big/k7","value":"seven"},
      {"op":"remove","path":"/big/k8"},
      {"op":"add","path":"/big/new","value":1},
      {"op":"remove","path":"/small/list/2"},
      {"op":"remove","path":"/small/list/1"},
      {"op":"replace","path":"/small/s","value":"y"},
      {"op":"add","path":"/third","value":[true]}])"))
                   .value();
  BOOST_REQUIRE(repo().Patch(std::nullopt, edit, By("bob")).ok());
  Snapshot after = repo().Read("HEAD").value();

  struct Expect {
    const char* op;
    const char* path;
    const char* old_value;  // nullptr: none
  };
  const std::vector<Expect> want = {
      {"replace", "/big/k7", "7"},      {"remove", "/big/k8", "8"},
      {"add", "/big/new", nullptr},     {"remove", "/small/list/2", "3"},
      {"remove", "/small/list/1", "2"}, {"replace", "/small/s", "\"x\""},
      {"add", "/third", nullptr},
  };
  std::vector<Change> diff = before.DiffTo(after).value();
  BOOST_REQUIRE(diff.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    BOOST_TEST_CONTEXT("operation " << i) {
      BOOST_TEST(PatchOpToJson(diff[i].op).at("op").as_string() == want[i].op);
      BOOST_TEST(diff[i].op.path.ToString() == want[i].path);
      BOOST_TEST(diff[i].old_value.has_value() == (want[i].old_value != nullptr));
      if (want[i].old_value) BOOST_TEST(CanonicalJson(*diff[i].old_value) == want[i].old_value);
    }
  }
  BOOST_TEST(diff[2].doc == "big");
  BOOST_TEST(diff[2].pointer.ToString() == "/new");
  // A version's changes are its diff from its first parent; its delta has
  // the same operations.
  std::vector<Change> changes = after.Changes().value();
  Patch delta = after.Delta().value();
  BOOST_REQUIRE(changes.size() == delta.size());
  for (std::size_t i = 0; i < delta.size(); ++i) {
    BOOST_TEST(CanonicalJson(PatchOpToJson(changes[i].op)) ==
               CanonicalJson(PatchOpToJson(delta[i])));
  }
  // The first version's changes are from the empty state.
  BOOST_TEST(repo().Read("HEAD~2").value().Changes().value().size() == 1u);
  // Reversed, removes become adds and adds become removes with old values.
  std::vector<Change> back = after.DiffTo(before).value();
  BOOST_REQUIRE(back.size() == want.size());
  BOOST_TEST(CanonicalJson(*back.back().old_value) == "[true]");
}

// GetText prints what Get returns, whether the pointer ends on a tree
// (written as it is read), inside a blob, or inside an array node; and it
// fails as Get fails.
BOOST_FIXTURE_TEST_CASE(get_text_prints_what_get_returns, RepoFixture) {
  json::object big;
  json::array list;
  for (int i = 0; i < 3000; ++i) {
    big["k" + std::to_string(i)] = json::object{{"n", i}, {"s", "text " + std::to_string(i)}};
    list.push_back(json::array{i, "x" + std::to_string(i)});
  }
  json::object doc{{"big", big}, {"list", list}, {"small", json::object{{"a", 1}}}};
  BOOST_REQUIRE(repo().Put("d", json::value(doc), By("ann")).ok());
  Snapshot s = repo().Read("HEAD").value();
  for (const char* pointer :
       {"", "/big", "/big/k17", "/big/k17/s", "/list", "/list/2999/1", "/small"}) {
    for (const FormatOptions& options : {FormatOptions{0, false}, FormatOptions{2, true}}) {
      BOOST_TEST_CONTEXT(pointer << " indent " << options.indent) {
        std::string text;
        Status printed = s.GetText("d", P(pointer), options, [&](std::string_view piece) {
          text += piece;
          return Status::Ok();
        });
        BOOST_TEST(printed.ok(), printed.message());
        BOOST_TEST(text == FormatJson(s.Get("d", P(pointer)).value(), options));
      }
    }
  }
  for (const char* pointer : {"/nope", "/big/k17/nope", "/list/3000"}) {
    BOOST_TEST_CONTEXT(pointer) {
      Status text = s.GetText("d", P(pointer), FormatOptions{}, [](std::string_view) {
        BOOST_FAIL("nothing is printed for a missing value");
        return Status::Ok();
      });
      BOOST_TEST(text.message() == s.Get("d", P(pointer)).status().message());
      BOOST_TEST((text.code() == s.Get("d", P(pointer)).status().code()));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(get_names_the_document_revision_and_member, RepoFixture) {
  json::object big;
  for (int i = 0; i < 3000; ++i) big["k" + std::to_string(i)] = json::object{{"v", i}};
  BOOST_REQUIRE(repo().Put("big", big, By("ann")).ok());
  BOOST_REQUIRE(repo().Put("other", J("1"), By("ann")).ok());
  Snapshot s = repo().Read("HEAD~1").value();
  Result<json::value> r = s.Get("big", P("/nope/x"));
  BOOST_TEST((r.status().code() == Code::kNotFound));
  BOOST_TEST(r.status().message().find("'big' at HEAD~1 (" + s.version_id().substr(0, 12) + ")") !=
                 std::string::npos,
             r.status().message());
  BOOST_TEST(r.status().message().find("no member 'nope'") != std::string::npos);
  Result<json::value> gone = s.Get("other");
  BOOST_TEST(gone.status().message().find("no document 'other'") != std::string::npos);
  BOOST_TEST(CanonicalJson(s.Get("big", P("/k17/v")).value()) == "17");
  Result<DocumentInfo> info = s.Info("big");
  BOOST_TEST(info->versions == 1u);
  BOOST_TEST((s.Info("other").status().code() == Code::kNotFound));
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
