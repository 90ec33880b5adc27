// StateEditor: applies JSON Patch operations to a stored state without
// reading all of it.
//
// The state is an object {document id: document}. The editor reads only the
// tree nodes and blobs on the paths the operations touch, keeps the edits as
// an overlay in memory, and Write() re-encodes just the changed paths, so a
// one-field edit costs O(depth) objects whatever the size of the state.
// Nothing is staged before Write(); a failed patch leaves no trace.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "objects/tree_codec.h"
#include "objects/tree_diff.h"
#include "strata/json_patch.h"

namespace strata {

class StateEditor : public PatchTarget {
 public:
  // `root`: the state tree to edit, or nullopt for the empty state. With
  // `hints`, Write() adds the diff of each document it edited in place
  // (objects/tree_diff.h), for the write's delta.
  StateEditor(ObjectStore& store, std::optional<ObjectId> root, DiffHints* hints = nullptr);
  ~StateEditor() override;

  Result<json::value> Get(const JsonPointer& path) override;
  Result<bool> Exists(const JsonPointer& path) override;
  Status Add(const JsonPointer& path, json::value value) override;
  Status Remove(const JsonPointer& path) override;
  Status Replace(const JsonPointer& path, json::value value) override;

  // Stages the edited state's objects and returns its tree id (the original
  // id if nothing changed). InvalidArgument, naming the pointer, if a value
  // cannot be stored (CheckStorable) or a member name is not UTF-8.
  Result<ObjectId> Write();

 private:
  struct Node;
  struct Location;
  Result<Location> Locate(const JsonPointer& path, std::size_t tokens);
  Result<Node*> Child(Node& node, const std::string& key, bool* found);
  Result<json::value> Materialize(Node& node);
  // Encodes `node`, found at `path` (its depth is the path's length).
  Result<ValueRef> Encode(Node& node, const JsonPointer& path, bool force_tree);
  Status SetMember(const JsonPointer& path, json::value value, bool must_exist);
  // Before the first in-place edit of a stored document (the chain's second
  // node), keeps it as read, for its diff hint.
  void KeepOriginal(const Location& loc);

  ObjectStore& store_;
  std::optional<ObjectId> base_root_;
  std::unique_ptr<Node> root_;
  DiffHints* hints_;
};

}  // namespace strata
