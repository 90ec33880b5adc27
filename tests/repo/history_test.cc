// Tests for Repository::Log's filters and ranges, and Repository::History.
#include <boost/test/unit_test.hpp>

#include "objects/git.h"
#include "strata/repository.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

// "key7": built by appending (GCC 12 warns, wrongly, on "key" + to_string(7)).
std::string Name(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

// A history of six versions, with versions named by message:
//   v1 ann   t=1000  put cfg {"db":{"host":"a","port":1},"a/b":1,"c~d":1} [l1]
//   v2 bob   t=2000  set cfg /db/host "b"                 [l1, l2]
//   v3 carl  t=3000  put other 1                          [l2]
//   v4 ann   t=4000  set cfg /a~1b 2
//   v5 bob   t=5000  rm cfg
//   v6 carl  t=6000  put cfg {"db":{"host":"b","port":1}} (recreated)
class HistoryFixture : public RepoFixture {
 public:
  HistoryFixture() {
    Write(Put("cfg", R"({"db":{"host":"a","port":1},"a/b":1,"c~d":1})"), "ann", 1000, "v1", {"l1"});
    Write(Set("cfg", "/db/host", R"("b")"), "bob", 2000, "v2", {"l1", "l2"});
    Write(Put("other", "1"), "carl", 3000, "v3", {"l2"});
    Write(Set("cfg", "/a~1b", "2"), "ann", 4000, "v4", {});
    Write([](Repository& r, const CommitOptions& o) { return r.Remove("cfg", std::nullopt, o); },
          "bob", 5000, "v5", {});
    Write(Put("cfg", R"({"db":{"host":"b","port":1}})"), "carl", 6000, "v6", {});
  }

  using WriteFn = std::function<Result<WriteResult>(Repository&, const CommitOptions&)>;
  static WriteFn Put(std::string doc, std::string value) {
    return [=](Repository& r, const CommitOptions& o) { return r.Put(doc, J(value), o); };
  }
  static WriteFn Set(std::string doc, std::string pointer, std::string value) {
    return
        [=](Repository& r, const CommitOptions& o) { return r.Set(doc, P(pointer), J(value), o); };
  }
  std::string Write(const WriteFn& fn, const std::string& who, std::int64_t time,
                    const std::string& message, std::vector<std::string> labels,
                    std::optional<std::string> branch = std::nullopt) {
    CommitOptions o = By(who, time);
    o.message = message;
    o.labels = std::move(labels);
    o.branch = std::move(branch);
    Result<WriteResult> w = fn(repo(), o);
    if (!w.ok()) throw std::runtime_error(w.status().message());
    return w->version.id;
  }

  // The messages of the versions Log lists.
  std::string Messages(const LogOptions& o, const std::string& rev = "HEAD") {
    Result<std::vector<VersionInfo>> log = repo().Log(rev, o);
    if (!log.ok()) return "error: " + log.status().message();
    std::string out;
    for (const auto& v : *log) {
      if (!out.empty()) out += ' ';
      out += v.message;
    }
    return out;
  }
  std::string HistoryOf(const std::string& doc, const std::string& pointer,
                        const HistoryOptions& o = {}) {
    Result<std::vector<LogEntry>> h = repo().History(doc, P(pointer), o);
    if (!h.ok()) return "error: " + h.status().message();
    std::string out;
    for (const auto& e : *h) {
      if (!out.empty()) out += ' ';
      out.append(e.version.message).append("#").append(std::to_string(e.doc_version));
    }
    return out;
  }
};

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(history)

BOOST_FIXTURE_TEST_CASE(each_log_filter_keeps_exactly_its_versions, HistoryFixture) {
  struct Case {
    const char* name;
    std::function<void(LogOptions&)> set;
    const char* expected;
  };
  const Case cases[] = {
      {"no filter", [](LogOptions&) {}, "v6 v5 v4 v3 v2 v1"},
      {"--doc created, changed, removed, recreated", [](LogOptions& o) { o.docs = {"cfg"}; },
       "v6 v5 v4 v2 v1"},
      {"--doc other", [](LogOptions& o) { o.docs = {"other"}; }, "v3"},
      {"--doc repeated: any",
       [](LogOptions& o) {
         o.docs = {"other", "nope"};
       },
       "v3"},
      {"--doc never there", [](LogOptions& o) { o.docs = {"nope"}; }, ""},
      {"--path /db/host",
       [](LogOptions& o) {
         o.paths = {{"cfg", P("/db/host")}};
       },
       "v6 v5 v2 v1"},
      {"--path /db: anything under it",
       [](LogOptions& o) {
         o.paths = {{"cfg", P("/db")}};
       },
       "v6 v5 v2 v1"},
      {"--path /db/port: sibling unchanged",
       [](LogOptions& o) {
         o.paths = {{"cfg", P("/db/port")}};
       },
       "v6 v5 v1"},
      {"--path key with /",
       [](LogOptions& o) {
         o.paths = {{"cfg", P("/a~1b")}};
       },
       "v5 v4 v1"},
      {"--path key with ~",
       [](LogOptions& o) {
         o.paths = {{"cfg", P("/c~0d")}};
       },
       "v5 v1"},
      {"--path whole document",
       [](LogOptions& o) {
         o.paths = {{"cfg", P("")}};
       },
       "v6 v5 v4 v2 v1"},
      {"--path and --doc: any",
       [](LogOptions& o) {
         o.paths = {{"cfg", P("/c~0d")}};
         o.docs = {"other"};
       },
       "v5 v3 v1"},
      {"--author substring of name", [](LogOptions& o) { o.author = "nn"; }, "v4 v1"},
      {"--author email", [](LogOptions& o) { o.author = "bob@example"; }, "v5 v2"},
      {"--author regex", [](LogOptions& o) { o.author = "^(ann|carl)$"; }, "v6 v4 v3 v1"},
      {"--grep regex", [](LogOptions& o) { o.grep = "v[2-4]"; }, "v4 v3 v2"},
      {"--since", [](LogOptions& o) { o.since = 4000; }, "v6 v5 v4"},
      {"--until", [](LogOptions& o) { o.until = 2000; }, "v2 v1"},
      {"--since and --until",
       [](LogOptions& o) {
         o.since = 2500;
         o.until = 5000;
       },
       "v5 v4 v3"},
      {"--label", [](LogOptions& o) { o.labels = {"l2"}; }, "v3 v2"},
      {"--label any",
       [](LogOptions& o) {
         o.labels = {"l1", "l2"};
       },
       "v3 v2 v1"},
      {"--label all",
       [](LogOptions& o) {
         o.labels = {"l1", "l2"};
         o.all_labels = true;
       },
       "v2"},
      {"--label unknown", [](LogOptions& o) { o.labels = {"nope"}; }, ""},
      {"combined: --doc and --author",
       [](LogOptions& o) {
         o.docs = {"cfg"};
         o.author = "bob";
       },
       "v5 v2"},
      {"-n", [](LogOptions& o) { o.max_count = 2; }, "v6 v5"},
      {"--reverse", [](LogOptions& o) { o.reverse = true; }, "v1 v2 v3 v4 v5 v6"},
      {"-n then --reverse",
       [](LogOptions& o) {
         o.max_count = 2;
         o.reverse = true;
       },
       "v5 v6"},
      {"filter, -n, --reverse",
       [](LogOptions& o) {
         o.docs = {"cfg"};
         o.max_count = 3;
         o.reverse = true;
       },
       "v4 v5 v6"},
  };
  for (const Case& c : cases) {
    LogOptions o;
    c.set(o);
    BOOST_TEST(Messages(o) == c.expected, c.name << ": " << Messages(o));
  }
}

BOOST_FIXTURE_TEST_CASE(bad_regular_expressions_are_invalid_arguments, HistoryFixture) {
  LogOptions o;
  o.grep = "(";
  Result<std::vector<VersionInfo>> log = repo().Log("HEAD", o);
  BOOST_TEST((log.status().code() == Code::kInvalidArgument));
  BOOST_TEST(log.status().message().find("--grep '('") != std::string::npos);
  // An author pattern that is no regular expression is still a substring.
  o.grep.reset();
  o.author = "[";
  BOOST_TEST(Messages(o) == "");
  Write(Put("other", "3"), "x[y", 7000, "v7", {});
  BOOST_TEST(Messages(o) == "v7");
}

BOOST_FIXTURE_TEST_CASE(labels_added_later_match_too, HistoryFixture) {
  // VersionInfo::added_labels is filled from git notes by `strata label`;
  // the filter reads both lists. Here: no notes, so only trailers match.
  LogOptions o;
  o.labels = {"l1"};
  Result<std::vector<VersionInfo>> log = repo().Log("HEAD", o);
  BOOST_REQUIRE(log.ok());
  for (const auto& v : *log) BOOST_TEST(v.added_labels.empty());
  BOOST_TEST(log->size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(log_entries_carry_each_versions_changes, HistoryFixture) {
  LogOptions o;
  o.changes = true;
  o.docs = {"cfg"};
  o.max_count = 2;
  Result<std::vector<LogEntry>> log = repo().LogEntries("HEAD", o);
  BOOST_REQUIRE(log.ok());
  BOOST_REQUIRE(log->size() == 2u);
  BOOST_REQUIRE((*log)[0].changes.size() == 1u);
  BOOST_TEST((*log)[0].changes[0].op.path.ToString() == "/cfg");
  BOOST_TEST(((*log)[0].changes[0].op.kind == PatchOpKind::kAdd));
  BOOST_REQUIRE((*log)[1].changes.size() == 1u);
  BOOST_TEST(((*log)[1].changes[0].op.kind == PatchOpKind::kRemove));
  BOOST_TEST(CanonicalJson(*(*log)[1].changes[0].old_value) ==
             R"({"a/b":2,"c~d":1,"db":{"host":"b","port":1}})");
}

BOOST_FIXTURE_TEST_CASE(ranges_read_as_git_log_reads_them, HistoryFixture) {
  // A second line: "side" branches off at v4 (HEAD~2), with two versions.
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open(&raw, (dir() + "/.strata").c_str()) == 0);
  RepositoryPtr git(raw);
  git_oid base;
  BOOST_REQUIRE(git_oid_fromstr(&base, repo().ResolveRevision("HEAD~2").value().c_str()) == 0);
  git_reference* ref = nullptr;
  BOOST_REQUIRE(git_reference_create(&ref, git.get(), "refs/heads/side", &base, 0, "test") == 0);
  git_reference_free(ref);
  Write(Put("other", "2"), "dan", 7000, "s1", {}, "side");
  Write(Set("cfg", "/db/port", "2"), "dan", 8000, "s2", {}, "side");
  LogOptions all;
  BOOST_TEST(Messages(all, "main..side") == "s2 s1");
  BOOST_TEST(Messages(all, "side..main") == "v6 v5");
  BOOST_TEST(Messages(all, "side...main") == "s2 s1 v6 v5");
  BOOST_TEST(Messages(all, "main...side") == "s2 s1 v6 v5");
  BOOST_TEST(Messages(all, "side..") == "v6 v5");  // an empty side is HEAD
  BOOST_TEST(Messages(all, "main..main") == "");
  LogOptions doc;
  doc.docs = {"other"};
  BOOST_TEST(Messages(doc, "main...side") == "s1");
  BOOST_TEST(Messages(doc, "side") == "s1 v3");
  LogOptions port;
  port.paths = {{"cfg", P("/db/port")}};
  BOOST_TEST(Messages(port, "side") == "s2 v1");
  BOOST_TEST((repo().Log("main..nope", all).status().code() == Code::kNotFound));
  // History follows the branch it is given.
  HistoryOptions h;
  h.rev = "side";
  BOOST_TEST(HistoryOf("cfg", "/db/port", h) == "s2#4 v1#1");
}

BOOST_FIXTURE_TEST_CASE(a_merge_changed_what_differs_from_its_first_parent, HistoryFixture) {
  // side: v4 + s1 (changes "other"). Then two merges made with libgit2 (as
  // `git merge` would leave them): m1 keeps main's state (so it changed
  // nothing, measured against its first parent), m2 takes side's state
  // (so, against m1, it changed both documents).
  git_repository* raw = nullptr;
  BOOST_REQUIRE(git_repository_open(&raw, (dir() + "/.strata").c_str()) == 0);
  RepositoryPtr git(raw);
  auto commit = [&](const std::string& rev) {
    git_oid id;
    BOOST_REQUIRE(git_oid_fromstr(&id, repo().ResolveRevision(rev).value().c_str()) == 0);
    git_commit* c = nullptr;
    BOOST_REQUIRE(git_commit_lookup(&c, git.get(), &id) == 0);
    return CommitPtr(c);
  };
  git_reference* ref = nullptr;
  BOOST_REQUIRE(git_reference_create(&ref, git.get(), "refs/heads/side",
                                     git_commit_id(commit("HEAD~2").get()), 0, "test") == 0);
  git_reference_free(ref);
  Write(Put("other", "2"), "dan", 7000, "s1", {}, "side");
  auto merge = [&](const std::string& message, const std::string& tree_of, git_time_t when) {
    CommitPtr ours = commit("main"), theirs = commit("side"), state = commit(tree_of);
    git_tree* tree = nullptr;
    BOOST_REQUIRE(git_commit_tree(&tree, state.get()) == 0);
    TreePtr tree_ptr(tree);
    git_signature* sig = nullptr;
    BOOST_REQUIRE(git_signature_new(&sig, "merger", "m@example.com", when, 0) == 0);
    SignaturePtr sig_ptr(sig);
    const git_commit* parents[] = {ours.get(), theirs.get()};
    git_oid id;
    BOOST_REQUIRE(git_commit_create(&id, git.get(), "refs/heads/main", sig, sig, nullptr,
                                    (message + "\n").c_str(), tree, 2, parents) == 0);
  };
  merge("m1", "main", 8000);
  merge("m2", "side", 9000);
  LogOptions other;
  other.docs = {"other"};
  BOOST_TEST(Messages(other) == "m2 s1 v3");
  LogOptions cfg;
  cfg.docs = {"cfg"};
  BOOST_TEST(Messages(cfg) == "m2 v6 v5 v4 v2 v1");
  LogOptions all;
  BOOST_TEST(Messages(all) == "m2 m1 s1 v6 v5 v4 v3 v2 v1");
  // history follows the first-parent line: s1 is not on it, m2 is.
  BOOST_TEST(HistoryOf("other", "") == "m2#2 v3#1");
  Result<std::vector<BlameLine>> blame = repo().Blame("other", JsonPointer());
  BOOST_REQUIRE(blame.ok());
  BOOST_REQUIRE(blame->size() == 1u);
  BOOST_TEST((*blame)[0].version.message == "m2");
}

BOOST_FIXTURE_TEST_CASE(history_numbers_the_documents_versions, HistoryFixture) {
  BOOST_TEST(HistoryOf("cfg", "") == "v6#5 v5#4 v4#3 v2#2 v1#1");
  BOOST_TEST(HistoryOf("cfg", "/db/host") == "v6#5 v5#4 v2#2 v1#1");
  BOOST_TEST(HistoryOf("cfg", "/db/port") == "v6#5 v5#4 v1#1");
  BOOST_TEST(HistoryOf("cfg", "/a~1b") == "v5#4 v4#3 v1#1");
  BOOST_TEST(HistoryOf("other", "") == "v3#1");
  BOOST_TEST(HistoryOf("other", "/x") == "");  // never had /x; the document exists
  HistoryOptions at;
  at.rev = "HEAD~3";
  BOOST_TEST(HistoryOf("cfg", "", at) == "v2#2 v1#1");
  HistoryOptions two;
  two.max_count = 2;
  BOOST_TEST(HistoryOf("cfg", "", two) == "v6#5 v5#4");
  Result<std::vector<LogEntry>> none = repo().History("nope", JsonPointer(), {});
  BOOST_TEST((none.status().code() == Code::kNotFound));
  BOOST_TEST(none.status().message().find("'nope'") != std::string::npos);
  HistoryOptions bad;
  bad.rev = "nope";
  BOOST_TEST((repo().History("cfg", JsonPointer(), bad).status().code() == Code::kNotFound));
}

BOOST_FIXTURE_TEST_CASE(history_changes_are_those_under_the_pointer, HistoryFixture) {
  HistoryOptions o;
  o.changes = true;
  Result<std::vector<LogEntry>> h = repo().History("cfg", P("/db/host"), o);
  BOOST_REQUIRE(h.ok());
  BOOST_REQUIRE(h->size() == 4u);
  // "op path doc pointer old" for entry i's one change.
  auto one = [&](std::size_t i) -> std::string {
    if ((*h)[i].changes.size() != 1u)
      return Name("changes: ", static_cast<int>((*h)[i].changes.size()));
    const Change& c = (*h)[i].changes[0];
    return CanonicalJson(PatchOpToJson(c.op)) + " " + c.doc + " " + c.pointer.ToString() + " " +
           (c.old_value ? CanonicalJson(*c.old_value) : "-");
  };
  BOOST_TEST(one(0) == R"({"op":"add","path":"/cfg/db/host","value":"b"} cfg /db/host -)");
  BOOST_TEST(one(1) == R"({"op":"remove","path":"/cfg/db/host"} cfg /db/host "b")");
  BOOST_TEST(one(2) == R"({"op":"replace","path":"/cfg/db/host","value":"b"} cfg /db/host "a")");
  BOOST_TEST(one(3) == R"({"op":"add","path":"/cfg/db/host","value":"a"} cfg /db/host -)");
}

BOOST_FIXTURE_TEST_CASE(large_documents_are_compared_by_subtree_ids, RepoFixture) {
  // A document big enough to be stored as a tree, with a nested tree.
  json::object big, nested;
  for (int i = 0; i < 300; ++i) big[Name("k", i)] = Name("value number ", i);
  for (int i = 0; i < 300; ++i) nested[Name("n", i)] = i;
  big["nested"] = nested;
  BOOST_REQUIRE(repo().Put("big", big, By("ann", 1000)).ok());
  BOOST_REQUIRE(repo().Set("big", P("/nested/n7"), J("70"), By("bob", 2000)).ok());
  BOOST_REQUIRE(repo().Set("big", P("/k3"), J("3"), By("carl", 3000)).ok());
  BOOST_REQUIRE(repo().Put("small", J("1"), By("dan", 4000)).ok());
  auto authors = [&](const std::string& pointer) {
    LogOptions o;
    o.paths = {{"big", P(pointer)}};
    std::vector<VersionInfo> log = repo().Log("HEAD", o).value();
    std::string out;
    for (const auto& v : log) out += v.author.name + " ";
    return out;
  };
  BOOST_TEST(authors("") == "carl bob ann ");
  BOOST_TEST(authors("/nested") == "bob ann ");
  BOOST_TEST(authors("/nested/n7") == "bob ann ");
  BOOST_TEST(authors("/nested/n8") == "ann ");
  BOOST_TEST(authors("/k3") == "carl ann ");
  BOOST_TEST(authors("/k4") == "ann ");
  BOOST_TEST(authors("/nope") == "");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
