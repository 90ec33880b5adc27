#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "objects/guard.h"
#include "strata/merge.h"

namespace strata {
namespace {

// Boost.JSON's copy constructor recurses on depth; this copy does not. Each
// container is filled completely before any child is visited, and its
// capacity is reserved first, so the child slots queued in `pending` never
// move.
json::value DeepCopy(const json::value& source) {
  json::value out;
  std::vector<std::pair<const json::value*, json::value*>> pending{{&source, &out}};
  while (!pending.empty()) {
    auto [from, to] = pending.back();
    pending.pop_back();
    if (from->is_object()) {
      const json::object& src = from->get_object();
      json::object& dst = to->emplace_object();
      dst.reserve(src.size());
      for (const auto& kv : src) {
        json::value& slot = dst.emplace(kv.key(), nullptr).first->value();
        if (kv.value().is_structured()) {
          pending.emplace_back(&kv.value(), &slot);
        } else {
          slot = kv.value();
        }
      }
    } else if (from->is_array()) {
      const json::array& src = from->get_array();
      json::array& dst = to->emplace_array();
      dst.reserve(src.size());
      for (const auto& element : src) {
        json::value& slot = dst.emplace_back(nullptr);
        if (element.is_structured()) {
          pending.emplace_back(&element, &slot);
        } else {
          slot = element;
        }
      }
    } else {
      *to = *from;  // scalars and strings: no nesting
    }
  }
  return out;
}

std::optional<json::value> CopyOf(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  return DeepCopy(*v);
}

// Absent equals only absent.
bool Same(const json::value* a, const json::value* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return Equal(*a, *b);
}

const char* TypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "an object";
    case json::kind::array:
      return "an array";
    case json::kind::string:
      return "a string";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::null:
      return "null";
    default:
      return "a number";
  }
}

// <0, 0, >0 as a is less than, equal to or greater than b (both numbers).
// Integers compare exactly; a double on either side compares as doubles.
int CompareNumbers(const json::value& a, const json::value& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.is_double() || b.is_double()) return sign(a.to_number<double>(), b.to_number<double>());
  if (a.is_int64() && b.is_int64()) return sign(a.get_int64(), b.get_int64());
  if (a.is_uint64() && b.is_uint64()) return sign(a.get_uint64(), b.get_uint64());
  if (a.is_int64()) {  // b is a uint64 (above INT64_MAX, or parsed as unsigned)
    return a.get_int64() < 0 ? -1 : sign(static_cast<std::uint64_t>(a.get_int64()), b.get_uint64());
  }
  return b.get_int64() < 0 ? 1 : sign(a.get_uint64(), static_cast<std::uint64_t>(b.get_int64()));
}

// An array's elements by canonical JSON, for union's membership tests.
std::unordered_set<std::string> ElementSet(const json::array& a) {
  std::unordered_set<std::string> out;
  for (const json::value& e : a) out.insert(CanonicalJson(e));
  return out;
}

// "" if `v` is an array of scalars, else why not.
std::string UnionProblem(const json::value& v, const char* side) {
  if (!v.is_array()) return std::string("union: ") + side + " is " + TypeName(v) + ", not an array";
  const json::array& a = v.get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_structured()) {
      return std::string("union: element ") + std::to_string(i) + " of " + side + " is " +
             TypeName(a[i]) + "; union merges arrays of scalars only";
    }
  }
  return "";
}

// Union of arrays of scalars (docs/merge.md): ours' elements in order, minus
// those theirs removed (in base, not in theirs), then theirs' elements not
// yet present, minus those ours removed (in base, not in ours).
json::value UnionOf(const json::array* base, const json::array& ours, const json::array& theirs) {
  std::unordered_set<std::string> in_base;
  if (base != nullptr) in_base = ElementSet(*base);
  const std::unordered_set<std::string> in_ours = ElementSet(ours), in_theirs = ElementSet(theirs);
  json::array out;
  std::unordered_set<std::string> seen;
  for (const json::value& e : ours) {
    std::string k = CanonicalJson(e);
    if (in_base.count(k) != 0 && in_theirs.count(k) == 0) continue;  // theirs removed it
    out.push_back(e);
    seen.insert(std::move(k));
  }
  for (const json::value& e : theirs) {
    std::string k = CanonicalJson(e);
    if (seen.count(k) != 0) continue;
    if (in_base.count(k) != 0 && in_ours.count(k) == 0) continue;  // ours removed it
    out.push_back(e);
    seen.insert(std::move(k));
  }
  return out;
}

// An array of objects indexed by the canonical JSON of their `key` member.
struct Keyed {
  std::vector<std::pair<std::string, const json::value*>> elements;  // in array order
  std::unordered_map<std::string, const json::value*> by_key;
};

// Indexes `v` for by-key; sets `problem` (and returns nullopt) if `v` is
// not an array of objects that each hold a distinct `key`.
std::optional<Keyed> IndexByKey(const json::value& v, const std::string& key, const char* side,
                                std::string& problem) {
  if (!v.is_array()) {
    problem = std::string("by-key: ") + side + " is " + TypeName(v) + ", not an array";
    return std::nullopt;
  }
  Keyed out;
  const json::array& a = v.get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const json::value* id = a[i].is_object() ? a[i].get_object().if_contains(key) : nullptr;
    if (id == nullptr) {
      problem = "by-key: element " + std::to_string(i) + " of " + side + " is " +
                (a[i].is_object() ? std::string("an object without '") + key + "'"
                                  : std::string(TypeName(a[i])) + ", not an object");
      return std::nullopt;
    }
    std::string k = CanonicalJson(*id);
    if (!out.by_key.emplace(k, &a[i]).second) {
      problem = "by-key: " + std::string(side) + " holds two elements with '" + key + "' " + k;
      return std::nullopt;
    }
    out.elements.emplace_back(std::move(k), &a[i]);
  }
  return out;
}

// Where Decide puts the value a position merges to: stores it and returns
// where it now lives. A non-owning reference to a callable (a template
// parameter would instantiate Decide anew for each nested by-key lambda).
class Place {
 public:
  template <typename F>
  Place(F&& f)  // NOLINT: implicit, like std::function_ref
      : object_(static_cast<void*>(&f)), call_([](void* o, json::value v) {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::move(v));
        }) {}
  json::value* operator()(json::value v) const { return call_(object_, std::move(v)); }

 private:
  void* object_;
  json::value* (*call_)(void*, json::value);
};

// One object level being merged: the three objects and the slot (already an
// empty object) that receives the merged members. `node` names its path.
struct Frame {
  const json::object* base;  // nullptr: absent or not an object; merge as {}
  const json::object* ours;
  const json::object* theirs;
  json::value* out;
  std::size_t node;
};

// Paths are kept as a tree of (parent, key) so a frame costs O(1) however
// deep it is; a full JsonPointer is built only for a conflict. Keys point
// into the inputs, which outlive the merge, or into owned_keys_.
struct PathNode {
  std::size_t parent;
  std::string_view key;
};
constexpr std::size_t kNoParent = static_cast<std::size_t>(-1);

class Merger {
 public:
  explicit Merger(const MergeOptions& options) : options_(options) {}

  MergeResult Run(const json::value* base, const json::value* ours, const json::value* theirs) {
    MergeResult result;
    nodes_.push_back(PathNode{kNoParent, {}});
    if (Descends(ours, theirs)) {
      result.merged.emplace();
      Push(base, ours, theirs, &*result.merged, 0);
    } else {
      Decide(base, ours, theirs, 0, std::nullopt, [&](json::value v) {
        result.merged = std::move(v);
        return &*result.merged;
      });
    }
    while (!frames_.empty()) {
      Frame frame = frames_.back();
      frames_.pop_back();
      MergeObject(frame);
    }
    std::sort(conflicts_.begin(), conflicts_.end(), [](const Conflict& a, const Conflict& b) {
      return a.path.tokens() < b.path.tokens();
    });
    result.conflicts = std::move(conflicts_);
    return result;
  }

 private:
  // Objects on both sides merge member by member, whatever base holds.
  static bool Descends(const json::value* ours, const json::value* theirs) {
    return ours != nullptr && theirs != nullptr && ours->is_object() && theirs->is_object();
  }

  void Push(const json::value* base, const json::value* ours, const json::value* theirs,
            json::value* out, std::size_t node) {
    out->emplace_object();
    frames_.push_back(Frame{base != nullptr && base->is_object() ? &base->get_object() : nullptr,
                            &ours->get_object(), &theirs->get_object(), out, node});
  }

  void MergeObject(const Frame& frame) {
    // Reserve the union of the keys so that slots handed to child frames
    // never move when later members are inserted.
    std::size_t theirs_only = 0;
    for (const auto& kv : *frame.theirs) {
      if (!frame.ours->contains(kv.key())) ++theirs_only;
    }
    json::object& out = frame.out->get_object();
    out.reserve(frame.ours->size() + theirs_only);
    // Ours' member order first, then members only theirs has.
    for (const auto& kv : *frame.ours) {
      MergeMember(frame, out, kv.key(), &kv.value(), frame.theirs->if_contains(kv.key()));
    }
    for (const auto& kv : *frame.theirs) {
      if (!frame.ours->contains(kv.key())) MergeMember(frame, out, kv.key(), nullptr, &kv.value());
    }
  }

  void MergeMember(const Frame& frame, json::object& out, std::string_view key,
                   const json::value* ours, const json::value* theirs) {
    const json::value* base = frame.base != nullptr ? frame.base->if_contains(key) : nullptr;
    if (Descends(ours, theirs)) {
      json::value& slot = out.emplace(key, nullptr).first->value();
      nodes_.push_back(PathNode{frame.node, key});
      Push(base, ours, theirs, &slot, nodes_.size() - 1);
      return;
    }
    Decide(base, ours, theirs, frame.node, key,
           [&](json::value v) { return &out.emplace(key, std::move(v)).first->value(); });
  }

  // Merges a non-descending position: `node`, or its child `key` when
  // given. What it merges to is handed to `place` (which stores it and
  // returns where); nothing is placed when the result is absent. Records a
  // conflict where the sides disagree and neither a policy nor the
  // strategy decides.
  void Decide(const json::value* base, const json::value* ours, const json::value* theirs,
              std::size_t node, std::optional<std::string_view> key, Place place) {
    auto take = [&](const json::value* v) {
      if (v != nullptr) place(DeepCopy(*v));
    };
    if (Same(ours, theirs) || Same(base, theirs)) return take(ours);  // same, or only ours changed
    if (Same(base, ours)) return take(theirs);                        // only theirs changed
    JsonPointer path = PathOf(node, key);
    std::string reason;
    if (const PathPolicy* policy = PolicyAt(path)) {
      switch (policy->strategy) {
        case PolicyStrategy::kConflict:
          break;
        case PolicyStrategy::kOurs:
          return take(ours);
        case PolicyStrategy::kTheirs:
          return take(theirs);
        case PolicyStrategy::kLatest:
          return take(options_.theirs_newer ? theirs : ours);
        case PolicyStrategy::kMax:
        case PolicyStrategy::kMin: {
          const char* name = policy->strategy == PolicyStrategy::kMax ? "max" : "min";
          if (ours == nullptr || theirs == nullptr) {
            reason =
                std::string(name) + ": " + (ours == nullptr ? "ours" : "theirs") + " deleted it";
          } else if (!ours->is_number() || !theirs->is_number()) {
            reason = std::string(name) + ": " + (ours->is_number() ? "theirs" : "ours") + " is " +
                     TypeName(ours->is_number() ? *theirs : *ours) + ", not a number";
          } else {
            int cmp = CompareNumbers(*ours, *theirs);
            bool theirs_wins = policy->strategy == PolicyStrategy::kMax ? cmp < 0 : cmp > 0;
            return take(theirs_wins ? theirs : ours);
          }
          break;
        }
        case PolicyStrategy::kUnion:
          if (ours == nullptr || theirs == nullptr) {
            reason = std::string("union: ") + (ours == nullptr ? "ours" : "theirs") +
                     " deleted the array";
          } else if (reason = UnionProblem(*ours, "ours"); reason.empty()) {
            reason = UnionProblem(*theirs, "theirs");
            const json::array* b =
                base != nullptr && base->is_array() ? &base->get_array() : nullptr;
            if (reason.empty() && b != nullptr) reason = UnionProblem(*base, "base");
            if (reason.empty()) {
              place(UnionOf(b, ours->get_array(), theirs->get_array()));
              return;
            }
          }
          break;
        case PolicyStrategy::kByKey:
          if (ours == nullptr || theirs == nullptr) {
            reason = std::string("by-key: ") + (ours == nullptr ? "ours" : "theirs") +
                     " deleted the array";
          } else if (MergeByKey(base, *ours, *theirs, policy->key, node, key, place, reason)) {
            return;
          }
          break;
      }
    }
    switch (options_.strategy) {
      case MergeStrategy::kOurs:
        return take(ours);
      case MergeStrategy::kTheirs:
        return take(theirs);
      case MergeStrategy::kNormal:
        break;
    }
    Record(std::move(path), base, ours, theirs, std::move(reason));
    take(ours);
  }

  // by-key (docs/merge.md): false (with `problem` set) if an array does not
  // qualify; else places the merged array, whose elements are merged with
  // frames like any object, and returns true.
  bool MergeByKey(const json::value* base, const json::value& ours, const json::value& theirs,
                  const std::string& id, std::size_t node, std::optional<std::string_view> key,
                  Place place, std::string& problem) {
    std::optional<Keyed> o = IndexByKey(ours, id, "ours", problem);
    if (!o) return false;
    std::optional<Keyed> t = IndexByKey(theirs, id, "theirs", problem);
    if (!t) return false;
    std::optional<Keyed> b;
    if (base != nullptr && base->is_array()) {
      b = IndexByKey(*base, id, "base", problem);
      if (!b) return false;
    }
    auto find = [](const std::optional<Keyed>& k, const std::string& at) -> const json::value* {
      if (!k) return nullptr;
      auto it = k->by_key.find(at);
      return it == k->by_key.end() ? nullptr : it->second;
    };
    std::size_t array_node = node;
    if (key) {
      nodes_.push_back(PathNode{node, *key});
      array_node = nodes_.size() - 1;
    }
    json::array& out = place(json::value(json::array{}))->get_array();
    out.reserve(o->elements.size() + t->elements.size());  // slots never move
    auto merge_element = [&](const std::string& k, const json::value* element_ours,
                             const json::value* element_theirs) {
      const json::value* element_base = find(b, k);
      owned_keys_.push_back(std::to_string(out.size()));
      std::string_view index = owned_keys_.back();
      if (Descends(element_ours, element_theirs)) {
        json::value& slot = out.emplace_back(nullptr);
        nodes_.push_back(PathNode{array_node, index});
        Push(element_base, element_ours, element_theirs, &slot, nodes_.size() - 1);
        return;
      }
      const std::size_t size = out.size(), conflicts = conflicts_.size();
      Decide(element_base, element_ours, element_theirs, array_node, index,
             [&](json::value v) { return &out.emplace_back(std::move(v)); });
      // Deleted by us, edited by them: keep theirs so the pointer names it.
      if (out.size() == size && conflicts_.size() > conflicts && element_theirs != nullptr) {
        out.emplace_back(DeepCopy(*element_theirs));
      }
    };
    for (const auto& [k, element] : o->elements) merge_element(k, element, find(t, k));
    for (const auto& [k, element] : t->elements) {
      if (o->by_key.count(k) == 0) merge_element(k, nullptr, element);
    }
    return true;
  }

  void Record(JsonPointer path, const json::value* base, const json::value* ours,
              const json::value* theirs, std::string reason) {
    Conflict conflict;
    conflict.path = std::move(path);
    if (ours == nullptr) {
      conflict.kind = ConflictKind::kDeletedByUs;
      conflict.reason = "deleted in ours, changed in theirs";
    } else if (theirs == nullptr) {
      conflict.kind = ConflictKind::kDeletedByThem;
      conflict.reason = "changed in ours, deleted in theirs";
    } else if (base == nullptr) {
      conflict.kind = ConflictKind::kBothAdded;
      conflict.reason = "added differently on both sides";
    } else {
      conflict.kind = ConflictKind::kBothModified;
      conflict.reason = "changed differently on both sides";
      // A type change on one side against an edit inside on the other.
      if (base->is_structured() && ours->kind() != theirs->kind()) {
        const bool ours_kept = ours->kind() == base->kind();
        if (ours_kept || theirs->kind() == base->kind()) {
          conflict.reason = std::string(ours_kept ? "theirs" : "ours") + " replaced " +
                            TypeName(*base) + " with " + TypeName(ours_kept ? *theirs : *ours) +
                            ", " + (ours_kept ? "ours" : "theirs") + " changed it";
        }
      }
    }
    if (!reason.empty()) conflict.reason += " (" + reason + ")";
    conflict.base = CopyOf(base);
    conflict.ours = CopyOf(ours);
    conflict.theirs = CopyOf(theirs);
    conflicts_.push_back(std::move(conflict));
  }

  // The first policy matching `path` in the document merged.
  const PathPolicy* PolicyAt(const JsonPointer& path) const {
    if (options_.policies == nullptr || options_.policies->empty()) return nullptr;
    if (!options_.doc.empty()) return options_.policies->Find(options_.doc, path.tokens(), 0);
    if (path.IsRoot()) return nullptr;  // a whole state: no document
    return options_.policies->Find(path.tokens()[0], path.tokens(), 1);
  }

  JsonPointer PathOf(std::size_t node, std::optional<std::string_view> key) const {
    std::vector<std::string> tokens;
    if (key) tokens.emplace_back(*key);
    for (std::size_t n = node; nodes_[n].parent != kNoParent; n = nodes_[n].parent) {
      tokens.emplace_back(nodes_[n].key);
    }
    std::reverse(tokens.begin(), tokens.end());
    return JsonPointer(std::move(tokens));
  }

  const MergeOptions& options_;
  std::vector<PathNode> nodes_;
  std::deque<std::string> owned_keys_;  // array indices named by nodes_; never move
  std::vector<Frame> frames_;
  std::vector<Conflict> conflicts_;
};

Status ValidateOptions(const MergeOptions& options) {
  if (options.strategy != MergeStrategy::kNormal && options.strategy != MergeStrategy::kOurs &&
      options.strategy != MergeStrategy::kTheirs) {
    return Status::InvalidArgument("unknown merge strategy");
  }
  return Status::Ok();
}

}  // namespace

std::string_view MergeStrategyName(MergeStrategy strategy) {
  switch (strategy) {
    case MergeStrategy::kNormal:
      return "normal";
    case MergeStrategy::kOurs:
      return "ours";
    case MergeStrategy::kTheirs:
      return "theirs";
  }
  return "unknown";
}

Result<MergeStrategy> ParseMergeStrategy(std::string_view name) try {
  for (MergeStrategy s : {MergeStrategy::kNormal, MergeStrategy::kOurs, MergeStrategy::kTheirs}) {
    if (name == MergeStrategyName(s)) return s;
  }
  return Status::InvalidArgument("unknown merge strategy '" + std::string(name) +
                                 "' (expected normal, ours or theirs)");
} catch (...) {
  return CaughtStatus("ParseMergeStrategy");
}

std::string_view ConflictKindName(ConflictKind kind) {
  switch (kind) {
    case ConflictKind::kBothModified:
      return "both modified";
    case ConflictKind::kBothAdded:
      return "both added";
    case ConflictKind::kDeletedByUs:
      return "deleted by us";
    case ConflictKind::kDeletedByThem:
      return "deleted by them";
  }
  return "unknown";
}

Result<MergeResult> MergeValues(const json::value* base, const json::value* ours,
                                const json::value* theirs, const MergeOptions& options) try {
  STRATA_RETURN_IF_ERROR(ValidateOptions(options));
  return Merger(options).Run(base, ours, theirs);
} catch (...) {
  return CaughtStatus("MergeValues");
}

Result<MergeResult> MergeValues(const json::value& base, const json::value& ours,
                                const json::value& theirs, const MergeOptions& options) try {
  return MergeValues(&base, &ours, &theirs, options);
} catch (...) {
  return CaughtStatus("MergeValues");
}

}  // namespace strata
