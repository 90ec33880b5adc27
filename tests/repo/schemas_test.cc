// Tests for repo/schemas.h: doc globs, the `.schemas` format, validation
// with valijson (every violation, with its pointer and keyword), and the
// check every write makes (Repository::Build), merges included.
#include "repo/schemas.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <functional>

#include "tests/repo/repo_fixture.h"

namespace strata {
namespace {

// "doc pointer rule" per violation, one a line, for exact comparisons.
std::string Summary(const std::vector<SchemaViolation>& vs) {
  std::string s;
  for (const auto& v : vs) s += v.doc + " " + v.pointer.ToString() + " " + v.rule + "\n";
  return s;
}

std::vector<SchemaViolation> Check(const std::string& schemas, const std::string& doc,
                                   const std::string& value) {
  auto set = SchemaSet::Compile(RepoFixture::J(schemas));
  if (!set.ok()) throw std::runtime_error(set.status().message());
  return (*set)->Validate(doc, RepoFixture::J(value));
}

const char* kPortSchema =
    R"({"schemas": [{"doc": "svc/*", "schema": {"type": "object", "required": ["name"],
        "properties": {"port": {"type": "integer", "maximum": 100}}}}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(repo)
BOOST_AUTO_TEST_SUITE(schemas)

BOOST_AUTO_TEST_CASE(doc_globs_match_segments) {
  struct Case {
    const char* glob;
    const char* id;
    bool match;
  };
  const std::vector<Case> cases = {
      {"svc/*", "svc/a", true},
      {"svc/*", "svc", false},
      {"svc/*", "svc/a/b", false},
      {"svc/**", "svc", true},  // ** is zero or more segments
      {"svc/**", "svc/a/b/c", true},
      {"svc/**", "svcx/a", false},
      {"**", "a", true},
      {"**", "a/b/c", true},
      {"**", ".schemas", false},  // never a settings document...
      {"*", ".merge", false},
      {".schemas", ".schemas", true},  // ...unless named
      {"**/db", "db", true},
      {"**/db", "a/b/db", true},
      {"**/db", "a/db/x", false},
      {"a/**/z", "a/z", true},
      {"a/**/z", "a/b/c/z", true},
      {"a/**/z", "a/b/c/y", false},
      {"*/cfg/**", "x/cfg/y/z", true},
      {"*/cfg/**", "x/y/cfg", false},
      {"config/app1", "config/app1", true},
      {"config/app1", "config/app10", false},
      {"a/**/**/b", "a/b", true},
      {"svc-*", "svc-a", false},  // malformed: '*' inside a segment matches nothing
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.glob << " ~ " << c.id) {
      BOOST_TEST(SchemaGlobMatches(c.glob, c.id) == c.match);
    }
  }
  BOOST_TEST(ValidateSchemaGlob("svc-*").message() ==
             "doc glob 'svc-*': a segment holding '*' must be exactly '*' (one segment) or '**' "
             "(any depth)");
  BOOST_TEST(ValidateSchemaGlob("a//b").message() ==
             "doc glob 'a//b': it has an empty segment (a leading, trailing or double '/')");
  BOOST_TEST(ValidateSchemaGlob("").message() == "doc glob '': it is empty");
}

BOOST_AUTO_TEST_CASE(every_violation_is_reported_with_pointer_and_rule) {
  struct Case {
    const char* name;
    const char* schema;  // the "schema" of one entry for "d"
    const char* value;
    const char* expect;  // Summary()
  };
  const std::vector<Case> cases = {
      {"valid", R"({"type": "object"})", R"({})", ""},
      {"type", R"({"type": "string"})", R"(1)", "d  type\n"},
      {"required, two missing", R"({"required": ["a", "b", "c"]})", R"({"b": 1})",
       "d  required\nd  required\n"},
      {"nested maximum and minimum",
       R"({"properties": {"db": {"properties": {"pool": {"maximum": 10}, "min": {"minimum": 1}}}}})",
       R"({"db": {"pool": 11, "min": 0}})", "d /db/min minimum\nd /db/pool maximum\n"},
      {"array items, each failing one", R"({"items": {"type": "integer"}})", R"([1, "x", 2, true])",
       "d /1 type\nd /3 type\n"},
      {"draft 7: const", R"({"properties": {"v": {"const": 2}}})", R"({"v": 3})", "d /v const\n"},
      {"draft 7: exclusiveMaximum", R"({"exclusiveMaximum": 5})", R"(5)", "d  exclusiveMaximum\n"},
      {"draft 7: contains", R"({"contains": {"type": "string"}})", R"([1, 2])", "d  contains\n"},
      {"draft 7: if/then",
       R"({"if": {"properties": {"tls": {"const": true}}}, "then": {"required": ["cert"]}})",
       R"({"tls": true})", "d  required\nd  if\n"},
      {"draft 7: if/then, else side", R"({"if": {"properties": {"tls": {"const": true}}},
        "then": {"required": ["cert"]}})",
       R"({"tls": false})", ""},
      {"$ref to definitions",
       R"({"definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
           "properties": {"http": {"$ref": "#/definitions/port"},
                          "https": {"$ref": "#/definitions/port"}}})",
       R"({"http": 0, "https": 70000})", "d /http minimum\nd /https maximum\n"},
      {"additionalProperties false", R"({"properties": {"a": {}}, "additionalProperties": false})",
       R"({"a": 1, "b": 2})", "d  additionalProperties\n"},
      {"enum, pattern, lengths",
       R"({"properties": {"e": {"enum": ["x", "y"]}, "p": {"pattern": "^[a-z]+$"},
           "s": {"maxLength": 2}, "l": {"minItems": 2}}})",
       R"({"e": "z", "p": "A1", "s": "abc", "l": [1]})",
       "d /e enum\nd /l minItems\nd /p pattern\nd /s maxLength\n"},
      {"uniqueItems and multipleOf", R"({"uniqueItems": true, "items": {"multipleOf": 2}})",
       R"([2, 2, 3])", "d  uniqueItems\nd /2 multipleOf\n"},
      {"integer: 1.0 is one, 1.5 is not", R"({"items": {"type": "integer"}})", R"([1.0, 1.5])",
       "d /1 type\n"},
      {"integer: beyond int64 (stored as uint64) is one",
       R"({"type": "integer", "minimum": 0, "maximum": 2e19})", R"(18446744073709551615)", ""},
      {"a uint64 above maximum", R"({"maximum": 1e19})", R"(18446744073709551615)", "d  maximum\n"},
      {"anyOf", R"({"anyOf": [{"type": "string"}, {"type": "null"}]})", R"(1)",
       "d  type\nd  type\nd  anyOf\n"},
      {"not", R"({"not": {"type": "integer"}})", R"(1)", "d  not\n"},
      {"false schema", R"(false)", R"(1)", "d  schema\n"},
      {"propertyNames (no words from valijson)", R"({"propertyNames": {"maxLength": 2}})",
       R"({"abc": 1})", "d  schema\n"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const std::string schemas =
          std::string(R"({"schemas": [{"doc": "d", "schema": )") + c.schema + "}]}";
      std::vector<SchemaViolation> vs = Check(schemas, "d", c.value);
      BOOST_TEST(Summary(vs) == c.expect);
    }
  }
}

BOOST_AUTO_TEST_CASE(messages_name_the_rule_and_read_as_people_write_numbers) {
  std::vector<SchemaViolation> vs = Check(kPortSchema, "svc/a", R"({"port": 101.5})");
  BOOST_REQUIRE(vs.size() == 3u);
  BOOST_TEST(FormatSchemaViolation(vs[0]) == "svc/a: required: Missing required property 'name'.");
  BOOST_TEST(FormatSchemaViolation(vs[1]) ==
             "svc/a at /port: maximum: Expected number less than or equal to 100");
  BOOST_TEST(FormatSchemaViolation(vs[2]) ==
             "svc/a at /port: type: Value type not permitted by 'type' constraint.");
  BOOST_TEST(CanonicalJson(SchemaViolationToJson(vs[1])) ==
             R"({"doc":"svc/a","message":"Expected number less than or equal to 100",)"
             R"("pointer":"/port","rule":"maximum"})");
}

BOOST_AUTO_TEST_CASE(several_schemas_apply_to_one_document_in_order) {
  const char* schemas = R"({"schemas": [
      {"doc": "svc/**", "schema": {"required": ["owner"]}},
      {"doc": "svc/*", "schema": {"properties": {"port": {"maximum": 100}}}},
      {"doc": "other/*", "schema": false},
      {"doc": "svc/web", "schema": {"properties": {"port": {"minimum": 200}}}}]})";
  std::vector<SchemaViolation> vs = Check(schemas, "svc/web", R"({"port": 150})");
  BOOST_TEST(Summary(vs) == "svc/web  required\nsvc/web /port maximum\nsvc/web /port minimum\n");
  BOOST_REQUIRE(vs.size() == 3u);
  BOOST_TEST(vs[0].schema == 0u);
  BOOST_TEST(vs[1].schema == 1u);
  BOOST_TEST(vs[2].schema == 3u);
  // svc/a/b: only the ** entry.
  BOOST_TEST(Summary(Check(schemas, "svc/a/b", "{}")) == "svc/a/b  required\n");
  BOOST_TEST(Check(schemas, "elsewhere", "1").empty());
}

BOOST_AUTO_TEST_CASE(malformed_schemas_documents_are_refused) {
  struct Case {
    const char* value;
    const char* message;  // what Compile says
  };
  const std::vector<Case> cases = {
      {"[]", "must be an object {\"schemas\": [...]}"},
      {R"({"schemas": {}})", "\"schemas\" must be an array of {\"doc\", \"schema\"}"},
      {R"({"schema": []})", "unknown member \"schema\" (only \"schemas\" is defined)"},
      {R"({"schemas": [1]})", "schemas[0]: must be an object {\"doc\", \"schema\"}"},
      {R"({"schemas": [{"schema": {}}]})", "schemas[0]: \"doc\" must be a string, a glob over ids"},
      {R"({"schemas": [{"doc": "a", "schema": {}}, {"doc": "a/", "schema": {}}]})",
       "schemas[1]: doc glob 'a/': it has an empty segment (a leading, trailing or double '/')"},
      {R"({"schemas": [{"doc": "a"}]})",
       "schemas[0]: \"schema\" must be a JSON Schema (an object, true or false)"},
      {R"({"schemas": [{"doc": "a", "schema": 3}]})",
       "schemas[0]: \"schema\" must be a JSON Schema (an object, true or false)"},
      {R"({"schemas": [{"doc": "a", "schema": {}, "note": 1}]})",
       "schemas[0]: unknown member \"note\" (an entry holds \"doc\" and \"schema\")"},
      {R"({"schemas": [{"doc": "a", "schema": {"pattern": "("}}]})",
       "schemas[0]: \"pattern\" \"(\" is not a regular expression: "},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.value) {
      Status s = ValidateSchemas(RepoFixture::J(c.value));
      BOOST_TEST((s.code() == Code::kInvalidArgument));
      BOOST_TEST(s.message().starts_with(c.message), s.message());
    }
  }
  // Not a valid JSON Schema, as valijson reads it.
  for (const char* bad :
       {R"({"type": "strin"})", R"({"minimum": "x"})", R"({"required": "name"})",
        R"({"$ref": "#/definitions/none"})", R"({"$ref": "http://example.com/schema.json"})"}) {
    BOOST_TEST_CONTEXT(bad) {
      Status s = ValidateSchemas(
          RepoFixture::J(std::string(R"({"schemas": [{"doc": "a", "schema": )") + bad + "}]}"));
      BOOST_TEST(s.message().starts_with("schemas[0]: not a valid JSON Schema: "), s.message());
    }
  }
  BOOST_TEST(ValidateSchemas(RepoFixture::J(R"({"schemas": []})")).ok());
}

BOOST_FIXTURE_TEST_CASE(a_malformed_schemas_is_refused_on_write, RepoFixture) {
  Result<WriteResult> w = repo().Put(".schemas", J(R"({"schemas": [{"doc": "a"}]})"), By("ann"));
  BOOST_TEST(w.status().message() ==
             "settings document '.schemas': schemas[0]: \"schema\" must be a JSON Schema (an "
             "object, true or false)");
  BOOST_TEST(!Get(".schemas").ok());
}

BOOST_FIXTURE_TEST_CASE(a_write_that_breaks_a_schema_is_refused_and_writes_nothing, RepoFixture) {
  BOOST_REQUIRE(repo().Put(".schemas", J(kPortSchema), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("svc/a", J(R"({"name": "a", "port": 80})"), By("ann")).ok());
  const std::string head = repo().ResolveRevision("HEAD").value();

  struct Case {
    const char* name;
    std::function<Result<WriteResult>()> write;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"set", [&] { return repo().Set("svc/a", P("/port"), J("101"), By("bob")); },
       "the new state breaks .schemas (1 violation); nothing was written: svc/a at /port: "
       "maximum: Expected number less than or equal to 100"},
      {"put, two violations", [&] { return repo().Put("svc/b", J(R"({"port": "x"})"), By("bob")); },
       "the new state breaks .schemas (2 violations); nothing was written: svc/b: required: "
       "Missing required property 'name'.; svc/b at /port: type: Value type not permitted by "
       "'type' constraint."},
      {"rm of a required member", [&] { return repo().Remove("svc/a", P("/name"), By("bob")); },
       "the new state breaks .schemas (1 violation); nothing was written: svc/a: required: "
       "Missing required property 'name'."},
      {"import, one good one bad",
       [&] {
         return repo().Import({{"svc/c", J(R"({"name": "c"})")}, {"svc/d", J("[]")}}, By("bob"));
       },
       "the new state breaks .schemas (1 violation); nothing was written: svc/d: type: Value "
       "type not permitted by 'type' constraint."},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Result<WriteResult> w = c.write();
      BOOST_TEST((w.status().code() == Code::kInvalidArgument));
      BOOST_TEST(w.status().message() == c.message);
      BOOST_TEST(repo().ResolveRevision("HEAD").value() == head);
    }
  }
  // force does not let a write break a schema with the documents it changes.
  CommitOptions forced = By("bob");
  forced.force = true;
  BOOST_TEST((repo().Set("svc/a", P("/port"), J("101"), forced).status().code() ==
              Code::kInvalidArgument));
  // Documents no glob matches are not checked; removing a document is fine.
  BOOST_TEST(repo().Put("other", J(R"({"port": "x"})"), By("bob")).ok());
  BOOST_TEST(repo().Remove("svc/a", std::nullopt, By("bob")).ok());
}

BOOST_FIXTURE_TEST_CASE(a_new_schemas_is_checked_against_every_document_unless_forced,
                        RepoFixture) {
  BOOST_REQUIRE(repo().Put("svc/a", J(R"({"name": "a", "port": 500})"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("svc/b", J(R"({"port": 1})"), By("ann")).ok());
  BOOST_REQUIRE(repo().Put("svc/ok", J(R"({"name": "ok"})"), By("ann")).ok());
  const std::string head = repo().ResolveRevision("HEAD").value();

  Result<WriteResult> w = repo().Put(".schemas", J(kPortSchema), By("ann"));
  BOOST_TEST(w.status().message() ==
             "the new state breaks .schemas (2 violations); nothing was written: svc/a at /port: "
             "maximum: Expected number less than or equal to 100; svc/b: required: Missing "
             "required property 'name'. (documents this write does not change break the new "
             ".schemas; fix them first, or write .schemas with --force)");
  BOOST_TEST(repo().ResolveRevision("HEAD").value() == head);
  BOOST_TEST(repo().Validate("HEAD").value().empty());  // no .schemas yet

  CommitOptions forced = By("ann");
  forced.force = true;
  BOOST_REQUIRE(repo().Put(".schemas", J(kPortSchema), forced).ok());
  // validate lists what the forced .schemas left broken.
  BOOST_TEST(Summary(repo().Validate("HEAD").value()) == "svc/a /port maximum\nsvc/b  required\n");
  BOOST_TEST(repo().Validate("HEAD~1").value().empty());
  // A write to another document is not blocked by them...
  BOOST_TEST(repo().Put("svc/c", J(R"({"name": "c"})"), By("ann")).ok());
  // ...but a write to one of them must fix it.
  BOOST_TEST((repo().Set("svc/b", P("/port"), J("2"), By("ann")).status().code() ==
              Code::kInvalidArgument));
  BOOST_TEST(repo().Set("svc/b", P("/name"), J("\"b\""), By("ann")).ok());
  BOOST_TEST(Summary(repo().Validate("HEAD").value()) == "svc/a /port maximum\n");
  // Loosening .schemas checks every document again, and now they pass.
  BOOST_TEST(
      repo()
          .Set(".schemas", P("/schemas/0/schema/properties/port/maximum"), J("1000"), By("ann"))
          .ok());
  BOOST_TEST(repo().Validate("HEAD").value().empty());
  // Removing .schemas is always allowed.
  BOOST_TEST(repo().Remove(".schemas", std::nullopt, By("ann")).ok());
  BOOST_TEST(repo().Put("svc/x", J("1"), By("ann")).ok());
}

BOOST_FIXTURE_TEST_CASE(merges_are_checked, RepoFixture) {
  BOOST_REQUIRE(repo().Put("svc/a", J(R"({"name": "a", "port": 1})"), By("ann")).ok());
  BOOST_REQUIRE(repo().CreateBranch("wide").ok());
  CommitOptions on_wide = By("bob");
  on_wide.branch = "wide";
  BOOST_REQUIRE(repo().Set("svc/a", P("/port"), J("500"), on_wide).ok());
  BOOST_REQUIRE(repo().Put(".schemas", J(kPortSchema), By("ann")).ok());
  const std::string head = repo().ResolveRevision("HEAD").value();

  MergeRequest request;
  request.commit = By("ann");
  Result<MergeOutcome> merged = repo().Merge("wide", request);
  BOOST_TEST((merged.status().code() == Code::kInvalidArgument));
  BOOST_TEST(merged.status().message().find("svc/a at /port: maximum") != std::string::npos,
             merged.status().message());
  BOOST_TEST(repo().ResolveRevision("HEAD").value() == head);
  BOOST_TEST(!repo().CurrentMerge().value().has_value());

  // A cherry-pick goes through the same check.
  Result<MergeOutcome> picked = repo().CherryPick("wide", request);
  BOOST_TEST((picked.status().code() == Code::kInvalidArgument));
  BOOST_TEST(repo().ResolveRevision("HEAD").value() == head);
}

BOOST_AUTO_TEST_CASE(compiled_schemas_are_cached_by_id) {
  const json::value doc = RepoFixture::J(kPortSchema);
  auto a = SchemaSet::CompileCached("id-1", doc);
  auto b = SchemaSet::CompileCached("id-1", RepoFixture::J(R"({"schemas": []})"));
  auto c = SchemaSet::CompileCached("id-2", RepoFixture::J(R"({"schemas": []})"));
  BOOST_REQUIRE(a.ok());
  BOOST_TEST(a->get() == b->get());  // the same id: the compiled set is reused
  BOOST_TEST((*b)->size() == 1u);
  BOOST_TEST((*c)->size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace strata
