// Snapshot: the one way out. Every read of a repository's state (documents,
// values, listings, metadata, deltas and diffs) goes through a Snapshot: a
// revision resolved once to one version, so every answer read from it
// agrees, however the branch moves meanwhile (LevelDB's Snapshot; git's
// parse of a commit once per revision, then trees by id). A filter on what
// a reader may see (perspectives) applies here, and so at every read.
//
//   Result<Snapshot> s = repo->Read("HEAD~2");
//   if (!s.ok()) return s.status();
//   Result<json::value> host = s->Get("config/app1", *JsonPointer::Parse("/db/host"));
//   s->version()->id;  // the version the value came from
//
// A Snapshot borrows its Repository, which must outlive it; like the
// Repository, it is used from one thread at a time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/json_patch.h"
#include "strata/object_id.h"
#include "strata/version.h"

namespace strata {

class Repository;

// A document's metadata, kept with every version (no history walk reads it).
struct DocumentInfo {
  std::string id;
  std::uint64_t versions = 0;  // versions that changed this document since it was created
  std::int64_t created_at = 0;
  std::string created_by;  // "Name <email>"
  std::int64_t updated_at = 0;
  std::string updated_by;
};

DocumentInfo DocumentInfoFromJson(const std::string& id, const json::value& v);
json::value DocumentInfoToJson(const DocumentInfo& info);

// One operation of a delta or diff, with the value it replaced or removed.
struct Change {
  PatchOp op;                            // its path starts with the document id
  std::string doc;                       // the document the operation touches
  JsonPointer pointer;                   // the path inside that document
  std::optional<json::value> old_value;  // for replace and remove
};

// What a diff covers: everything (no documents or paths named), or only
// the documents in `docs` and the values at `paths` (a document and a
// pointer in it).
struct DiffFilter {
  std::vector<std::string> docs;
  std::vector<std::pair<std::string, JsonPointer>> paths;

  bool empty() const { return docs.empty() && paths.empty(); }
  // Whether the filter keeps change `c`: its document is named, or its
  // pointer is inside a named path, or holds one (a parent replaced whole).
  bool Covers(const Change& c) const;
};

class Snapshot {
 public:
  // The version read; nullopt for a branch with no versions yet, whose
  // state is empty.
  const std::optional<VersionInfo>& version() const { return version_; }
  // The version's id, or "" for the empty state.
  std::string version_id() const { return version_ ? version_->id : std::string(); }
  // The revision as the caller named it, for messages.
  const std::string& rev() const { return rev_; }
  // What the reader should be told about how `rev` resolved, as git tells it
  // on stderr: "log for 'main' only goes back to ..." for a reflog date older
  // than the reflog. Empty as a rule.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The document `doc`, or the value at `pointer` in it. Object trees are
  // followed by the pointer, so reading one key of a large document decodes
  // that key's value only. NotFound names the document, the revision and
  // the missing member.
  Result<json::value> Get(const std::string& doc, const JsonPointer& pointer = JsonPointer());
  // Get's value as FormatJson(value, options) prints it, given to `sink` in
  // pieces. A value stored as trees (an object or array past 2 KiB) is
  // written from them as they are read, never decoded whole, so a corrupt
  // object found part way stops a text the sink has begun to receive.
  Status GetText(const std::string& doc, const JsonPointer& pointer, const FormatOptions& options,
                 const TextSink& sink);
  Result<bool> Contains(const std::string& doc);
  // Every document: the state as one object {id: document}.
  Result<json::value> State();
  // Every document with its metadata, sorted by id.
  Result<std::vector<DocumentInfo>> List();
  // One document's metadata; NotFound if the document is absent.
  Result<DocumentInfo> Info(const std::string& doc);
  // Every document's id, sorted bytewise. Reads the state's trees only,
  // never a document or its metadata.
  Result<std::vector<std::string>> Ids();
  // Gives every document to `visit`, in the order of Ids(), decoding one at
  // a time: a large state is never held whole (export streams it). Stops at
  // the first error, its own or one `visit` returns, and returns it.
  using DocumentVisitor = std::function<Status(const std::string& id, json::value doc)>;
  Status ForEachDocument(const DocumentVisitor& visit);
  // The same walk giving each document's text, as FormatJson(doc, options)
  // prints it, without decoding the document: `visit(id, write)` calls
  // `write(sink)` to have the text given to `sink` in pieces (as often as it
  // needs it again). A document stored as trees is never held whole: export
  // of a 100 MB document holds its largest object's keys and ids.
  using DocumentText = std::function<Status(const TextSink& sink)>;
  using DocumentTextVisitor =
      std::function<Status(const std::string& id, const DocumentText& write)>;
  Status ForEachDocumentText(const FormatOptions& options, const DocumentTextVisitor& visit);

  // The delta stored in this version, from its first parent's state (empty
  // for the empty state). Corruption names the version.
  Result<Patch> Delta();
  // What this version changed from its first parent (or from the empty
  // state), with old values.
  Result<std::vector<Change>> Changes();
  // What this version changed in `doc` only (comparing ids along the way, so
  // other documents are never read). NotFound if `doc` is neither in this
  // version nor in its first parent.
  Result<std::vector<Change>> Changes(const std::string& doc);
  // What changed from this snapshot's state to `to`'s, with old values, in
  // one pass that skips every subtree the two share.
  Result<std::vector<Change>> DiffTo(Snapshot& to);
  // The same, narrowed to what `filter` covers.
  Result<std::vector<Change>> DiffTo(Snapshot& to, const DiffFilter& filter);
  // The RFC 7396 merge patch (objects/merge_patch.h) that turns this state
  // into `to`'s: an object keyed by document id, a removed document null;
  // unchanged documents are left out. With a filter of exactly one document
  // (or one path), the patch is over that value (an absent one reads as
  // null); with several, over the state narrowed to their documents.
  // InvalidArgument when RFC 7396 cannot express the change (a value set to
  // null inside objects only; objects/merge_patch.h).
  Result<json::value> MergePatchTo(Snapshot& to, const DiffFilter& filter);

  // The state tree (nullopt: the empty state) and meta tree, for the
  // repository's own use (writes, verify).
  const std::optional<ObjectId>& state_tree() const { return state_; }
  const std::optional<ObjectId>& meta_tree() const { return meta_; }

 private:
  friend class Repository;
  Snapshot(Repository* repo, std::string rev) : repo_(repo), rev_(std::move(rev)) {}
  std::string Where() const;  // "HEAD~2" or "HEAD~2 (abc123def456)" for messages
  // Get's walk to the value at `pointer` in `doc`. If it ends on a tree and
  // `tree` is given, calls `tree(id, is_array)` and returns nullopt;
  // otherwise returns the value, decoded.
  using TreeReader = std::function<Status(const ObjectId& id, bool is_array)>;
  Result<std::optional<json::value>> Read(const std::string& doc, const JsonPointer& pointer,
                                          const TreeReader& tree);

  Repository* repo_;
  std::string rev_;
  std::vector<std::string> warnings_;
  std::optional<VersionInfo> version_;
  std::optional<ObjectId> state_, meta_, delta_;
  bool viewed_ = false;  // state_ is a perspective's view: the stored delta does not apply
};

}  // namespace strata
