// Tests for CheckIncoming and CheckRemoteRefName (repo/incoming.h): what a
// fetch brings is refused, with a message naming what and why, when a ref
// name, a version's shape, a document id or the size breaks a rule; valid
// history passes; and objects we already had are not walked.
//
// The "quarantine" here is a second ObjectStore on the fixture's repository:
// objects crafted through it stay staged (in memory), and `known` is the set
// of objects on disk before they were made.
#include "repo/incoming.h"

#include <boost/test/unit_test.hpp>
#include <set>

#include "objects/tree_codec.h"
#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

struct RawEntry {
  std::string name;
  ObjectId id;
  bool is_tree = false;
};

class IncomingFixture : public RepoFixture {
 public:
  IncomingFixture() {
    git_repository* raw = nullptr;
    if (git_repository_open_bare(&raw, repo().path().c_str()) != 0) {
      throw std::runtime_error("cannot open the repository");
    }
    git_.reset(raw);
    store_ = ObjectStore::Open(git_.get()).value();
    RememberDisk();
  }

  // Everything on disk now counts as ours (known).
  void RememberDisk() {
    git_odb* raw = nullptr;
    BOOST_REQUIRE(git_odb_open(&raw, (repo().path() + "/objects").c_str()) == 0);
    OdbPtr odb(raw);
    git_odb_foreach(
        raw,
        [](const git_oid* id, void* payload) {
          static_cast<std::set<ObjectId>*>(payload)->insert(FromGit(*id));
          return 0;
        },
        &known_);
  }

  ObjectId Blob(std::string_view text) { return store_->WriteBlob(text).value(); }
  ObjectId Tree(std::vector<RawEntry> entries) {
    std::vector<TreeEntry> out;
    for (auto& e : entries) out.push_back({e.name, e.id, e.is_tree});
    return store_->WriteTree(std::move(out)).value();
  }
  // A flat state node: document ids escaped as strata spells them.
  ObjectId Flat(const std::vector<std::string>& ids) {
    std::vector<RawEntry> entries;
    for (const std::string& id : ids) entries.push_back({EscapeKey(id), Blob("1")});
    return Tree(entries);
  }
  // One shard level: `ids` grouped into flat buckets by their hash.
  using Buckets = std::map<std::string, std::vector<std::string>>;
  static Buckets ByBucket(const std::vector<std::string>& ids) {
    Buckets buckets;
    for (const std::string& id : ids) buckets[Bucket(id)].push_back(id);
    return buckets;
  }
  ObjectId Sharded(const Buckets& buckets) {
    std::vector<RawEntry> shard;
    for (const auto& [name, ids] : buckets) shard.push_back({name, Flat(ids), true});
    return Tree(shard);
  }
  // "d0" .. "d599" and `more`: enough documents for a sharded state.
  static std::vector<std::string> ManyIds(std::vector<std::string> more = {}) {
    for (int i = 0; i < 600; ++i) {
      std::string id = "d";
      id += std::to_string(i);
      more.push_back(std::move(id));
    }
    return more;
  }
  static std::string Bucket(const std::string& id, int level = 0) {
    return BucketName(KeyHash(id), level, kNibbleShards);
  }
  ObjectId State(const json::object& state) { return EncodeState(*store_, state).value(); }
  ObjectId Root(const ObjectId& state) {
    return Tree({{"delta.zst", Blob("delta"), false}, {"state", state, true}});
  }
  ObjectId Commit(const ObjectId& root, const std::vector<ObjectId>& parents,
                  const std::string& message = "incoming\n") {
    std::string text = "tree " + root.Hex() + "\n";
    for (const ObjectId& p : parents) text += "parent " + p.Hex() + "\n";
    text += "author Eve <eve@example.com> 1700000000 +0000\n";
    text += "committer Eve <eve@example.com> 1700000000 +0000\n\n" + message;
    return store_->WriteObject(text, GIT_OBJECT_COMMIT).value();
  }
  ObjectId Version(const ObjectId& state, const std::vector<ObjectId>& parents = {}) {
    return Commit(Root(state), parents);
  }
  ObjectId Tag(const ObjectId& target, const char* type) {
    std::string text = "object " + target.Hex() + "\ntype " + type +
                       "\ntag v1\ntagger Eve <eve@example.com> 1700000000 +0000\n\nv1\n";
    return store_->WriteObject(text, GIT_OBJECT_TAG).value();
  }

  Status Check(const std::vector<IncomingRef>& refs, const IncomingLimits& limits = {}) {
    auto known = [this](const ObjectId& id) { return known_.count(id) > 0; };
    return CheckIncoming(*store_, known, refs, limits);
  }
  Status CheckMain(const ObjectId& tip, const IncomingLimits& limits = {}) {
    return Check({{"refs/heads/main", tip}}, limits);
  }
  static std::string Where(const ObjectId& version) {
    return "version " + version.Hex() + " (from remote ref 'refs/heads/main') is refused: ";
  }

  ObjectStore& Store() { return *store_; }

  // Marks a version and every object below it as ours.
  void KnowAll(const ObjectId& version) {
    git_commit* raw = nullptr;
    BOOST_REQUIRE(git_commit_lookup(&raw, git_.get(), AsGit(version)) == 0);
    CommitPtr commit(raw);
    known_.insert(version);
    std::vector<ObjectId> trees{FromGit(*git_commit_tree_id(raw))};
    while (!trees.empty()) {
      ObjectId t = trees.back();
      trees.pop_back();
      known_.insert(t);
      std::vector<TreeEntry> entries = store_->ReadTree(t).value();
      for (const TreeEntry& e : entries) {
        if (e.is_tree) {
          trees.push_back(e.id);
        } else {
          known_.insert(e.id);
        }
      }
    }
  }

  std::set<ObjectId> known_;

 private:
  RepositoryPtr git_;
  std::unique_ptr<ObjectStore> store_;
};

void ExpectRefused(const Status& s, const std::string& message) {
  BOOST_TEST((s.code() == Code::kInvalidArgument));
  BOOST_TEST(s.message() == message);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(incoming)

BOOST_AUTO_TEST_CASE(ref_names) {
  const std::string dotgit =
      "' cannot be a component: file systems may take it for .git, git's own folder";
  struct Case {
    std::string name;
    std::string shown;  // as the message spells it
    std::string why;    // "" for a name that passes
  } cases[] = {
      {"refs/heads/main", "", ""},
      {"refs/tags/v1.0", "", ""},
      {"refs/heads/feature/x", "", ""},
      {"refs/heads/caf\xc3\xa9", "", ""},
      {"HEAD", "", ""},
      {"refs/heads/../x", "refs/heads/../x", "'..' cannot be a component"},
      {"refs/heads/..", "refs/heads/..", "'..' cannot be a component"},
      {"refs/heads/.GIT/x", "refs/heads/.GIT/x", "'.GIT" + dotgit},
      {"refs/heads/.git", "refs/heads/.git", "'.git" + dotgit},
      {"refs/heads/GIT~1/x", "refs/heads/GIT~1/x", "'GIT~1" + dotgit},
      {"refs/heads/x/.git.", "refs/heads/x/.git.", "'.git." + dotgit},
      {"refs/heads/a\x01", "refs/heads/a\\x01", "it holds a control character (U+0001)"},
      {"refs/heads/a\x1b[2J", "refs/heads/a\\x1b[2J", "it holds a control character (U+001B)"},
      {"refs/heads/a\x7f", "refs/heads/a\\x7f", "it holds a control character (U+007F)"},
      {"refs/heads/a\xc2\x85", "refs/heads/a\\xc2\\x85", "it holds a control character (U+0085)"},
      {"refs/heads/\xff", "refs/heads/\\xff", "it is not valid UTF-8 (at byte 11)"},
      {"refs/heads/x.lock", "refs/heads/x.lock", "git does not accept it as a ref name"},
      {"refs/heads/a b", "refs/heads/a b", "git does not accept it as a ref name"},
      {"refs/heads/a:b", "refs/heads/a:b", "git does not accept it as a ref name"},
      {"refs/heads//x", "refs/heads//x", "git does not accept it as a ref name"},
      {"", "", "it is empty"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.shown) {
      Status s = CheckRemoteRefName(c.name);
      if (c.why.empty()) {
        BOOST_TEST(s.ok(), s.message());
      } else {
        ExpectRefused(s, "remote ref '" + c.shown + "' is refused: " + c.why);
      }
    }
  }
}

BOOST_FIXTURE_TEST_CASE(ref_names_alike_but_for_case_are_refused, IncomingFixture) {
  ObjectId v = Version(Flat({"a"}));
  ExpectRefused(Check({{"refs/heads/main", v}, {"refs/heads/Main", v}}),
                "remote refs 'refs/heads/Main' and 'refs/heads/main' are refused: they differ "
                "only in letter case, and would be one file on a case-insensitive file system");
  // Unicode case folding: U+00C9 and U+00E9.
  ExpectRefused(Check({{"refs/tags/\xc3\x89t\xc3\xa9", v}, {"refs/tags/\xc3\xa9t\xc3\xa9", v}}),
                "remote refs 'refs/tags/\xc3\x89t\xc3\xa9' and 'refs/tags/\xc3\xa9t\xc3\xa9' are "
                "refused: they differ only in letter case, and would be one file on a "
                "case-insensitive file system");
  BOOST_TEST(Check({{"refs/heads/main", v}, {"refs/heads/main2", v}}).ok());
  // A file and a folder of one name.
  ExpectRefused(Check({{"refs/heads/a/b", v}, {"refs/heads/a", v}}),
                "remote refs 'refs/heads/a' and 'refs/heads/a/b' are refused: the first would be "
                "a file where the second needs a folder");
  ExpectRefused(Check({{"refs/heads/a", v}, {"refs/heads/A/b", v}}),
                "remote refs 'refs/heads/a' and 'refs/heads/A/b' are refused: the first would be "
                "a file where the second needs a folder on a case-insensitive file system");
  BOOST_TEST(Check({{"refs/heads/a", v}, {"refs/heads/ab/c", v}, {"refs/tags/a", v}}).ok());
  // A bad name is refused, whatever it names.
  ExpectRefused(Check({{"refs/heads/ok", v}, {"refs/heads/../x", v}}),
                "remote ref 'refs/heads/../x' is refused: '..' cannot be a component");
}

BOOST_FIXTURE_TEST_CASE(valid_history_passes, IncomingFixture) {
  // Written by strata itself after `known` was taken: all of it is new.
  BOOST_REQUIRE(repo().Put("config/app", J(R"({"db":{"host":"a"}})"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put(".merge", J("{}"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("Config/Other", J("2"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("caf\xc3\xa9/x", J("3"), By("ann")).ok());
  BOOST_REQUIRE(repo().Remove("config/app", std::nullopt, By("ann")).ok());
  // A document renamed to another letter case, in one version.
  BOOST_REQUIRE(repo()
                    .Patch(std::nullopt,
                           ParsePatch(J(R"([{"op":"move","from":"/Config~1Other",
                                                "path":"/config~1other"}])"))
                               .value(),
                           By("ann"))
                    .ok());
  ObjectId tip;
  BOOST_REQUIRE(git_oid_fromstr(AsGit(tip), Show("HEAD").value().id.c_str()) == 0);
  Status s = CheckMain(tip);
  BOOST_TEST(s.ok(), s.message());
  // A tag of a version is fine too.
  ObjectId tag = Tag(tip, "commit");
  s = Check({{"refs/heads/main", tip}, {"refs/tags/v1", tag}});
  BOOST_TEST(s.ok(), s.message());
  // Once it is all ours, nothing is new: not even one object is counted.
  RememberDisk();
  BOOST_TEST(CheckMain(tip, {.max_bytes = 0, .max_objects = 0}).ok());
}

BOOST_FIXTURE_TEST_CASE(a_sharded_state_passes, IncomingFixture) {
  // More than kFlatMaxEntries documents: the state is sharded, and every id
  // sits in the bucket its hash names.
  json::object docs;
  for (int i = 0; i < 1200; ++i) docs["doc/" + std::to_string(i)] = i;
  ObjectId v1 = Version(State(docs));
  json::object next = docs;
  next["Doc/x"] = 1;  // a new id, alike but for case to none
  next.erase("doc/7");
  ObjectId v2 = Version(State(next), {v1});
  Status s = CheckMain(v2);
  BOOST_TEST(s.ok(), s.message());
  // Format 3 shards 16 ways (".a"); formats 1 and 2, 256 ways (".ab"): a
  // remote of either format is read.
  BOOST_TEST(Store().ReadTree(State(docs)).value().front().name.size() == 2u);
  Store().set_format(2);
  ObjectId old_state = State(next);
  Store().set_format(3);
  BOOST_TEST(Store().ReadTree(old_state).value().front().name.size() == 3u);
  ObjectId v2_old = Version(old_state, {v1});
  s = CheckMain(v2_old);
  BOOST_TEST(s.ok(), s.message());
  // A new id, twin of one in a bucket it does not share.
  BOOST_REQUIRE(Bucket("Doc/1") != Bucket("doc/1"));
  next["Doc/1"] = 1;
  ObjectId v3 = Version(State(next), {v2});
  ExpectRefused(CheckMain(v3), Where(v3) +
                                   "document ids 'Doc/1' and 'doc/1' differ only in letter case, "
                                   "and would be one file on a case-insensitive file system");
}

BOOST_FIXTURE_TEST_CASE(document_ids_are_checked, IncomingFixture) {
  struct Case {
    std::string id;
    std::string message;  // after "version ... is refused: "
  } cases[] = {
      {"../etc", "invalid document id '../etc': '.' and '..' cannot be segments"},
      {".git/config",
       "invalid document id '.git/config': '.git' cannot be a segment: file systems may take it "
       "for .git, git's own folder"},
      {"a/.GIT",
       "invalid document id 'a/.GIT': '.GIT' cannot be a segment: file systems may take it for "
       ".git, git's own folder"},
      {"a/git~1",
       "invalid document id 'a/git~1': 'git~1' cannot be a segment: file systems may take it for "
       ".git, git's own folder"},
      {"a\x01"
       "b",
       "invalid document id 'a\\x01b': it holds a control character (U+0001)"},
      {"a\x1b[2Jb", "invalid document id 'a\\x1b[2Jb': it holds a control character (U+001B)"},
      {"/etc/passwd",
       "invalid document id '/etc/passwd': it has an empty segment (a leading, trailing or double "
       "'/')"},
      {"cafe\xcc\x81",
       "invalid document id 'cafe\xcc\x81': it is not in Unicode NFC (composed characters); its "
       "NFC form is 'caf\xc3\xa9'"},
      {".hidden",
       "invalid document id '.hidden': ids starting with '.' are reserved for the repository's "
       "settings documents, which are .merge, .perspectives, .schemas"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.message) {
      // Alone in a flat state, and among enough documents to be sharded.
      ObjectId v = Version(Flat({"ok", c.id}));
      ExpectRefused(CheckMain(v), Where(v) + c.message);
      ObjectId sharded = Version(Sharded(ByBucket(ManyIds({c.id}))));
      ExpectRefused(CheckMain(sharded), Where(sharded) + c.message);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(meta_ids_and_settings_documents_are_checked, IncomingFixture) {
  // meta is keyed by document id like the state.
  ObjectId state = Flat({"a"});
  ObjectId bad_meta = Commit(Tree({{"delta.zst", Blob("d"), false},
                                   {"meta", Flat({"../x"}), true},
                                   {"state", state, true}}),
                             {});
  ExpectRefused(CheckMain(bad_meta),
                Where(bad_meta) + "invalid document id '../x': '.' and '..' cannot be segments");
  ObjectId mixed = Tree({{"-a", Blob("1")}, {".0a", Flat({"x"}), true}});
  ObjectId bad_shape = Commit(
      Tree({{"delta.zst", Blob("d"), false}, {"meta", mixed, true}, {"state", state, true}}), {});
  ExpectRefused(CheckMain(bad_shape), Where(bad_shape) + "meta tree " + mixed.Hex() +
                                          ": entry '.0a' is a shard bucket among documents");

  // A settings document holds what a write of it would accept.
  auto with = [&](const std::string& id, std::string_view value) {
    return Version(Tree({{EscapeKey(id), Blob(value)}, {"a", Blob("1")}}));
  };
  ObjectId schemas = with(".schemas", R"({"a":1})");
  ExpectRefused(CheckMain(schemas),
                Where(schemas) +
                    "settings document '.schemas': unknown member \"a\" (only \"schemas\" is "
                    "defined)");
  ObjectId merge = with(".merge", "{}");
  BOOST_TEST(CheckMain(merge).ok(), CheckMain(merge).message());
  // Also among enough documents to be sharded.
  json::object docs;
  for (const std::string& id : ManyIds()) docs[id] = 1;
  docs[".schemas"] = json::object{{"a", 1}};
  ObjectId sharded = Version(State(docs));
  ExpectRefused(CheckMain(sharded),
                Where(sharded) +
                    "settings document '.schemas': unknown member \"a\" (only \"schemas\" is "
                    "defined)");
}

BOOST_FIXTURE_TEST_CASE(state_entries_must_be_spelt_as_strata_spells_them, IncomingFixture) {
  ObjectId one = Blob("1");
  struct Case {
    std::vector<RawEntry> entries;
    std::string why;
  } cases[] = {
      // "%61" is 'a', which strata spells "a": two entries could be one id.
      {{{"%61", one}, {"a", one}}, "entry '%61' is not how strata spells document id 'a' ('a')"},
      {{{"a%2", one}}, "entry 'a%2': "},
      {{{".0a", Flat({"x"}), true}, {"b", one}}, "entry 'b' is not a shard bucket"},
      {{{"..", Flat({"x"}), true}}, "entry '..' is not a shard bucket"},
      {{{".0a", one}}, "entry '.0a' is not a shard bucket"},
      {{{".zz", Flat({"x"}), true}}, "entry '.zz' is not a shard bucket"},
      {{{"-a", one}, {".0a", Flat({"x"}), true}}, "entry '.0a' is a shard bucket among documents"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.why) {
      ObjectId state = Tree(c.entries);
      ObjectId v = Version(state);
      Status s = CheckMain(v);
      BOOST_TEST((s.code() == Code::kInvalidArgument));
      const std::string prefix = Where(v) + "state tree " + state.Hex() + ": " + c.why;
      BOOST_TEST(s.message().substr(0, prefix.size()) == prefix, s.message());
    }
  }
  // An id in a bucket its hash does not name.
  ObjectId flat = Flat({"x"});
  std::string wrong = Bucket("x") == ".00" ? ".01" : ".00";
  ObjectId state = Tree({{wrong, flat, true}});
  ObjectId v = Version(state);
  ExpectRefused(CheckMain(v), Where(v) + "state tree " + flat.Hex() +
                                  ": document id 'x' is in shard bucket " + wrong +
                                  " at level 0, where its hash does not put it");
}

BOOST_FIXTURE_TEST_CASE(ids_alike_but_for_case_in_one_state_are_refused, IncomingFixture) {
  const std::string why =
      "document ids 'Config/App' and 'config/app' differ only in letter case, and would be one "
      "file on a case-insensitive file system";
  // In one new flat node.
  ObjectId v = Version(Flat({"Config/App", "config/app"}));
  ExpectRefused(CheckMain(v), Where(v) + why);

  // Added by a child version: the index of its parent's state is updated.
  ObjectId v1 = Version(Flat({"config/app", "other"}));
  ObjectId v2 = Version(Flat({"config/app", "Config/App", "other"}), {v1});
  ExpectRefused(CheckMain(v2), Where(v2) + why);
  // Renamed to another case in one version: fine.
  ObjectId v3 = Version(Flat({"Config/App", "other"}), {v1});
  BOOST_TEST(CheckMain(v3).ok(), CheckMain(v3).message());
  // On a parent state we have: versions that add no id need no index; the
  // first that adds one is checked against the whole state.
  KnowAll(v1);
  ObjectId v4 = Version(Flat({"config/app"}), {v1});
  ObjectId v5 = Version(Flat({"config/app", "more"}), {v4});
  BOOST_TEST(CheckMain(v5).ok(), CheckMain(v5).message());
  ObjectId v6 = Version(Flat({"config/app", "more", "CONFIG/APP"}), {v5});
  ExpectRefused(CheckMain(v6), Where(v6) +
                                   "document ids 'CONFIG/APP' and 'config/app' differ only in "
                                   "letter case, and would be one file on a case-insensitive "
                                   "file system");
  ObjectId v7 = Version(Flat({"other", "CONFIG/APP"}), {v1});  // a rename
  BOOST_TEST(CheckMain(v7).ok(), CheckMain(v7).message());

  // A new id whose twin is in a bucket we already have: the collision is
  // found though the known bucket is not walked for ids. Enough documents
  // to shard the state, and the two ids in different buckets.
  std::string lower = "config/app", upper = "CONFIG/APP";
  BOOST_REQUIRE(Bucket(lower) != Bucket(upper));
  Buckets buckets = ByBucket(ManyIds({lower}));
  known_.insert(Flat(buckets[Bucket(lower)]));  // "ours" already
  buckets[Bucket(upper)].push_back(upper);
  ObjectId both = Version(Sharded(buckets));
  ExpectRefused(CheckMain(both), Where(both) +
                                     "document ids 'CONFIG/APP' and 'config/app' differ only in "
                                     "letter case, and would be one file on a case-insensitive "
                                     "file system");
}

BOOST_FIXTURE_TEST_CASE(commits_must_be_versions, IncomingFixture) {
  ObjectId state = Flat({"a"});
  ObjectId delta = Blob("delta");
  auto refused = [&](const ObjectId& v, const std::string& why) {
    ExpectRefused(CheckMain(v), Where(v) + "it is not a strata version: " + why);
  };
  ObjectId no_state = Commit(Tree({{"delta.zst", delta}}), {});
  refused(no_state, "version " + no_state.Hex() + " has no state tree");
  ObjectId no_delta = Commit(Tree({{"state", state, true}}), {});
  refused(no_delta, "its root tree has no delta.zst blob");
  ObjectId state_blob = Commit(Tree({{"delta.zst", delta}, {"state", delta}}), {});
  refused(state_blob, "version " + state_blob.Hex() + " has no state tree");
  ObjectId extra =
      Commit(Tree({{"delta.zst", delta}, {"state", state, true}, {"hooks", state, true}}), {});
  refused(extra, "its root tree holds 'hooks' (a tree), which a version does not");
  ObjectId forged = Commit(Root(state), {}, "hello\nLabel: approved\n\nmore\n");
  refused(forged,
          "line 2 of the message ('Label: approved') would be read as a label; give labels with "
          "--label");
  ObjectId escape = Commit(Root(state), {}, "hi\nLabel: \x1b[2J\n\nmore\n");
  refused(escape,
          "line 2 of the message ('Label: \\x1b[2J') would be read as a label; give labels with "
          "--label");
  ObjectId odd_mode =
      Store()
          .WriteObject(std::string("1\x1b[31m x") + '\0' +
                           std::string(reinterpret_cast<const char*>(state.bytes), GIT_OID_RAWSZ),
                       GIT_OBJECT_TREE)
          .value();
  ObjectId with_odd_mode =
      Commit(Tree({{"delta.zst", delta}, {"state", state, true}, {"x", odd_mode, true}}), {});
  ExpectRefused(CheckMain(with_odd_mode),
                Where(with_odd_mode) +
                    "it is not a strata version: its root tree holds 'x' (a "
                    "tree), which a version does not");
  ObjectId odd_state = Commit(Tree({{"delta.zst", delta}, {"state", odd_mode, true}}), {});
  ExpectRefused(CheckMain(odd_state), Where(odd_state) + "state tree " + odd_mode.Hex() +
                                          ": tree " + odd_mode.Hex() +
                                          " has an entry of mode 1\\x1b[31m");
  ObjectId bad_utf8 = Commit(Root(state), {}, "caf\xe9\n");
  refused(bad_utf8, "the message is not valid UTF-8");
  ObjectId gitlink =
      Store()
          .WriteObject(std::string("160000 sub") + '\0' +
                           std::string(reinterpret_cast<const char*>(state.bytes), 20),
                       GIT_OBJECT_TREE)
          .value();
  ObjectId with_gitlink = Commit(Tree({{"delta.zst", delta}, {"state", gitlink, true}}), {});
  ExpectRefused(CheckMain(with_gitlink), Where(with_gitlink) + "state tree " + gitlink.Hex() +
                                             ": tree " + gitlink.Hex() +
                                             " has an entry of mode 160000");
  auto raw_id = [](const ObjectId& id) {
    return std::string(reinterpret_cast<const char*>(id.bytes), GIT_OID_RAWSZ);
  };
  ObjectId exec_root =
      Store()
          .WriteObject(std::string("100644 delta.zst") + '\0' + raw_id(delta) + "100755 hook" +
                           '\0' + raw_id(delta) + "40000 state" + '\0' + raw_id(state),
                       GIT_OBJECT_TREE)
          .value();
  ObjectId with_exec = Commit(exec_root, {});
  refused(with_exec, "tree " + exec_root.Hex() + " has an entry of mode 100755");
  ObjectId root_blob = Commit(delta, {});
  ExpectRefused(CheckMain(root_blob),
                Where(root_blob) + "it is not a strata version: its root is a blob");

  // A bad version deep in history is found from the tip.
  ObjectId good1 = Version(state, {no_delta});
  ObjectId good2 = Version(Flat({"b"}), {good1});
  refused(no_delta, "its root tree has no delta.zst blob");
  ExpectRefused(
      CheckMain(good2),
      Where(no_delta) + "it is not a strata version: its root tree has no delta.zst blob");

  // Refs name versions, or tags of versions.
  ExpectRefused(CheckMain(state), "remote ref 'refs/heads/main' is refused: it names " +
                                      state.Hex() + ", a tree, not a version or a tag of one");
  ObjectId tag_of_tree = Tag(state, "tree");
  ExpectRefused(Check({{"refs/tags/t", tag_of_tree}}),
                "remote ref 'refs/tags/t' is refused: it names " + state.Hex() +
                    ", a tree, not a version or a tag of one");

  // What the remote did not send is missing.
  ObjectId absent;
  BOOST_REQUIRE(git_oid_fromstr(AsGit(absent), "0123456789012345678901234567890123456789") == 0);
  ObjectId orphan = Version(state, {absent});
  ExpectRefused(CheckMain(orphan), "parent of version " + orphan.Hex() +
                                       " (from remote ref 'refs/heads/main'), " + absent.Hex() +
                                       " is missing: the remote did not send it");
}

BOOST_FIXTURE_TEST_CASE(limits_count_new_objects_and_their_bytes, IncomingFixture) {
  ObjectId v1 = Version(Flat({"a"}));
  // v1: commit, root, delta blob "delta", state tree, blob "1": 5 objects.
  BOOST_TEST(CheckMain(v1, {.max_bytes = 1 << 20, .max_objects = 5}).ok());
  ExpectRefused(CheckMain(v1, {.max_bytes = 1 << 20, .max_objects = 4}),
                "the fetch brings more than 4 new objects, the limit (strata.fetchMaxObjects in "
                "git config)");
  // Their bytes: the sizes git records for each.
  std::uint64_t bytes = 0;
  git_odb* odb = nullptr;
  BOOST_REQUIRE(git_repository_odb(&odb, Store().repo()) == 0);
  OdbPtr owned(odb);
  git_commit* c = nullptr;
  BOOST_REQUIRE(git_commit_lookup(&c, Store().repo(), AsGit(v1)) == 0);
  CommitPtr commit(c);
  ObjectId root = FromGit(*git_commit_tree_id(c));
  std::vector<ObjectId> all{v1, root, Blob("delta"), Flat({"a"}), Blob("1")};
  for (const ObjectId& id : all) {
    std::size_t size = 0;
    git_object_t type;
    BOOST_REQUIRE(git_odb_read_header(&size, &type, odb, AsGit(id)) == 0);
    bytes += size;
  }
  BOOST_TEST(CheckMain(v1, {.max_bytes = bytes, .max_objects = 5}).ok());
  ExpectRefused(CheckMain(v1, {.max_bytes = bytes - 1, .max_objects = 5}),
                "the fetch brings more than " + std::to_string(bytes - 1) +
                    " bytes of new objects, the limit (strata.fetchMaxBytes in git config)");
  // Known objects do not count.
  known_.insert(Blob("delta"));
  known_.insert(Blob("1"));
  BOOST_TEST(CheckMain(v1, {.max_bytes = 1 << 20, .max_objects = 3}).ok());
}

BOOST_FIXTURE_TEST_CASE(known_objects_are_not_walked, IncomingFixture) {
  // A state that would be refused...
  ObjectId bad = Flat({"../etc"});
  ObjectId v = Version(bad);
  ExpectRefused(CheckMain(v),
                Where(v) + "invalid document id '../etc': '.' and '..' cannot be segments");
  // ... is not read when it is ours already: it was checked when it came.
  known_.insert(bad);
  BOOST_TEST(CheckMain(v).ok(), CheckMain(v).message());

  // The same for a bucket of a new sharded state.
  Buckets buckets = ByBucket(ManyIds({"a/.git"}));
  ObjectId sharded = Version(Sharded(buckets));
  const std::string why =
      "invalid document id 'a/.git': '.git' cannot be a segment: file "
      "systems may take it for .git, git's own folder";
  ExpectRefused(CheckMain(sharded), Where(sharded) + why);
  known_.insert(Flat(buckets[Bucket("a/.git")]));
  BOOST_TEST(CheckMain(sharded).ok(), CheckMain(sharded).message());

  // A known commit is not walked: not even its (bad) parent.
  ObjectId bad_parent = Commit(Tree({{"state", Flat({"a"}), true}}), {});
  ObjectId child = Version(Flat({"b"}), {bad_parent});
  ObjectId tip = Version(Flat({"c"}), {child});
  ExpectRefused(CheckMain(tip), Where(bad_parent) +
                                    "it is not a strata version: its root tree has no delta.zst "
                                    "blob");
  known_.insert(child);
  BOOST_TEST(CheckMain(tip).ok(), CheckMain(tip).message());
}

// Regression tests for the shortcuts of a long fetch: an entry alike in
// the node checked last at the same place is not checked again, and a state
// with its parent's ids needs no id comparison. What differs is still
// checked, and a node of another shape is checked in full.
BOOST_FIXTURE_TEST_CASE(what_a_version_changes_is_checked_in_a_long_history, IncomingFixture) {
  Buckets buckets = ByBucket(ManyIds());
  ObjectId v1 = Version(Sharded(buckets));
  // v2 changes one value: its state has v1's ids, in one new flat node.
  auto with_value = [&](Buckets b, const std::string& id, std::string_view value) {
    std::vector<RawEntry> flat;
    for (const std::string& d : b[Bucket(id)]) {
      flat.push_back({EscapeKey(d), d == id ? Blob(value) : Blob("1")});
    }
    std::vector<RawEntry> shard;
    for (const auto& [name, ids] : b) {
      shard.push_back({name, name == Bucket(id) ? Tree(flat) : Flat(ids), true});
    }
    return Tree(shard);
  };
  ObjectId v2 = Version(with_value(buckets, "d7", "2"), {v1});
  BOOST_TEST(CheckMain(v2).ok(), CheckMain(v2).message());
  // v3 adds, beside the same ids, a bad one to that bucket's node.
  Buckets bad = buckets;
  bad[Bucket("a/.git")].push_back("a/.git");
  ObjectId v3 = Version(with_value(bad, "d7", "2"), {v2});
  ExpectRefused(CheckMain(v3), Where(v3) +
                                   "invalid document id 'a/.git': '.git' cannot be a segment: file "
                                   "systems may take it for .git, git's own folder");
  // v4 adds a twin of "d7" after a version (v2) that changed values only.
  Buckets twin = buckets;
  BOOST_REQUIRE(Bucket("D7") != Bucket("d7"));
  twin[Bucket("D7")].push_back("D7");
  ObjectId v4 = Version(with_value(twin, "d7", "3"), {v2});
  ExpectRefused(CheckMain(v4), Where(v4) +
                                   "document ids 'D7' and 'd7' differ only in letter case, and "
                                   "would be one file on a case-insensitive file system");
  // The same after an index was built: v5 adds an id to v1 (known), v6
  // changes a value only, v7 adds the twin.
  KnowAll(v1);
  Buckets more = buckets;
  more[Bucket("e1")].push_back("e1");
  ObjectId v5 = Version(Sharded(more), {v1});
  ObjectId v6 = Version(with_value(more, "d7", "2"), {v5});
  BOOST_TEST(CheckMain(v6).ok(), CheckMain(v6).message());
  more[Bucket("D7")].push_back("D7");
  ObjectId v7 = Version(with_value(more, "d7", "2"), {v6});
  ExpectRefused(CheckMain(v7), Where(v7) +
                                   "document ids 'D7' and 'd7' differ only in letter case, and "
                                   "would be one file on a case-insensitive file system");

  // A flat root holding a bucket that the (sharded) root of the version
  // walked before it holds alike: the bucket is refused among documents.
  const auto& [name, ids] = *more.begin();
  ObjectId mixed = Tree({{"-a", Blob("1")}, {name, Flat(ids), true}});
  ObjectId parent = Version(mixed);
  ObjectId tip = Version(Sharded(more), {parent});
  ExpectRefused(CheckMain(tip), Where(parent) + "state tree " + mixed.Hex() + ": entry '" + name +
                                    "' is a shard bucket among documents");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
