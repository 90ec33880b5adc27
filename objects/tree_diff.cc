#include "objects/tree_diff.h"

#include <algorithm>
#include <map>
#include <memory>

#include "objects/json_diff.h"

namespace strata {
namespace {

struct Pair {
  std::string key;
  std::optional<ValueRef> a;
  std::optional<ValueRef> b;
};

bool IsShard(const TreeIndex& index) {
  return !index.first_name().empty() && index.first_name()[0] == '.';
}

// Pairs the members of two flat nodes whose refs differ. Both indexes are
// sorted by entry name, so one merge-join finds them without copying a name:
// a member whose entry is unchanged (the same name and id: nearly all of
// them) costs one comparison. Entries on one side only are then paired by
// escaped key (an array node's "%[" mark removed), so a member that became
// an array node pairs with what it was, and only the members that differ
// are unescaped.
Status ChangedFlatMembers(const TreeIndex& a, const TreeIndex& b, std::vector<Pair>& out) {
  std::vector<const TreeIndex::Entry*> only_a, only_b;
  auto ia = a.entries().begin(), ea = a.entries().end();
  auto ib = b.entries().begin(), eb = b.entries().end();
  auto ref_of = [](const TreeIndex::Entry& e) -> Result<ValueRef> {
    bool is_array = false;
    MemberEntryKey(e.name, &is_array);
    if (is_array && !e.is_tree)
      return Status::Corruption("a tree entry marks a blob as an array node");
    return ValueRef{e.id, e.is_tree, is_array};
  };
  auto pair_of = [&](std::string_view name, const TreeIndex::Entry* x,
                     const TreeIndex::Entry* y) -> Status {
    Pair p;
    STRATA_ASSIGN_OR_RETURN(p.key, UnescapeKey(MemberEntryKey(name)));
    if (x) {
      STRATA_ASSIGN_OR_RETURN(p.a, ref_of(*x));
    }
    if (y) {
      STRATA_ASSIGN_OR_RETURN(p.b, ref_of(*y));
    }
    out.push_back(std::move(p));
    return Status::Ok();
  };
  while (ia != ea || ib != eb) {
    if (ib == eb || (ia != ea && ia->name < ib->name)) {
      only_a.push_back(&*ia++);
    } else if (ia == ea || ib->name < ia->name) {
      only_b.push_back(&*ib++);
    } else {
      if (ia->id != ib->id || ia->is_tree != ib->is_tree) {
        STRATA_RETURN_IF_ERROR(pair_of(ia->name, &*ia, &*ib));
      }
      ++ia;
      ++ib;
    }
  }
  if (only_a.empty() && only_b.empty()) return Status::Ok();
  // Members on one side only (a node made or emptied: every member of an
  // import's new state) pair with nothing: no map of them.
  if (only_a.empty() || only_b.empty()) {
    for (const auto* e : only_a) STRATA_RETURN_IF_ERROR(pair_of(e->name, e, nullptr));
    for (const auto* e : only_b) STRATA_RETURN_IF_ERROR(pair_of(e->name, nullptr, e));
    return Status::Ok();
  }
  std::map<std::string_view, std::pair<const TreeIndex::Entry*, const TreeIndex::Entry*>> rest;
  for (const auto* e : only_a) rest[MemberEntryKey(e->name)].first = e;
  for (const auto* e : only_b) rest[MemberEntryKey(e->name)].second = e;
  for (const auto& [escaped, sides] : rest) {
    const auto* x = sides.first;
    const auto* y = sides.second;
    if (x && y && x->id == y->id && x->is_tree == y->is_tree) {
      // The same value under another mark: only a corrupt tree does that.
      STRATA_RETURN_IF_ERROR(ref_of(*x).status());
      STRATA_RETURN_IF_ERROR(ref_of(*y).status());
      continue;
    }
    STRATA_RETURN_IF_ERROR(pair_of(x ? x->name : y->name, x, y));
  }
  return Status::Ok();
}

// One side of a comparison below a node's top: a tree at some shard level,
// or a leaf (format 4).
struct Side {
  ObjectId id;
  bool is_tree = true;
};

// Pairs the members of `a` and `b` (at shard `level`) by key, read whole:
// for a node that crossed its flat limit, shards of two shapes, or a leaf
// against what it was. Bounded near the limits; a whole node across formats.
Status PairMembers(ObjectStore& store, const std::optional<Side>& a, const std::optional<Side>& b,
                   int level, std::vector<Pair>& out) {
  // A leaf's members are compared by their text, and only those kept are
  // hashed: a changed field costs two leaves read, not a SHA-1 per member.
  std::vector<Member> xs, ys;
  if (a) STRATA_RETURN_IF_ERROR(ReadNodeMembers(store, a->id, a->is_tree, level, xs, false));
  if (b) STRATA_RETURN_IF_ERROR(ReadNodeMembers(store, b->id, b->is_tree, level, ys, false));
  auto by_key = [](const Member& x, const Member& y) { return x.key < y.key; };
  std::sort(xs.begin(), xs.end(), by_key);
  std::sort(ys.begin(), ys.end(), by_key);
  auto keep = [&](Member* x, Member* y) {
    Pair p{std::move(x ? x->key : y->key), std::nullopt, std::nullopt};
    if (x) HashCarried(p.a.emplace(std::move(x->ref)));
    if (y) HashCarried(p.b.emplace(std::move(y->ref)));
    out.push_back(std::move(p));
  };
  auto i = xs.begin(), j = ys.begin();
  while (i != xs.end() || j != ys.end()) {
    if (j == ys.end() || (i != xs.end() && i->key < j->key)) {
      keep(&*i++, nullptr);
    } else if (i == xs.end() || j->key < i->key) {
      keep(nullptr, &*j++);
    } else {
      ValueRef& x = i->ref;
      ValueRef& y = j->ref;
      bool same = false;
      if (x.carries_text() && y.carries_text()) {
        same = x.text() == y.text();
      } else {
        HashCarried(x);
        HashCarried(y);
        same = x == y;
      }
      if (!same) keep(&*i, &*j);
      ++i;
      ++j;
    }
  }
  return Status::Ok();
}

// Collects the members whose refs differ between nodes `a` and `b` at shard
// `level`, descending only into buckets whose ids differ.
Status ChangedMembers(ObjectStore& store, const std::optional<Side>& a,
                      const std::optional<Side>& b, int level, std::vector<Pair>& out) {
  if (a && b && a->id == b->id && a->is_tree == b->is_tree) return Status::Ok();
  if (level > kMaxShardLevels) return Status::Corruption("trees sharded too deep");
  if ((a && !a->is_tree) || (b && !b->is_tree)) return PairMembers(store, a, b, level, out);
  static const TreeIndex kEmpty;
  std::shared_ptr<const TreeIndex> ia, ib;
  if (a) {
    STRATA_ASSIGN_OR_RETURN(ia, store.IndexTree(a->id));
  }
  if (b) {
    STRATA_ASSIGN_OR_RETURN(ib, store.IndexTree(b->id));
  }
  const TreeIndex& xa = ia ? *ia : kEmpty;
  const TreeIndex& xb = ib ? *ib : kEmpty;
  const bool shard_a = IsShard(xa), shard_b = IsShard(xb);
  // Buckets pair by name only between nodes sharded alike (a state written
  // by another format may be sharded in another shape).
  if (shard_a && shard_b && ShapeOfBucket(xa.first_name()) == ShapeOfBucket(xb.first_name())) {
    // Bucket names sort alike on both sides: a merge-join, descending only
    // where the ids differ.
    auto i = xa.entries().begin(), j = xb.entries().begin();
    while (i != xa.entries().end() || j != xb.entries().end()) {
      std::optional<Side> x, y;
      if (j == xb.entries().end() || (i != xa.entries().end() && i->name < j->name)) {
        x = Side{i->id, i->is_tree};
        ++i;
      } else if (i == xa.entries().end() || j->name < i->name) {
        y = Side{j->id, j->is_tree};
        ++j;
      } else {
        x = Side{i->id, i->is_tree};
        y = Side{j->id, j->is_tree};
        ++i;
        ++j;
      }
      STRATA_RETURN_IF_ERROR(ChangedMembers(store, x, y, level + 1, out));
    }
    return Status::Ok();
  }
  if (!shard_a && !shard_b) return ChangedFlatMembers(xa, xb, out);
  // One side sharded, the other flat (a node that crossed its flat limit),
  // or shards of two shapes.
  return PairMembers(store, a, b, level, out);
}

std::optional<Side> TreeSide(const std::optional<ObjectId>& id) {
  if (!id) return std::nullopt;
  return Side{*id, true};
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
  STRATA_RETURN_IF_ERROR(ChangedMembers(store, TreeSide(a), TreeSide(b), 0, changed));
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
  STRATA_RETURN_IF_ERROR(ChangedMembers(store, TreeSide(a), TreeSide(b), 0, changed));
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
