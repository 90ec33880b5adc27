// Tests for strata/perspective.h.
#include "strata/perspective.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace strata {
namespace {

json::value J(std::string_view text) {
  Result<json::value> v = ParseJson(text, "test");
  if (!v.ok()) throw std::runtime_error(v.status().message());
  return std::move(v).value();
}

// The issue's example (issue 8), verbatim.
constexpr const char* kIssueConfig = R"({"perspectives": {
  "public":   {"docs": ["config/**", "!config/internal/**"],
               "rules": [{"path": "/**", "action": "show"},
                         {"path": "/secrets/**", "action": "hide"},
                         {"path": "/db/password", "action": "mask"}]},
  "detailed": {"extends": "public", "rules": [{"path": "/secrets/owner", "action": "show"}]},
  "editor":   {"extends": "detailed", "docs": ["**"],
               "rules": [{"path": "/secrets/**", "action": "show"},
                         {"path": "/db/password", "action": "show"}]}
}})";

// A config document with a secret in each kind of place.
constexpr const char* kSample = R"({"name": "app1",
  "db": {"host": "db1", "password": "hunter2", "pool": 10},
  "secrets": {"owner": "ops", "token": "tok-123", "keys": ["k1", "k2"]},
  "replicas": [1, 2]})";

Perspective Resolve(const std::string& name, const std::string& config = kIssueConfig) {
  json::value doc = J(config);
  Result<Perspective> p = Perspective::Resolve(&doc, name);
  if (!p.ok()) throw std::runtime_error(p.status().message());
  return std::move(p).value();
}

// A perspective "p" with these rules (JSON array text) and no docs.
Perspective WithRules(const std::string& rules) {
  return Resolve("p", R"({"perspectives": {"p": {"rules": )" + rules + "}}}");
}

JsonPointer Ptr(std::string_view text) { return *JsonPointer::Parse(text); }

bool IsLeafForTest(const json::value& v) {
  return !v.is_structured() || (v.is_object() ? v.get_object().empty() : v.get_array().empty());
}

std::string Show(const std::optional<json::value>& v) {
  return v ? CanonicalJson(*v) : std::string("(absent)");
}

// Every pointer in `v`, in document order (iterative).
std::vector<JsonPointer> AllPointers(const json::value& v) {
  std::vector<JsonPointer> out;
  std::vector<std::pair<JsonPointer, const json::value*>> todo{{JsonPointer(), &v}};
  while (!todo.empty()) {
    auto [p, at] = todo.back();
    todo.pop_back();
    out.push_back(p);
    if (at->is_object()) {
      for (const auto& kv : at->get_object()) todo.push_back({p.Child(kv.key()), &kv.value()});
    } else if (at->is_array()) {
      const json::array& a = at->get_array();
      for (std::size_t i = 0; i < a.size(); ++i)
        todo.push_back({p.Child(std::to_string(i)), &a[i]});
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(perspective)

BOOST_AUTO_TEST_CASE(issue_example_views) {
  struct Case {
    const char* name;
    const char* view;
  };
  const Case cases[] = {
      {"public",
       R"({"name":"app1","db":{"host":"db1","password":"***","pool":10},"replicas":[1,2]})"},
      {"detailed",
       R"({"name":"app1","db":{"host":"db1","password":"***","pool":10},
           "secrets":{"owner":"ops"},"replicas":[1,2]})"},
      {"editor", kSample},
  };
  const json::value sample = J(kSample);
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      std::optional<json::value> v = Resolve(c.name).View(sample);
      BOOST_TEST_REQUIRE(v.has_value());
      BOOST_TEST(Equal(*v, J(c.view)), CanonicalJson(*v));
    }
  }
  // A value inside the document, viewed where it is.
  Perspective pub = Resolve("public");
  BOOST_TEST(Show(pub.View(J(R"({"owner":"ops"})"), Ptr("/secrets"))) == "(absent)");
  BOOST_TEST(Show(pub.View(J(R"("x")"), Ptr("/db/password"))) == R"("***")");
  BOOST_TEST(Show(Resolve("detailed").View(J(R"({"owner":"ops","token":"t"})"), Ptr("/secrets"))) ==
             R"({"owner":"ops"})");
}

BOOST_AUTO_TEST_CASE(issue_example_documents) {
  struct Case {
    const char* id;
    bool pub, detailed, editor;
  };
  const Case cases[] = {
      {"config/app1", true, true, true},
      {"config", true, true, true},  // "**" matches zero segments
      {"config/internal/db", false, false, true},
      {"config/internal", false, false, true},
      {"sessions/u42", false, false, true},
      {".perspectives", false, false, false},  // "**" never matches a dot segment
      {".merge", false, false, false},
  };
  Perspective pub = Resolve("public"), det = Resolve("detailed"), ed = Resolve("editor");
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.id) {
      BOOST_TEST(pub.DocVisible(c.id) == c.pub);
      BOOST_TEST(det.DocVisible(c.id) == c.detailed);
      BOOST_TEST(ed.DocVisible(c.id) == c.editor);
    }
  }
}

BOOST_AUTO_TEST_CASE(resolved_form) {
  Perspective ed = Resolve("editor");
  BOOST_TEST(ed.name() == "editor");
  BOOST_TEST(CanonicalJson(ed.ToJson()) ==
             CanonicalJson(J(R"({"name": "editor", "extends": ["detailed", "public"],
    "docs": ["config/**", "!config/internal/**", "**"],
    "rules": [{"path": "/**", "action": "show", "from": "public"},
              {"path": "/secrets/**", "action": "hide", "from": "public"},
              {"path": "/db/password", "action": "mask", "from": "public"},
              {"path": "/secrets/owner", "action": "show", "from": "detailed"},
              {"path": "/secrets/**", "action": "show", "from": "editor"},
              {"path": "/db/password", "action": "show", "from": "editor"}]})")));
  // Without docs in the chain there is no "docs".
  BOOST_TEST(CanonicalJson(WithRules("[]").ToJson()) == R"({"extends":[],"name":"p","rules":[]})");
}

BOOST_AUTO_TEST_CASE(globs) {
  struct Case {
    const char* docs;  // JSON array
    const char* id;
    bool visible;
  };
  const Case cases[] = {
      {R"(["*"])", "a", true},
      {R"(["*"])", "a/b", false},
      {R"(["*"])", ".merge", false},
      {R"(["**"])", "a/b/c", true},
      {R"(["**"])", ".perspectives", false},
      {R"(["a/**"])", "a", true},  // zero segments
      {R"(["a/**"])", "a/b/c", true},
      {R"(["a/**"])", "b", false},
      {R"(["a/**"])", "ab", false},
      {R"(["a/*/c"])", "a/b/c", true},
      {R"(["a/*/c"])", "a/c", false},
      {R"(["a/*/c"])", "a/b/b/c", false},
      {R"(["a/*/c"])", "a/.b/c", false},  // ids cannot hold it, but globs still say no
      {R"(["**/c"])", "c", true},
      {R"(["**/c"])", "x/y/c", true},
      {R"(["**/c"])", "x/y/c/d", false},
      {R"(["a/**/b"])", "a/b", true},
      {R"(["a/**/b"])", "a/x/y/b", true},
      {R"(["**", "!a/**"])", "a/b", false},
      {R"(["**", "!a/**"])", "b", true},
      {R"(["!a/**", "**"])", "a/b", true},              // the last glob that matches decides
      {R"(["!a/**"])", "b", false},                     // no glob matches: hidden
      {R"([".perspectives"])", ".perspectives", true},  // a literal matches itself
      {R"(["a"])", "a/b", false},
      {R"(["a"])", "a", true},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.docs << " " << c.id) {
      Perspective p =
          Resolve("p", std::string(R"({"perspectives": {"p": {"docs": )") + c.docs + "}}}");
      BOOST_TEST(p.DocVisible(c.id) == c.visible);
    }
  }
  // No docs anywhere in the chain: every document, settings included.
  Perspective all = WithRules(R"([{"path": "/a", "action": "show"}])");
  BOOST_TEST(all.DocVisible("x/y"));
  BOOST_TEST(all.DocVisible(".perspectives"));
  Perspective empty = Resolve("p", R"({"perspectives": {"p": {"docs": []}}})");
  BOOST_TEST(empty.DocVisible("x"));  // "docs": [] holds no glob: as if absent
}

BOOST_AUTO_TEST_CASE(rules_decide) {
  struct Case {
    const char* rules;
    const char* pointer;
    ViewAction action;
  };
  using A = ViewAction;
  const Case cases[] = {
      {"[]", "", A::kShow},  // no rules: whole
      {"[]", "/a/b", A::kShow},
      {R"([{"path": "/a", "action": "show"}])", "/b", A::kHide},  // no match: hidden
      {R"([{"path": "/a", "action": "show"}])", "", A::kHide},
      {R"([{"path": "/a", "action": "show"}])", "/a", A::kShow},
      {R"([{"path": "/a", "action": "show"}])", "/a/x/y", A::kShow},  // an ancestor matches
      {R"([{"path": "/**", "action": "show"}, {"path": "/a", "action": "hide"}])", "/a/b",
       A::kHide},
      {R"([{"path": "/**", "action": "show"}, {"path": "/a", "action": "hide"}])", "/b", A::kShow},
      {R"([{"path": "/**", "action": "show"}, {"path": "/a", "action": "hide"}])", "", A::kShow},
      {R"([{"path": "/a", "action": "hide"}, {"path": "/**", "action": "show"}])", "/a/b",
       A::kShow},  // the last rule that matches decides
      {R"([{"path": "/a/*", "action": "mask"}])", "/a", A::kHide},
      {R"([{"path": "/a/*", "action": "mask"}])", "/a/x", A::kMask},
      {R"([{"path": "/a/*", "action": "mask"}])", "/a/x/y", A::kMask},
      {R"([{"path": "", "action": "show"}, {"path": "/**/secret", "action": "hide"}])", "/secret",
       A::kHide},
      {R"([{"path": "", "action": "show"}, {"path": "/**/secret", "action": "hide"}])",
       "/x/y/secret/z", A::kHide},
      {R"([{"path": "", "action": "show"}, {"path": "/**/secret", "action": "hide"}])",
       "/x/secretz", A::kShow},
      {R"([{"path": "", "action": "mask"}])", "/a", A::kMask},
      {R"([{"path": "/a/**/b", "action": "show"}])", "/a/b", A::kShow},
      {R"([{"path": "/a/**/b", "action": "show"}])", "/a/x/y/b/c", A::kShow},
      {R"([{"path": "/a/**/b", "action": "show"}])", "/a/x", A::kHide},
      {R"([{"path": "/a/**/**/b", "action": "show"}])", "/a/b", A::kShow},
      {R"([{"path": "", "action": "show"}, {"path": "/a~1b", "action": "hide"}])", "/a~1b",
       A::kHide},
      {R"([{"path": "", "action": "show"}, {"path": "/a~1b", "action": "hide"}])", "/a/b",
       A::kShow},
      {R"([{"path": "/l/1", "action": "hide"}, {"path": "/l", "action": "show"}])", "/l/1",
       A::kShow},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.rules << " at '" << c.pointer << "'") {
      BOOST_TEST(ViewActionName(WithRules(c.rules).Decide(Ptr(c.pointer))) ==
                 ViewActionName(c.action));
    }
  }
}

BOOST_AUTO_TEST_CASE(views) {
  struct Case {
    const char* rules;
    const char* doc;
    const char* view;  // nullptr: nothing appears
  };
  const Case cases[] = {
      // A masked value reads "***", whatever it was.
      {R"([{"path": "", "action": "show"}, {"path": "/s", "action": "mask"}])",
       R"({"s": 12345, "t": 1})", R"({"s": "***", "t": 1})"},
      {R"([{"path": "", "action": "show"}, {"path": "/s", "action": "mask"}])",
       R"({"s": {"deep": ["x"]}})", R"({"s": "***"})"},
      {R"([{"path": "", "action": "show"}, {"path": "/s", "action": "mask"}])", R"({"s": null})",
       R"({"s": "***"})"},
      // A container appears when something inside it does.
      {R"([{"path": "/a/b", "action": "show"}])", R"({"a": {"b": 1, "c": 2}, "d": 3})",
       R"({"a": {"b": 1}})"},
      {R"([{"path": "/a/b", "action": "show"}])", R"({"a": {"c": 2}, "d": 3})", nullptr},
      {R"([{"path": "/a/b", "action": "mask"}])", R"({"a": {"b": 1, "c": 2}})",
       R"({"a": {"b": "***"}})"},
      // Empty containers are values of their own.
      {R"([{"path": "/e", "action": "show"}])", R"({"e": {}, "f": {}, "g": []})", R"({"e": {}})"},
      // Hidden array elements are left out; the rest close up.
      {R"([{"path": "", "action": "show"}, {"path": "/l/1", "action": "hide"}])",
       R"({"l": [0, 1, 2]})", R"({"l": [0, 2]})"},
      {R"([{"path": "", "action": "show"}, {"path": "/l/*/pw", "action": "hide"}])",
       R"({"l": [{"n": 1, "pw": "x"}, {"pw": "y"}, {"n": 3}]})", R"({"l": [{"n": 1}, {"n": 3}]})"},
      {R"([{"path": "", "action": "show"}, {"path": "/l/0", "action": "mask"}])",
       R"({"l": [1, 2]})", R"({"l": ["***", 2]})"},
      {R"([{"path": "", "action": "show"}, {"path": "/l/*", "action": "hide"}])",
       R"({"l": [1, 2], "m": 3})", R"({"m": 3})"},
      // A scalar document.
      {R"([{"path": "", "action": "mask"}])", "5", R"("***")"},
      {R"([{"path": "/a", "action": "show"}])", "5", nullptr},
      {"[]", R"({"a": 1})", R"({"a": 1})"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.rules << " on " << c.doc) {
      std::optional<json::value> v = WithRules(c.rules).View(J(c.doc));
      BOOST_TEST(Show(v) == (c.view ? CanonicalJson(J(c.view)) : std::string("(absent)")));
    }
  }
}

BOOST_AUTO_TEST_CASE(uniform_known_answers) {
  Perspective pub = Resolve("public"), ed = Resolve("editor");
  auto name = [](std::optional<ViewAction> a) {
    return a ? std::string(ViewActionName(*a)) : std::string("(look inside)");
  };
  BOOST_TEST(name(pub.Uniform(Ptr("/secrets"))) == "hide");
  BOOST_TEST(name(pub.Uniform(Ptr("/secrets/keys/0"))) == "hide");
  BOOST_TEST(name(pub.Uniform(Ptr("/db/password"))) == "mask");
  BOOST_TEST(name(pub.Uniform(Ptr("/db/host"))) == "show");
  BOOST_TEST(name(pub.Uniform(Ptr("/db"))) == "(look inside)");
  BOOST_TEST(name(pub.Uniform(Ptr(""))) == "(look inside)");
  BOOST_TEST(name(ed.Uniform(Ptr("/secrets"))) == "show");
  BOOST_TEST(name(Resolve("detailed").Uniform(Ptr("/secrets"))) == "(look inside)");
  BOOST_TEST(name(WithRules("[]").Uniform(Ptr("/a"))) == "show");
  BOOST_TEST(name(WithRules(R"([{"path": "/a", "action": "show"}])").Uniform(Ptr("/b"))) == "hide");
}

// Uniform must never claim a uniformity that Decide contradicts below.
BOOST_AUTO_TEST_CASE(uniform_agrees_with_decide_everywhere) {
  const std::vector<std::string> rule_sets = {
      "[]",
      R"([{"path": "/a", "action": "show"}])",
      R"([{"path": "/**", "action": "show"}, {"path": "/a/*/c", "action": "hide"},
          {"path": "/a/b", "action": "mask"}])",
      R"([{"path": "", "action": "show"}, {"path": "/**/c", "action": "hide"},
          {"path": "/a/**/d", "action": "mask"}, {"path": "/a/b/c", "action": "show"}])",
      R"([{"path": "/*/*", "action": "mask"}, {"path": "/a/**", "action": "hide"},
          {"path": "/**/0", "action": "show"}])",
      R"([{"path": "/a/**/b/**/c", "action": "show"}, {"path": "/a/b", "action": "hide"}])",
  };
  const std::vector<std::string> docs = {
      kSample,
      R"({"a": {"b": {"c": 1, "d": [1, {"c": 2, "d": 3}]}, "x": {"c": [0, 1]}}, "c": {"d": 4}})",
      R"({"a": [[{"b": {"c": 1}}, 2], {"b": [{"c": 5}, {"x": {"b": {"y": {"c": 6}}}}]}]})",
  };
  std::vector<Perspective> perspectives = {Resolve("public"), Resolve("detailed"),
                                           Resolve("editor")};
  for (const std::string& r : rule_sets) perspectives.push_back(WithRules(r));
  std::size_t uniform_claims = 0;
  for (const Perspective& p : perspectives) {
    for (const std::string& text : docs) {
      const json::value doc = J(text);
      const std::vector<JsonPointer> pointers = AllPointers(doc);
      for (const JsonPointer& at : pointers) {
        std::optional<ViewAction> u = p.Uniform(at);
        if (!u) continue;
        ++uniform_claims;
        for (const JsonPointer& below : pointers) {
          if (!at.IsPrefixOf(below)) continue;
          BOOST_TEST_CONTEXT(CanonicalJson(p.ToJson())
                             << " at '" << at.ToString() << "', '" << below.ToString() << "'") {
            BOOST_TEST(ViewActionName(p.Decide(below)) == ViewActionName(*u));
          }
        }
      }
      // Check reports each value with the action Decide gives it.
      for (const auto& [pointer, action] : p.Check(doc)) {
        BOOST_TEST(ViewActionName(p.Decide(pointer)) == ViewActionName(action));
      }
    }
  }
  BOOST_TEST(uniform_claims > 50u);  // the cross-check had something to check
}

BOOST_AUTO_TEST_CASE(check_lists_each_value) {
  auto listing = [](const Perspective& p, const json::value& doc) {
    std::string out;
    for (const auto& [pointer, action] : p.Check(doc)) {
      out += pointer.ToString() + " " + std::string(ViewActionName(action)) + "\n";
    }
    return out;
  };
  const json::value sample = J(kSample);
  BOOST_TEST(listing(Resolve("public"), sample) ==
             "/name show\n/db/host show\n/db/password mask\n/db/pool show\n/secrets hide\n"
             "/replicas/0 show\n/replicas/1 show\n");
  BOOST_TEST(listing(Resolve("detailed"), sample) ==
             "/name show\n/db/host show\n/db/password mask\n/db/pool show\n/secrets/owner show\n"
             "/secrets/token hide\n/secrets/keys hide\n/replicas/0 show\n/replicas/1 show\n");
  BOOST_TEST(listing(WithRules(R"([{"path": "", "action": "mask"}])"), sample) == " mask\n");
  BOOST_TEST(listing(WithRules("[]"), J(R"({"a": {}, "b": [], "c": [null]})")) ==
             "/a show\n/b show\n/c/0 show\n");
  BOOST_TEST(listing(WithRules("[]"), J("7")) == " show\n");
}

BOOST_AUTO_TEST_CASE(reapply) {
  struct Case {
    const char* what;
    const char* perspective;  // from the issue's example, or "" for `rules`
    const char* rules;
    const char* stored;  // nullptr: absent
    const char* edited;  // nullptr: removed
    const char* result;  // nullptr: absent
    const char* error;   // non-null: refused with this message
  };
  const char* kObjects =
      R"([{"path": "/**", "action": "show"}, {"path": "/l/*/pw", "action": "hide"},
      {"path": "/a/h", "action": "hide"}, {"path": "/m", "action": "mask"}])";
  const char* kIndexed = R"([{"path": "", "action": "show"}, {"path": "/l/1", "action": "hide"}])";
  const Case cases[] = {
      {"the view written back changes nothing", "public", "", kSample,
       R"({"name":"app1","db":{"host":"db1","password":"***","pool":10},"replicas":[1,2]})",
       kSample, nullptr},
      {"a visible edit keeps what is hidden", "public", "", kSample,
       R"({"name":"app2","db":{"host":"db1","password":"***","pool":10},"replicas":[1,2,3]})",
       R"({"name": "app2", "db": {"host": "db1", "password": "hunter2", "pool": 10},
          "secrets": {"owner": "ops", "token": "tok-123", "keys": ["k1", "k2"]},
          "replicas": [1, 2, 3]})",
       nullptr},
      {"a masked value may be written, never read", "public", "", kSample,
       R"({"name":"app1","db":{"host":"db1","password":"s3cret","pool":10},"replicas":[1,2]})",
       R"({"name": "app1", "db": {"host": "db1", "password": "s3cret", "pool": 10},
          "secrets": {"owner": "ops", "token": "tok-123", "keys": ["k1", "k2"]},
          "replicas": [1, 2]})",
       nullptr},
      {"a masked value removed", "public", "", R"({"db": {"password": "p", "host": "h"}})",
       R"({"db": {"host": "h"}})", R"({"db": {"host": "h"}})", nullptr},
      {"a new masked value is stored as written", "public", "", nullptr,
       R"({"db": {"password": "***"}})", R"({"db": {"password": "***"}})", nullptr},
      {"editing a hidden value is refused", "detailed", "", kSample,
       R"({"name":"app1","db":{"host":"db1","password":"***","pool":10},
           "secrets":{"owner":"ops","token":"guess"},"replicas":[1,2]})",
       nullptr,
       "perspective 'detailed' hides the value at '/secrets/token': a write through it cannot "
       "create or change it"},
      {"adding inside a hidden object is refused", "public", "", kSample,
       R"({"name":"app1","db":{"host":"db1","password":"***","pool":10},
           "secrets":{"new":"v"},"replicas":[1,2]})",
       nullptr,
       "perspective 'public' hides the value at '/secrets': a write through it cannot create or "
       "change it"},
      {"creating a hidden value is refused", "public", "", nullptr,
       R"({"name": "n", "secrets": {"x": {"y": 1}}})", nullptr,
       "perspective 'public' hides the value at '/secrets/x/y': a write through it cannot create "
       "or change it"},
      {"creating a hidden document root is refused", "", R"([{"path": "/a", "action": "show"}])",
       nullptr, "{}", nullptr,
       "perspective 'p' hides the value at '' (the whole document): a write through it cannot "
       "create or change it"},
      {"writing a hidden value's own value is refused too", "", kObjects,
       R"({"a": {"h": 1, "v": 2}})", R"({"a": {"h": 1, "v": 2}})", nullptr,
       "perspective 'p' hides the value at '/a/h': a write through it cannot create or change "
       "it"},
      {"replacing an object that holds a hidden value is refused", "", kObjects,
       R"({"a": {"h": 1, "v": 2}})", R"({"a": 5})", nullptr,
       "perspective 'p' hides the value at '/a/h': a write through it cannot create or change "
       "it"},
      {"replacing an object without hidden values", "", kObjects, R"({"a": {"v": 2}})",
       R"({"a": [5]})", R"({"a": [5]})", nullptr},
      {"removing the document leaves the hidden values", "public", "", kSample, nullptr,
       R"({"secrets": {"owner": "ops", "token": "tok-123", "keys": ["k1", "k2"]}})", nullptr},
      {"removing a document with nothing hidden", "public", "",
       R"({"name": "x", "db": {"password": 1}})", nullptr, nullptr, nullptr},
      {"removing a value keeps what it hides", "", kObjects, R"({"a": {"h": 1, "v": 2}, "b": 3})",
       R"({"b": 3})", R"({"a": {"h": 1}, "b": 3})", nullptr},
      {"emptying an object that was shown", "", kObjects, R"({"a": {"v": 2}})", R"({"a": {}})",
       R"({"a": {}})", nullptr},
      {"a masked value left as *** keeps its stored value", "", kObjects,
       R"({"m": {"k": [1, 2]}, "x": 1})", R"({"m": "***", "x": 2})",
       R"({"m": {"k": [1, 2]}, "x": 2})", nullptr},
      // Arrays: hidden elements keep their places among the visible ones.
      {"array: a visible element edited in place", "", kObjects,
       R"({"l": [{"n": "a"}, {"pw": 1}, {"n": "b"}, {"pw": 3}, {"n": "c"}]})",
       R"({"l": [{"n": "a"}, {"n": "B"}, {"n": "c"}]})",
       R"({"l": [{"n": "a"}, {"pw": 1}, {"n": "B"}, {"pw": 3}, {"n": "c"}]})", nullptr},
      {"array: a visible element removed", "", kObjects,
       R"({"l": [{"n": "a"}, {"pw": 1}, {"n": "b"}, {"pw": 3}, {"n": "c"}]})",
       R"({"l": [{"n": "a"}, {"n": "c"}]})",
       R"({"l": [{"n": "a"}, {"pw": 1}, {"pw": 3}, {"n": "c"}]})", nullptr},
      {"array: appended", "", kObjects, R"({"l": [{"n": "a"}, {"pw": 1}]})",
       R"({"l": [{"n": "a"}, {"n": "x"}]})", R"({"l": [{"n": "a"}, {"pw": 1}, {"n": "x"}]})",
       nullptr},
      {"array: prepended", "", kObjects, R"({"l": [{"pw": 0}, {"n": "a"}]})",
       R"({"l": [{"n": "x"}, {"n": "a"}]})", R"({"l": [{"pw": 0}, {"n": "x"}, {"n": "a"}]})",
       nullptr},
      {"array: inserted in the middle", "", kObjects,
       R"({"l": [{"n": "a"}, {"pw": 1}, {"n": "b"}]})",
       R"({"l": [{"n": "a"}, {"n": "x"}, {"n": "b"}]})",
       R"({"l": [{"n": "a"}, {"pw": 1}, {"n": "x"}, {"n": "b"}]})", nullptr},
      {"array: a removed element leaves its hidden part", "", kObjects,
       R"({"l": [{"n": "a", "pw": 1}, {"n": "b", "pw": 2}]})", R"({"l": [{"n": "b"}]})",
       R"({"l": [{"pw": 1}, {"n": "b", "pw": 2}]})", nullptr},
      {"array: all visible removed", "", kObjects, R"({"l": [{"pw": 1}, {"n": "b"}]})",
       R"({"l": []})", R"({"l": [{"pw": 1}]})", nullptr},
      {"array: new elements may not hold hidden values", "", kObjects, R"({"l": [{"n": "a"}]})",
       R"({"l": [{"n": "a"}, {"pw": 9}]})", nullptr,
       "perspective 'p' hides the value at '/l/1/pw': a write through it cannot create or change "
       "it"},
      {"no rules: the edit is the document", "", "[]", R"({"a": 1})", R"({"b": 2})", R"({"b": 2})",
       nullptr},
      // Rules that name an index: a hidden element may not move out of hiding.
      {"index rules: an edit after the hidden element", "", kIndexed, R"({"l": ["a", "H"]})",
       R"({"l": ["b"]})", R"({"l": ["b", "H"]})", nullptr},
      {"index rules: an element added after the hidden one", "", kIndexed, R"({"l": ["a", "H"]})",
       R"({"l": ["a", "c"]})", R"({"l": ["a", "H", "c"]})", nullptr},
      {"index rules: removing before the hidden element is refused", "", kIndexed,
       R"({"l": ["a", "H"]})", R"({"l": []})", nullptr,
       "perspective 'p' decides array elements by their index, and this write would move a "
       "hidden element out of its place: add or remove elements only after the hidden ones"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      Perspective p = *c.perspective ? Resolve(c.perspective) : WithRules(c.rules);
      std::optional<json::value> stored, edited;
      if (c.stored) stored = J(c.stored);
      if (c.edited) edited = J(c.edited);
      Result<std::optional<json::value>> r = p.Reapply(stored, edited);
      if (c.error) {
        BOOST_TEST_REQUIRE(!r.ok());
        BOOST_TEST((r.status().code() == Code::kInvalidArgument));
        BOOST_TEST(r.status().message() == c.error);
        // Never a value, stored or written.
        for (const char* secret : {"tok-123", "guess", "hunter2"}) {
          BOOST_TEST(r.status().message().find(secret) == std::string::npos);
        }
        continue;
      }
      BOOST_TEST_REQUIRE(r.ok(), r.status().message());
      BOOST_TEST(Show(*r) == (c.result ? CanonicalJson(J(c.result)) : std::string("(absent)")));
      // What the write stored hides exactly what was hidden before.
      BOOST_TEST(p.HiddenEqual(stored, *r));
    }
  }
}

BOOST_AUTO_TEST_CASE(reapply_of_the_view_is_the_stored_document) {
  const std::vector<std::string> docs = {
      kSample,
      R"({"a": {"b": {"c": 1, "d": [1, {"c": 2, "d": 3}]}, "x": {"c": [0, 1]}}, "c": {"d": 4}})",
      R"({"a": [[{"b": {"c": 1}}, 2], {"b": [{"c": 5}, {"x": {"b": {"y": {"c": 6}}}}]}]})",
  };
  std::vector<Perspective> perspectives = {Resolve("public"), Resolve("detailed"),
                                           Resolve("editor")};
  perspectives.push_back(WithRules(R"([{"path": "", "action": "show"},
      {"path": "/**/c", "action": "hide"}, {"path": "/a/**/d", "action": "mask"}])"));
  perspectives.push_back(WithRules(R"([{"path": "/a/**/b", "action": "show"}])"));
  for (const Perspective& p : perspectives) {
    for (const std::string& text : docs) {
      const json::value doc = J(text);
      Result<std::optional<json::value>> r = p.Reapply(doc, p.View(doc));
      BOOST_TEST_CONTEXT(p.name() << " on " << text) {
        BOOST_TEST_REQUIRE(r.ok(), r.status().message());
        BOOST_TEST(Show(*r) == CanonicalJson(doc));
      }
    }
  }
}

// Random documents, perspectives and edits of views (a fixed seed): a shown
// value changed, a member or element removed or added. Each write keeps what
// is hidden exactly and reads back as the perspective shows the edit; only
// an addition where the perspective hides may be refused.
BOOST_AUTO_TEST_CASE(random_edits_of_views) {
  std::mt19937 rng(20261130);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const char* keys[] = {"a", "b", "c", "pw", "secret"};
  // A random value, depth-first on an explicit list (depth <= 4).
  std::function<json::value(int)> gen = [&](int depth) -> json::value {
    std::size_t kind = depth >= 4 ? 0 : pick(3);
    if (kind == 0) return json::value(static_cast<std::int64_t>(pick(5)));
    if (kind == 1) {
      json::object o;
      for (std::size_t i = 0, n = pick(4); i < n; ++i) o[keys[pick(5)]] = gen(depth + 1);
      return o;
    }
    json::array a;
    for (std::size_t i = 0, n = pick(4); i < n; ++i) a.push_back(gen(depth + 1));
    return a;
  };
  const char* patterns[] = {"",      "/**",     "/a",   "/a/*",   "/**/secret",
                            "/*/pw", "/b/**/c", "/a/b", "/*/*/a", "/c"};
  const char* actions[] = {"show", "hide", "mask"};
  std::size_t edits = 0, refused = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string rules = "[";
    for (std::size_t i = 0, n = pick(5); i < n; ++i) {
      rules += std::string(i ? ", " : "") + R"({"path": ")" + patterns[pick(10)] +
               R"(", "action": ")" + actions[pick(3)] + R"("})";
    }
    rules += "]";
    const Perspective p = WithRules(rules);
    json::value doc = json::object();
    for (std::size_t i = 0, n = 1 + pick(4); i < n; ++i) doc.as_object()[keys[pick(5)]] = gen(1);
    std::optional<json::value> view = p.View(doc);
    if (!view || IsLeafForTest(*view)) continue;
    // Edit one place of the view: a shown scalar changed, or a member or
    // element removed from a container that keeps another (an emptied
    // container would read back absent: it appears only through its insides).
    json::value edited = *view;
    std::vector<JsonPointer> places = AllPointers(edited);
    const JsonPointer at = places[1 + pick(places.size() - 1)];
    json::value* target = ResolvePointer(edited, at).value();
    json::value* parent = ResolvePointer(edited, at.Parent()).value();
    const std::size_t siblings =
        parent->is_object() ? parent->get_object().size() : parent->get_array().size();
    if (pick(3) == 0 && target->is_structured()) {
      if (target->is_object()) {
        target->as_object()[keys[pick(5)]] = 7;
      } else {
        auto& arr = target->as_array();
        arr.insert(arr.begin() + static_cast<std::ptrdiff_t>(pick(arr.size() + 1)), json::value(7));
      }
    } else if (!target->is_structured() && !target->is_string()) {
      *target = 100 + static_cast<std::int64_t>(pick(5));
    } else if (siblings >= 2) {
      if (parent->is_object()) {
        parent->as_object().erase(at.Back());
      } else {
        parent->as_array().erase(parent->as_array().begin() +
                                 static_cast<std::ptrdiff_t>(*ParseArrayIndex(at.Back())));
      }
    }
    ++edits;
    BOOST_TEST_CONTEXT(rules << " on " << CanonicalJson(doc) << ", edit "
                             << CanonicalJson(edited)) {
      Result<std::optional<json::value>> r = p.Reapply(doc, edited);
      if (!r.ok() && r.status().message().find("hides the value at") != std::string::npos) {
        ++refused;  // a value added where the perspective hides it
        continue;
      }
      BOOST_TEST_REQUIRE(r.ok(), r.status().message());
      BOOST_TEST(p.HiddenEqual(doc, *r));
      // It reads back as the perspective shows what the reader wrote (a
      // value written at a masked place reads "***"; no rule here names an
      // array index).
      std::optional<json::value> back = *r ? p.View(**r) : std::nullopt;
      BOOST_TEST(Show(back) == Show(p.View(edited)));
    }
  }
  BOOST_TEST(edits > 1000u);
  BOOST_TEST(refused > 10u);
  BOOST_TEST(refused < edits / 4);
}

BOOST_AUTO_TEST_CASE(hidden_equal) {
  Perspective pub = Resolve("public");
  const json::value sample = J(kSample);
  auto changed = [&](const char* pointer, json::value v) {
    json::value copy = sample;
    *ResolvePointer(copy, Ptr(pointer)).value() = std::move(v);
    return std::optional<json::value>(copy);
  };
  BOOST_TEST(pub.HiddenEqual(sample, sample));
  BOOST_TEST(pub.HiddenEqual(sample, changed("/db/host", "db2")));           // shown
  BOOST_TEST(pub.HiddenEqual(sample, changed("/db/password", "other")));     // masked
  BOOST_TEST(!pub.HiddenEqual(sample, changed("/secrets/token", "other")));  // hidden
  BOOST_TEST(!pub.HiddenEqual(sample, changed("/secrets/keys/1", "k3")));
  BOOST_TEST(!pub.HiddenEqual(sample, std::nullopt));
  BOOST_TEST(pub.HiddenEqual(std::nullopt, J(R"({"name": "x", "db": {"password": 1}})")));
  BOOST_TEST(pub.HiddenEqual(std::nullopt, std::nullopt));
  BOOST_TEST(Resolve("editor").HiddenEqual(sample, changed("/secrets/token", "other")));
  // A hidden array element that moves is a change.
  Perspective arr =
      WithRules(R"([{"path": "", "action": "show"}, {"path": "/l/0", "action": "hide"}])");
  BOOST_TEST(!arr.HiddenEqual(J(R"({"l": [1, 2]})"), J(R"({"l": [2, 1]})")));
  BOOST_TEST(arr.HiddenEqual(J(R"({"l": [1, 2]})"), J(R"({"l": [1, 3]})")));
}

BOOST_AUTO_TEST_CASE(ids) {
  const std::string a = kIssueConfig;
  // Same resolved docs and rules: same id, whatever the name or the chain.
  const std::string flat = R"({"perspectives": {"flat": {
      "docs": ["config/**", "!config/internal/**"],
      "rules": [{"path": "/**", "action": "show"}, {"path": "/secrets/**", "action": "hide"},
                {"path": "/db/password", "action": "mask"},
                {"path": "/secrets/owner", "action": "show"}]}}})";
  BOOST_TEST(Resolve("detailed").id() == Resolve("flat", flat).id());
  BOOST_TEST(Resolve("public").id() == Resolve("public").id());
  BOOST_TEST(Resolve("public").id().size() == 40u);
  BOOST_TEST(Resolve("public").id().find_first_not_of("0123456789abcdef") == std::string::npos);
  // Any change: a different id.
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = flat;
    std::size_t at = text.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return Resolve("flat", text).id();
  };
  const std::string base = Resolve("flat", flat).id();
  std::set<std::string> seen{base, Resolve("public").id(), Resolve("editor").id()};
  BOOST_TEST(seen.size() == 3u);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {R"("action": "mask")", R"("action": "hide")"},
           {R"("/db/password")", R"("/db/passwd")"},
           {R"("!config/internal/**")", R"("!config/internal/*")"},
           {R"(["config/**", "!config/internal/**"])", R"(["!config/internal/**", "config/**"])"},
           {R"("docs": ["config/**", "!config/internal/**"],)", ""},
           {R"({"path": "/db/password", "action": "mask"},)", ""},
       }) {
    BOOST_TEST_CONTEXT(from << " -> " << to) {
      const std::string id = with(from, to);
      BOOST_TEST(seen.insert(id).second);
    }
  }
  // No rules and no docs at all differs from "show everything".
  BOOST_TEST(WithRules("[]").id() != WithRules(R"([{"path": "", "action": "show"}])").id());
}

BOOST_AUTO_TEST_CASE(validation_errors) {
  struct Case {
    const char* doc;
    const char* message;
  };
  const Case cases[] = {
      {"5", R"(must be an object {"perspectives": {NAME: {"extends"?, "docs"?, "rules"?}}})"},
      {R"({"views": {}})", "unknown member 'views' (the only member is 'perspectives')"},
      {R"({"perspectives": []})", "'perspectives' must be an object {NAME: {...}}"},
      {R"({"perspectives": {"a": 1}})",
       R"(perspective 'a': must be an object {"extends"?, "docs"?, "rules"?})"},
      {R"({"perspectives": {"": {}}})", "a perspective's name cannot be empty"},
      {R"({"perspectives": {"a": {"rule": []}}})",
       "perspective 'a': unknown member 'rule' (extends, docs, rules)"},
      {R"({"perspectives": {"a": {"extends": "zz"}}})",
       "perspective 'a': extends 'zz', which is not defined"},
      // Regression: a chain reaching the undefined parent through a defined
      // one ("a" sorts before "b") once threw std::out_of_range (map::at).
      {R"({"perspectives": {"a": {"extends": "b"}, "b": {"extends": "zz"}}})",
       "perspective 'b': extends 'zz', which is not defined"},
      {R"({"perspectives": {"a": {"extends": 1}}})",
       "perspective 'a': 'extends' must be a perspective's name (a string)"},
      {R"({"perspectives": {"a": {"extends": "b"}, "b": {"extends": "a"}}})",
       "perspective 'a': extends in a cycle (a -> b -> a)"},
      {R"({"perspectives": {"a": {"extends": "a"}}})",
       "perspective 'a': extends in a cycle (a -> a)"},
      {R"({"perspectives": {"x": {}, "a": {"extends": "b"}, "b": {"extends": "c"}, "c": {"extends": "b"}}})",
       "perspective 'a': extends in a cycle (a -> b -> c -> b)"},
      {R"({"perspectives": {"a": {"docs": "config/**"}}})",
       "perspective 'a': 'docs' must be an array of globs"},
      {R"({"perspectives": {"a": {"docs": [1]}}})",
       "perspective 'a': docs[0]: must be a glob (a string)"},
      {R"({"perspectives": {"a": {"docs": ["x", "a//b"]}}})",
       "perspective 'a': docs[1]: glob 'a//b' has an empty segment (a leading, trailing or double "
       "'/')"},
      {R"({"perspectives": {"a": {"docs": ["/a"]}}})",
       "perspective 'a': docs[0]: glob '/a' has an empty segment (a leading, trailing or double "
       "'/')"},
      {R"({"perspectives": {"a": {"docs": ["config/app*"]}}})",
       "perspective 'a': docs[0]: glob 'config/app*': segment 'app*' mixes '*' with other "
       "characters; '*' and '**' must be whole segments"},
      {R"({"perspectives": {"a": {"docs": ["!"]}}})",
       "perspective 'a': docs[0]: glob '!' is empty"},
      {R"({"perspectives": {"a": {"rules": {}}}})",
       R"(perspective 'a': 'rules' must be an array of {"path", "action"})"},
      {R"({"perspectives": {"a": {"rules": ["/a"]}}})",
       R"(perspective 'a': rules[0]: must be an object {"path", "action"})"},
      {R"({"perspectives": {"a": {"rules": [{"path": "/a", "action": "reveal"}]}}})",
       "perspective 'a': rules[0].action: unknown action 'reveal' (show, hide, mask)"},
      {R"({"perspectives": {"a": {"rules": [{"path": "/a"}]}}})",
       R"(perspective 'a': rules[0].action: must be "show", "hide" or "mask")"},
      {R"({"perspectives": {"a": {"rules": [{"action": "show"}]}}})",
       R"(perspective 'a': rules[0].path: must be a pattern (a string such as "/db/**"))"},
      {R"({"perspectives": {"a": {"rules": [{"path": "/a", "action": "show", "doc": "x"}]}}})",
       "perspective 'a': rules[0]: unknown member 'doc' (path, action)"},
      {R"({"perspectives": {"a": {"rules": [{"path": "/a", "action": "show"},
                                            {"path": "secrets", "action": "hide"}]}}})",
       R"(perspective 'a': rules[1].path: pattern 'secrets' is not a JSON pointer ("" or "/token..."))"},
      {R"({"perspectives": {"a": {"rules": [{"path": "/a~2", "action": "hide"}]}}})",
       R"(perspective 'a': rules[0].path: pattern '/a~2' is not a JSON pointer ("" or "/token..."))"},
      {R"({"perspectives": {"a": {"rules": [{"path": "/pass*", "action": "hide"}]}}})",
       "perspective 'a': rules[0].path: pattern '/pass*': token 'pass*' mixes '*' with other "
       "characters; '*' and '**' must be whole tokens"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.doc) {
      const json::value doc = J(c.doc);
      Status s = ValidatePerspectives(doc);
      BOOST_TEST((s.code() == Code::kInvalidArgument));
      BOOST_TEST(s.message() == c.message);
      // Resolve refuses the same way.
      Result<Perspective> p = Perspective::Resolve(&doc, "a");
      BOOST_TEST(!p.ok());
      BOOST_TEST(p.status().message() == c.message);
    }
  }
  BOOST_TEST(ValidatePerspectives(J(kIssueConfig)).ok());
  BOOST_TEST(ValidatePerspectives(J("{}")).ok());
  BOOST_TEST(ValidatePerspectives(J(R"({"perspectives": {}})")).ok());
}

BOOST_AUTO_TEST_CASE(names_and_unknown_perspectives) {
  const json::value doc = J(kIssueConfig);
  BOOST_TEST(PerspectiveNames(doc) == (std::vector<std::string>{"detailed", "editor", "public"}));
  BOOST_TEST(PerspectiveNames(J("{}")).empty());
  Result<Perspective> p = Perspective::Resolve(&doc, "nope");
  BOOST_TEST((p.status().code() == Code::kNotFound));
  BOOST_TEST(p.status().message() ==
             "unknown perspective 'nope' (defined: detailed, editor, public)");
  p = Perspective::Resolve(nullptr, "public");
  BOOST_TEST((p.status().code() == Code::kNotFound));
  BOOST_TEST(p.status().message() ==
             "unknown perspective 'public' (none is defined: there is no .perspectives document)");
  const json::value none = J(R"({"perspectives": {}})");
  p = Perspective::Resolve(&none, "x");
  BOOST_TEST(p.status().message() == "unknown perspective 'x' (none is defined)");
}

// 10,000 levels: every walk keeps its own stack.
BOOST_AUTO_TEST_CASE(deep_values) {
  constexpr int kDepth = 10000;
  auto nest = [](const std::string& open, const std::string& inner, const std::string& close) {
    std::string text;
    for (int i = 0; i < kDepth; ++i) text += open;
    text += inner;
    for (int i = 0; i < kDepth; ++i) text += close;
    return text;
  };
  // Non-uniform at every level: "/**/secret" may match anywhere below.
  Perspective p = WithRules(R"([{"path": "", "action": "show"},
      {"path": "/**/secret", "action": "hide"}, {"path": "/**/pin", "action": "mask"}])");
  struct Case {
    const char* what;
    std::string stored, view, edited, result;
  };
  const std::string leaf = R"({"secret": 1, "pin": 2, "v": 3})";
  const Case cases[] = {
      {"objects", nest(R"({"a": )", leaf, "}"), nest(R"({"a": )", R"({"pin": "***", "v": 3})", "}"),
       nest(R"({"a": )", R"({"pin": "***", "v": 4})", "}"),
       nest(R"({"a": )", R"({"secret": 1, "pin": 2, "v": 4})", "}")},
      {"arrays", nest("[", leaf, "]"), nest("[", R"({"pin": "***", "v": 3})", "]"),
       nest("[", R"({"pin": "***", "v": 4})", "]"),
       nest("[", R"({"secret": 1, "pin": 2, "v": 4})", "]")},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      const auto start = std::chrono::steady_clock::now();
      const json::value stored = J(c.stored);
      std::optional<json::value> view = p.View(stored);
      BOOST_TEST_REQUIRE(view.has_value());
      BOOST_TEST(Equal(*view, J(c.view)));
      std::vector<std::pair<JsonPointer, ViewAction>> check = p.Check(stored);
      BOOST_TEST_REQUIRE(check.size() == 3u);
      BOOST_TEST(check[0].first.tokens().size() == static_cast<std::size_t>(kDepth) + 1);
      BOOST_TEST(check[0].first.Back() == "secret");
      BOOST_TEST(ViewActionName(check[0].second) == "hide");
      BOOST_TEST(ViewActionName(check[1].second) == "mask");
      BOOST_TEST(ViewActionName(check[2].second) == "show");
      Result<std::optional<json::value>> same = p.Reapply(stored, view);
      BOOST_TEST_REQUIRE(same.ok());
      BOOST_TEST(Equal(**same, stored));
      Result<std::optional<json::value>> edit = p.Reapply(stored, J(c.edited));
      BOOST_TEST_REQUIRE(edit.ok(), edit.status().message());
      BOOST_TEST(Equal(**edit, J(c.result)));
      BOOST_TEST(p.HiddenEqual(stored, *edit));
      BOOST_TEST(!p.HiddenEqual(stored, view));
      Result<std::optional<json::value>> removed = p.Reapply(stored, std::nullopt);
      BOOST_TEST_REQUIRE(removed.ok());
      BOOST_TEST(p.HiddenEqual(stored, *removed));
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      BOOST_TEST_MESSAGE(c.what << ": " << seconds << " s");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
