// Included first: proves the header is self-contained.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "strata/merge_policy.h"

namespace strata {
namespace {

json::value J(const std::string& text) {
  Result<json::value> v = ParseJson(text, "test");
  BOOST_REQUIRE_MESSAGE(v.ok(), v.status().message());
  return std::move(v).value();
}

BOOST_AUTO_TEST_SUITE(merge)
BOOST_AUTO_TEST_SUITE(policy)

BOOST_AUTO_TEST_CASE(parses_the_documented_example) {
  Result<MergePolicies> p = MergePolicies::Parse(J(R"({"policies": [
    {"doc": "config/*", "path": "/replicas", "strategy": "max"},
    {"doc": "svc/**", "path": "/endpoints", "strategy": "by-key", "key": "id"},
    {"doc": "**", "path": "/audit/**", "strategy": "theirs"}
  ]})"));
  BOOST_REQUIRE_MESSAGE(p.ok(), p.status().message());
  BOOST_REQUIRE_EQUAL(p->rules().size(), 3u);
  BOOST_TEST(p->rules()[0].doc == "config/*");
  BOOST_TEST(p->rules()[0].path == "/replicas");
  BOOST_TEST((p->rules()[0].strategy == PolicyStrategy::kMax));
  BOOST_TEST(p->rules()[0].key == "");
  BOOST_TEST((p->rules()[1].strategy == PolicyStrategy::kByKey));
  BOOST_TEST(p->rules()[1].key == "id");
  BOOST_TEST((p->rules()[2].strategy == PolicyStrategy::kTheirs));

  struct Lookup {
    const char* doc;
    const char* pointer;
    int rule;  // -1: none
  };
  for (const Lookup& l : std::vector<Lookup>{
           {"config/app1", "/replicas", 0},
           {"config/app1", "/replicas/x", -1},
           {"config/a/b", "/replicas", -1},
           {"svc/a/b", "/endpoints", 1},
           {"svc", "/endpoints", 1},
           {"config/app1", "/audit", 2},
           {"config/app1", "/audit/a/b", 2},
           {"x", "", -1},
       }) {
    BOOST_TEST_CONTEXT(l.doc << " " << l.pointer) {
      const PathPolicy* found = p->Find(l.doc, *JsonPointer::Parse(l.pointer));
      BOOST_TEST((found == nullptr ? -1 : static_cast<int>(found - p->rules().data())) == l.rule);
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_documents_have_no_policies) {
  for (const char* text : {R"({})", R"({"policies":[]})"}) {
    Result<MergePolicies> p = MergePolicies::Parse(J(text));
    BOOST_REQUIRE(p.ok());
    BOOST_TEST(p->empty());
    BOOST_TEST(p->Find("a", JsonPointer()) == nullptr);
  }
}

BOOST_AUTO_TEST_CASE(every_strategy_parses) {
  for (const char* name :
       {"conflict", "ours", "theirs", "latest", "max", "min", "union", "by-key"}) {
    Result<PolicyStrategy> s = ParsePolicyStrategy(name);
    BOOST_REQUIRE(s.ok());
    BOOST_TEST(PolicyStrategyName(*s) == name);
  }
}

BOOST_AUTO_TEST_CASE(errors_say_what_and_where) {
  struct Bad {
    const char* document;
    const char* message;
  };
  for (const Bad& b : std::vector<Bad>{
           {R"([])", "must be an object {\"policies\": [...]}"},
           {R"({"rules":[]})", "unknown member 'rules' (the only member is 'policies')"},
           {R"({"policies":{}})", "policies: must be an array"},
           {R"({"policies":[1]})",
            "policies[0]: must be an object {\"doc\", \"path\", \"strategy\"[, \"key\"]}"},
           {R"({"policies":[{"doc":"**","path":"","strategy":"ours"},
                            {"doc":"**","path":"","strategy":"ours"},
                            {"doc":"**","path":"/a","strategy":"maxx"}]})",
            "policies[2].strategy: unknown strategy 'maxx' (conflict, ours, theirs, latest, max, "
            "min, union, by-key)"},
           {R"({"policies":[{"doc":"**","path":"/a","strategy":"by-key"}]})",
            "policies[0].key: strategy 'by-key' needs a non-empty \"key\" (the member that "
            "identifies an element)"},
           {R"({"policies":[{"doc":"**","path":"/a","strategy":"by-key","key":""}]})",
            "policies[0].key: strategy 'by-key' needs a non-empty \"key\" (the member that "
            "identifies an element)"},
           {R"({"policies":[{"doc":"**","path":"/a","strategy":"max","key":"id"}]})",
            "policies[0].key: only strategy 'by-key' takes a key"},
           {R"({"policies":[{"doc":"**","path":"/a","strategy":"max","when":1}]})",
            "policies[0]: unknown member 'when' (doc, path, strategy, key)"},
           {R"({"policies":[{"path":"/a","strategy":"max"}]})",
            "policies[0].doc: missing (a document glob, e.g. \"**\")"},
           {R"({"policies":[{"doc":"a","strategy":"max"}]})",
            "policies[0].path: missing (a pointer pattern, e.g. \"/**\")"},
           {R"({"policies":[{"doc":"a","path":"/a"}]})",
            "policies[0].strategy: missing (conflict, ours, theirs, latest, max, min, union, "
            "by-key)"},
           {R"({"policies":[{"doc":1,"path":"/a","strategy":"max"}]})",
            "policies[0].doc: must be a string"},
           {R"({"policies":[{"doc":"","path":"/a","strategy":"max"}]})",
            "policies[0].doc: empty document glob"},
           {R"({"policies":[{"doc":"a//b","path":"/a","strategy":"max"}]})",
            "policies[0].doc: document glob 'a//b' has an empty segment (a leading, trailing or "
            "double '/')"},
           {R"({"policies":[{"doc":"config/","path":"/a","strategy":"max"}]})",
            "policies[0].doc: document glob 'config/' has an empty segment (a leading, trailing "
            "or double '/')"},
           {R"({"policies":[{"doc":"app*","path":"/a","strategy":"max"}]})",
            "policies[0].doc: document glob 'app*': segment 'app*' mixes '*' with other "
            "characters; '*' and '**' must be whole segments"},
       }) {
    BOOST_TEST_CONTEXT(b.document) {
      Result<MergePolicies> p = MergePolicies::Parse(J(b.document));
      BOOST_REQUIRE(!p.ok());
      BOOST_TEST((p.status().code() == Code::kInvalidArgument));
      BOOST_TEST(p.status().message() == b.message);
    }
  }
  // A path that is no JSON pointer: the pointer parser's message, placed.
  for (const char* path : {"a", "/a~2"}) {
    json::value doc = J(R"({"policies":[{"doc":"**","strategy":"ours"}]})");
    doc.at("policies").at(0).as_object()["path"] = path;
    Result<MergePolicies> p = MergePolicies::Parse(doc);
    BOOST_REQUIRE(!p.ok());
    BOOST_TEST(p.status().message().rfind("policies[0].path: ", 0) == 0, p.status().message());
  }
}

BOOST_AUTO_TEST_CASE(doc_glob_matching) {
  struct Row {
    const char* glob;
    const char* doc;
    bool match;
  };
  for (const Row& r : std::vector<Row>{
           {"config/app1", "config/app1", true},
           {"config/app1", "config/app2", false},
           {"config/*", "config/app1", true},
           {"config/*", "config", false},
           {"config/*", "config/a/b", false},
           {"config/**", "config", true},
           {"config/**", "config/a/b/c", true},
           {"config/**", "configs/a", false},
           {"**", "a", true},
           {"**", "a/b/c", true},
           {"*", "a", true},
           {"*", "a/b", false},
           {"**/app", "app", true},
           {"**/app", "x/y/app", true},
           {"**/app", "x/app/y", false},
           {"*/app/**", "x/app", true},
           {"*/app/**", "app", false},
           {"a/**/z", "a/z", true},
           {"a/**/z", "a/b/c/z", true},
           {"a/**/z", "a/b/c/y", false},
           {"**/b/**", "a/b/c/b", true},
           {".merge", ".merge", true},
           {"*", ".merge", true},
       }) {
    BOOST_TEST_CONTEXT(r.glob << " ~ " << r.doc) {
      BOOST_TEST(ValidateDocGlob(r.glob).ok());
      BOOST_TEST(DocGlobMatches(r.glob, r.doc) == r.match);
    }
  }
}

BOOST_AUTO_TEST_CASE(pointer_pattern_matching) {
  struct Row {
    const char* pattern;
    const char* pointer;
    bool match;
  };
  for (const Row& r : std::vector<Row>{
           {"", "", true},
           {"", "/a", false},
           {"/a", "/a", true},
           {"/a", "/a/b", false},
           {"/a", "", false},
           {"/*", "/a", true},
           {"/*", "", false},
           {"/*", "/a/b", false},
           {"/**", "", true},
           {"/**", "/a/b/c", true},
           {"/a/**", "/a", true},
           {"/a/**", "/a/0/x", true},
           {"/a/**", "/b/a", false},
           {"/l/*/w", "/l/0/w", true},
           {"/l/*/w", "/l/0/v", false},
           {"/l/*/w", "/l/w", false},
           {"/**/w", "/w", true},
           {"/**/w", "/x/y/w", true},
           // Keys holding '/', '~' and '' are written ~1, ~0 and an empty token.
           {"/a~1b", "/a~1b", true},
           {"/a~1b", "/a/b", false},
           {"/~0c", "/~0c", true},
           {"/~01", "/~01", true},  // the key "~1", not "/"
           {"/~01", "/~1", false},
           {"/", "/", true},  // the key ""
           {"/", "", false},
           {"//x", "//x", true},
           {"/*", "/", true},
           {"/a*", "/ab", false},  // '*' inside a token is literal
           {"/a*", "/a*", true},
       }) {
    BOOST_TEST_CONTEXT(r.pattern << " ~ " << r.pointer) {
      Result<PointerPattern> p = PointerPattern::Parse(r.pattern);
      BOOST_REQUIRE(p.ok());
      Result<JsonPointer> ptr = JsonPointer::Parse(r.pointer);
      BOOST_REQUIRE(ptr.ok());
      BOOST_TEST(p->Matches(*ptr) == r.match);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
