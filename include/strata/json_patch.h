// JSON Patch (RFC 6902): add, remove, replace, move, copy, test.
//
// A patch is parsed and validated whole before any operation runs. Applying
// is all or nothing: ApplyPatch on a value leaves it untouched on failure, and
// the state editor (objects/state_editor.h) writes nothing until every
// operation has succeeded.
#pragma once

#include <string>
#include <vector>

#include "strata/json.h"
#include "strata/json_pointer.h"
#include "strata/status.h"

namespace strata {

enum class PatchOpKind { kAdd, kRemove, kReplace, kMove, kCopy, kTest };

struct PatchOp {
  PatchOpKind kind = PatchOpKind::kAdd;
  JsonPointer path;
  JsonPointer from;   // move and copy
  json::value value;  // add, replace and test

  std::string Describe() const;  // "replace '/a/b'", "move '/x' -> '/y'"
};

using Patch = std::vector<PatchOp>;

// Validates an RFC 6902 document: an array of operation objects, each with a
// known "op", a valid "path", "from" for move and copy, and "value" for add,
// replace and test. Other members are ignored, as the RFC says.
Result<Patch> ParsePatch(const json::value& patch);
json::value PatchToJson(const Patch& patch);
json::value PatchOpToJson(const PatchOp& op);
// The RFC's name of `kind` ("add", "remove", ...).
const char* PatchOpName(PatchOpKind kind);
// Whether an operation of `kind` has a "from" (move, copy) and a "value"
// (add, replace, test).
bool PatchOpHasFrom(PatchOpKind kind);
bool PatchOpHasValue(PatchOpKind kind);

// What a patch edits. In-memory values (ValueTarget) and tree-backed states
// (StateEditor) implement it; ApplyPatch holds the RFC's rules.
class PatchTarget {
 public:
  virtual ~PatchTarget() = default;
  // The value at `path`; NotFound if absent.
  virtual Result<json::value> Get(const JsonPointer& path) = 0;
  // True if `path` names an existing value.
  virtual Result<bool> Exists(const JsonPointer& path) = 0;
  // RFC 6902 "add": sets an object member, inserts into an array ("-" appends),
  // or replaces the whole value at "". The parent must exist.
  virtual Status Add(const JsonPointer& path, json::value value) = 0;
  // Removes the value at `path`, which must exist and not be "".
  virtual Status Remove(const JsonPointer& path) = 0;
  // Replaces the value at `path`, which must exist.
  virtual Status Replace(const JsonPointer& path, json::value value) = 0;
};

// Applies `patch` to `target` in order; stops at the first failing
// operation, whose error names its index and pointer. Not atomic by itself:
// atomicity is the target's (see above).
Status ApplyPatch(PatchTarget& target, const Patch& patch);

// Applies `patch` to `doc`, all or nothing.
Status ApplyPatch(json::value& doc, const Patch& patch);

// A PatchTarget over a value in memory.
class ValueTarget : public PatchTarget {
 public:
  explicit ValueTarget(json::value& root) : root_(root) {}
  Result<json::value> Get(const JsonPointer& path) override;
  Result<bool> Exists(const JsonPointer& path) override;
  Status Add(const JsonPointer& path, json::value value) override;
  Status Remove(const JsonPointer& path) override;
  Status Replace(const JsonPointer& path, json::value value) override;

 private:
  json::value& root_;
};

}  // namespace strata
