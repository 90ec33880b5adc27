#include "objects/json_diff.h"

#include <algorithm>
#include <variant>

namespace strata {
namespace {

bool SameKind(const json::value& a, const json::value& b) {
  auto number = [](const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); };
  if (number(a) && number(b)) return true;
  return a.kind() == b.kind();
}

struct Compare {
  const json::value* a;
  const json::value* b;
  JsonPointer path;
};

}  // namespace

void DiffValues(const json::value& a, const json::value& b, const JsonPointer& base, Patch& out) {
  // Work items run last-in first-out; each container pushes its children in
  // reverse so the patch comes out in document order.
  std::vector<std::variant<Compare, PatchOp>> work;
  work.push_back(Compare{&a, &b, base});
  while (!work.empty()) {
    auto item = std::move(work.back());
    work.pop_back();
    if (auto* op = std::get_if<PatchOp>(&item)) {
      out.push_back(std::move(*op));
      continue;
    }
    Compare c = std::move(std::get<Compare>(item));
    const json::value& x = *c.a;
    const json::value& y = *c.b;
    if (!SameKind(x, y) || !(x.is_object() || x.is_array())) {
      if (!Equal(x, y)) work.push_back(PatchOp{PatchOpKind::kReplace, c.path, {}, y});
      continue;
    }
    std::vector<std::variant<Compare, PatchOp>> children;
    if (x.is_object()) {
      const auto& ox = x.get_object();
      const auto& oy = y.get_object();
      std::vector<std::string_view> keys;
      keys.reserve(ox.size() + oy.size());
      for (const auto& kv : ox) keys.push_back(kv.key());
      for (const auto& kv : oy) {
        if (!ox.contains(kv.key())) keys.push_back(kv.key());
      }
      std::sort(keys.begin(), keys.end());
      for (std::string_view key : keys) {
        const json::value* vx = ox.if_contains(key);
        const json::value* vy = oy.if_contains(key);
        JsonPointer child = c.path.Child(std::string(key));
        if (!vy) {
          children.push_back(PatchOp{PatchOpKind::kRemove, std::move(child), {}, {}});
        } else if (!vx) {
          children.push_back(PatchOp{PatchOpKind::kAdd, std::move(child), {}, *vy});
        } else if (vx->is_primitive() && vy->is_primitive()) {
          if (!Equal(*vx, *vy)) {
            children.push_back(PatchOp{PatchOpKind::kReplace, std::move(child), {}, *vy});
          }
        } else {
          children.push_back(Compare{vx, vy, std::move(child)});
        }
      }
    } else {
      const auto& ax = x.get_array();
      const auto& ay = y.get_array();
      // Equal elements at both ends are left alone, so one element inserted
      // or removed anywhere is one operation, not a replace of every
      // element after it.
      const std::size_t shorter = std::min(ax.size(), ay.size());
      std::size_t prefix = 0;
      while (prefix < shorter && Equal(ax[prefix], ay[prefix])) ++prefix;
      std::size_t suffix = 0;
      while (prefix + suffix < shorter &&
             Equal(ax[ax.size() - 1 - suffix], ay[ay.size() - 1 - suffix])) {
        ++suffix;
      }
      const std::size_t end_x = ax.size() - suffix, end_y = ay.size() - suffix;
      const std::size_t common = std::min(end_x, end_y);  // compared in place up to here
      std::size_t ops = (end_x - common) + (end_y - common);
      for (std::size_t i = prefix; i < common; ++i) {
        if (!Equal(ax[i], ay[i])) ++ops;
      }
      // Nothing in common at either end and more operations than elements:
      // the whole array is the smaller patch.
      if (prefix == 0 && suffix == 0 && ops > ay.size()) {
        work.push_back(PatchOp{PatchOpKind::kReplace, c.path, {}, y});
        continue;
      }
      for (std::size_t i = prefix; i < common; ++i) {
        if (ax[i].is_primitive() && ay[i].is_primitive() && Equal(ax[i], ay[i])) continue;
        children.push_back(Compare{&ax[i], &ay[i], c.path.Child(std::to_string(i))});
      }
      // Removes from the last down, so each path is where it was in `a`.
      for (std::size_t i = end_x; i > common; --i) {
        children.push_back(
            PatchOp{PatchOpKind::kRemove, c.path.Child(std::to_string(i - 1)), {}, {}});
      }
      for (std::size_t i = common; i < end_y; ++i) {
        children.push_back(PatchOp{PatchOpKind::kAdd, c.path.Child(std::to_string(i)), {}, ay[i]});
      }
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) work.push_back(std::move(*it));
  }
}

}  // namespace strata
