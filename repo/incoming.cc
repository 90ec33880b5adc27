// CheckIncoming: what a fetch brought, checked before anything of it is
// trusted (repo/incoming.h; docs/sync.md, "What a fetch refuses").
//
// The walk, all of it iterative and pruned at objects `known` says we had:
//
//   1. ref names, one by one, then pairwise under case folding;
//   2. from each ref tip, through tags to a commit, then through parents:
//      every new commit is shaped like a version (ReadVersionTrees: root
//      tree {delta.zst, meta, state}) with a message strata could have
//      written (ValidateMessage);
//   3. each new state and meta tree, node by node, skipping known nodes: a
//      node is a shard (every entry ".xx", a tree) or flat (no entry starts
//      with '.'); each flat entry is an id spelt as EscapeKey spells it, in
//      the bucket KeyHash puts it in, that ValidateDocumentId accepts; a new
//      value of a settings document passes ValidateSettingsDocument. An
//      entry alike (name, id, type) in the node that passed last at the same
//      place, of the same kind and shape, passed there: it is skipped;
//   4. every new object (meta and document values included) is counted
//      once, with its size from the odb header, against IncomingLimits; an
//      object neither known nor sent is refused as missing;
//   5. case folding, per new state. Buckets are chosen by KeyHash of the id
//      as spelt, which case folding does not preserve, so two ids that fold
//      alike may sit in any two buckets, known ones included. New versions
//      are taken parents first, each compared with its first parent's state
//      by the ids that changed (objects/tree_diff.h ChangedMembers, which
//      skips shared buckets), or first, more cheaply, by the names of the
//      nodes that differ (SameIds: most versions change values only). A
//      version that adds no id to a parent state that passed (known, or
//      checked here) cannot hold twins: nothing more is read. Otherwise the check needs an index
//      {folded id -> id} of the whole state: it is carried along history (a version whose first
//      parent's state is the one indexed updates it by what changed), and
//      built where there is none to carry, by reading the names of all of
//      that state's document-level trees (shard and flat nodes; no document
//      is read): O(documents in that state), once per fetch and per fork of
//      the history, not per version.

#include "repo/incoming.h"

#include <utf8proc.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "objects/pack_reader.h"
#include "objects/tree_codec.h"
#include "objects/tree_diff.h"
#include "repo/version_tree.h"
#include "strata/document_id.h"
#include "strata/version.h"

namespace strata {
namespace {

using TagPtr = GitPtr<git_tag, git_tag_free>;

// `s` fit for an error message on a terminal: bytes below 0x20, DEL and
// bytes that are not UTF-8 as \xNN.
std::string Shown(std::string_view s) {
  std::string out;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  const auto size = static_cast<utf8proc_ssize_t>(s.size());
  for (utf8proc_ssize_t pos = 0; pos < size;) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t len = utf8proc_iterate(bytes + pos, size - pos, &c);
    if (len <= 0 || c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
      std::size_t n = len <= 0 ? 1 : static_cast<std::size_t>(len);
      for (std::size_t i = 0; i < n; ++i) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(bytes[pos + i]));
        out += buf;
      }
      pos += static_cast<utf8proc_ssize_t>(n);
      continue;
    }
    out.append(s.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(len)));
    pos += len;
  }
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += Shown(s);
  out += '\'';
  return out;
}

// Why ref name `name` is refused, or "" when it is not.
std::string RefNameReason(const std::string& name) {
  if (name.empty()) return "it is empty";
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(name.data());
  const auto size = static_cast<utf8proc_ssize_t>(name.size());
  for (utf8proc_ssize_t pos = 0; pos < size;) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t len = utf8proc_iterate(bytes + pos, size - pos, &c);
    if (len <= 0) return "it is not valid UTF-8 (at byte " + std::to_string(pos) + ")";
    if (utf8proc_category(c) == UTF8PROC_CATEGORY_CC) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
      return std::string("it holds a control character (") + buf + ")";
    }
    pos += len;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t slash = name.find('/', start);
    std::string_view seg = std::string_view(name).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg == "..") return "'..' cannot be a component";
    if (LooksLikeDotGit(seg)) {
      return "'" + std::string(seg) +
             "' cannot be a component: file systems may take it for .git, git's own folder";
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  EnsureLibgit2();
  int valid = 0;
  if (git_reference_name_is_valid(&valid, name.c_str()) < 0 || !valid) {
    git_error_clear();
    return "git does not accept it as a ref name";
  }
  return "";
}

std::string TypeName(git_object_t type) {
  const char* s = git_object_type2string(type);
  return s && *s ? s : "unknown object";
}

// A new commit met on the walk.
struct NewVersion {
  ObjectId id;
  std::string ref;                             // the remote ref it was reached from
  std::vector<ObjectId> parents;               // all of them, known or not
  ObjectId state;                              // its state tree
  std::optional<ObjectId> first_parent_state;  // filled in once every commit is read
};

// A state or meta node whose every entry passed step 3.
struct PassedNode {
  bool shard = false;  // a node of shard buckets, or flat
  std::vector<TreeEntry> entries;
};

// {folded id -> id} of one state (step 5 above).
struct FoldIndex {
  std::optional<ObjectId> state;  // nullopt: nothing indexed
  std::unordered_map<std::string, std::string> ids;
};

class IncomingChecker {
 public:
  IncomingChecker(ObjectStore& store, const std::function<bool(const ObjectId&)>& known,
                  const IncomingLimits& limits)
      : store_(store), reader_(store.objects_dir() + "/pack"), known_(known), limits_(limits) {}

  Status Run(const std::vector<IncomingRef>& refs) {
    STRATA_RETURN_IF_ERROR(CheckRefNames(refs));
    for (const IncomingRef& ref : refs) STRATA_RETURN_IF_ERROR(WalkRef(ref));
    STRATA_RETURN_IF_ERROR(WalkVersions());
    return CheckCaseFolds();
  }

 private:
  static Status CheckRefNames(const std::vector<IncomingRef>& refs) {
    std::map<std::string, std::string> folds;  // folded -> name
    for (const IncomingRef& ref : refs) {
      STRATA_RETURN_IF_ERROR(CheckRemoteRefName(ref.name));
      STRATA_ASSIGN_OR_RETURN(std::string folded, FoldCase(ref.name));
      auto [it, inserted] = folds.emplace(folded, ref.name);
      if (!inserted && it->second != ref.name) {
        std::string a = std::min(it->second, ref.name), b = std::max(it->second, ref.name);
        return Status::InvalidArgument("remote refs " + Quote(a) + " and " + Quote(b) +
                                       " are refused: they differ only in letter case, and would "
                                       "be one file on a case-insensitive file system");
      }
    }
    // A ref that is a folder of another ("a" and "a/b", or "A/b" on a file
    // system that ignores case) could not be stored beside it.
    for (const auto& [folded, name] : folds) {
      for (std::size_t slash = folded.find('/'); slash != std::string::npos;
           slash = folded.find('/', slash + 1)) {
        auto it = folds.find(folded.substr(0, slash));
        if (it == folds.end()) continue;
        return Status::InvalidArgument(
            "remote refs " + Quote(it->second) + " and " + Quote(name) +
            " are refused: the first would be a file where the second needs a folder" +
            (name.rfind(it->second + "/", 0) == 0 ? "" : " on a case-insensitive file system"));
      }
    }
    return Status::Ok();
  }

  // Words naming an object for an error, made only when there is one.
  using Describe = std::function<std::string()>;

  // What Count found of an object.
  struct Seen {
    bool known = false;                      // ours before the fetch: trusted, not walked
    bool first = false;                      // new, and met here for the first time
    git_object_t type = GIT_OBJECT_INVALID;  // for a new object
  };

  // Counts object `id` against the limits the first time a new one is met.
  // `what` names it for errors. InvalidArgument if it is neither known nor
  // sent, or if it breaks a limit.
  Result<Seen> Count(const ObjectId& id, const Describe& what) {
    if (IsKnown(id)) return Seen{true, false, GIT_OBJECT_INVALID};
    if (auto it = counted_.find(id); it != counted_.end()) return Seen{false, false, it->second};
    STRATA_ASSIGN_OR_RETURN(auto header, Header(id, what));
    counted_.emplace(id, header.second);
    ++objects_;
    bytes_ += header.first;
    if (objects_ > limits_.max_objects) {
      return Status::InvalidArgument(
          "the fetch brings more than " + std::to_string(limits_.max_objects) +
          " new objects, the limit (strata.fetchMaxObjects in git config)");
    }
    if (bytes_ > limits_.max_bytes) {
      return Status::InvalidArgument("the fetch brings more than " +
                                     std::to_string(limits_.max_bytes) +
                                     " bytes of new objects, the limit (strata.fetchMaxBytes in "
                                     "git config)");
    }
    return Seen{false, true, header.second};
  }

  // The size and type git records for object `id`.
  Result<std::pair<std::size_t, git_object_t>> Header(const ObjectId& id, const Describe& what) {
    STRATA_ASSIGN_OR_RETURN(std::optional<PackReader::ObjectHeader> packed, reader_.Header(id));
    if (packed) return std::make_pair(packed->size, packed->type);
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    git_odb* odb = nullptr;
    STRATA_GIT(git_repository_odb(&odb, store_.repo()), "cannot open the quarantine's objects");
    OdbPtr owned(odb);
    if (git_odb_read_header(&size, &type, odb, AsGit(id)) < 0) {
      git_error_clear();
      return Status::InvalidArgument(what() + " " + id.Hex() +
                                     " is missing: the remote did not send it");
    }
    return std::make_pair(size, type);
  }

  // From a ref tip through tags to a commit; queues the commit if new.
  Status WalkRef(const IncomingRef& ref) {
    const std::string where = "remote ref " + Quote(ref.name);
    ObjectId id = ref.target;
    for (;;) {
      auto what = [&] { return "object named by " + where + ","; };
      STRATA_ASSIGN_OR_RETURN(Seen seen, Count(id, what));
      git_object_t type = seen.type;
      if (seen.known) {
        STRATA_ASSIGN_OR_RETURN(auto header, Header(id, what));
        type = header.second;
      }
      if (type == GIT_OBJECT_COMMIT) {
        if (!seen.known) QueueCommit(id, ref.name);
        return Status::Ok();
      }
      if (type != GIT_OBJECT_TAG) {
        return Status::InvalidArgument(where + " is refused: it names " + id.Hex() + ", a " +
                                       TypeName(type) + ", not a version or a tag of one");
      }
      git_tag* raw = nullptr;
      if (git_tag_lookup(&raw, store_.repo(), AsGit(id)) < 0) {
        std::string why = git_error_last() ? git_error_last()->message : "unreadable";
        git_error_clear();
        return Status::InvalidArgument(where + " is refused: tag " + id.Hex() +
                                       " cannot be read: " + why);
      }
      TagPtr tag(raw);
      id = FromGit(*git_tag_target_id(raw));
    }
  }

  void QueueCommit(const ObjectId& id, const std::string& ref) {
    if (!queued_.insert(id).second) return;
    pending_.push_back({id, ref});
  }

  std::string VersionWhere(const ObjectId& id, const std::string& ref) const {
    return "version " + id.Hex() + " (from remote ref " + Quote(ref) + ")";
  }

  // Every new commit: its shape, its parents, its trees.
  Status WalkVersions() {
    while (!pending_.empty()) {
      auto [id, ref] = pending_.back();
      pending_.pop_back();
      const std::string where = VersionWhere(id, ref);
      git_commit* raw = nullptr;
      if (git_commit_lookup(&raw, store_.repo(), AsGit(id)) < 0) {
        std::string why = git_error_last() ? git_error_last()->message : "unreadable";
        git_error_clear();
        return Status::InvalidArgument(where + " is refused: its commit cannot be read: " + why);
      }
      CommitPtr commit(raw);
      NewVersion v{id, ref, {}, {}, {}};
      for (unsigned i = 0; i < git_commit_parentcount(raw); ++i) {
        ObjectId parent = FromGit(*git_commit_parent_id(raw, i));
        v.parents.push_back(parent);
        STRATA_ASSIGN_OR_RETURN(Seen seen,
                                Count(parent, [&] { return "parent of " + where + ","; }));
        if (seen.known) continue;
        if (seen.type != GIT_OBJECT_COMMIT) {
          return Status::InvalidArgument(where + " is refused: its parent " + parent.Hex() +
                                         " is a " + TypeName(seen.type) + ", not a version");
        }
        QueueCommit(parent, ref);
      }
      STRATA_ASSIGN_OR_RETURN(v.state, CheckVersionShape(raw, where));
      versions_.push_back(std::move(v));
    }
    return Status::Ok();
  }

  // The version's root tree, its message and everything new below it;
  // returns its state tree.
  Result<ObjectId> CheckVersionShape(const git_commit* commit, const std::string& where) {
    auto refuse = [&](const std::string& why) {
      return Status::InvalidArgument(where + " is refused: it is not a strata version: " + why);
    };
    ObjectId root = FromGit(*git_commit_tree_id(commit));
    STRATA_ASSIGN_OR_RETURN(Seen seen, Count(root, [&] { return "root tree of " + where + ","; }));
    if (!seen.known && seen.type != GIT_OBJECT_TREE) {
      return refuse("its root is a " + TypeName(seen.type));
    }
    const bool root_new = seen.first;
    Result<VersionTrees> trees = ReadVersionTrees(store_, commit, &reader_);
    if (!trees.ok()) {
      // Said once: "version ID: " is in `where` already.
      std::string why = trees.status().message();
      const std::string prefix = "version " + FromGit(*git_commit_id(commit)).Hex() + ": ";
      if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
      return refuse(why);
    }
    if (!trees->delta) return refuse("its root tree has no delta.zst blob");
    if (root_new) {
      // Nothing but the three entries a version has (and merge.json, in the
      // commit of a merge in progress: docs/format.md).
      Result<std::vector<TreeEntry>> entries = store_.ReadTree(root, reader_);
      if (!entries.ok()) return refuse(entries.status().message());
      for (const TreeEntry& e : *entries) {
        bool expected =
            (e.name == kStateEntry && e.is_tree) || (e.name == kMetaEntry && e.is_tree) ||
            (e.name == kDeltaEntry && !e.is_tree) || (e.name == "merge.json" && !e.is_tree);
        if (!expected) {
          return refuse("its root tree holds " + Quote(e.name) + (e.is_tree ? " (a tree)" : "") +
                        ", which a version does not");
        }
      }
    }
    VersionInfo info = DescribeCommit(commit, trees->state);
    if (Status s = ValidateMessage(info.message); !s.ok()) return refuse(s.message());
    STRATA_RETURN_IF_ERROR(WalkValue(*trees->delta, false, [&] { return "delta of " + where; }));
    // meta is keyed by document id too, in the same codec.
    if (trees->meta) STRATA_RETURN_IF_ERROR(WalkState(*trees->meta, "meta tree", where));
    STRATA_RETURN_IF_ERROR(WalkState(trees->state, "state tree", where));
    return trees->state;
  }

  // Counts every new object below `id`, reading trees (modes checked by
  // ScanTree) and nothing else.
  Status WalkValue(const ObjectId& id, bool is_tree, const Describe& what) {
    std::vector<std::pair<ObjectId, bool>> stack{{id, is_tree}};
    while (!stack.empty()) {
      auto [oid, tree] = stack.back();
      stack.pop_back();
      STRATA_ASSIGN_OR_RETURN(Seen seen, Count(oid, [&] { return "object of " + what() + ","; }));
      if (seen.known) continue;
      git_object_t want = tree ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB;
      if (seen.type != want) {
        return Status::InvalidArgument(what() + " is refused: object " + oid.Hex() + " is a " +
                                       TypeName(seen.type) + " where a " + TypeName(want) +
                                       " is named");
      }
      if (!tree || !seen.first) continue;
      Result<std::vector<TreeEntry>> entries = store_.ReadTree(oid, reader_);
      if (!entries.ok()) {
        return Status::InvalidArgument(what() + " is refused: " + entries.status().message());
      }
      for (const TreeEntry& e : *entries) stack.emplace_back(e.id, e.is_tree);
    }
    return Status::Ok();
  }

  // Step 3: the document-level nodes of a state that we did not have.
  // `kind`: "state tree" or "meta tree", for errors.
  Status WalkState(const ObjectId& state, const char* kind, const std::string& where) {
    struct Node {
      ObjectId id;
      std::string buckets;  // the bucket names on the way, one per shard level
    };
    std::vector<Node> stack;
    if (!IsKnown(state)) stack.push_back({state, ""});
    while (!stack.empty()) {
      Node node = std::move(stack.back());
      stack.pop_back();
      const std::optional<ShardShape> path_shape = PathShape(node.buckets);
      const std::size_t level = path_shape ? node.buckets.size() / BucketLength(*path_shape) : 0;
      if (!checked_nodes_.insert(node.id.Hex() + node.buckets).second) continue;
      auto refuse = [&](const std::string& why) {
        return Status::InvalidArgument(where + " is refused: " + kind + " " + node.id.Hex() + ": " +
                                       why);
      };
      STRATA_ASSIGN_OR_RETURN(Seen seen,
                              Count(node.id, [&] { return kind + (" of " + where) + ","; }));
      if (seen.type != GIT_OBJECT_TREE) return refuse("it is a " + TypeName(seen.type));
      Result<std::vector<TreeEntry>> entries = store_.ReadTree(node.id, reader_);
      if (!entries.ok()) return refuse(entries.status().message());
      for (const TreeEntry& e : *entries) {
        if (e.name.empty()) return refuse("it has an entry with an empty name");
      }
      const bool shard = !entries->empty() && entries->front().name.front() == '.';
      // Every bucket of a node is named alike: by the shape of its top
      // shard tree (".a" or ".ab").
      std::optional<ShardShape> shape = path_shape;
      if (shard && !shape) shape = ShapeOfBucket(entries->front().name);
      if (shard && !shape) {
        return refuse("entry " + Quote(entries->front().name) +
                      " is not a shard bucket ('.' and one or two hex digits, a tree)");
      }
      if (shard && level >= static_cast<std::size_t>(shape->levels())) {
        return refuse("it is sharded deeper than " + std::to_string(shape->levels()) + " levels");
      }
      // Entries met at this place in an earlier state of this fetch passed
      // already (the next version's node repeats all but what changed).
      std::unordered_set<std::string>& passed = valid_names_[node.buckets];
      // The node checked last at this place (of this kind and shape),
      // usually the same node one version away: an entry it holds alike
      // (name, id and type) passed there, its object counted, its subtree
      // queued, and is skipped without a lookup. Both lists are in git's
      // tree order, so one merge pass finds them.
      PassedNode& last = last_nodes_[std::string(kind) + '\0' + node.buckets];
      if (last.shard != shard) last.entries.clear();
      const std::vector<TreeEntry>& before = last.entries;
      std::size_t b = 0;
      for (const TreeEntry& e : *entries) {
        while (b < before.size() && GitTreeOrder(before[b], e)) ++b;
        if (b < before.size() && before[b].is_tree == e.is_tree && before[b].id == e.id &&
            before[b].name == e.name) {
          continue;
        }
        if (shard) {
          if (ShapeOfBucket(e.name) != shape || !e.is_tree) {
            return refuse("entry " + Quote(e.name) + " is not a shard bucket ('.' and " +
                          (shape->bits == 4 ? "one hex digit" : "two hex digits") +
                          ", a tree) in a tree of buckets");
          }
          if (!IsKnown(e.id)) stack.push_back({e.id, node.buckets + e.name});
          continue;
        }
        bool array_node = false;
        const std::string_view escaped = MemberEntryKey(e.name, &array_node);
        if (array_node && !e.is_tree) {
          return refuse("entry " + Quote(e.name) + " marks a blob as an array node");
        }
        if (passed.count(e.name) == 0) {
          STRATA_RETURN_IF_ERROR(CheckEntryName(std::string(escaped), node.buckets, where, refuse));
          passed.insert(e.name);
        }
        if (IsKnown(e.id)) continue;
        STRATA_RETURN_IF_ERROR(WalkValue(e.id, e.is_tree, [&] {
          return "document " + Quote(UnescapeKey(MemberEntryKey(e.name)).value()) + " of " + where;
        }));
        if (e.name.rfind("%2E", 0) == 0 && std::strcmp(kind, "state tree") == 0) {
          STRATA_RETURN_IF_ERROR(CheckSettingsDocument(e, where));
        }
      }
      last.shard = shard;
      last.entries = std::move(*entries);
    }
    return Status::Ok();
  }

  // One entry of a flat state node, found below shard buckets `buckets`:
  // spelt as strata spells its id, the id valid, in the bucket its hash names.
  template <typename Refuse>
  Status CheckEntryName(const std::string& name, const std::string& buckets,
                        const std::string& where, const Refuse& refuse) {
    if (name.front() == '.') {
      return refuse("entry " + Quote(name) + " is a shard bucket among documents");
    }
    Result<std::string> id = UnescapeKey(name);
    if (!id.ok()) return refuse("entry " + Quote(name) + ": " + id.status().message());
    if (EscapeKey(*id) != name) {
      return refuse("entry " + Quote(name) + " is not how strata spells document id " + Quote(*id) +
                    " ('" + Shown(EscapeKey(*id)) + "')");
    }
    if (Status s = ValidateDocumentId(*id); !s.ok()) {
      return Status::InvalidArgument(where + " is refused: " + Shown(s.message()));
    }
    const std::uint64_t hash = KeyHash(*id);
    const std::optional<ShardShape> shape = PathShape(buckets);
    const std::size_t length = shape ? BucketLength(*shape) : 1;
    for (std::size_t level = 0; shape && level < buckets.size() / length; ++level) {
      std::string_view bucket = std::string_view(buckets).substr(level * length, length);
      if (BucketName(hash, static_cast<int>(level), *shape) != bucket) {
        return refuse("document id " + Quote(*id) + " is in shard bucket " + std::string(bucket) +
                      " at level " + std::to_string(level) + ", where its hash does not put it");
      }
    }
    return Status::Ok();
  }

  // A new value of a settings document (".schemas", ...), read once the
  // limits have counted it: its format is checked as a write checks it.
  Status CheckSettingsDocument(const TreeEntry& e, const std::string& where) {
    STRATA_ASSIGN_OR_RETURN(Member m, ParseMemberEntry(e.name, e.id, e.is_tree));
    const std::string& id = m.key;
    Result<json::value> value = DecodeValue(store_, m.ref);
    if (!value.ok()) {
      return Status::InvalidArgument(where + " is refused: settings document " + Quote(id) +
                                     " cannot be read: " + value.status().message());
    }
    if (Status s = ValidateSettingsDocument(id, *value); !s.ok()) {
      return Status::InvalidArgument(where + " is refused: " + Shown(s.message()));
    }
    return Status::Ok();
  }

  // `known`, remembered: the same objects are asked about in every version.
  bool IsKnown(const ObjectId& id) {
    auto [it, added] = known_answers_.try_emplace(id, false);
    if (added) it->second = known_(id);
    return it->second;
  }

  // The shape of the shard trees on a path of bucket names (all alike: the
  // walk refuses a bucket named otherwise), nullopt for the empty path.
  static std::optional<ShardShape> PathShape(std::string_view buckets) {
    if (buckets.size() < 2) return std::nullopt;
    return buckets.size() == 2 || buckets[2] == '.' ? kNibbleShards : kByteShards;
  }
  static std::size_t BucketLength(const ShardShape& shape) { return shape.bits == 4 ? 2 : 3; }

  // The state tree of commit `id` (a known one, or one read by the walk).
  Result<ObjectId> StateOf(const ObjectId& id) {
    if (auto it = state_of_.find(id); it != state_of_.end()) return it->second;
    git_commit* raw = nullptr;
    STRATA_GIT(git_commit_lookup(&raw, store_.repo(), AsGit(id)),
               "cannot read version " + id.Hex());
    CommitPtr commit(raw);
    STRATA_ASSIGN_OR_RETURN(VersionTrees trees, ReadVersionTrees(store_, raw));
    state_of_.emplace(id, trees.state);
    return trees.state;
  }

  Status Collision(const NewVersion& v, const std::string& a, const std::string& b) {
    return Status::InvalidArgument(VersionWhere(v.id, v.ref) + " is refused: document ids " +
                                   Quote(std::min(a, b)) + " and " + Quote(std::max(a, b)) +
                                   " differ only in letter case, and would be one file on a "
                                   "case-insensitive file system");
  }

  // Adds `id` to the index; a Collision if another id folds alike.
  Status Index(const NewVersion& v, const std::string& id) {
    STRATA_ASSIGN_OR_RETURN(std::string folded, FoldCase(id));
    auto [it, inserted] = index_.ids.emplace(std::move(folded), id);
    if (!inserted && it->second != id) return Collision(v, it->second, id);
    return Status::Ok();
  }

  // Step 5: new versions parents first, each new state checked by the
  // index of its first parent's state when that is the one indexed.
  Status CheckCaseFolds() {
    for (NewVersion& v : versions_) state_of_.emplace(v.id, v.state);
    std::unordered_map<ObjectId, std::size_t> slot;
    for (std::size_t i = 0; i < versions_.size(); ++i) slot.emplace(versions_[i].id, i);
    // Kahn's order: a version once its new parents are done.
    std::vector<std::size_t> waiting(versions_.size(), 0);
    std::vector<std::vector<std::size_t>> children(versions_.size());
    for (std::size_t i = 0; i < versions_.size(); ++i) {
      std::unordered_set<ObjectId> parents(versions_[i].parents.begin(),
                                           versions_[i].parents.end());
      for (const ObjectId& p : parents) {
        if (auto it = slot.find(p); it != slot.end()) {
          ++waiting[i];
          children[it->second].push_back(i);
        }
      }
    }
    std::vector<std::size_t> ready;
    for (std::size_t i = versions_.size(); i-- > 0;) {
      if (waiting[i] == 0) ready.push_back(i);
    }
    std::unordered_set<ObjectId> checked_states;
    while (!ready.empty()) {
      std::size_t i = ready.back();
      ready.pop_back();
      const NewVersion& v = versions_[i];
      for (std::size_t c : children[i]) {
        if (--waiting[c] == 0) ready.push_back(c);
      }
      if (IsKnown(v.state) || !checked_states.insert(v.state).second) continue;
      std::optional<ObjectId> parent_state;
      if (!v.parents.empty()) {
        // A known parent that is not a version (a foreign commit) has no
        // state to start from: the index is rebuilt.
        Result<ObjectId> state = StateOf(v.parents.front());
        if (state.ok()) parent_state = *state;
      }
      if (!parent_state) {
        STRATA_RETURN_IF_ERROR(RebuildIndex(v));
        continue;
      }
      // Most versions change values only: the same ids, so a parent state
      // that passed has no twins to pass on, and its index fits as it is.
      const bool clean_parent = IsKnown(*parent_state) || checked_states.count(*parent_state) > 0;
      const bool index_on_parent = index_.state && *index_.state == *parent_state;
      if (clean_parent || index_on_parent) {
        STRATA_ASSIGN_OR_RETURN(bool same, SameIds(*parent_state, v.state));
        if (same) {
          if (index_on_parent) index_.state = v.state;
          continue;
        }
      }
      std::vector<MemberDiff> changed;
      STRATA_RETURN_IF_ERROR(ChangedMembers(store_, *parent_state, v.state, changed));
      if (index_on_parent) {
        STRATA_RETURN_IF_ERROR(UpdateIndex(v, changed));
        continue;
      }
      // A parent state that passed (known, or checked above) holds no
      // twins, so neither does a state that adds no id to it: no index is
      // needed until a version adds one.
      bool adds = false;
      for (const MemberDiff& d : changed) adds = adds || (!d.a && d.b);
      if (clean_parent && !adds) continue;
      STRATA_RETURN_IF_ERROR(RebuildIndex(v));
    }
    return Status::Ok();
  }

  // Whether states `a` and `b` certainly hold the same ids: their nodes
  // differ in entry ids only, never in names, down to the flat nodes (whose
  // names are the ids). Buckets are the entries named ".xx": state nodes
  // passed step 3, so only a shard's entries start with '.'. false when in
  // doubt (a node sharded in one and flat in the other): the caller then
  // compares ids.
  Result<bool> SameIds(const ObjectId& a, const ObjectId& b) {
    std::vector<std::pair<ObjectId, ObjectId>> stack{{a, b}};
    while (!stack.empty()) {
      auto [x, y] = stack.back();
      stack.pop_back();
      if (x == y) continue;
      STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> xs, store_.ReadTree(x, reader_));
      STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> ys, store_.ReadTree(y, reader_));
      if (xs.size() != ys.size()) return false;
      for (std::size_t i = 0; i < xs.size(); ++i) {
        if (xs[i].name != ys[i].name || xs[i].is_tree != ys[i].is_tree) return false;
        if (xs[i].id == ys[i].id || xs[i].name.rfind('.', 0) != 0) continue;
        stack.emplace_back(xs[i].id, ys[i].id);
      }
    }
    return true;
  }

  // The index of the first parent's state, moved to `v`'s by `changed`.
  Status UpdateIndex(const NewVersion& v, const std::vector<MemberDiff>& changed) {
    for (const MemberDiff& d : changed) {
      if (d.b) continue;
      STRATA_ASSIGN_OR_RETURN(std::string folded, FoldCase(d.key));
      index_.ids.erase(folded);
    }
    for (const MemberDiff& d : changed) {
      if (d.a || !d.b) continue;
      STRATA_RETURN_IF_ERROR(Index(v, d.key));
    }
    index_.state = v.state;
    return Status::Ok();
  }

  Status RebuildIndex(const NewVersion& v) {
    index_.state.reset();
    index_.ids.clear();
    std::vector<Member> members;
    STRATA_RETURN_IF_ERROR(ReadMembers(store_, v.state, members));
    for (const Member& m : members) STRATA_RETURN_IF_ERROR(Index(v, m.key));
    index_.state = v.state;
    return Status::Ok();
  }

  ObjectStore& store_;
  // The packs that arrived: headers and trees read straight from them
  // (objects/pack_reader.h), one zlib stream for all.
  PackReader reader_;
  const std::function<bool(const ObjectId&)>& known_;
  const IncomingLimits& limits_;
  std::uint64_t objects_ = 0, bytes_ = 0;
  std::unordered_map<ObjectId, git_object_t> counted_;  // new objects met, and their types
  std::unordered_set<ObjectId> queued_;
  std::vector<std::pair<ObjectId, std::string>> pending_;  // commits to read, with their ref
  std::vector<NewVersion> versions_;
  std::unordered_set<std::string> checked_nodes_;  // state node id + its bucket path
  // Entry names of flat state nodes that passed, per bucket path.
  std::unordered_map<std::string, std::unordered_set<std::string>> valid_names_;
  // Per kind and bucket path, the node that passed there last.
  std::unordered_map<std::string, PassedNode> last_nodes_;
  std::unordered_map<ObjectId, bool> known_answers_;  // what `known_` said of each object
  std::unordered_map<ObjectId, ObjectId> state_of_;
  FoldIndex index_;
};

}  // namespace

Status CheckRemoteRefName(const std::string& name) {
  std::string why = RefNameReason(name);
  if (why.empty()) return Status::Ok();
  return Status::InvalidArgument("remote ref " + Quote(name) + " is refused: " + why);
}

Status CheckIncoming(ObjectStore& quarantine, const std::function<bool(const ObjectId&)>& known,
                     const std::vector<IncomingRef>& refs, const IncomingLimits& limits) {
  Status s = IncomingChecker(quarantine, known, limits).Run(refs);
  // Every message may quote what the remote sent (a tree entry's mode, a
  // message line): none reaches a terminal with a control character raw.
  // Shown leaves a message that is shown already as it is.
  if (s.ok()) return s;
  return Status(s.code(), Shown(s.message()));
}

}  // namespace strata
