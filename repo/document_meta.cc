#include "repo/document_meta.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "strata/json.h"

namespace strata {

DocumentInfo DocumentInfoFromJson(const std::string& id, const json::value& v) {
  DocumentInfo info;
  info.id = id;
  if (!v.is_object()) return info;
  const auto& o = v.get_object();
  auto num = [](const json::value* x) -> std::int64_t {
    return x && x->is_int64() ? x->get_int64() : 0;
  };
  auto str = [](const json::value* x) -> std::string {
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  info.versions = static_cast<std::uint64_t>(num(o.if_contains("versions")));
  if (const auto* c = o.if_contains("created"); c && c->is_object()) {
    info.created_at = num(c->get_object().if_contains("at"));
    info.created_by = str(c->get_object().if_contains("by"));
  }
  if (const auto* u = o.if_contains("updated"); u && u->is_object()) {
    info.updated_at = num(u->get_object().if_contains("at"));
    info.updated_by = str(u->get_object().if_contains("by"));
  }
  return info;
}

json::value DocumentInfoToJson(const DocumentInfo& info) {
  return json::object{
      {"versions", info.versions},
      {"created", json::object{{"at", info.created_at}, {"by", info.created_by}}},
      {"updated", json::object{{"at", info.updated_at}, {"by", info.updated_by}}},
  };
}

std::vector<std::string> TouchedDocuments(const Patch& delta) {
  // A delta lists a document's operations together: a vector sorted once
  // costs far less than a set's node per document (an import adds 100,000).
  std::vector<std::string> docs;
  auto add = [&](const std::string& doc) {
    if (docs.empty() || docs.back() != doc) docs.push_back(doc);
  };
  for (const auto& op : delta) {
    if (!op.path.IsRoot()) add(op.path.tokens()[0]);
    if (op.kind == PatchOpKind::kMove && !op.from.IsRoot()) add(op.from.tokens()[0]);
  }
  std::sort(docs.begin(), docs.end());
  docs.erase(std::unique(docs.begin(), docs.end()), docs.end());
  return docs;
}

Result<ObjectId> UpdateDocumentMeta(ObjectStore& store, const std::optional<ObjectId>& base,
                                    const Patch& delta, const std::string& author,
                                    std::int64_t time) {
  return UpdateDocumentMeta(store, base, delta, TouchedDocuments(delta), author, time);
}

Result<ObjectId> UpdateDocumentMeta(ObjectStore& store, const std::optional<ObjectId>& base,
                                    const Patch& delta, const std::vector<std::string>& touched,
                                    const std::string& author, std::int64_t time) {
  // A delta from DiffStates removes a whole document only with a one-token
  // "remove"; every other touched document exists afterwards.
  std::set<std::string> removed;
  for (const auto& op : delta) {
    if (op.kind == PatchOpKind::kRemove && op.path.tokens().size() == 1) {
      removed.insert(op.path.tokens()[0]);
    }
  }
  // The documents a version creates share one metadata value, so one blob:
  // each distinct value is encoded once (an import creates 100,000).
  std::map<std::string, ValueRef, std::less<>> encoded;  // canonical JSON -> stored
  // A document's new metadata is a function of its old metadata (one id,
  // one value), the author and the time: documents that share their old
  // metadata (those one version created or last changed) share the new
  // one, which is read, made and stored once (a patch of 100,000 documents
  // an import created reads one blob, not 100,000).
  std::unordered_map<ObjectId, ValueRef> updated;  // old metadata -> new
  std::optional<ValueRef> created;                 // a new document's
  // Sorted and unique as `touched` is: a vector, not a map's node a document.
  std::vector<MemberChange> changes;
  changes.reserve(touched.size());
  for (const std::string& doc : touched) {
    std::optional<ValueRef> old;
    if (base) {
      STRATA_ASSIGN_OR_RETURN(old, FindMember(store, *base, doc));
    }
    if (removed.count(doc)) {
      if (old) changes.emplace_back(doc, std::nullopt);
      continue;
    }
    if (old) {
      if (auto it = updated.find(old->id); it != updated.end()) {
        changes.emplace_back(doc, it->second);
        continue;
      }
    } else if (created) {
      changes.emplace_back(doc, *created);
      continue;
    }
    DocumentInfo info;
    info.id = doc;
    if (old) {
      STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(store, *old));
      info = DocumentInfoFromJson(doc, v);
    } else {
      info.created_at = time;
      info.created_by = author;
    }
    info.versions += 1;
    info.updated_at = time;
    info.updated_by = author;
    const json::value value = DocumentInfoToJson(info);
    std::string text = CanonicalJson(value);
    auto it = encoded.find(text);
    if (it == encoded.end()) {
      STRATA_RETURN_IF_ERROR(CheckStorable(value).WithContext("in the metadata of '" + doc + "'"));
      STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeValue(store, value, 1));
      it = encoded.emplace(std::move(text), ref).first;
    }
    if (old) {
      updated.emplace(old->id, it->second);
    } else {
      created = it->second;
    }
    changes.emplace_back(doc, it->second);
  }
  if (changes.empty() && base) return *base;
  // The tree StateEditor would write: only the shards holding changed
  // documents are read and rewritten.
  STRATA_ASSIGN_OR_RETURN(ValueRef tree, UpdateObject(store, base, changes, /*force_tree=*/true));
  return tree.id;
}

Result<DocumentInfo> ReadDocumentInfo(ObjectStore& store, const std::optional<ObjectId>& meta,
                                      const std::string& doc) {
  DocumentInfo unknown;
  unknown.id = doc;
  if (!meta) return unknown;
  STRATA_ASSIGN_OR_RETURN(std::optional<ValueRef> m, FindMember(store, *meta, doc));
  if (!m) return unknown;
  STRATA_ASSIGN_OR_RETURN(json::value v, DecodeValue(store, *m));
  return DocumentInfoFromJson(doc, v);
}

}  // namespace strata
