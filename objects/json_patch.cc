#include "strata/json_patch.h"

#include <array>

#include "objects/guard.h"

namespace strata {
namespace {

constexpr std::array<std::pair<PatchOpKind, const char*>, 6> kOpNames = {{
    {PatchOpKind::kAdd, "add"},
    {PatchOpKind::kRemove, "remove"},
    {PatchOpKind::kReplace, "replace"},
    {PatchOpKind::kMove, "move"},
    {PatchOpKind::kCopy, "copy"},
    {PatchOpKind::kTest, "test"},
}};

const char* OpName(PatchOpKind kind) {
  for (auto [k, name] : kOpNames) {
    if (k == kind) return name;
  }
  return "?";
}

Result<JsonPointer> PointerMember(const json::object& op, const char* name, std::size_t index) {
  const json::value* v = op.if_contains(name);
  std::string where = "patch operation " + std::to_string(index);
  if (!v) return Status::InvalidArgument(where + ": missing \"" + name + "\"");
  if (!v->is_string()) {
    return Status::InvalidArgument(where + ": \"" + name + "\" must be a string");
  }
  Result<JsonPointer> p = JsonPointer::Parse(v->get_string());
  if (!p.ok()) return p.status().WithContext(where);
  return p;
}

}  // namespace

std::string PatchOp::Describe() const {
  std::string out = OpName(kind);
  if (kind == PatchOpKind::kMove || kind == PatchOpKind::kCopy) {
    out += " '" + from.ToString() + "' ->";
  }
  out += " '" + path.ToString() + "'";
  return out;
}

Result<Patch> ParsePatch(const json::value& patch) try {
  if (!patch.is_array()) {
    return Status::InvalidArgument("a JSON Patch must be an array of operations");
  }
  Patch ops;
  const auto& arr = patch.get_array();
  ops.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    std::string where = "patch operation " + std::to_string(i);
    if (!arr[i].is_object()) return Status::InvalidArgument(where + ": must be an object");
    const json::object& o = arr[i].get_object();
    const json::value* op_name = o.if_contains("op");
    if (!op_name) return Status::InvalidArgument(where + ": missing \"op\"");
    if (!op_name->is_string()) return Status::InvalidArgument(where + ": \"op\" must be a string");
    PatchOp op;
    bool known = false;
    for (auto [k, name] : kOpNames) {
      if (op_name->get_string() == name) {
        op.kind = k;
        known = true;
      }
    }
    if (!known) {
      return Status::InvalidArgument(where + ": unknown op \"" +
                                     std::string(op_name->get_string()) + "\"");
    }
    STRATA_ASSIGN_OR_RETURN(op.path, PointerMember(o, "path", i));
    if (op.kind == PatchOpKind::kMove || op.kind == PatchOpKind::kCopy) {
      STRATA_ASSIGN_OR_RETURN(op.from, PointerMember(o, "from", i));
    }
    if (op.kind == PatchOpKind::kAdd || op.kind == PatchOpKind::kReplace ||
        op.kind == PatchOpKind::kTest) {
      const json::value* value = o.if_contains("value");
      if (!value) return Status::InvalidArgument(where + ": missing \"value\"");
      if (std::optional<std::string> bad = FindNonFinite(*value)) {
        return Status::InvalidArgument(where + ": non-finite number in \"value\" at '" + *bad +
                                       "'");
      }
      op.value = *value;
    }
    ops.push_back(std::move(op));
  }
  return ops;
} catch (...) {
  return CaughtStatus("ParsePatch");
}

const char* PatchOpName(PatchOpKind kind) { return OpName(kind); }

bool PatchOpHasFrom(PatchOpKind kind) {
  return kind == PatchOpKind::kMove || kind == PatchOpKind::kCopy;
}

bool PatchOpHasValue(PatchOpKind kind) {
  return kind == PatchOpKind::kAdd || kind == PatchOpKind::kReplace || kind == PatchOpKind::kTest;
}

json::value PatchOpToJson(const PatchOp& op) {
  json::object o;
  o["op"] = OpName(op.kind);
  if (PatchOpHasFrom(op.kind)) o["from"] = op.from.ToString();
  o["path"] = op.path.ToString();
  if (PatchOpHasValue(op.kind)) o["value"] = op.value;
  return o;
}

json::value PatchToJson(const Patch& patch) {
  json::array arr;
  arr.reserve(patch.size());
  for (const auto& op : patch) arr.push_back(PatchOpToJson(op));
  return arr;
}

Status ApplyPatch(PatchTarget& target, const Patch& patch) try {
  for (std::size_t i = 0; i < patch.size(); ++i) {
    const PatchOp& op = patch[i];
    Status s;
    switch (op.kind) {
      case PatchOpKind::kAdd:
        s = target.Add(op.path, op.value);
        break;
      case PatchOpKind::kRemove:
        s = target.Remove(op.path);
        break;
      case PatchOpKind::kReplace:
        s = target.Replace(op.path, op.value);
        break;
      case PatchOpKind::kMove: {
        if (op.from.IsPrefixOf(op.path) && !(op.from == op.path)) {
          s = Status::InvalidArgument("cannot move a value into one of its own children");
          break;
        }
        Result<json::value> v = target.Get(op.from);
        if (!v.ok()) {
          s = v.status().WithContext("from");
          break;
        }
        if (op.from == op.path) break;
        s = target.Remove(op.from);
        if (s.ok()) s = target.Add(op.path, std::move(v).value());
        break;
      }
      case PatchOpKind::kCopy: {
        Result<json::value> v = target.Get(op.from);
        if (!v.ok()) {
          s = v.status().WithContext("from");
          break;
        }
        s = target.Add(op.path, std::move(v).value());
        break;
      }
      case PatchOpKind::kTest: {
        Result<json::value> v = target.Get(op.path);
        if (!v.ok()) {
          s = v.status();
        } else if (!Equal(*v, op.value)) {
          s = Status::Conflict("test failed: the value at '" + op.path.ToString() + "' is " +
                               CanonicalJson(*v) + ", not " + CanonicalJson(op.value));
        }
        break;
      }
    }
    if (!s.ok()) {
      return s.WithContext("patch operation " + std::to_string(i) + " (" + op.Describe() + ")");
    }
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("ApplyPatch");
}

Status ApplyPatch(json::value& doc, const Patch& patch) try {
  json::value copy = doc;
  ValueTarget target(copy);
  STRATA_RETURN_IF_ERROR(ApplyPatch(target, patch));
  doc = std::move(copy);
  return Status::Ok();
} catch (...) {
  return CaughtStatus("ApplyPatch");
}

Result<json::value> ValueTarget::Get(const JsonPointer& path) try {
  STRATA_ASSIGN_OR_RETURN(const json::value* v,
                          ResolvePointer(static_cast<const json::value&>(root_), path));
  return *v;
} catch (...) {
  return CaughtStatus("ValueTarget::Get");
}

Result<bool> ValueTarget::Exists(const JsonPointer& path) try {
  return ResolvePointer(static_cast<const json::value&>(root_), path).ok();
} catch (...) {
  return CaughtStatus("ValueTarget::Exists");
}

Status ValueTarget::Add(const JsonPointer& path, json::value value) try {
  if (path.IsRoot()) {
    root_ = std::move(value);
    return Status::Ok();
  }
  Result<json::value*> parent = ResolvePointer(root_, path.Parent());
  if (!parent.ok()) return parent.status().WithContext("the parent of '" + path.ToString() + "'");
  json::value& p = **parent;
  const std::string& token = path.Back();
  if (p.is_object()) {
    // operator[] reserves room before it looks, which rehashes a full object.
    json::object& o = p.get_object();
    if (json::value* existing = o.if_contains(token))
      *existing = std::move(value);
    else
      o.emplace(token, std::move(value));
    return Status::Ok();
  }
  if (p.is_array()) {
    json::array& arr = p.get_array();
    if (token == "-") {
      arr.push_back(std::move(value));
      return Status::Ok();
    }
    std::optional<std::size_t> index = ParseArrayIndex(token);
    if (!index) {
      return Status::InvalidArgument("'" + token + "' is not an array index at '" +
                                     path.Parent().ToString() + "'");
    }
    if (*index > arr.size()) {
      return Status::NotFound("index " + token + " is beyond the end of the array of " +
                              std::to_string(arr.size()) + " at '" + path.Parent().ToString() +
                              "'");
    }
    arr.insert(arr.begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
    return Status::Ok();
  }
  return Status::NotFound("the value at '" + path.Parent().ToString() +
                          "' is not an object or array");
} catch (...) {
  return CaughtStatus("ValueTarget::Add");
}

Status ValueTarget::Remove(const JsonPointer& path) try {
  if (path.IsRoot()) return Status::InvalidArgument("cannot remove the whole value ('')");
  STRATA_ASSIGN_OR_RETURN(json::value * parent, ResolvePointer(root_, path.Parent()));
  const std::string& token = path.Back();
  if (parent->is_object()) {
    if (parent->get_object().erase(token) == 0) {
      return Status::NotFound("no member '" + token + "' in the object at '" +
                              path.Parent().ToString() + "'");
    }
    return Status::Ok();
  }
  if (parent->is_array()) {
    json::array& arr = parent->get_array();
    std::optional<std::size_t> index = ParseArrayIndex(token);
    if (!index || *index >= arr.size()) {
      return Status::NotFound("no element '" + token + "' in the array of " +
                              std::to_string(arr.size()) + " at '" + path.Parent().ToString() +
                              "'");
    }
    arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(*index));
    return Status::Ok();
  }
  return Status::NotFound("the value at '" + path.Parent().ToString() +
                          "' is not an object or array");
} catch (...) {
  return CaughtStatus("ValueTarget::Remove");
}

Status ValueTarget::Replace(const JsonPointer& path, json::value value) try {
  STRATA_ASSIGN_OR_RETURN(json::value * target, ResolvePointer(root_, path));
  *target = std::move(value);
  return Status::Ok();
} catch (...) {
  return CaughtStatus("ValueTarget::Replace");
}

}  // namespace strata
