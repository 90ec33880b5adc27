#include "strata/snapshot.h"

#include <algorithm>
#include <map>

#include "objects/delta_codec.h"
#include "objects/guard.h"
#include "objects/merge_patch.h"
#include "objects/tree_diff.h"
#include "repo/refs.h"
#include "repo/repository_impl.h"
#include "repo/value_walk.h"
#include "repo/version_tree.h"
#include "strata/repository.h"

namespace strata {
namespace {

std::vector<Change> ToChanges(std::vector<DiffEntry> entries) {
  std::vector<Change> out;
  out.reserve(entries.size());
  for (DiffEntry& e : entries) {
    Change c;
    if (!e.op.path.IsRoot()) {
      c.doc = e.op.path.tokens()[0];
      c.pointer = e.op.path.Slice(1, e.op.path.tokens().size());
    }
    c.op = std::move(e.op);
    c.old_value = std::move(e.old_value);
    out.push_back(std::move(c));
  }
  return out;
}

// The value at `doc` `pointer` in `s`, or null when it is absent.
Result<json::value> ValueOrNull(Snapshot& s, const std::string& doc, const JsonPointer& pointer) {
  Result<json::value> v = s.Get(doc, pointer);
  if (!v.ok() && v.status().code() == Code::kNotFound) return json::value(nullptr);
  return v;
}

}  // namespace

bool DiffFilter::Covers(const Change& c) const {
  if (empty()) return true;
  if (std::find(docs.begin(), docs.end(), c.doc) != docs.end()) return true;
  for (const auto& [doc, pointer] : paths) {
    if (doc == c.doc && (pointer.IsPrefixOf(c.pointer) || c.pointer.IsPrefixOf(pointer))) {
      return true;
    }
  }
  return false;
}

std::string Snapshot::Where() const {
  if (!version_) return rev_;
  std::string shortid = version_->id.substr(0, 12);
  bool is_id = rev_.size() >= 7 && version_->id.rfind(rev_, 0) == 0;
  return is_id ? shortid : rev_ + " (" + shortid + ")";
}

Result<bool> Snapshot::Contains(const std::string& doc) try {
  if (!state_) return false;
  STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> ref,
                          FindMember(*repo_->impl_->store_, *state_, doc));
  return ref.has_value();
} catch (...) {
  return CaughtStatus("Snapshot::Contains");
}

Result<json::value> Snapshot::Get(const std::string& doc, const JsonPointer& pointer) try {
  STRATA_ASSIGN_OR_RETURN(std::optional<json::value> v, Read(doc, pointer, nullptr));
  return std::move(*v);
} catch (...) {
  return CaughtStatus("Snapshot::Get");
}

Status Snapshot::GetText(const std::string& doc, const JsonPointer& pointer,
                         const FormatOptions& options, const TextSink& sink) try {
  ObjectStore& store = *repo_->impl_->store_;
  STRATA_ASSIGN_OR_RETURN(
      std::optional<json::value> v, Read(doc, pointer, [&](const ObjectId& id, bool is_array) {
        return WriteValueText(store, ValueRef{id, true, is_array}, options, sink);
      }));
  if (!v) return Status::Ok();
  return sink(FormatJson(*v, options));
} catch (...) {
  return CaughtStatus("Snapshot::GetText");
}

Result<std::optional<json::value>> Snapshot::Read(const std::string& doc,
                                                  const JsonPointer& pointer,
                                                  const TreeReader& tree) {
  ObjectStore& store = *repo_->impl_->store_;
  std::optional<ValueRef> ref;
  if (state_) {
    STRATA_ASSIGN_OR_RETURN(ref, FindMember(store, *state_, doc));
  }
  if (!ref) {
    if (!version_) {
      return Status::NotFound("no document '" + doc + "': branch '" + rev_ +
                              "' has no versions yet");
    }
    return Status::NotFound("no document '" + doc + "' at " + Where());
  }
  // Follow the pointer through object trees first.
  std::size_t consumed = 0;
  const auto& tokens = pointer.tokens();
  while (ref->is_object_node() && consumed < tokens.size()) {
    STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> member,
                            FindMember(store, ref->id, tokens[consumed]));
    if (!member) {
      return Status::NotFound("in document '" + doc + "' at " + Where() + ": no member '" +
                              tokens[consumed] + "' in the object at '" +
                              pointer.Slice(0, consumed).ToString() + "'");
    }
    ref = member;
    ++consumed;
  }
  if (tree && ref->is_tree && consumed == tokens.size()) {
    STRATA_RETURN_IF_ERROR(tree(ref->id, ref->is_array));
    return std::optional<json::value>();
  }
  STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(store, *ref));
  if (consumed == tokens.size()) return std::optional<json::value>(std::move(v));
  JsonPointer rest = pointer.Slice(consumed, tokens.size());
  Result<const json::value*> at = ResolvePointer(std::as_const(v), rest);
  if (!at.ok()) {
    return Status(
        at.status().code(),
        "in document '" + doc + "' at " + Where() + ": " + at.status().message() +
            (consumed > 0 ? " (below '" + pointer.Slice(0, consumed).ToString() + "')" : ""));
  }
  return std::optional<json::value>(**at);
}

Result<json::value> Snapshot::State() try {
  if (!state_) return json::value(json::object());
  return DecodeValue(*repo_->impl_->store_, ValueRef{*state_, true});
} catch (...) {
  return CaughtStatus("Snapshot::State");
}

Result<std::vector<DocumentInfo>> Snapshot::List() try {
  std::vector<DocumentInfo> out;
  if (!state_) return out;
  ObjectStore& store = *repo_->impl_->store_;
  std::vector<Member> docs;
  STRATA_RETURN_IF_ERROR(ReadMembers(store, *state_, docs));
  std::map<std::string, ValueRef> meta_refs;
  if (meta_) {
    std::vector<Member> metas;
    STRATA_RETURN_IF_ERROR(ReadMembers(store, *meta_, metas));
    for (auto& m : metas) meta_refs[m.key] = m.ref;
  }
  out.reserve(docs.size());
  for (const auto& d : docs) {
    DocumentInfo info;
    info.id = d.key;
    if (auto it = meta_refs.find(d.key); it != meta_refs.end()) {
      STRATA_ASSIGN_OR_RETURN(json::value m, DecodeValue(store, it->second));
      info = DocumentInfoFromJson(d.key, m);
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
} catch (...) {
  return CaughtStatus("Snapshot::List");
}

namespace {

// The state's documents as stored (id and object reference), sorted by id.
Result<std::vector<Member>> SortedMembers(ObjectStore& store,
                                          const std::optional<ObjectId>& state) {
  std::vector<Member> members;
  if (!state) return members;
  STRATA_RETURN_IF_ERROR(ReadMembers(store, *state, members));
  std::sort(members.begin(), members.end(),
            [](const Member& a, const Member& b) { return a.key < b.key; });
  return members;
}

}  // namespace

Result<std::vector<std::string>> Snapshot::Ids() try {
  STRATA_ASSIGN_OR_RETURN(std::vector<Member> members,
                          SortedMembers(*repo_->impl_->store_, state_));
  std::vector<std::string> ids;
  ids.reserve(members.size());
  for (Member& m : members) ids.push_back(std::move(m.key));
  return ids;
} catch (...) {
  return CaughtStatus("Snapshot::Ids");
}

Status Snapshot::ForEachDocument(const DocumentVisitor& visit) try {
  ObjectStore& store = *repo_->impl_->store_;
  STRATA_ASSIGN_OR_RETURN(std::vector<Member> members, SortedMembers(store, state_));
  for (const Member& m : members) {
    Result<json::value> doc = DecodeValue(store, m.ref);
    if (!doc.ok()) return doc.status().WithContext("document '" + m.key + "' at " + Where());
    STRATA_RETURN_IF_ERROR(visit(m.key, std::move(doc).value()));
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("Snapshot::ForEachDocument");
}

Status Snapshot::ForEachDocumentText(const FormatOptions& options,
                                     const DocumentTextVisitor& visit) try {
  ObjectStore& store = *repo_->impl_->store_;
  STRATA_ASSIGN_OR_RETURN(std::vector<Member> members, SortedMembers(store, state_));
  for (const Member& m : members) {
    const DocumentText write = [&](const TextSink& sink) -> Status {
      // A sink's own error (the file it writes) is the caller's to name;
      // one from reading the document names the document.
      bool sink_failed = false;
      const TextSink watched = [&](std::string_view piece) {
        Status s = sink(piece);
        sink_failed = !s.ok();
        return s;
      };
      Status written = WriteValueText(store, m.ref, options, watched);
      if (written.ok() || sink_failed) return written;
      return written.WithContext("document '" + m.key + "' at " + Where());
    };
    STRATA_RETURN_IF_ERROR(visit(m.key, write));
  }
  return Status::Ok();
} catch (...) {
  return CaughtStatus("Snapshot::ForEachDocumentText");
}

Result<DocumentInfo> Snapshot::Info(const std::string& doc) try {
  STRATA_ASSIGN_OR_RETURN(bool present, Contains(doc));
  if (!present) return Status::NotFound("no document '" + doc + "' at " + Where());
  return ReadDocumentInfo(*repo_->impl_->store_, meta_, doc);
} catch (...) {
  return CaughtStatus("Snapshot::Info");
}

Result<Patch> Snapshot::Delta() try {
  if (!version_) return Patch();
  if (viewed_) {
    // The stored delta holds what the perspective hides: the change is
    // made again from the views of this version and its parent.
    STRATA_ASSIGN_OR_RETURN(std::vector<Change> changes, Changes());
    Patch out;
    out.reserve(changes.size());
    for (Change& c : changes) out.push_back(std::move(c.op));
    return out;
  }
  if (!delta_) return Status::Corruption("version " + version_->id + " has no delta");
  STRATA_ASSIGN_OR_RETURN(std::string bytes, repo_->impl_->store_->ReadBlob(*delta_));
  Result<Patch> p = DecodeDelta(bytes);
  if (!p.ok()) return p.status().WithContext("version " + version_->id);
  return p;
} catch (...) {
  return CaughtStatus("Snapshot::Delta");
}

Result<std::vector<Change>> Snapshot::Changes() try {
  if (!version_) return std::vector<Change>();
  std::optional<ObjectId> parent_state;
  if (!version_->parents.empty()) {
    STRATA_ASSIGN_OR_RETURN(Snapshot parent, repo_->Read(version_->parents[0]));
    parent_state = parent.state_;
  }
  std::vector<DiffEntry> entries;
  STRATA_RETURN_IF_ERROR(DiffStates(*repo_->impl_->store_, parent_state, state_, entries));
  return ToChanges(std::move(entries));
} catch (...) {
  return CaughtStatus("Snapshot::Changes");
}

Result<std::vector<Change>> Snapshot::Changes(const std::string& doc) try {
  std::optional<ObjectId> parent_state;
  if (version_ && !version_->parents.empty()) {
    STRATA_ASSIGN_OR_RETURN(Snapshot parent, repo_->Read(version_->parents[0]));
    parent_state = parent.state_;
  }
  ObjectStore& store = *repo_->impl_->store_;
  STRATA_ASSIGN_OR_RETURN(Located before, Locate(store, parent_state, doc));
  STRATA_ASSIGN_OR_RETURN(Located after, Locate(store, state_, doc));
  if (!before.present && !after.present) {
    return Status::NotFound("no document '" + doc + "' at " + Where() + " or its parent");
  }
  return ChangesAt(store, before, after, doc, JsonPointer());
} catch (...) {
  return CaughtStatus("Snapshot::Changes");
}

Result<std::vector<Change>> Snapshot::DiffTo(Snapshot& to) try {
  std::vector<DiffEntry> entries;
  STRATA_RETURN_IF_ERROR(DiffStates(*repo_->impl_->store_, state_, to.state_, entries));
  return ToChanges(std::move(entries));
} catch (...) {
  return CaughtStatus("Snapshot::DiffTo");
}

Result<std::vector<Change>> Snapshot::DiffTo(Snapshot& to, const DiffFilter& filter) try {
  STRATA_ASSIGN_OR_RETURN(std::vector<Change> all, DiffTo(to));
  if (filter.empty()) return all;
  std::vector<Change> out;
  for (Change& c : all) {
    if (filter.Covers(c)) out.push_back(std::move(c));
  }
  return out;
} catch (...) {
  return CaughtStatus("Snapshot::DiffTo");
}

Result<json::value> Snapshot::MergePatchTo(Snapshot& to, const DiffFilter& filter) try {
  // One value named: the patch is over that value.
  if (filter.docs.size() + filter.paths.size() == 1) {
    const std::string& doc = filter.docs.empty() ? filter.paths[0].first : filter.docs[0];
    const JsonPointer pointer = filter.docs.empty() ? filter.paths[0].second : JsonPointer();
    STRATA_ASSIGN_OR_RETURN(json::value a, ValueOrNull(*this, doc, pointer));
    STRATA_ASSIGN_OR_RETURN(json::value b, ValueOrNull(to, doc, pointer));
    return CreateMergePatch(a, b);
  }
  // Over the state: only the documents that changed (and the filter keeps)
  // are read, from both sides; the others would patch to nothing.
  STRATA_ASSIGN_OR_RETURN(std::vector<Change> changes, DiffTo(to, filter));
  json::object a, b;
  for (const Change& c : changes) {
    if (a.contains(c.doc) || b.contains(c.doc)) continue;
    Result<json::value> before = Get(c.doc);
    if (before.ok()) {
      a[c.doc] = std::move(before).value();
    } else if (before.status().code() != Code::kNotFound) {
      return before.status();
    }
    Result<json::value> after = to.Get(c.doc);
    if (after.ok()) {
      b[c.doc] = std::move(after).value();
    } else if (after.status().code() != Code::kNotFound) {
      return after.status();
    }
  }
  Result<json::value> patch = CreateMergePatch(a, b);
  return patch;
} catch (...) {
  return CaughtStatus("Snapshot::MergePatchTo");
}

}  // namespace strata
