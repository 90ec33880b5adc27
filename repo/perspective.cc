// Perspectives (strata/perspective.h, docs/perspectives.md).
//
// Resolve compiles every glob into segments and every rule pattern into
// tokens once. A rule pattern is matched as a small NFA whose state is a bit
// set of pattern positions (bit j: the first j pattern tokens have matched
// the pointer so far; "**" loops on itself). Walking a value carries, per
// level, each rule's bit set and `decided`, the highest rule that matched the
// pointer or an ancestor. A rule at or below `decided` can no longer change
// anything, so its bits are cleared; what is left set are exactly the later
// rules that may still match below, which is what Uniform looks at. Every
// walk over a value keeps its own stack of frames: nothing here recurses on
// the depth of a value.
#include "strata/perspective.h"

#include <git2.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>

#include "objects/guard.h"

namespace strata {

namespace {

enum class TokenKind : std::uint8_t { kLiteral, kStar, kGlobstar };

struct Token {
  TokenKind kind = TokenKind::kLiteral;
  std::string text;  // kLiteral only
};

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

TokenKind KindOf(std::string_view token) {
  if (token == "*") return TokenKind::kStar;
  if (token == "**") return TokenKind::kGlobstar;
  return TokenKind::kLiteral;
}

std::vector<std::string_view> SplitSlash(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

// "!config/internal/**" -> exclude, [config, internal, **]. Ok or why not.
Status CheckGlob(std::string_view glob) {
  std::string_view body = glob;
  if (!body.empty() && body.front() == '!') body.remove_prefix(1);
  if (body.empty()) return Status::InvalidArgument("glob " + Quote(glob) + " is empty");
  for (std::string_view seg : SplitSlash(body)) {
    if (seg.empty()) {
      return Status::InvalidArgument("glob " + Quote(glob) +
                                     " has an empty segment (a leading, trailing or double '/')");
    }
    if (seg.find('*') != std::string_view::npos && seg != "*" && seg != "**") {
      return Status::InvalidArgument("glob " + Quote(glob) + ": segment " + Quote(seg) +
                                     " mixes '*' with other characters; '*' and '**' must be "
                                     "whole segments");
    }
  }
  return Status::Ok();
}

// A rule's pattern as tokens. Ok or why not.
Result<std::vector<std::string>> PatternTokens(std::string_view pattern) {
  Result<JsonPointer> pointer = JsonPointer::Parse(pattern);
  if (!pointer.ok()) {
    return Status::InvalidArgument("pattern " + Quote(pattern) +
                                   " is not a JSON pointer (\"\" or \"/token...\")");
  }
  for (const std::string& t : pointer->tokens()) {
    if (t.find('*') != std::string::npos && t != "*" && t != "**") {
      return Status::InvalidArgument("pattern " + Quote(pattern) + ": token " + Quote(t) +
                                     " mixes '*' with other characters; '*' and '**' must be "
                                     "whole tokens");
    }
  }
  return pointer->tokens();
}

Result<ViewAction> ParseAction(std::string_view name) {
  if (name == "show") return ViewAction::kShow;
  if (name == "hide") return ViewAction::kHide;
  if (name == "mask") return ViewAction::kMask;
  return Status::InvalidArgument("unknown action " + Quote(name) + " (show, hide, mask)");
}

// One perspective as written.
struct Definition {
  std::optional<std::string> extends;
  std::vector<std::string> docs;
  std::vector<ViewRule> rules;
};

constexpr const char* kForm =
    "must be an object {\"perspectives\": {NAME: {\"extends\"?, \"docs\"?, \"rules\"?}}}";

// Reads and checks a whole `.perspectives` value.
Result<std::map<std::string, Definition>> ParseDefinitions(const json::value& doc) {
  if (!doc.is_object()) return Status::InvalidArgument(kForm);
  for (const auto& kv : doc.get_object()) {
    if (kv.key() != "perspectives") {
      return Status::InvalidArgument("unknown member " + Quote(kv.key()) +
                                     " (the only member is 'perspectives')");
    }
  }
  std::map<std::string, Definition> defs;
  const json::value* all = doc.get_object().if_contains("perspectives");
  if (all == nullptr) return defs;
  if (!all->is_object()) {
    return Status::InvalidArgument("'perspectives' must be an object {NAME: {...}}");
  }
  for (const auto& kv : all->get_object()) {
    const std::string name(kv.key());
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("perspective " + Quote(name) + ": " + why);
    };
    if (name.empty()) return Status::InvalidArgument("a perspective's name cannot be empty");
    if (!kv.value().is_object()) {
      return bad("must be an object {\"extends\"?, \"docs\"?, \"rules\"?}");
    }
    Definition def;
    for (const auto& m : kv.value().get_object()) {
      const std::string_view key = m.key();
      if (key == "extends") {
        if (!m.value().is_string()) return bad("'extends' must be a perspective's name (a string)");
        def.extends = std::string(m.value().get_string());
      } else if (key == "docs") {
        if (!m.value().is_array()) return bad("'docs' must be an array of globs");
        const json::array& docs = m.value().get_array();
        for (std::size_t i = 0; i < docs.size(); ++i) {
          const std::string where = "docs[" + std::to_string(i) + "]: ";
          if (!docs[i].is_string()) return bad(where + "must be a glob (a string)");
          const std::string glob(docs[i].get_string());
          if (Status s = CheckGlob(glob); !s.ok()) return bad(where + s.message());
          def.docs.push_back(glob);
        }
      } else if (key == "rules") {
        if (!m.value().is_array()) return bad("'rules' must be an array of {\"path\", \"action\"}");
        const json::array& rules = m.value().get_array();
        for (std::size_t i = 0; i < rules.size(); ++i) {
          const std::string where = "rules[" + std::to_string(i) + "]";
          if (!rules[i].is_object()) {
            return bad(where + ": must be an object {\"path\", \"action\"}");
          }
          const json::object& rule = rules[i].get_object();
          for (const auto& r : rule) {
            if (r.key() != "path" && r.key() != "action") {
              return bad(where + ": unknown member " + Quote(r.key()) + " (path, action)");
            }
          }
          const json::value* path = rule.if_contains("path");
          const json::value* action = rule.if_contains("action");
          if (path == nullptr || !path->is_string()) {
            return bad(where + ".path: must be a pattern (a string such as \"/db/**\")");
          }
          if (action == nullptr || !action->is_string()) {
            return bad(where + ".action: must be \"show\", \"hide\" or \"mask\"");
          }
          Result<std::vector<std::string>> tokens = PatternTokens(path->get_string());
          if (!tokens.ok()) return bad(where + ".path: " + tokens.status().message());
          Result<ViewAction> parsed = ParseAction(action->get_string());
          if (!parsed.ok()) return bad(where + ".action: " + parsed.status().message());
          def.rules.push_back(ViewRule{std::string(path->get_string()), *parsed, name});
        }
      } else {
        return bad("unknown member " + Quote(key) + " (extends, docs, rules)");
      }
    }
    defs.emplace(name, std::move(def));
  }
  // Every parent defined (all of them first: a chain is followed below),
  // and no chain comes back on itself.
  for (const auto& [name, def] : defs) {
    if (def.extends && defs.find(*def.extends) == defs.end()) {
      return Status::InvalidArgument("perspective " + Quote(name) + ": extends " +
                                     Quote(*def.extends) + ", which is not defined");
    }
  }
  for (const auto& [name, def] : defs) {
    std::vector<std::string> chain{name};
    std::set<std::string> seen{name};
    const Definition* at = &def;
    while (at->extends) {
      const std::string& parent = *at->extends;
      chain.push_back(parent);
      if (!seen.insert(parent).second) {
        std::string cycle;
        for (const std::string& c : chain) cycle += (cycle.empty() ? "" : " -> ") + c;
        return Status::InvalidArgument("perspective " + Quote(name) + ": extends in a cycle (" +
                                       cycle + ")");
      }
      at = &defs.at(parent);
    }
  }
  return defs;
}

std::string Sha1Hex(const std::string& bytes) {
  git_oid oid;
  git_odb_hash(&oid, bytes.data(), bytes.size(), GIT_OBJECT_BLOB);
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_fmt(hex, &oid);
  hex[GIT_OID_HEXSZ] = '\0';
  return hex;
}

bool IsLeaf(const json::value& v) {
  if (v.is_object()) return v.get_object().empty();
  if (v.is_array()) return v.get_array().empty();
  return true;
}

std::size_t ChildCount(const json::value& v) {
  if (v.is_object()) return v.get_object().size();
  if (v.is_array()) return v.get_array().size();
  return 0;
}

bool IsMaskString(const json::value& v) { return v.is_string() && v.get_string() == kMaskedValue; }

}  // namespace

struct CompiledPerspective {
  struct Glob {
    bool exclude = false;
    std::vector<Token> segments;
  };
  struct Rule {
    std::vector<Token> tokens;  // trailing "**" dropped, runs of "**" made one
    ViewAction action = ViewAction::kShow;
    std::size_t offset = 0;  // of its bit set, in words
    std::size_t words = 0;   // bits for positions 0..tokens.size()
  };
  std::vector<Glob> globs;
  std::vector<Rule> rules;
  std::size_t words = 0;  // per level, all rules
  // Some pattern names an array index ("/l/0"): what it decides moves with
  // the elements, so a write may move a hidden element out of hiding.
  bool index_rules = false;
};

namespace {

using Compiled = CompiledPerspective;

bool GlobMatches(const std::vector<Token>& glob, const std::vector<std::string_view>& id) {
  // can[j]: the first j glob segments match the id segments read so far.
  std::vector<char> can(glob.size() + 1, 0), next(glob.size() + 1, 0);
  auto close = [&](std::vector<char>& set) {
    for (std::size_t j = 0; j < glob.size(); ++j) {
      if (set[j] && glob[j].kind == TokenKind::kGlobstar) set[j + 1] = 1;
    }
  };
  can[0] = 1;
  close(can);
  for (std::string_view seg : id) {
    std::fill(next.begin(), next.end(), 0);
    const bool dot = !seg.empty() && seg.front() == '.';
    bool any = false;
    for (std::size_t j = 0; j < glob.size(); ++j) {
      if (!can[j]) continue;
      const Token& t = glob[j];
      if (t.kind == TokenKind::kLiteral) {
        if (t.text == seg) next[j + 1] = 1, any = true;
      } else if (!dot) {
        if (t.kind == TokenKind::kGlobstar) {
          next[j] = 1;
        } else {
          next[j + 1] = 1;
        }
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    can.swap(next);
  }
  return can[glob.size()] != 0;
}

// The rule states of a walk, one row of `words` per level.
class Engine {
 public:
  explicit Engine(const Compiled& c) : c_(c) {}

  ViewAction Action(std::size_t level) const {
    if (c_.rules.empty()) return ViewAction::kShow;
    int d = decided_[level];
    return d < 0 ? ViewAction::kHide : c_.rules[static_cast<std::size_t>(d)].action;
  }

  // No rule that may still match below can change the action.
  bool Uniform(std::size_t level) const {
    if (c_.rules.empty()) return true;
    const ViewAction now = Action(level);
    const std::uint64_t* row = Row(level);
    for (const Compiled::Rule& r : c_.rules) {
      if (r.action == now) continue;
      for (std::size_t w = 0; w < r.words; ++w) {
        if (row[r.offset + w] != 0) return false;
      }
    }
    return true;
  }

  // The state of the document's root, at `level`.
  void Root(std::size_t level) {
    Ensure(level);
    std::uint64_t* row = Row(level);
    std::fill(row, row + c_.words, 0);
    int decided = -1;
    for (std::size_t i = 0; i < c_.rules.size(); ++i) {
      const Compiled::Rule& r = c_.rules[i];
      Set(row, r, 0);
      Close(row, r);
      if (Has(row, r, r.tokens.size())) decided = static_cast<int>(i);
    }
    Finish(level, decided);
  }

  // The state at level + 1: the child `token` of the value at `level`.
  void Step(std::size_t level, std::string_view token) {
    Ensure(level + 1);
    const std::uint64_t* in = Row(level);
    std::uint64_t* out = Row(level + 1);
    std::fill(out, out + c_.words, 0);
    int decided = decided_[level];
    for (std::size_t i = 0; i < c_.rules.size(); ++i) {
      const Compiled::Rule& r = c_.rules[i];
      bool live = false;
      for (std::size_t w = 0; w < r.words && !live; ++w) live = in[r.offset + w] != 0;
      if (!live) continue;
      const std::size_t k = r.tokens.size();
      for (std::size_t j = 0; j < k; ++j) {
        if (!Has(in, r, j)) continue;
        const Token& t = r.tokens[j];
        if (t.kind == TokenKind::kGlobstar) {
          Set(out, r, j);
        } else if (t.kind == TokenKind::kStar || t.text == token) {
          Set(out, r, j + 1);
        }
      }
      Close(out, r);
      if (Has(out, r, k)) decided = std::max(decided, static_cast<int>(i));
    }
    Finish(level + 1, decided);
  }

  // The state of `pointer` at level 0.
  void At(const JsonPointer& pointer) {
    Root(0);
    for (const std::string& t : pointer.tokens()) {
      Step(0, t);
      Copy(1, 0);
    }
  }

 private:
  void Ensure(std::size_t level) {
    if (decided_.size() <= level) {
      decided_.resize(level + 1, -1);
      bits_.resize((level + 1) * c_.words, 0);
    }
  }
  std::uint64_t* Row(std::size_t level) { return bits_.data() + level * c_.words; }
  const std::uint64_t* Row(std::size_t level) const { return bits_.data() + level * c_.words; }
  static bool Has(const std::uint64_t* row, const Compiled::Rule& r, std::size_t j) {
    return (row[r.offset + j / 64] >> (j % 64)) & 1;
  }
  static void Set(std::uint64_t* row, const Compiled::Rule& r, std::size_t j) {
    row[r.offset + j / 64] |= std::uint64_t{1} << (j % 64);
  }
  static void Close(std::uint64_t* row, const Compiled::Rule& r) {
    for (std::size_t j = 0; j < r.tokens.size(); ++j) {
      if (r.tokens[j].kind == TokenKind::kGlobstar && Has(row, r, j)) Set(row, r, j + 1);
    }
  }
  // Rules at or below `decided` cannot change anything below: clear them.
  void Finish(std::size_t level, int decided) {
    decided_[level] = decided;
    std::uint64_t* row = Row(level);
    for (int i = 0; i <= decided; ++i) {
      const Compiled::Rule& r = c_.rules[static_cast<std::size_t>(i)];
      std::fill(row + r.offset, row + r.offset + r.words, 0);
    }
  }
  void Copy(std::size_t from, std::size_t to) {
    std::copy(Row(from), Row(from) + c_.words, Row(to));
    decided_[to] = decided_[from];
  }

  const Compiled& c_;
  std::vector<std::uint64_t> bits_;
  std::vector<int> decided_;
};

// The token of child `i` of container `v`, and the child.
std::pair<std::string, const json::value*> ChildAt(const json::value& v, std::size_t i) {
  if (v.is_object()) {
    const auto& kv = *(v.get_object().begin() + static_cast<std::ptrdiff_t>(i));
    return {std::string(kv.key()), &kv.value()};
  }
  return {std::to_string(i), &v.get_array()[i]};
}

void Attach(json::value& container, std::string_view key, json::value child) {
  if (container.is_object()) {
    container.get_object()[key] = std::move(child);
  } else {
    container.get_array().push_back(std::move(child));
  }
}

json::value EmptyLike(const json::value& v) {
  return v.is_object() ? json::value(json::object()) : json::value(json::array());
}

// The view of `value`, whose state is at `level`.
std::optional<json::value> ViewFrom(Engine& e, const json::value& value, std::size_t level) {
  // Settles a value whole, or says it must be looked into.
  auto settle = [&](const json::value& v, std::size_t at,
                    bool& descend) -> std::optional<json::value> {
    descend = false;
    const ViewAction a = e.Action(at);
    if (!IsLeaf(v) && !e.Uniform(at)) {
      descend = true;
      return std::nullopt;
    }
    if (a == ViewAction::kHide) return std::nullopt;
    if (a == ViewAction::kMask) return json::value(kMaskedValue);
    return v;
  };
  bool descend = false;
  std::optional<json::value> whole = settle(value, level, descend);
  if (!descend) return whole;
  struct Frame {
    const json::value* src;
    json::value out;
    std::size_t next = 0;
    std::string key;
  };
  std::vector<Frame> stack;
  stack.push_back(Frame{&value, EmptyLike(value), 0, ""});
  while (true) {
    Frame& f = stack.back();
    const std::size_t at = level + stack.size() - 1;
    if (f.next < ChildCount(*f.src)) {
      auto [token, child] = ChildAt(*f.src, f.next++);
      e.Step(at, token);
      std::optional<json::value> v = settle(*child, at + 1, descend);
      if (v) Attach(f.out, token, std::move(*v));
      if (descend) stack.push_back(Frame{child, EmptyLike(*child), 0, std::move(token)});
      continue;
    }
    json::value out = std::move(f.out);
    std::string key = std::move(f.key);
    stack.pop_back();
    const bool present = ChildCount(out) > 0;
    if (stack.empty()) return present ? std::optional<json::value>(std::move(out)) : std::nullopt;
    if (present) Attach(stack.back().out, key, std::move(out));
  }
}

// Walks `value` (state at `level`) in document order, calling `report` with
// the tokens below `value` and the action of each leaf and of each value a
// uniform hide or mask decides whole. `report` returns false to stop.
template <typename Report>
void Walk(Engine& e, const json::value& value, std::size_t level, const Report& report) {
  std::vector<std::string> path;
  auto settled = [&](const json::value& v, std::size_t at) {
    if (IsLeaf(v)) return true;
    return e.Action(at) != ViewAction::kShow && e.Uniform(at);
  };
  if (settled(value, level)) {
    report(path, e.Action(level));
    return;
  }
  struct Frame {
    const json::value* src;
    std::size_t next = 0;
  };
  std::vector<Frame> stack{Frame{&value, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    const std::size_t at = level + stack.size() - 1;
    if (f.next >= ChildCount(*f.src)) {
      stack.pop_back();
      if (!path.empty()) path.pop_back();
      continue;
    }
    auto [token, child] = ChildAt(*f.src, f.next++);
    e.Step(at, token);
    path.push_back(std::move(token));
    if (settled(*child, at + 1)) {
      if (!report(path, e.Action(at + 1))) return;
      path.pop_back();
    } else {
      stack.push_back(Frame{child, 0});
    }
  }
}

}  // namespace

std::string_view ViewActionName(ViewAction a) {
  switch (a) {
    case ViewAction::kShow:
      return "show";
    case ViewAction::kHide:
      return "hide";
    case ViewAction::kMask:
      return "mask";
  }
  return "show";
}

Status ValidatePerspectives(const json::value& doc) try {
  return ParseDefinitions(doc).status();
} catch (...) {
  return CaughtStatus("ValidatePerspectives");
}

std::vector<std::string> PerspectiveNames(const json::value& doc) {
  std::vector<std::string> names;
  if (!doc.is_object()) return names;
  const json::value* all = doc.get_object().if_contains("perspectives");
  if (all == nullptr || !all->is_object()) return names;
  for (const auto& kv : all->get_object()) names.emplace_back(kv.key());
  std::sort(names.begin(), names.end());
  return names;
}

Result<Perspective> Perspective::Resolve(const json::value* doc, const std::string& name) try {
  if (doc == nullptr) {
    return Status::NotFound("unknown perspective " + Quote(name) +
                            " (none is defined: there is no .perspectives document)");
  }
  STRATA_ASSIGN_OR_RETURN(auto defs, ParseDefinitions(*doc));
  auto it = defs.find(name);
  if (it == defs.end()) {
    std::string known;
    for (const auto& [n, d] : defs) known += (known.empty() ? "" : ", ") + n;
    return Status::NotFound(
        "unknown perspective " + Quote(name) +
        (known.empty() ? std::string(" (none is defined)") : " (defined: " + known + ")"));
  }
  Perspective p;
  p.name_ = name;
  // chain_: name, then each parent.
  p.chain_.assign(1, name);
  for (const Definition* d = &it->second; d->extends; d = &defs.at(*d->extends)) {
    p.chain_.push_back(*d->extends);
  }
  for (auto c = p.chain_.rbegin(); c != p.chain_.rend(); ++c) {
    const Definition& d = defs.at(*c);
    p.docs_.insert(p.docs_.end(), d.docs.begin(), d.docs.end());
    p.rules_.insert(p.rules_.end(), d.rules.begin(), d.rules.end());
  }
  p.has_docs_ = !p.docs_.empty();

  auto compiled = std::make_shared<CompiledPerspective>();
  for (const std::string& glob : p.docs_) {
    Compiled::Glob g;
    std::string_view body = glob;
    if (body.front() == '!') {
      g.exclude = true;
      body.remove_prefix(1);
    }
    for (std::string_view seg : SplitSlash(body)) {
      g.segments.push_back(Token{KindOf(seg), std::string(seg)});
    }
    compiled->globs.push_back(std::move(g));
  }
  for (const ViewRule& rule : p.rules_) {
    Compiled::Rule r;
    r.action = rule.action;
    Result<std::vector<std::string>> tokens = PatternTokens(rule.path);  // checked above
    for (const std::string& t : *tokens) {
      TokenKind kind = KindOf(t);
      if (kind == TokenKind::kGlobstar && !r.tokens.empty() &&
          r.tokens.back().kind == TokenKind::kGlobstar) {
        continue;
      }
      r.tokens.push_back(Token{kind, kind == TokenKind::kLiteral ? t : std::string()});
      if (kind == TokenKind::kLiteral && ParseArrayIndex(t)) compiled->index_rules = true;
    }
    // A match of "X/**" below a pointer is a match of "X" at it or above.
    while (!r.tokens.empty() && r.tokens.back().kind == TokenKind::kGlobstar) r.tokens.pop_back();
    r.offset = compiled->words;
    r.words = r.tokens.size() / 64 + 1;
    compiled->words += r.words;
    compiled->rules.push_back(std::move(r));
  }
  p.compiled_ = std::move(compiled);

  // The id covers what decides a view: the globs and the rules, in order.
  json::array rules;
  for (const ViewRule& r : p.rules_) {
    rules.push_back(json::array{json::value(r.path), json::value(ViewActionName(r.action))});
  }
  json::value docs = nullptr;
  if (p.has_docs_) {
    json::array globs;
    for (const std::string& g : p.docs_) globs.push_back(json::value(g));
    docs = std::move(globs);
  }
  p.id_ = Sha1Hex("strata perspective 1\n" +
                  CanonicalJson(json::object{{"docs", std::move(docs)}, {"rules", rules}}));
  return p;
} catch (...) {
  return CaughtStatus("Perspective::Resolve");
}

json::value Perspective::ToJson() const {
  json::object out;
  out["name"] = name_;
  json::array extends;
  for (std::size_t i = 1; i < chain_.size(); ++i) extends.push_back(json::value(chain_[i]));
  out["extends"] = std::move(extends);
  if (has_docs_) {
    json::array docs;
    for (const std::string& g : docs_) docs.push_back(json::value(g));
    out["docs"] = std::move(docs);
  }
  json::array rules;
  for (const ViewRule& r : rules_) {
    rules.push_back(
        json::object{{"path", r.path}, {"action", ViewActionName(r.action)}, {"from", r.from}});
  }
  out["rules"] = std::move(rules);
  return out;
}

bool Perspective::DocVisible(std::string_view id) const {
  if (!compiled_ || compiled_->globs.empty()) return true;
  const std::vector<std::string_view> segments = SplitSlash(id);
  for (auto g = compiled_->globs.rbegin(); g != compiled_->globs.rend(); ++g) {
    if (GlobMatches(g->segments, segments)) return !g->exclude;
  }
  return false;
}

ViewAction Perspective::Decide(const JsonPointer& pointer) const {
  if (!compiled_ || compiled_->rules.empty()) return ViewAction::kShow;
  Engine e(*compiled_);
  e.At(pointer);
  return e.Action(0);
}

std::optional<ViewAction> Perspective::Uniform(const JsonPointer& pointer) const {
  if (!compiled_ || compiled_->rules.empty()) return ViewAction::kShow;
  Engine e(*compiled_);
  e.At(pointer);
  if (!e.Uniform(0)) return std::nullopt;
  return e.Action(0);
}

std::optional<json::value> Perspective::View(const json::value& value,
                                             const JsonPointer& at) const {
  if (!compiled_ || compiled_->rules.empty()) return value;
  Engine e(*compiled_);
  e.At(at);
  return ViewFrom(e, value, 0);
}

std::vector<std::pair<JsonPointer, ViewAction>> Perspective::Check(const json::value& doc) const {
  std::vector<std::pair<JsonPointer, ViewAction>> out;
  static const CompiledPerspective kNoRules;
  Engine e(compiled_ ? *compiled_ : kNoRules);
  e.Root(0);
  Walk(e, doc, 0, [&](const std::vector<std::string>& path, ViewAction a) {
    out.emplace_back(JsonPointer(path), a);
    return true;
  });
  return out;
}

// --- writes through a perspective ------------------------------------------------

namespace {

// Reapply's walk: merges a stored value `s` and the reader's edit of its
// view `e` (either may be absent) into the value to store.
class Reapplier {
 public:
  Reapplier(const Compiled& c, const std::string& name) : e_(c), name_(name) {}

  Result<std::optional<json::value>> Run(const json::value* s, const json::value* e) {
    e_.Root(0);
    Outcome first = Handle(s, e, 0, "");
    if (first.kind == Outcome::kError) return first.error;
    if (first.kind == Outcome::kAbsent) return std::optional<json::value>();
    if (first.kind == Outcome::kValue) return std::optional<json::value>(std::move(first.value));
    stack_.push_back(std::move(first.frame));
    while (true) {
      Frame& f = stack_.back();
      const std::size_t at = stack_.size() - 1;
      if (f.next < f.items.size()) {
        Item item = std::move(f.items[f.next++]);
        if (item.verbatim) {
          Attach(f.out, item.token, *item.s);
          continue;
        }
        if (item.insert) item.token = std::to_string(ChildCount(f.out));
        e_.Step(at, item.token);
        Outcome o = Handle(item.s, item.e, at + 1, item.token);
        if (o.kind == Outcome::kError) return o.error;
        if (o.kind == Outcome::kValue) Attach(f.out, item.token, std::move(o.value));
        if (o.kind == Outcome::kFrame) stack_.push_back(std::move(o.frame));
        continue;
      }
      Frame done = std::move(f);
      stack_.pop_back();
      const bool present = !(done.drop_if_empty && ChildCount(done.out) == 0);
      if (stack_.empty()) {
        return present ? std::optional<json::value>(std::move(done.out)) : std::nullopt;
      }
      if (present) Attach(stack_.back().out, done.token, std::move(done.out));
    }
  }

 private:
  struct Item {
    std::string token;
    const json::value* s = nullptr;
    const json::value* e = nullptr;
    bool verbatim = false;  // keep s as it is
    bool insert = false;    // a new array element: its token is its place in the result
  };
  struct Frame {
    std::string token;  // in the parent
    json::value out;
    std::vector<Item> items;
    std::size_t next = 0;
    bool drop_if_empty = false;
  };
  struct Outcome {
    enum Kind { kAbsent, kValue, kFrame, kError } kind = kAbsent;
    json::value value;
    Frame frame;
    Status error;
  };

  static Outcome Absent() { return Outcome{}; }
  static Outcome Value(json::value v) {
    Outcome o;
    o.kind = Outcome::kValue;
    o.value = std::move(v);
    return o;
  }
  Outcome Hidden(const std::string& token, const std::vector<std::string>& below = {}) {
    std::vector<std::string> tokens;
    for (std::size_t i = 1; i < stack_.size(); ++i) tokens.push_back(stack_[i].token);
    if (!stack_.empty()) tokens.push_back(token);  // else: the document itself
    tokens.insert(tokens.end(), below.begin(), below.end());
    const std::string where = JsonPointer(tokens).ToString();
    Outcome o;
    o.kind = Outcome::kError;
    o.error = Status::InvalidArgument("perspective " + Quote(name_) + " hides the value at " +
                                      (where.empty() ? "'' (the whole document)" : Quote(where)) +
                                      ": a write through it cannot create or change it");
    return o;
  }
  static Outcome Descend(const std::string& token, json::value out, std::vector<Item> items,
                         bool drop_if_empty) {
    Outcome o;
    o.kind = Outcome::kFrame;
    o.frame.token = token;
    o.frame.out = std::move(out);
    o.frame.items = std::move(items);
    o.frame.drop_if_empty = drop_if_empty;
    return o;
  }

  // Items pairing the members of objects `s` and `e` (either may be null).
  static std::vector<Item> ObjectItems(const json::value* s, const json::value* e) {
    std::vector<Item> items;
    if (s != nullptr) {
      for (const auto& kv : s->get_object()) {
        const json::value* edited = e != nullptr ? e->get_object().if_contains(kv.key()) : nullptr;
        items.push_back(Item{std::string(kv.key()), &kv.value(), edited});
      }
    }
    if (e != nullptr) {
      for (const auto& kv : e->get_object()) {
        if (s != nullptr && s->get_object().contains(kv.key())) continue;
        items.push_back(Item{std::string(kv.key()), nullptr, &kv.value()});
      }
    }
    return items;
  }

  // Items pairing stored array `s` (its state at `level`) with the edit `e`
  // of its view. Hidden elements keep their places after the visible
  // element they followed; the rest pair up in order, after trimming the
  // elements whose views the edit left as they were at both ends.
  std::vector<Item> ArrayItems(const json::array& s, const json::array& e, std::size_t level) {
    std::vector<std::size_t> visible;
    std::vector<char> shown(s.size(), 0);
    for (std::size_t k = 0; k < s.size(); ++k) {
      e_.Step(level, std::to_string(k));
      if (Appears(s[k], level + 1)) {
        visible.push_back(k);
        shown[k] = 1;
      }
    }
    const std::size_t n = visible.size(), m = e.size();
    // kept[g]: visible element g kept as it was (its view is unchanged).
    std::vector<char> kept(n, 0);
    std::size_t prefix = 0, suffix = 0;
    if (n != m) {
      auto same = [&](std::size_t g, std::size_t j) {
        e_.Step(level, std::to_string(visible[g]));
        std::optional<json::value> v = ViewFrom(e_, s[visible[g]], level + 1);
        return v && Equal(*v, e[j]);
      };
      while (prefix < std::min(n, m) && same(prefix, prefix)) kept[prefix++] = 1;
      while (suffix < std::min(n, m) - prefix && same(n - 1 - suffix, m - 1 - suffix)) {
        kept[n - 1 - suffix] = 1;
        ++suffix;
      }
    }
    // Edited element paired with visible element g, or none.
    std::vector<std::optional<std::size_t>> pair(n);
    for (std::size_t g = 0; g < prefix; ++g) pair[g] = g;
    for (std::size_t i = 0; i < suffix; ++i) pair[n - 1 - i] = m - 1 - i;
    const std::size_t mid_n = n - prefix - suffix, mid_m = m - prefix - suffix;
    for (std::size_t i = 0; i < std::min(mid_n, mid_m); ++i) pair[prefix + i] = prefix + i;
    std::vector<Item> items;
    std::size_t k = 0;
    auto hidden_until = [&](std::size_t end) {
      for (; k < end; ++k) {
        if (!shown[k]) items.push_back(Item{std::to_string(k), &s[k], nullptr, true});
      }
    };
    auto inserts = [&](std::size_t from, std::size_t to) {
      for (std::size_t j = from; j < to; ++j)
        items.push_back(Item{"", nullptr, &e[j], false, true});
    };
    for (std::size_t g = 0; g < n; ++g) {
      hidden_until(visible[g]);
      // New elements of the middle go after the last paired one (and the
      // hidden elements that followed it).
      if (mid_m > mid_n && g == prefix + mid_n) inserts(prefix + mid_n, prefix + mid_m);
      const std::size_t at = visible[g];
      if (kept[g]) {
        items.push_back(Item{std::to_string(at), &s[at], nullptr, true});
      } else {
        items.push_back(Item{std::to_string(at), &s[at], pair[g] ? &e[*pair[g]] : nullptr});
      }
      k = at + 1;
    }
    hidden_until(s.size());
    // New elements with no visible element after them go last.
    if (mid_m > mid_n && suffix == 0) inserts(prefix + mid_n, prefix + mid_m);
    return items;
  }

  // Whether anything of stored value `v` (state at `level`) appears in a
  // view. A stored value has one pointer, so the answer is kept by address:
  // nested arrays ask about each level once, not once per array above it.
  bool Appears(const json::value& v, std::size_t level) {
    auto settled = [&](const json::value& x, std::size_t at) -> std::optional<bool> {
      if (!IsLeaf(x) && !e_.Uniform(at)) {
        auto known = appears_.find(&x);
        if (known == appears_.end()) return std::nullopt;
        return known->second;
      }
      return e_.Action(at) != ViewAction::kHide;
    };
    if (std::optional<bool> s = settled(v, level)) return *s;
    struct Frame {
      const json::value* src;
      std::size_t next = 0;
      bool any = false;
    };
    std::vector<Frame> stack{Frame{&v}};
    while (true) {
      Frame& f = stack.back();
      const std::size_t at = level + stack.size() - 1;
      if (f.next < ChildCount(*f.src)) {
        auto [token, child] = ChildAt(*f.src, f.next++);
        e_.Step(at, token);
        if (std::optional<bool> s = settled(*child, at + 1)) {
          f.any = f.any || *s;
        } else {
          stack.push_back(Frame{child});
        }
        continue;
      }
      const bool any = f.any;
      appears_[f.src] = any;
      stack.pop_back();
      if (stack.empty()) return any;
      stack.back().any = stack.back().any || any;
    }
  }

  Outcome Create(const json::value& e, std::size_t level, const std::string& token) {
    if (IsLeaf(e) || e_.Uniform(level)) {
      if (e_.Action(level) == ViewAction::kHide) {
        if (IsLeaf(e)) return Hidden(token);
        // A uniform hide: name the first value made there.
        return Hidden(token, FirstLeaf(e));
      }
      return Value(e);
    }
    std::vector<Item> items;
    if (e.is_object()) {
      items = ObjectItems(nullptr, &e);
    } else {
      const json::array& a = e.get_array();
      for (std::size_t j = 0; j < a.size(); ++j)
        items.push_back(Item{"", nullptr, &a[j], false, true});
    }
    return Descend(token, EmptyLike(e), std::move(items), false);
  }

  static std::vector<std::string> FirstLeaf(const json::value& v) {
    std::vector<std::string> path;
    const json::value* at = &v;
    while (!IsLeaf(*at)) {
      auto [token, child] = ChildAt(*at, 0);
      path.push_back(std::move(token));
      at = child;
    }
    return path;
  }

  // The tokens of the first hidden value inside `s` (state at `level`).
  std::optional<std::vector<std::string>> FirstHidden(const json::value& s, std::size_t level) {
    std::optional<std::vector<std::string>> found;
    Walk(e_, s, level, [&](const std::vector<std::string>& path, ViewAction a) {
      if (a != ViewAction::kHide) return true;
      found = path;
      return false;
    });
    return found;
  }

  Outcome Handle(const json::value* s, const json::value* e, std::size_t level,
                 const std::string& token) {
    if (s == nullptr && e == nullptr) return Absent();
    const ViewAction a = e_.Action(level);
    const bool leaf_s = s == nullptr || IsLeaf(*s);
    const bool leaf_e = e == nullptr || IsLeaf(*e);
    if ((leaf_s && leaf_e) || e_.Uniform(level)) {
      switch (a) {
        case ViewAction::kShow:
          return e != nullptr ? Value(*e) : Absent();
        case ViewAction::kHide:
          if (e == nullptr) return Value(*s);
          // A new value: name the first thing it would create.
          return s == nullptr ? Hidden(token, FirstLeaf(*e)) : Hidden(token);
        case ViewAction::kMask:
          if (e == nullptr) return Absent();
          if (s != nullptr && IsMaskString(*e)) return Value(*s);
          return Value(*e);
      }
    }
    if (e == nullptr) {  // removed: what it hides stays
      if (leaf_s) return a == ViewAction::kHide ? Value(*s) : Absent();
      std::vector<Item> items;
      if (s->is_object()) {
        items = ObjectItems(s, nullptr);
      } else {
        const json::array& arr = s->get_array();
        for (std::size_t k = 0; k < arr.size(); ++k) {
          items.push_back(Item{std::to_string(k), &arr[k], nullptr});
        }
      }
      return Descend(token, EmptyLike(*s), std::move(items), true);
    }
    if (s == nullptr) return Create(*e, level, token);
    if (s->is_object() && e->is_object()) {
      return Descend(token, json::object(), ObjectItems(s, e), a == ViewAction::kHide && !leaf_s);
    }
    if (s->is_array() && e->is_array()) {
      return Descend(token, json::array(), ArrayItems(s->get_array(), e->get_array(), level),
                     a == ViewAction::kHide && !leaf_s);
    }
    // `e` replaces `s` whole: allowed when `s` holds nothing hidden.
    if (leaf_s) {
      if (a == ViewAction::kHide) return Hidden(token);
      if (a == ViewAction::kMask && IsMaskString(*e)) return Value(*s);
    } else if (std::optional<std::vector<std::string>> h = FirstHidden(*s, level)) {
      return Hidden(token, *h);
    }
    return Create(*e, level, token);
  }

  Engine e_;
  const std::string& name_;
  std::vector<Frame> stack_;
  std::unordered_map<const json::value*, bool> appears_;
};

}  // namespace

Result<std::optional<json::value>> Perspective::Reapply(
    const std::optional<json::value>& stored, const std::optional<json::value>& edited) const try {
  if (!compiled_ || compiled_->rules.empty()) return edited;
  Reapplier r(*compiled_, name_);
  Result<std::optional<json::value>> out =
      r.Run(stored ? &*stored : nullptr, edited ? &*edited : nullptr);
  // Hidden values keep their pointers, except array elements that move;
  // only rules that name an index can tell the new place from the old.
  if (out.ok() && compiled_->index_rules && !HiddenEqual(stored, *out)) {
    return Status::InvalidArgument(
        "perspective " + Quote(name_) +
        " decides array elements by their index, and this write would move a hidden element "
        "out of its place: add or remove elements only after the hidden ones");
  }
  return out;
} catch (...) {
  return CaughtStatus("Perspective::Reapply");
}

bool Perspective::HiddenEqual(const std::optional<json::value>& a,
                              const std::optional<json::value>& b) const {
  if (!compiled_ || compiled_->rules.empty()) return true;
  Reapplier ra(*compiled_, name_), rb(*compiled_, name_);
  Result<std::optional<json::value>> ha = ra.Run(a ? &*a : nullptr, nullptr);
  Result<std::optional<json::value>> hb = rb.Run(b ? &*b : nullptr, nullptr);
  if (!ha.ok() || !hb.ok()) return false;  // a removal is never refused
  if (!ha->has_value() || !hb->has_value()) return ha->has_value() == hb->has_value();
  return Equal(**ha, **hb);
}

}  // namespace strata
