#include "objects/state_editor.h"

#include <vector>

#include "objects/json_diff.h"

namespace strata {

// A member of the state as the editor knows it: an object node read from a
// tree (edited as an overlay on it), or a value in memory.
struct StateEditor::Node {
  enum class Kind { kTree, kValue };
  Kind kind = Kind::kValue;
  bool dirty = false;
  // kTree: the stored node (nullopt: a new empty object), the members read or
  // written so far, and the members removed.
  std::optional<ObjectId> base;
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
  std::set<std::string, std::less<>> removed;
  // kValue: the value, and the blob or array node it was read from while
  // unchanged (an array node is edited whole: decoded, changed, re-encoded,
  // and only the runs that changed are new objects).
  json::value value;
  std::optional<ValueRef> stored;
  // A document edited in place: its value and id as read (for DiffHints).
  std::unique_ptr<json::value> original;
  std::optional<ValueRef> original_ref;

  static std::unique_ptr<Node> Tree(std::optional<ObjectId> base) {
    auto n = std::make_unique<Node>();
    n->kind = Kind::kTree;
    n->base = base;
    return n;
  }
  static std::unique_ptr<Node> Value(json::value v) {
    auto n = std::make_unique<Node>();
    n->value = std::move(v);
    n->dirty = true;
    return n;
  }
};

// Where a pointer leads: the nodes walked (root first) and how many tokens
// they consumed. The last node is a kTree only if all tokens were consumed;
// otherwise the rest of the pointer lies inside its value.
struct StateEditor::Location {
  std::vector<Node*> chain;
  std::size_t consumed = 0;
  Node* node() const { return chain.back(); }
  void MarkDirty() const {
    for (Node* n : chain) n->dirty = true;
  }
};

StateEditor::StateEditor(ObjectStore& store, std::optional<ObjectId> root, DiffHints* hints)
    : store_(store), base_root_(root), root_(Node::Tree(root)), hints_(hints) {}

void StateEditor::KeepOriginal(const Location& loc) {
  if (!hints_ || loc.consumed != 1) return;  // not a document, or no one asks
  Node& doc = *loc.node();
  if (doc.original || !doc.stored) return;  // kept already, or not as read
  doc.original = std::make_unique<json::value>(doc.value);
  doc.original_ref = doc.stored;
}

StateEditor::~StateEditor() = default;

Result<StateEditor::Node*> StateEditor::Child(Node& node, const std::string& key, bool* found) {
  *found = true;
  if (auto it = node.children.find(key); it != node.children.end()) return it->second.get();
  if (node.removed.count(key) || !node.base) {
    *found = false;
    return nullptr;
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref, FindMember(store_, *node.base, key));
  if (!ref) {
    *found = false;
    return nullptr;
  }
  std::unique_ptr<Node> child;
  if (ref->is_object_node()) {
    child = Node::Tree(ref->id);
  } else {
    STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(store_, *ref));
    child = Node::Value(std::move(v));
    child->dirty = false;
    child->stored = *ref;
  }
  Node* raw = child.get();
  node.children.emplace(key, std::move(child));
  return raw;
}

Result<StateEditor::Location> StateEditor::Locate(const JsonPointer& path, std::size_t tokens) {
  Location loc;
  loc.chain.push_back(root_.get());
  while (loc.consumed < tokens && loc.node()->kind == Node::Kind::kTree) {
    const std::string& key = path.tokens()[loc.consumed];
    bool found = false;
    STRATA_ASSIGN_OR_RETURN(Node * child, Child(*loc.node(), key, &found));
    if (!found) {
      if (loc.consumed == 0) return Status::NotFound("no document '" + key + "'");
      return Status::NotFound("no member '" + key + "' in the object at '" +
                              path.Slice(0, loc.consumed).ToString() + "'");
    }
    loc.chain.push_back(child);
    ++loc.consumed;
  }
  return loc;
}

Result<json::value> StateEditor::Materialize(Node& node) {
  if (node.kind == Node::Kind::kValue) return node.value;
  json::value out = json::object();
  if (node.base) {
    STRATA_ASSIGN_OR_RETURN(out, DecodeValue(store_, ValueRef{*node.base, true}));
  }
  json::object& o = out.get_object();
  for (const auto& key : node.removed) o.erase(key);
  for (auto& [key, child] : node.children) {
    STRATA_ASSIGN_OR_RETURN(json::value v, Materialize(*child));
    o[key] = std::move(v);
  }
  return out;
}

Result<json::value> StateEditor::Get(const JsonPointer& path) {
  STRATA_ASSIGN_OR_RETURN(Location loc, Locate(path, path.tokens().size()));
  if (loc.consumed == path.tokens().size()) return Materialize(*loc.node());
  JsonPointer rest = path.Slice(loc.consumed, path.tokens().size());
  Result<const json::value*> v = ResolvePointer(std::as_const(loc.node()->value), rest);
  if (!v.ok()) return v.status().WithContext("in '" + path.Slice(0, loc.consumed).ToString() + "'");
  return **v;
}

Result<bool> StateEditor::Exists(const JsonPointer& path) {
  Result<Location> loc = Locate(path, path.tokens().size());
  if (!loc.ok()) {
    if (loc.status().code() == Code::kNotFound) return false;
    return loc.status();
  }
  if (loc->consumed == path.tokens().size()) return true;
  JsonPointer rest = path.Slice(loc->consumed, path.tokens().size());
  return ResolvePointer(std::as_const(loc->node()->value), rest).ok();
}

Status StateEditor::SetMember(const JsonPointer& path, json::value value, bool must_exist) {
  std::size_t n = path.tokens().size();
  if (n == 0) {
    if (!value.is_object()) {
      return Status::InvalidArgument("the state must be an object of documents");
    }
    root_ = Node::Tree(std::nullopt);
    root_->dirty = true;
    for (auto& kv : value.get_object()) {
      root_->children.emplace(std::string(kv.key()), Node::Value(std::move(kv.value())));
    }
    return Status::Ok();
  }
  STRATA_ASSIGN_OR_RETURN(Location loc, Locate(path, n - 1));
  Node* parent = loc.node();
  if (parent->kind == Node::Kind::kTree) {
    const std::string& key = path.Back();
    if (must_exist) {
      bool found = false;
      STRATA_ASSIGN_OR_RETURN(Node * existing, Child(*parent, key, &found));
      (void)existing;
      if (!found) {
        if (n == 1) return Status::NotFound("no document '" + key + "'");
        return Status::NotFound("no member '" + key + "' in the object at '" +
                                path.Parent().ToString() + "'");
      }
    }
    parent->removed.erase(key);
    parent->children[key] = Node::Value(std::move(value));
    loc.MarkDirty();
    return Status::Ok();
  }
  KeepOriginal(loc);
  ValueTarget target(parent->value);
  JsonPointer rest = path.Slice(loc.consumed, n);
  Status s =
      must_exist ? target.Replace(rest, std::move(value)) : target.Add(rest, std::move(value));
  if (!s.ok()) return s.WithContext("in '" + path.Slice(0, loc.consumed).ToString() + "'");
  parent->stored.reset();
  loc.MarkDirty();
  return Status::Ok();
}

Status StateEditor::Add(const JsonPointer& path, json::value value) {
  return SetMember(path, std::move(value), /*must_exist=*/false);
}

Status StateEditor::Replace(const JsonPointer& path, json::value value) {
  return SetMember(path, std::move(value), /*must_exist=*/true);
}

Status StateEditor::Remove(const JsonPointer& path) {
  std::size_t n = path.tokens().size();
  if (n == 0) return Status::InvalidArgument("cannot remove the whole state");
  STRATA_ASSIGN_OR_RETURN(Location loc, Locate(path, n - 1));
  Node* parent = loc.node();
  if (parent->kind == Node::Kind::kTree) {
    const std::string& key = path.Back();
    bool found = false;
    STRATA_ASSIGN_OR_RETURN(Node * existing, Child(*parent, key, &found));
    (void)existing;
    if (!found) {
      if (n == 1) return Status::NotFound("no document '" + key + "'");
      return Status::NotFound("no member '" + key + "' in the object at '" +
                              path.Parent().ToString() + "'");
    }
    parent->children.erase(key);
    parent->removed.insert(key);
    loc.MarkDirty();
    return Status::Ok();
  }
  KeepOriginal(loc);
  ValueTarget target(parent->value);
  Status s = target.Remove(path.Slice(loc.consumed, n));
  if (!s.ok()) return s.WithContext("in '" + path.Slice(0, loc.consumed).ToString() + "'");
  parent->stored.reset();
  loc.MarkDirty();
  return Status::Ok();
}

Result<ValueRef> StateEditor::Encode(Node& node, const JsonPointer& path, bool force_tree) {
  int depth = static_cast<int>(path.tokens().size());
  if (node.kind == Node::Kind::kValue) {
    if (!node.dirty && node.stored) return *node.stored;
    // What is stored must read back: no Infinity, no broken UTF-8.
    Status storable = CheckStorable(node.value);
    if (!storable.ok()) return storable.WithContext("in '" + path.ToString() + "'");
    // ...and no document nests deeper than the parser reads back. A value
    // at /doc/a/b sits inside two of its document's levels.
    if (!path.IsRoot()) {
      std::size_t within = path.tokens().size() - 1;
      std::size_t depth = within + NestingDepth(node.value);
      if (depth > kMaxJsonDepth) {
        std::string what = "document '" + path.tokens()[0] + "'";
        if (within > 0) what = "the value at '" + path.ToString() + "' in " + what;
        return Status::InvalidArgument(what + " would nest " + std::to_string(depth) +
                                       " levels deep; the limit is " +
                                       std::to_string(kMaxJsonDepth));
      }
    }
    // A document's member may go into a leaf: it is written only if its
    // node puts it in a tree.
    STRATA_ASSIGN_OR_RETURN(ValueRef ref, depth >= 2 ? EncodeMember(store_, node.value, depth)
                                                     : EncodeValue(store_, node.value, depth));
    if (node.original && depth == 1 && !(ref == *node.original_ref) &&
        !(ref.is_object_node() && node.original_ref->is_object_node())) {
      // What DiffStoredValues would find, without reading either back.
      DiffHint hint{*node.original_ref, ref, {}};
      DiffValues(*node.original, node.value, path, hint.ops);
      hints_->docs.insert_or_assign(path.tokens()[0], std::move(hint));
    }
    return ref;
  }
  if (!node.dirty && node.base) return ValueRef{*node.base, true};
  MemberChanges changes;
  for (const auto& key : node.removed) changes[key] = std::nullopt;
  for (auto& [key, child] : node.children) {
    if (!child->dirty) continue;
    if (!IsValidUtf8(key)) {
      if (path.IsRoot()) return Status::InvalidArgument("a document id is not valid UTF-8");
      return Status::InvalidArgument("a member name is not valid UTF-8 in the object at '" +
                                     path.ToString() + "'");
    }
    STRATA_ASSIGN_OR_RETURN(ValueRef ref, Encode(*child, path.Child(key), false));
    changes[key] = ref;
  }
  return UpdateObject(store_, node.base, changes, force_tree);
}

Result<ObjectId> StateEditor::Write() {
  STRATA_ASSIGN_OR_RETURN(ValueRef ref, Encode(*root_, JsonPointer(), /*force_tree=*/true));
  return ref.id;
}

}  // namespace strata
