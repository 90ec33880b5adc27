#include <array>
#include <cstddef>
#include <utility>

#include "objects/guard.h"
#include "strata/merge_policy.h"

namespace strata {
namespace {

constexpr std::array<PolicyStrategy, 8> kStrategies = {
    PolicyStrategy::kConflict, PolicyStrategy::kOurs, PolicyStrategy::kTheirs,
    PolicyStrategy::kLatest,   PolicyStrategy::kMax,  PolicyStrategy::kMin,
    PolicyStrategy::kUnion,    PolicyStrategy::kByKey};

std::vector<std::string_view> SplitSegments(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
}

// Wildcard matching over segments: "*" is any one segment, "**" any run of
// segments. Greedy, backtracking only to the last "**" (like '*' in fnmatch),
// so it is linear for patterns with one "**" and never recursive.
template <typename Pattern, typename Subject>
bool MatchSegments(const Pattern& pattern, std::size_t p, const Subject& subject, std::size_t s) {
  const std::size_t m = pattern.size(), n = subject.size();
  std::size_t star = static_cast<std::size_t>(-1), mark = 0;
  while (s < n) {
    if (p < m && pattern[p] == "**") {
      star = p++;
      mark = s;
    } else if (p < m && (pattern[p] == "*" || pattern[p] == subject[s])) {
      ++p;
      ++s;
    } else if (star != static_cast<std::size_t>(-1)) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < m && pattern[p] == "**") ++p;
  return p == m;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string StrategyList() {
  std::string list;
  for (PolicyStrategy s : kStrategies) {
    if (!list.empty()) list += ", ";
    list += PolicyStrategyName(s);
  }
  return list;
}

// The member `name` of policy `where` as a string; nullopt if absent.
Result<std::optional<std::string>> StringMember(const json::object& policy, std::string_view name,
                                                const std::string& where) {
  const json::value* v = policy.if_contains(name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) {
    return Status::InvalidArgument(where + "." + std::string(name) + ": must be a string");
  }
  return std::optional<std::string>(std::string(v->get_string()));
}

}  // namespace

std::string_view PolicyStrategyName(PolicyStrategy strategy) {
  switch (strategy) {
    case PolicyStrategy::kConflict:
      return "conflict";
    case PolicyStrategy::kOurs:
      return "ours";
    case PolicyStrategy::kTheirs:
      return "theirs";
    case PolicyStrategy::kLatest:
      return "latest";
    case PolicyStrategy::kMax:
      return "max";
    case PolicyStrategy::kMin:
      return "min";
    case PolicyStrategy::kUnion:
      return "union";
    case PolicyStrategy::kByKey:
      return "by-key";
  }
  return "unknown";
}

Result<PolicyStrategy> ParsePolicyStrategy(std::string_view name) try {
  for (PolicyStrategy s : kStrategies) {
    if (name == PolicyStrategyName(s)) return s;
  }
  return Status::InvalidArgument("unknown strategy " + Quote(name) + " (" + StrategyList() + ")");
} catch (...) {
  return CaughtStatus("ParsePolicyStrategy");
}

Status ValidateDocGlob(std::string_view glob) try {
  if (glob.empty()) return Status::InvalidArgument("empty document glob");
  for (std::string_view segment : SplitSegments(glob)) {
    if (segment.empty()) {
      return Status::InvalidArgument("document glob " + Quote(glob) +
                                     " has an empty segment (a leading, trailing or double '/')");
    }
    if (segment.find('*') != std::string_view::npos && segment != "*" && segment != "**") {
      return Status::InvalidArgument("document glob " + Quote(glob) + ": segment " +
                                     Quote(segment) +
                                     " mixes '*' with other characters; '*' and '**' must be "
                                     "whole segments");
    }
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("ValidateDocGlob");
}

bool DocGlobMatches(std::string_view glob, std::string_view doc) {
  return MatchSegments(SplitSegments(glob), 0, SplitSegments(doc), 0);
}

Result<PointerPattern> PointerPattern::Parse(std::string_view text) try {
  STRATA_ASSIGN_OR_RETURN(JsonPointer pointer, JsonPointer::Parse(text));
  PointerPattern pattern;
  pattern.tokens_ = pointer.tokens();
  return pattern;
} catch (...) {
  return CaughtStatus("PointerPattern::Parse");
}

bool PointerPattern::Matches(const JsonPointer& pointer) const {
  return Matches(pointer.tokens(), 0);
}

bool PointerPattern::Matches(const std::vector<std::string>& tokens, std::size_t begin) const {
  return MatchSegments(tokens_, 0, tokens, begin);
}

Result<MergePolicies> MergePolicies::Parse(const json::value& merge_document) try {
  if (!merge_document.is_object()) {
    return Status::InvalidArgument("must be an object {\"policies\": [...]}");
  }
  const json::object& root = merge_document.get_object();
  for (const auto& kv : root) {
    if (kv.key() != "policies") {
      return Status::InvalidArgument("unknown member " + Quote(kv.key()) +
                                     " (the only member is 'policies')");
    }
  }
  MergePolicies out;
  const json::value* list = root.if_contains("policies");
  if (list == nullptr) return out;
  if (!list->is_array()) return Status::InvalidArgument("policies: must be an array");
  const json::array& policies = list->get_array();
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const std::string where = "policies[" + std::to_string(i) + "]";
    if (!policies[i].is_object()) {
      return Status::InvalidArgument(where +
                                     ": must be an object {\"doc\", \"path\", "
                                     "\"strategy\"[, \"key\"]}");
    }
    const json::object& policy = policies[i].get_object();
    for (const auto& kv : policy) {
      if (kv.key() != "doc" && kv.key() != "path" && kv.key() != "strategy" && kv.key() != "key") {
        return Status::InvalidArgument(where + ": unknown member " + Quote(kv.key()) +
                                       " (doc, path, strategy, key)");
      }
    }
    PathPolicy rule;
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> doc, StringMember(policy, "doc", where));
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> path, StringMember(policy, "path", where));
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> strategy,
                            StringMember(policy, "strategy", where));
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> key, StringMember(policy, "key", where));
    if (!doc)
      return Status::InvalidArgument(where + ".doc: missing (a document glob, e.g. \"**\")");
    if (!path) {
      return Status::InvalidArgument(where + ".path: missing (a pointer pattern, e.g. \"/**\")");
    }
    if (!strategy) {
      return Status::InvalidArgument(where + ".strategy: missing (" + StrategyList() + ")");
    }
    Status glob = ValidateDocGlob(*doc);
    if (!glob.ok()) return Status::InvalidArgument(where + ".doc: " + glob.message());
    Result<PointerPattern> pattern = PointerPattern::Parse(*path);
    if (!pattern.ok()) {
      return Status::InvalidArgument(where + ".path: " + pattern.status().message());
    }
    Result<PolicyStrategy> parsed = ParsePolicyStrategy(*strategy);
    if (!parsed.ok()) {
      return Status::InvalidArgument(where + ".strategy: " + parsed.status().message());
    }
    if (*parsed == PolicyStrategy::kByKey && (!key || key->empty())) {
      return Status::InvalidArgument(where +
                                     ".key: strategy 'by-key' needs a non-empty \"key\" "
                                     "(the member that identifies an element)");
    }
    if (*parsed != PolicyStrategy::kByKey && key) {
      return Status::InvalidArgument(where + ".key: only strategy 'by-key' takes a key");
    }
    rule.doc = std::move(*doc);
    rule.path = std::move(*path);
    rule.strategy = *parsed;
    if (key) rule.key = std::move(*key);
    out.rules_.push_back(std::move(rule));
    out.patterns_.push_back(std::move(pattern).value());
  }
  return out;
} catch (...) {
  return CaughtStatus("MergePolicies::Parse");
}

const PathPolicy* MergePolicies::Find(std::string_view doc, const JsonPointer& pointer) const {
  return Find(doc, pointer.tokens(), 0);
}

const PathPolicy* MergePolicies::Find(std::string_view doc, const std::vector<std::string>& tokens,
                                      std::size_t begin) const {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (patterns_[i].Matches(tokens, begin) && DocGlobMatches(rules_[i].doc, doc)) {
      return &rules_[i];
    }
  }
  return nullptr;
}

}  // namespace strata
