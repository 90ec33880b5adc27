#include "objects/tree_diff.h"

#include <algorithm>

#include "objects/json_diff.h"

namespace strata {
namespace {

struct Pair {
  std::string key;
  std::optional<ValueRef> a;
  std::optional<ValueRef> b;
};

bool IsShard(const std::vector<TreeEntry>& entries) {
  return !entries.empty() && entries.front().name[0] == '.';
}

// Calls `visit` for every member entry of a node whose entries are
// `entries`, descending through shard buckets.
template <typename Visit>
Status CollectEntries(ObjectStore& store, const std::vector<TreeEntry>& entries, int level,
                      const Visit& visit) {
  if (!IsShard(entries)) {
    for (const auto& e : entries) visit(e);
    return Status::Ok();
  }
  if (level > kMaxShardLevels) return Status::Corruption("trees sharded too deep");
  for (const auto& bucket : entries) {
    STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> sub, store.ReadTree(bucket.id));
    STRATA_RETURN_IF_ERROR(CollectEntries(store, sub, level + 1, visit));
  }
  return Status::Ok();
}

// Collects the members whose refs differ between nodes `a` and `b` at shard
// `level`, descending only into buckets whose ids differ.
Status ChangedMembers(ObjectStore& store, const std::optional<ObjectId>& a,
                      const std::optional<ObjectId>& b, int level, std::vector<Pair>& out) {
  if (a && b && *a == *b) return Status::Ok();
  if (level > kMaxShardLevels) return Status::Corruption("trees sharded too deep");
  std::vector<TreeEntry> ea, eb;
  if (a) {
    STRATA_ASSIGN_OR_RETURN(ea, store.ReadTree(*a));
  }
  if (b) {
    STRATA_ASSIGN_OR_RETURN(eb, store.ReadTree(*b));
  }
  if (IsShard(ea) && IsShard(eb)) {
    std::map<std::string, std::pair<std::optional<ObjectId>, std::optional<ObjectId>>> buckets;
    for (const auto& e : ea) buckets[e.name].first = e.id;
    for (const auto& e : eb) buckets[e.name].second = e.id;
    for (const auto& [name, ids] : buckets) {
      STRATA_RETURN_IF_ERROR(ChangedMembers(store, ids.first, ids.second, level + 1, out));
    }
    return Status::Ok();
  }
  // One side flat (or both): compare entries by their escaped keys (an
  // array node's "%[" mark removed, so a member that became an array node
  // pairs with what it was), so only the members that differ are unescaped.
  // A flat node holds at most kFlatMaxEntries members, so this is bounded
  // near the threshold.
  std::map<std::string, Pair> pairs;
  bool marked_blob = false;
  auto ref_of = [&](const TreeEntry& e, std::string_view* escaped) {
    bool is_array = false;
    *escaped = MemberEntryKey(e.name, &is_array);
    if (is_array && !e.is_tree) marked_blob = true;
    return ValueRef{e.id, e.is_tree, is_array};
  };
  STRATA_RETURN_IF_ERROR(CollectEntries(store, ea, level, [&](const TreeEntry& e) {
    std::string_view escaped;
    ValueRef ref = ref_of(e, &escaped);
    pairs[std::string(escaped)].a = ref;
  }));
  STRATA_RETURN_IF_ERROR(CollectEntries(store, eb, level, [&](const TreeEntry& e) {
    std::string_view escaped;
    ValueRef ref = ref_of(e, &escaped);
    pairs[std::string(escaped)].b = ref;
  }));
  if (marked_blob) return Status::Corruption("a tree entry marks a blob as an array node");
  for (auto& [name, p] : pairs) {
    if (p.a && p.b && *p.a == *p.b) continue;
    STRATA_ASSIGN_OR_RETURN(p.key, UnescapeKey(name));
    out.push_back(std::move(p));
  }
  return Status::Ok();
}

// Where a diff goes: the patch, and, when wanted, the old value of each
// operation (nullopt for add).
struct Sink {
  Patch& ops;
  std::vector<std::optional<json::value>>* old_values = nullptr;

  void Push(PatchOp op, std::optional<json::value> old) {
    ops.push_back(std::move(op));
    if (old_values) old_values->push_back(std::move(old));
  }
};

Status DiffValuesInto(ObjectStore& store, const ValueRef& a, const ValueRef& b,
                      const JsonPointer& base, Sink& sink);

Status DiffNodes(ObjectStore& store, const std::optional<ObjectId>& a,
                 const std::optional<ObjectId>& b, const JsonPointer& base, Sink& sink) {
  std::vector<Pair> changed;
  STRATA_RETURN_IF_ERROR(ChangedMembers(store, a, b, 0, changed));
  std::sort(changed.begin(), changed.end(),
            [](const Pair& x, const Pair& y) { return x.key < y.key; });
  for (const Pair& p : changed) {
    JsonPointer path = base.Child(p.key);
    if (!p.b) {
      std::optional<json::value> old;
      if (sink.old_values) {
        STRATA_ASSIGN_OR_RETURN(old, DecodeValue(store, *p.a));
      }
      sink.Push(PatchOp{PatchOpKind::kRemove, std::move(path), {}, {}}, std::move(old));
    } else if (!p.a) {
      STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(store, *p.b));
      sink.Push(PatchOp{PatchOpKind::kAdd, std::move(path), {}, std::move(v)}, std::nullopt);
    } else {
      STRATA_RETURN_IF_ERROR(DiffValuesInto(store, *p.a, *p.b, path, sink));
    }
  }
  return Status::Ok();
}

Status DiffValuesInto(ObjectStore& store, const ValueRef& a, const ValueRef& b,
                      const JsonPointer& base, Sink& sink) {
  if (a == b) return Status::Ok();
  if (a.is_object_node() && b.is_object_node()) return DiffNodes(store, a.id, b.id, base, sink);
  STRATA_ASSIGN_OR_RETURN(json::value va, DecodeValue(store, a));
  STRATA_ASSIGN_OR_RETURN(json::value vb, DecodeValue(store, b));
  std::size_t first = sink.ops.size();
  DiffValues(va, vb, base, sink.ops);
  if (!sink.old_values) return Status::Ok();
  // DiffValues' operations all read paths that exist in `va` as it was:
  // replaces and removes of members, and array removes from the end.
  for (std::size_t i = first; i < sink.ops.size(); ++i) {
    const PatchOp& op = sink.ops[i];
    std::optional<json::value> old;
    if (op.kind == PatchOpKind::kReplace || op.kind == PatchOpKind::kRemove) {
      JsonPointer rest = op.path.Slice(base.tokens().size(), op.path.tokens().size());
      Result<const json::value*> at = ResolvePointer(std::as_const(va), rest);
      if (!at.ok()) return at.status().WithContext("diff at " + op.path.ToString());
      old = **at;
    }
    sink.old_values->push_back(std::move(old));
  }
  return Status::Ok();
}

}  // namespace

Status ChangedMembers(ObjectStore& store, const std::optional<ObjectId>& a,
                      const std::optional<ObjectId>& b, std::vector<MemberDiff>& out) {
  std::vector<Pair> changed;
  STRATA_RETURN_IF_ERROR(ChangedMembers(store, a, b, 0, changed));
  std::sort(changed.begin(), changed.end(),
            [](const Pair& x, const Pair& y) { return x.key < y.key; });
  out.reserve(out.size() + changed.size());
  for (Pair& p : changed) out.push_back(MemberDiff{std::move(p.key), p.a, p.b});
  return Status::Ok();
}

Status DiffStoredValues(ObjectStore& store, const ValueRef& a, const ValueRef& b,
                        const JsonPointer& base, Patch& out) {
  Sink sink{out};
  return DiffValuesInto(store, a, b, base, sink);
}

Status DiffStates(ObjectStore& store, const std::optional<ObjectId>& a,
                  const std::optional<ObjectId>& b, Patch& out) {
  Sink sink{out};
  return DiffNodes(store, a, b, JsonPointer(), sink);
}

Status DiffStates(ObjectStore& store, const std::optional<ObjectId>& a,
                  const std::optional<ObjectId>& b, std::vector<DiffEntry>& out) {
  Patch ops;
  std::vector<std::optional<json::value>> olds;
  Sink sink{ops, &olds};
  STRATA_RETURN_IF_ERROR(DiffNodes(store, a, b, JsonPointer(), sink));
  out.reserve(out.size() + ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    out.push_back(DiffEntry{std::move(ops[i]), std::move(olds[i])});
  }
  return Status::Ok();
}

}  // namespace strata
