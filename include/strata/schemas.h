// Schemas: JSON Schema rules that documents must satisfy before a version
// holding them is written (docs/schemas.md).
//
// The `.schemas` settings document lists them:
//
//   {"schemas": [{"doc": GLOB, "schema": SCHEMA}...]}
//   GLOB   := segment ("/" segment)*     over document ids: "*" is exactly one
//             segment, "**" zero or more; neither matches a segment that
//             starts with "." (so settings documents are matched only by
//             name); any other segment matches itself. A segment holding
//             "*" must be exactly "*" or "**".
//   SCHEMA := a JSON Schema (draft 7; an object, or true / false), checked
//             by valijson. "$ref" may point inside the schema ("#/definitions/x");
//             remote references are refused.
//
// A document is checked against every schema whose glob matches its id, and
// every violation is reported, not the first one.
//
// Writes (repo/write.cc, Repository::Build): the documents a version changes
// are checked against the `.schemas` of the state being written; a version
// that changes `.schemas` itself has every document of its state checked,
// unless CommitOptions::force (then only the documents it changes). Any
// violation refuses the write, nothing written.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/json.h"
#include "strata/json_pointer.h"
#include "strata/status.h"

namespace strata {

inline constexpr const char* kSchemasDoc = ".schemas";

// One way a document breaks a schema.
struct SchemaViolation {
  std::string doc;         // the document's id
  JsonPointer pointer;     // the value inside it that breaks the rule ("": the document)
  std::string rule;        // the failing keyword: "required", "type", "maximum", ...
  std::string message;     // what is wrong, in words (never a value of the document)
  std::size_t schema = 0;  // which entry of `.schemas` (0-based)
};

// {"doc", "pointer", "rule", "message"}.
json::object SchemaViolationToJson(const SchemaViolation& v);
// "svc/a at /port: maximum: Expected number less than or equal to 65535"
std::string FormatSchemaViolation(const SchemaViolation& v);

// Whether `glob` (GLOB above) matches document id `id`. A malformed glob
// matches nothing (ValidateSchemaGlob says why).
bool SchemaGlobMatches(std::string_view glob, std::string_view id);
// Ok, or InvalidArgument saying what is wrong with `glob`.
Status ValidateSchemaGlob(std::string_view glob);

// Checks a whole `.schemas` value: its form, every glob, and that every
// schema compiles. InvalidArgument names the entry ("schemas[2]") and what
// is wrong.
Status ValidateSchemas(const json::value& doc);

// The compiled form of one `.schemas` value. Thread-safe.
class SchemaSet {
 public:
  // Compiles a `.schemas` value (InvalidArgument as ValidateSchemas).
  static Result<std::shared_ptr<const SchemaSet>> Compile(const json::value& doc);
  // The same, cached in this process under `key` (the `.schemas` blob or
  // tree id: content addressing makes the id the only invalidation).
  static Result<std::shared_ptr<const SchemaSet>> CompileCached(const std::string& key,
                                                                const json::value& doc);
  ~SchemaSet();

  std::size_t size() const;
  // Whether any schema's glob matches `id`.
  bool Applies(std::string_view id) const;
  // Every violation of `value` (document `id`) against every schema whose
  // glob matches `id`, in `.schemas` order; empty when it satisfies them.
  std::vector<SchemaViolation> Validate(std::string_view id, const json::value& value) const;

 private:
  struct Impl;
  explicit SchemaSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
