#include "repo/value_walk.h"

#include "objects/json_diff.h"
#include "objects/tree_diff.h"

namespace strata {
namespace {

bool SameStored(const Located& a, const Located& b) {
  return a.present && b.present && a.ref && b.ref && *a.ref == *b.ref;
}

}  // namespace

Status Descend(ObjectStore& store, Located& at, const std::string& token) {
  if (!at.present) return Status::Ok();
  if (at.ref && at.ref->is_object_node()) {
    STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> member, FindMember(store, at.ref->id, token));
    at.present = member.has_value();
    at.ref = member;
    return Status::Ok();
  }
  if (at.ref) {  // a blob: decode it, then continue in the value
    STRATA_ASSIGN_OR_RETURN(at.value, DecodeValue(store, *at.ref));
    at.ref.reset();
  }
  json::value next;
  bool found = false;
  if (const json::object* o = at.value.if_object()) {
    if (const json::value* m = o->if_contains(token)) {
      next = *m;
      found = true;
    }
  } else if (const json::array* a = at.value.if_array()) {
    std::optional<std::size_t> i = ParseArrayIndex(token);
    if (i && *i < a->size()) {
      next = (*a)[*i];
      found = true;
    }
  }
  at.present = found;
  at.value = std::move(next);
  return Status::Ok();
}

Result<Located> Locate(ObjectStore& store, const std::optional<ObjectId>& state,
                       const std::string& doc, const JsonPointer& pointer) {
  Located at;
  if (!state) return at;
  at.present = true;
  at.ref = ValueRef{*state, true};
  STRATA_RETURN_IF_ERROR(Descend(store, at, doc));
  for (const std::string& token : pointer.tokens()) {
    if (!at.present) break;
    STRATA_RETURN_IF_ERROR(Descend(store, at, token));
  }
  return at;
}

Result<json::value> DecodeLocated(ObjectStore& store, const Located& at) {
  if (!at.present) return Status::NotFound("no value there");
  if (at.ref) return DecodeValue(store, *at.ref);
  return at.value;
}

Result<bool> Differs(ObjectStore& store, const Located& a, const Located& b) {
  if (!a.present || !b.present) return a.present != b.present;
  // Ids decide when both are stored the same way; a large array stored as a
  // blob (format 1) and as an array node (format 2) must be read.
  if (a.ref && b.ref && a.ref->is_array == b.ref->is_array) return !(*a.ref == *b.ref);
  STRATA_ASSIGN_OR_RETURN(json::value va, DecodeLocated(store, a));
  STRATA_ASSIGN_OR_RETURN(json::value vb, DecodeLocated(store, b));
  return CanonicalJson(va) != CanonicalJson(vb);
}

Result<bool> ValueChanged(ObjectStore& store, const std::optional<ObjectId>& a,
                          const std::optional<ObjectId>& b, const std::string& doc,
                          const JsonPointer& pointer) {
  Located la, lb;
  la.present = a.has_value();
  lb.present = b.has_value();
  if (a) la.ref = ValueRef{*a, true};
  if (b) lb.ref = ValueRef{*b, true};
  auto step = [&](const std::string& token) -> Status {
    STRATA_RETURN_IF_ERROR(Descend(store, la, token));
    return Descend(store, lb, token);
  };
  // Descend while the two may still differ below: stop at equal ids, or
  // when neither side has the value.
  if (SameStored(la, lb)) return false;
  STRATA_RETURN_IF_ERROR(step(doc));
  for (const std::string& token : pointer.tokens()) {
    if ((!la.present && !lb.present) || SameStored(la, lb)) break;
    STRATA_RETURN_IF_ERROR(step(token));
  }
  return Differs(store, la, lb);
}

Status DiffLocated(ObjectStore& store, const Located& a, const Located& b, const JsonPointer& base,
                   Patch& out) {
  if (!a.present && !b.present) return Status::Ok();
  if (!a.present || !b.present) {
    PatchOp op;
    op.path = base;
    if (b.present) {
      op.kind = PatchOpKind::kAdd;
      STRATA_ASSIGN_OR_RETURN(op.value, DecodeLocated(store, b));
    } else {
      op.kind = PatchOpKind::kRemove;
    }
    out.push_back(std::move(op));
    return Status::Ok();
  }
  if (a.ref && b.ref) return DiffStoredValues(store, *a.ref, *b.ref, base, out);
  STRATA_ASSIGN_OR_RETURN(json::value va, DecodeLocated(store, a));
  STRATA_ASSIGN_OR_RETURN(json::value vb, DecodeLocated(store, b));
  DiffValues(va, vb, base, out);
  return Status::Ok();
}

// The change from `before` to `after` at `base` (both found at the same
// path), as Changes with old values.
Result<std::vector<Change>> ChangesAt(ObjectStore& store, const Located& before,
                                      const Located& after, const std::string& doc,
                                      const JsonPointer& pointer) {
  std::vector<Change> out;
  json::value old_root;
  if (before.present) {
    STRATA_ASSIGN_OR_RETURN(old_root, DecodeLocated(store, before));
  }
  Patch ops;
  STRATA_RETURN_IF_ERROR(DiffLocated(store, before, after, pointer, ops));
  JsonPointer doc_path(std::vector<std::string>{doc});
  for (PatchOp& op : ops) {
    Change c;
    c.doc = doc;
    c.pointer = op.path;
    if (op.kind == PatchOpKind::kReplace || op.kind == PatchOpKind::kRemove) {
      JsonPointer rel = op.path.Slice(pointer.tokens().size(), op.path.tokens().size());
      Result<const json::value*> old = ResolvePointer(std::as_const(old_root), rel);
      if (old.ok()) c.old_value = **old;
    }
    std::vector<std::string> tokens = doc_path.tokens();
    for (const auto& t : op.path.tokens()) tokens.push_back(t);
    op.path = JsonPointer(std::move(tokens));
    c.op = std::move(op);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace strata
