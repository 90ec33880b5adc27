#include "merge/three_way.h"

#include <algorithm>
#include <cstddef>
#include <utility>

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
// into the inputs, which outlive the merge.
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
    } else if (const json::value* take = Decide(base, ours, theirs, 0, std::nullopt)) {
      result.merged = DeepCopy(*take);
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
    if (const json::value* take = Decide(base, ours, theirs, frame.node, key)) {
      out.emplace(key, DeepCopy(*take));
    }
  }

  // The value a non-descending position takes (nullptr: absent), recording
  // a conflict if the two sides disagree and the strategy there is kNormal.
  // The position is `node`, or its child `key` when given.
  const json::value* Decide(const json::value* base, const json::value* ours,
                            const json::value* theirs, std::size_t node,
                            std::optional<std::string_view> key) {
    if (Same(ours, theirs)) return ours;  // includes both deleted
    if (Same(base, theirs)) return ours;  // only ours changed it
    if (Same(base, ours)) return theirs;  // only theirs changed it
    JsonPointer path = PathOf(node, key);
    switch (StrategyAt(path)) {
      case MergeStrategy::kOurs:
        return ours;
      case MergeStrategy::kTheirs:
        return theirs;
      case MergeStrategy::kNormal:
        break;
    }
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
    }
    conflict.base = CopyOf(base);
    conflict.ours = CopyOf(ours);
    conflict.theirs = CopyOf(theirs);
    conflicts_.push_back(std::move(conflict));
    return ours;
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

  MergeStrategy StrategyAt(const JsonPointer& path) const {
    const MergePolicy* best = nullptr;
    for (const MergePolicy& policy : options_.policies) {
      if (!policy.path.IsPrefixOf(path)) continue;
      if (best == nullptr || policy.path.tokens().size() > best->path.tokens().size()) {
        best = &policy;
      }
    }
    return best != nullptr ? best->strategy : options_.strategy;
  }

  const MergeOptions& options_;
  std::vector<PathNode> nodes_;
  std::vector<Frame> frames_;
  std::vector<Conflict> conflicts_;
};

Status ValidateOptions(const MergeOptions& options) {
  auto known = [](MergeStrategy s) {
    return s == MergeStrategy::kNormal || s == MergeStrategy::kOurs || s == MergeStrategy::kTheirs;
  };
  if (!known(options.strategy)) return Status::InvalidArgument("unknown merge strategy");
  for (std::size_t i = 0; i < options.policies.size(); ++i) {
    const MergePolicy& policy = options.policies[i];
    if (!known(policy.strategy)) {
      return Status::InvalidArgument("unknown merge strategy in the policy for '" +
                                     policy.path.ToString() + "'");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (options.policies[j].path == policy.path) {
        return Status::InvalidArgument("two merge policies for '" + policy.path.ToString() + "'");
      }
    }
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

Result<MergeStrategy> ParseMergeStrategy(std::string_view name) {
  for (MergeStrategy s : {MergeStrategy::kNormal, MergeStrategy::kOurs, MergeStrategy::kTheirs}) {
    if (name == MergeStrategyName(s)) return s;
  }
  return Status::InvalidArgument("unknown merge strategy '" + std::string(name) +
                                 "' (expected normal, ours or theirs)");
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
                                const json::value* theirs, const MergeOptions& options) {
  STRATA_RETURN_IF_ERROR(ValidateOptions(options));
  return Merger(options).Run(base, ours, theirs);
}

Result<MergeResult> MergeValues(const json::value& base, const json::value& ours,
                                const json::value& theirs, const MergeOptions& options) {
  return MergeValues(&base, &ours, &theirs, options);
}

}  // namespace strata
