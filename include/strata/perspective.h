// Perspectives: named views of the state (docs/perspectives.md).
//
// The `.perspectives` settings document defines them:
//
//   {"perspectives": {NAME: {"extends": NAME?, "docs": [GLOB...]?,
//                            "rules": [{"path": PATTERN, "action": ACTION}...]?}}}
//   GLOB    := ["!"] segment ("/" segment)*   over document ids; "*" is one
//              segment, "**" zero or more; neither matches a segment that
//              starts with "."; "!" excludes; the last glob that matches decides.
//   PATTERN := "" | ("/" token)+              a JSON pointer whose tokens may be
//              "*" (one token) or "**" (zero or more tokens)
//   ACTION  := "show" | "hide" | "mask"
//
// `extends` puts the parent's docs and rules before the child's own. Without
// any docs in the chain every document is visible; without any rules, visible
// documents are shown whole. A value is decided by the last rule whose
// pattern matches its pointer or one of its ancestors (none: hidden). A
// masked value reads as the string "***"; a hidden one is absent; a
// container appears when anything inside it appears (hidden array elements
// are left out and the rest close up).
//
// This file is pure: values in, values out. The repository applies a
// perspective to stored trees (repo/views.cc) and to writes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/json.h"
#include "strata/json_pointer.h"
#include "strata/status.h"

namespace strata {

inline constexpr const char* kPerspectivesDoc = ".perspectives";
inline constexpr const char* kMaskedValue = "***";

enum class ViewAction { kShow, kHide, kMask };
std::string_view ViewActionName(ViewAction a);  // "show", "hide", "mask"

// One rule after `extends` is followed.
struct ViewRule {
  std::string path;  // the pattern as written: "/secrets/**"
  ViewAction action = ViewAction::kShow;
  std::string from;  // the perspective that defined it
};

// Checks a whole `.perspectives` value: its form, every glob and pattern,
// every action, that every `extends` names a defined perspective, and that
// no chain of `extends` is a cycle. InvalidArgument says which perspective
// and what is wrong ("perspective 'x': extends 'y', which is not defined").
Status ValidatePerspectives(const json::value& doc);

// The names defined in a valid `.perspectives` value, sorted.
std::vector<std::string> PerspectiveNames(const json::value& doc);

struct CompiledPerspective;  // perspective.cc

// Immutable once resolved, and cheap to copy (the compiled form is shared):
// its calls may run on several threads at once.
class Perspective {
 public:
  // Resolves `name` from a `.perspectives` value (nullptr: there is none).
  // NotFound "unknown perspective 'NAME'" (listing the defined ones) when it
  // is not defined; InvalidArgument as ValidatePerspectives.
  static Result<Perspective> Resolve(const json::value* doc, const std::string& name);

  const std::string& name() const { return name_; }
  // A stable id of the resolved docs and rules (40 hex digits): two
  // perspectives with the same id give the same views. Views are cached
  // under it.
  const std::string& id() const { return id_; }
  // The resolved form: {"name", "extends": [chain, nearest first],
  // "docs": [globs] (absent when the chain has none), "rules": [{"path",
  // "action", "from"}]}.
  json::value ToJson() const;

  // Whether document `id` is visible at all.
  bool DocVisible(std::string_view id) const;

  // The action that decides the value at `pointer`.
  ViewAction Decide(const JsonPointer& pointer) const;
  // The action shared by the value at `pointer` and everything under it, if
  // they all share one (no later rule can match below it with another
  // action); nullopt when the value must be looked into. Cheap: looks at the
  // rules only.
  std::optional<ViewAction> Uniform(const JsonPointer& pointer) const;

  // The view of `value`, found at `at` inside its document; nullopt when
  // nothing of it appears. Iterative: deep values do not exhaust the stack.
  std::optional<json::value> View(const json::value& value, const JsonPointer& at = {}) const;

  // Every value of `doc` with its action, in document order: each leaf
  // (scalar, empty object or empty array) and each value decided whole by a
  // uniform hide or mask (reported once, not its insides). Iterative.
  std::vector<std::pair<JsonPointer, ViewAction>> Check(const json::value& doc) const;

  // The document to store when a reader of this perspective turned its view
  // of `stored` (nullopt: the document did not exist) into `edited`
  // (nullopt: removed it). Hidden values of `stored` are kept (so removing
  // a document whose values are partly hidden leaves the hidden ones, and
  // nullopt means nothing is left); a masked value left as "***" keeps its
  // stored value, any other value replaces it; hidden array elements keep
  // their places among the visible ones. InvalidArgument (naming the
  // pointer, never a value) when the edit would create or change a value
  // this perspective hides. Iterative.
  Result<std::optional<json::value>> Reapply(const std::optional<json::value>& stored,
                                             const std::optional<json::value>& edited) const;

  // Whether `a` and `b` (nullopt: absent) hold the same hidden values, that
  // is whether a write from `a` to `b` leaves alone everything this
  // perspective hides. Masked values may differ.
  bool HiddenEqual(const std::optional<json::value>& a, const std::optional<json::value>& b) const;

 private:
  std::string name_;
  std::string id_;
  std::vector<std::string> chain_;  // name_, then its parents
  bool has_docs_ = false;
  std::vector<std::string> docs_;  // globs, parents' first
  std::vector<ViewRule> rules_;    // parents' first
  // The globs and patterns above, compiled once by Resolve.
  std::shared_ptr<const CompiledPerspective> compiled_;
};

}  // namespace strata
