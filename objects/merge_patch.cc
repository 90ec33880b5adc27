// RFC 7396 merge patches, generated and applied with explicit work lists
// (values may nest 10,000 deep; nothing here recurses on depth).
#include "objects/merge_patch.h"

#include <string>
#include <utility>
#include <vector>

#include "strata/json_pointer.h"

namespace strata {
namespace {

// The pointer of the first null that an object patch would read as
// "remove": `v` itself if null, else a null member of an object reached from
// `v` through objects only (arrays are copied verbatim, so nulls inside them
// are kept).
std::optional<std::string> FirstUnsettableNull(const json::value& v, const std::string& where) {
  std::vector<std::pair<const json::value*, std::string>> work{{&v, where}};
  while (!work.empty()) {
    auto [cur, path] = std::move(work.back());
    work.pop_back();
    if (cur->is_null()) return path;
    if (!cur->is_object()) continue;
    for (const auto& m : cur->as_object()) {
      work.emplace_back(&m.value(), path + "/" + EscapePointerToken(m.key()));
    }
  }
  return std::nullopt;
}

std::string Unsettable(const std::string& path) {
  return "a JSON merge patch (RFC 7396) cannot set " + (path.empty() ? "the value" : path) +
         " to null: null means \"remove\" in a merge patch (use --format patch)";
}

}  // namespace

Result<json::value> CreateMergePatch(const json::value& from, const json::value& to) {
  if (!from.is_object() || !to.is_object()) {
    // A non-object patch replaces the target whole; an object patch onto a
    // non-object starts from {} and so must hold no null member.
    if (to.is_object()) {
      if (auto p = FirstUnsettableNull(to, "")) return Status::InvalidArgument(Unsettable(*p));
    }
    return to;
  }
  json::value out = json::object();
  struct Work {
    const json::object* from;
    const json::object* to;
    json::object* out;
    std::string path;
  };
  std::vector<Work> work{{&from.as_object(), &to.as_object(), &out.as_object(), ""}};
  while (!work.empty()) {
    Work w = std::move(work.back());
    work.pop_back();
    for (const auto& m : *w.from) {
      if (!w.to->contains(m.key())) (*w.out)[m.key()] = nullptr;
    }
    // Nested patches are queued once this object is complete: inserting
    // into it may move its members.
    std::vector<const json::key_value_pair*> nested;
    for (const auto& m : *w.to) {
      const std::string path = w.path + "/" + EscapePointerToken(m.key());
      auto old = w.from->find(m.key());
      if (old != w.from->end() && Equal(old->value(), m.value())) continue;
      if (old != w.from->end() && old->value().is_object() && m.value().is_object()) {
        // They differ, so the nested patch is not empty.
        (*w.out)[m.key()] = json::object();
        nested.push_back(&m);
        continue;
      }
      if (auto p = FirstUnsettableNull(m.value(), path)) {
        return Status::InvalidArgument(Unsettable(*p));
      }
      (*w.out)[m.key()] = m.value();
    }
    for (const json::key_value_pair* m : nested) {
      work.push_back({&w.from->at(m->key()).as_object(), &m->value().as_object(),
                      &w.out->at(m->key()).as_object(),
                      w.path + "/" + EscapePointerToken(m->key())});
    }
  }
  return out;
}

json::value ApplyMergePatch(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) return patch;
  json::value result = target.is_object() ? target : json::value(json::object());
  std::vector<std::pair<json::object*, const json::object*>> work{
      {&result.as_object(), &patch.as_object()}};
  while (!work.empty()) {
    auto [t, p] = work.back();
    work.pop_back();
    for (const auto& m : *p) {
      if (m.value().is_null()) {
        t->erase(m.key());
      } else if (m.value().is_object()) {
        json::value& slot = (*t)[m.key()];
        if (!slot.is_object()) slot = json::object();
      } else {
        (*t)[m.key()] = m.value();
      }
    }
    // Only now, with `t` complete (inserting and erasing move its members).
    for (const auto& m : *p) {
      if (m.value().is_object()) {
        work.emplace_back(&t->at(m.key()).as_object(), &m.value().as_object());
      }
    }
  }
  return result;
}

}  // namespace strata
