#include "repo/schemas.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <regex>
#include <unordered_map>
#include <utility>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "objects/guard.h"
#include "objects/tree_codec.h"
#include "repo/schema_adapter.h"

namespace strata {
namespace {

// Schemas nest at most this deep: valijson's parser recurses on a schema's
// depth, and a schema needs nothing near it.
constexpr std::size_t kMaxSchemaDepth = 256;
// Compiled `.schemas` values kept per process (by blob id).
constexpr std::size_t kMaxCachedSets = 32;

std::vector<std::string_view> Segments(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = s.find('/', start);
    out.push_back(s.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

// valijson's description of a failure -> the keyword that failed. "" marks
// the descriptions valijson adds above a failure inside a value ("Failed to
// validate against schema associated with property name 'x'"): the inner
// failure is reported with its own pointer, so these are left out. Longer
// prefixes first where one begins another.
struct RuleOfDescription {
  std::string_view prefix;
  std::string_view rule;
};
constexpr RuleOfDescription kRules[] = {
    {"Value type not permitted by 'type'", "type"},
    {"Missing required property", "required"},
    {"Expected number less than or equal to", "maximum"},
    {"Expected number less than", "exclusiveMaximum"},
    {"Expected number greater than or equal to", "minimum"},
    {"Expected number greater than", "exclusiveMinimum"},
    {"Value should be a multiple of", "multipleOf"},
    {"Value could not be converted", "multipleOf"},
    {"String should be no more than", "maxLength"},
    {"String should be no fewer than", "minLength"},
    {"Array should contain no more than", "maxItems"},
    {"Array should contain no fewer than", "minItems"},
    {"Object should have no more than", "maxProperties"},
    {"Object should have no fewer than", "minProperties"},
    {"Failed to match regex specified by 'pattern'", "pattern"},
    {"String should be a valid", "format"},
    {"Failed to match against any enum values", "enum"},
    {"Target value and comparison value are not equal", "enum"},
    {"Failed to match expected value set by 'const'", "const"},
    {"Failed to any values against subschema in 'contains'", "contains"},
    {"Elements at indexes", "uniqueItems"},
    {"Object contains a property that could not be validated", "additionalProperties"},
    {"Array contains more items than allowed", "additionalItems"},
    {"Cannot validate item #", "additionalItems"},
    {"Missing dependency", "dependencies"},
    {"Failed to validate against any schemas allowed by anyOf", "anyOf"},
    {"Failed to validate against any child schemas allowed by oneOf", "oneOf"},
    {"Failed to validate against exactly one child schema", "oneOf"},
    {"Target should not validate against schema specified in 'not'", "not"},
    {"Failed to validate against a conditional schema", "if"},
    // Above an inner failure: left out.
    {"Failed to validate against schema associated with", ""},
    {"Failed to validate against additional properties schema", ""},
    {"Failed to validate item #", ""},
    {"Failed to validate against child schema #", ""},
    {"Failed to validate against dependent schema", ""},
};

std::optional<std::string_view> RuleOf(std::string_view description) {
  for (const RuleOfDescription& r : kRules) {
    if (description.starts_with(r.prefix)) return r.rule;
  }
  return std::nullopt;
}

// valijson prints numbers with std::to_string: "65535.000000" -> "65535",
// "0.500000" -> "0.5", so a message reads as people write numbers.
std::string TidyNumbers(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] >= '0' && text[i] <= '9') {
      std::size_t j = i;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      if (j + 1 < text.size() && text[j] == '.' && text[j + 1] >= '0' && text[j + 1] <= '9') {
        std::size_t k = j + 1;
        while (k < text.size() && text[k] >= '0' && text[k] <= '9') ++k;
        std::string_view frac = text.substr(j + 1, k - j - 1);
        while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
        out.append(text.substr(i, j - i));
        if (!frac.empty()) {
          out.push_back('.');
          out.append(frac);
        }
        i = k;
        continue;
      }
      out.append(text.substr(i, j - i));
      i = j;
      continue;
    }
    out.push_back(text[i++]);
  }
  return out;
}

// valijson's context ("<root>", "[db]", "[0]") -> a JSON pointer.
JsonPointer PointerOf(const std::vector<std::string>& context) {
  std::vector<std::string> tokens;
  for (std::size_t i = 1; i < context.size(); ++i) {
    const std::string& c = context[i];
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') {
      tokens.push_back(c.substr(1, c.size() - 2));
    } else {
      tokens.push_back(c);
    }
  }
  return JsonPointer(std::move(tokens));
}

// Every "pattern" keyword's regular expression compiles (valijson compiles
// them only when it validates). Iterative.
Status CheckPatterns(const json::value& schema) {
  std::vector<const json::value*> todo{&schema};
  while (!todo.empty()) {
    const json::value* v = todo.back();
    todo.pop_back();
    if (v->is_array()) {
      for (const json::value& e : v->get_array()) todo.push_back(&e);
    } else if (v->is_object()) {
      for (const auto& [key, member] : v->get_object()) {
        if (key == "pattern" && member.is_string()) {
          try {
            std::regex re(std::string(member.get_string()), std::regex::ECMAScript);
          } catch (const std::regex_error& e) {
            return Status::InvalidArgument("\"pattern\" " + CanonicalJson(member) +
                                           " is not a regular expression: " + e.what());
          }
        }
        todo.push_back(&member);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

json::object SchemaViolationToJson(const SchemaViolation& v) {
  return json::object{
      {"doc", v.doc}, {"pointer", v.pointer.ToString()}, {"rule", v.rule}, {"message", v.message}};
}

std::string FormatSchemaViolation(const SchemaViolation& v) {
  std::string where = v.doc;
  if (!v.pointer.IsRoot()) where += " at " + v.pointer.ToString();
  return where + ": " + v.rule + ": " + v.message;
}

Status ValidateSchemaGlob(std::string_view glob) try {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("doc glob '" + std::string(glob) + "': " + why);
  };
  if (glob.empty()) return bad("it is empty");
  for (std::string_view seg : Segments(glob)) {
    if (seg.empty()) return bad("it has an empty segment (a leading, trailing or double '/')");
    if (seg.find('*') != std::string_view::npos && seg != "*" && seg != "**") {
      return bad("a segment holding '*' must be exactly '*' (one segment) or '**' (any depth)");
    }
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("ValidateSchemaGlob");
}

bool SchemaGlobMatches(std::string_view glob, std::string_view id) {
  if (!ValidateSchemaGlob(glob).ok() || id.empty()) return false;
  const std::vector<std::string_view> p = Segments(glob), s = Segments(id);
  auto one = [](std::string_view pat, std::string_view seg) {
    return pat == "*" ? !seg.starts_with('.') : pat == seg;
  };
  // Wildcard matching over segments, "**" as the star: on a mismatch the
  // latest "**" takes one more segment (never one starting with '.').
  std::size_t i = 0, j = 0, mark = 0;
  std::optional<std::size_t> star;
  while (j < s.size()) {
    if (i < p.size() && p[i] == "**") {
      star = i++;
      mark = j;
    } else if (i < p.size() && one(p[i], s[j])) {
      ++i;
      ++j;
    } else if (star && !s[mark].starts_with('.')) {
      i = *star + 1;
      j = ++mark;
    } else {
      return false;
    }
  }
  while (i < p.size() && p[i] == "**") ++i;
  return i == p.size();
}

// --- compiled schemas ----------------------------------------------------------

struct SchemaSet::Impl {
  struct Entry {
    std::string glob;
    json::value source;  // kept alive beside what valijson built from it
    valijson::Schema schema;
  };
  std::vector<std::unique_ptr<Entry>> entries;
  // valijson's Validator caches compiled regular expressions; it is not
  // safe to share between threads, hence the lock.
  mutable std::mutex mu;
  mutable valijson::Validator validator;
};

SchemaSet::SchemaSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaSet::~SchemaSet() = default;

std::size_t SchemaSet::size() const { return impl_->entries.size(); }

Result<std::shared_ptr<const SchemaSet>> SchemaSet::Compile(const json::value& doc) try {
  const json::object* root = doc.if_object();
  if (root == nullptr) {
    return Status::InvalidArgument("must be an object {\"schemas\": [...]}");
  }
  for (const auto& [key, value] : *root) {
    if (key != "schemas") {
      return Status::InvalidArgument("unknown member \"" + std::string(key) +
                                     "\" (only \"schemas\" is defined)");
    }
  }
  const json::value* list = root->if_contains("schemas");
  if (list == nullptr || !list->is_array()) {
    return Status::InvalidArgument("\"schemas\" must be an array of {\"doc\", \"schema\"}");
  }
  auto impl = std::make_unique<Impl>();
  for (std::size_t i = 0; i < list->get_array().size(); ++i) {
    const std::string where = "schemas[" + std::to_string(i) + "]";
    const json::object* entry = list->get_array()[i].if_object();
    if (entry == nullptr) {
      return Status::InvalidArgument(where + ": must be an object {\"doc\", \"schema\"}");
    }
    for (const auto& [key, value] : *entry) {
      if (key != "doc" && key != "schema") {
        return Status::InvalidArgument(where + ": unknown member \"" + std::string(key) +
                                       "\" (an entry holds \"doc\" and \"schema\")");
      }
    }
    const json::value* glob = entry->if_contains("doc");
    if (glob == nullptr || !glob->is_string()) {
      return Status::InvalidArgument(where + ": \"doc\" must be a string, a glob over ids");
    }
    Status g = ValidateSchemaGlob(glob->get_string());
    if (!g.ok()) return g.WithContext(where);
    const json::value* schema = entry->if_contains("schema");
    if (schema == nullptr || !(schema->is_object() || schema->is_bool())) {
      return Status::InvalidArgument(
          where + ": \"schema\" must be a JSON Schema (an object, true or false)");
    }
    if (NestingDepth(*schema) > kMaxSchemaDepth) {
      return Status::InvalidArgument(where + ": the schema nests deeper than " +
                                     std::to_string(kMaxSchemaDepth) + " levels");
    }
    Status p = CheckPatterns(*schema);
    if (!p.ok()) return p.WithContext(where);
    auto e = std::make_unique<Impl::Entry>();
    e->glob = std::string(glob->get_string());
    e->source = *schema;
    try {
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      schema_adapter::Adapter adapter(e->source);
      parser.populateSchema(adapter, e->schema);
    } catch (const std::exception& ex) {
      return Status::InvalidArgument(where + ": not a valid JSON Schema: " + ex.what());
    }
    impl->entries.push_back(std::move(e));
  }
  return std::shared_ptr<const SchemaSet>(new SchemaSet(std::move(impl)));
} catch (...) {
  return CaughtStatus("SchemaSet::Compile");
}

Result<std::shared_ptr<const SchemaSet>> SchemaSet::CompileCached(const std::string& key,
                                                                  const json::value& doc) try {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const SchemaSet>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const SchemaSet> set, Compile(doc));
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= kMaxCachedSets) cache.clear();
  cache.emplace(key, set);
  return set;
} catch (...) {
  return CaughtStatus("SchemaSet::CompileCached");
}

bool SchemaSet::Applies(std::string_view id) const {
  for (const auto& e : impl_->entries) {
    if (SchemaGlobMatches(e->glob, id)) return true;
  }
  return false;
}

std::vector<SchemaViolation> SchemaSet::Validate(std::string_view id,
                                                 const json::value& value) const {
  std::vector<SchemaViolation> out;
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (std::size_t i = 0; i < impl_->entries.size(); ++i) {
    const Impl::Entry& e = *impl_->entries[i];
    if (!SchemaGlobMatches(e.glob, id)) continue;
    valijson::ValidationResults results;
    bool valid = false;
    std::string failure;
    try {
      valid = impl_->validator.validate(e.schema, schema_adapter::Adapter(value), &results);
    } catch (const std::exception& ex) {
      failure = ex.what();
    }
    const std::size_t before = out.size();
    for (const auto& error : results) {
      std::optional<std::string_view> rule = RuleOf(error.description);
      if (rule && rule->empty()) continue;
      out.push_back(SchemaViolation{std::string(id), PointerOf(error.context),
                                    std::string(rule ? *rule : "schema"),
                                    TidyNumbers(error.description), i});
    }
    if (!failure.empty()) {
      out.push_back(SchemaViolation{std::string(id), JsonPointer(), "schema",
                                    "the schema could not be applied: " + failure, i});
    } else if (!valid && out.size() == before) {
      // A failure valijson gives no words for (a `false` schema, "propertyNames").
      out.push_back(SchemaViolation{std::string(id), JsonPointer(), "schema",
                                    "Does not satisfy the schema for '" + e.glob + "'.", i});
    }
    // Each schema's violations by pointer (the document first), keeping
    // valijson's order at one pointer.
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(before), out.end(),
                     [](const SchemaViolation& a, const SchemaViolation& b) {
                       return a.pointer.tokens() < b.pointer.tokens();
                     });
  }
  return out;
}

// --- stored states -------------------------------------------------------------

Status ValidateSchemas(const json::value& doc) try {
  return SchemaSet::Compile(doc).status();
} catch (...) {
  return CaughtStatus("ValidateSchemas");
}

Result<std::vector<SchemaViolation>> ValidateStoredState(ObjectStore& store, const ObjectId& state,
                                                         const std::vector<std::string>* docs) {
  std::vector<SchemaViolation> out;
  STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> schemas_ref,
                          FindMember(store, state, kSchemasDoc));
  if (!schemas_ref) return out;
  STRATA_ASSIGN_OR_RETURN(json::value schemas_value, DecodeValue(store, *schemas_ref));
  Result<std::shared_ptr<const SchemaSet>> set =
      SchemaSet::CompileCached(schemas_ref->id.Hex(), schemas_value);
  if (!set.ok()) return set.status().WithContext("settings document '.schemas'");

  std::vector<std::string> ids;
  if (docs != nullptr) {
    ids = *docs;
  } else {
    std::vector<Member> members;
    STRATA_RETURN_IF_ERROR(ReadMembers(store, state, members));
    for (Member& m : members) ids.push_back(std::move(m.key));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (const std::string& id : ids) {
    if (!(*set)->Applies(id)) continue;
    STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref, FindMember(store, state, id));
    if (!ref) continue;  // removed by this write, or never there
    STRATA_ASSIGN_OR_RETURN(json::value value, DecodeValue(store, *ref));
    std::vector<SchemaViolation> found = (*set)->Validate(id, value);
    out.insert(out.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
  }
  return out;
}

Status CheckSchemasOnWrite(ObjectStore& store, const ObjectId& state,
                           const std::vector<std::string>& touched, bool force) {
  const bool schemas_changed =
      std::find(touched.begin(), touched.end(), kSchemasDoc) != touched.end();
  const bool whole = schemas_changed && !force;
  STRATA_ASSIGN_OR_RETURN(std::vector<SchemaViolation> violations,
                          ValidateStoredState(store, state, whole ? nullptr : &touched));
  if (violations.empty()) return Status::Ok();
  std::string message = "the new state breaks .schemas (" + std::to_string(violations.size()) +
                        " violation" + (violations.size() == 1 ? "" : "s") +
                        "); nothing was written: ";
  bool untouched = false;
  for (std::size_t i = 0; i < violations.size(); ++i) {
    if (i > 0) message += "; ";
    message += FormatSchemaViolation(violations[i]);
    untouched =
        untouched || std::find(touched.begin(), touched.end(), violations[i].doc) == touched.end();
  }
  if (untouched) {
    message +=
        " (documents this write does not change break the new .schemas; fix them first, or "
        "write .schemas with --force)";
  }
  return Status::InvalidArgument(message);
}

}  // namespace strata
