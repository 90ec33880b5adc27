#include "objects/tree_codec.h"

#include <algorithm>
#include <span>
#include <type_traits>
#include <variant>

#include "strata/json_pointer.h"

namespace strata {
namespace {

bool IsBucketName(std::string_view name) { return !name.empty() && name[0] == '.'; }

bool IsShardNode(const std::vector<TreeEntry>& entries) {
  return !entries.empty() && IsBucketName(entries.front().name);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The length of the UTF-8 code point at the start of `s` if it is one that
// HFS+ ignores in file names (U+200C-200F, U+202A-202E, U+206A-206F,
// U+FEFF), else 0.
std::size_t HfsIgnorableLength(std::string_view s) {
  if (s.size() < 3) return 0;
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  if (b(0) == 0xE2 && b(1) == 0x80 &&
      ((b(2) >= 0x8C && b(2) <= 0x8F) || (b(2) >= 0xAA && b(2) <= 0xAE))) {
    return 3;
  }
  if (b(0) == 0xE2 && b(1) == 0x81 && b(2) >= 0xAA && b(2) <= 0xAF) return 3;
  if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return 3;
  return 0;
}

std::vector<TreeEntry> FlatEntries(const std::vector<Member>& members) {
  std::vector<TreeEntry> entries;
  entries.reserve(members.size());
  for (const auto& m : members)
    entries.push_back({MemberEntryName(m.key, m.ref), m.ref.id, m.ref.is_tree});
  return entries;
}

// A member, its key and value held elsewhere, and the key's KeyHash. Sorted
// by hash, the members of every shard bucket, at every level, are one run (a
// level's digit is the hash's next bits, most significant first). 24 bytes:
// a node of a million members is built beside its member list.
struct HashedMember {
  std::uint64_t hash;
  const std::string* key;
  const ValueRef* ref;
};

// Writes the node for `members` (sorted by hash) at shard `level` of
// `shape`: flat if few, else sharded. No bucket copies its members.
Result<ObjectId> BuildHashedNode(ObjectStore& store, std::span<const HashedMember> members,
                                 int level, const ShardShape& shape) {
  if (members.size() <= shape.flat_max || level >= shape.levels()) {
    std::vector<TreeEntry> entries;
    entries.reserve(members.size());
    for (const HashedMember& m : members) {
      entries.push_back({MemberEntryName(*m.key, *m.ref), m.ref->id, m.ref->is_tree});
    }
    return store.WriteTree(std::move(entries));
  }
  const int shift = 64 - shape.bits * (level + 1);
  auto digit = [&](const HashedMember& m) { return m.hash >> shift; };
  std::vector<TreeEntry> entries;
  for (std::size_t begin = 0; begin < members.size();) {
    std::size_t end = begin + 1;
    while (end < members.size() && digit(members[end]) == digit(members[begin])) ++end;
    STRATA_ASSIGN_OR_RETURN(
        ObjectId id, BuildHashedNode(store, members.subspan(begin, end - begin), level + 1, shape));
    entries.push_back({BucketName(members[begin].hash, level, shape), id, true});
    begin = end;
  }
  return store.WriteTree(std::move(entries));
}

// Sorts `members` by hash and writes their node at shard `level`.
Result<ObjectId> BuildHashedNode(ObjectStore& store, std::vector<HashedMember> members, int level,
                                 const ShardShape& shape) {
  std::sort(members.begin(), members.end(),
            [](const HashedMember& a, const HashedMember& b) { return a.hash < b.hash; });
  return BuildHashedNode(store, std::span<const HashedMember>(members), level, shape);
}

// Writes the node for `members` at shard `level` of `shape`: flat if few,
// else sharded.
Result<ObjectId> BuildNode(ObjectStore& store, std::vector<Member> members, int level,
                           const ShardShape& shape) {
  if (members.size() <= shape.flat_max || level >= shape.levels()) {
    return store.WriteTree(FlatEntries(members));
  }
  std::vector<HashedMember> hashed;
  hashed.reserve(members.size());
  for (const Member& m : members) hashed.push_back({KeyHash(m.key), &m.key, &m.ref});
  return BuildHashedNode(store, std::move(hashed), level, shape);
}

// The shape of a node whose first entry is named `first`: nullopt if the
// node is flat; Corruption if it starts with a name no bucket has.
Result<std::optional<ShardShape>> NodeShape(std::string_view first, const ObjectId& node) {
  if (!IsBucketName(first)) return std::optional<ShardShape>();
  std::optional<ShardShape> shape = ShapeOfBucket(first);
  if (!shape) {
    return Status::Corruption("tree " + node.Hex() + " has a shard bucket named '" +
                              std::string(first) + "'");
  }
  return shape;
}

// The members as a canonical JSON object, if it is no longer than
// kBlobMaxBytes; nullopt if it is longer (or holds an object node).
Result<std::optional<std::string>> SmallObjectJson(ObjectStore& store,
                                                   std::vector<Member>& members) {
  if (members.size() * 5 > kBlobMaxBytes + 1) return std::optional<std::string>();
  std::size_t size = 2 + (members.empty() ? 0 : members.size() - 1);
  std::string key_json;
  for (const auto& m : members) {
    if (m.ref.is_tree) return std::optional<std::string>();
    key_json.clear();
    AppendJsonString(key_json, m.key);
    STRATA_ASSIGN_OR_RETURN(std::size_t value_size, store.BlobSize(m.ref.id));
    size += key_json.size() + 1 + value_size;
    if (size > kBlobMaxBytes) return std::optional<std::string>();
  }
  std::sort(members.begin(), members.end(),
            [](const Member& a, const Member& b) { return a.key < b.key; });
  std::string out = "{";
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, members[i].key);
    out.push_back(':');
    STRATA_ASSIGN_OR_RETURN(std::string value, store.ReadBlob(members[i].ref.id));
    out += value;
  }
  out.push_back('}');
  return std::optional<std::string>(std::move(out));
}

// An object made of `members`: a blob if small (unless force_tree), else a node.
Result<ValueRef> BuildObject(ObjectStore& store, std::vector<Member> members, bool force_tree) {
  if (!force_tree) {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> small, SmallObjectJson(store, members));
    if (small) {
      STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteBlob(*small));
      return ValueRef{id, false};
    }
  }
  STRATA_ASSIGN_OR_RETURN(ObjectId id, BuildNode(store, std::move(members), 0, WriteShape(store)));
  return ValueRef{id, true};
}

Status ReadMembersAt(ObjectStore& store, const ObjectId& node, int level,
                     std::vector<Member>& out) {
  if (level > kMaxShardLevels)
    return Status::Corruption("tree " + node.Hex() + " is sharded too deep");
  STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries, store.ReadTree(node));
  if (IsShardNode(entries)) {
    for (const auto& e : entries) {
      if (!IsBucketName(e.name) || !e.is_tree) {
        return Status::Corruption("tree " + node.Hex() + " mixes shard buckets and members");
      }
      STRATA_RETURN_IF_ERROR(ReadMembersAt(store, e.id, level + 1, out));
    }
    return Status::Ok();
  }
  for (auto& e : entries) {
    STRATA_ASSIGN_OR_RETURN(Member m, ParseMemberEntry(e.name, e.id, e.is_tree));
    out.push_back(std::move(m));
  }
  return Status::Ok();
}

// One change of UpdateNode's: a key and its new value (nullopt: removed),
// held by the caller's map or list.
struct ChangeRef {
  const std::string* key_at;
  const std::optional<ValueRef>* value_at;
  const std::string& key() const { return *key_at; }
  const std::optional<ValueRef>& value() const { return *value_at; }
};

// The result of updating a node: its entries when it is flat (the caller
// writes it, or turns it into a blob), or the id of the shard tree it became.
using NodeUpdate = std::variant<std::vector<TreeEntry>, ObjectId>;

Result<std::vector<Member>> MembersOf(const std::vector<TreeEntry>& entries) {
  std::vector<Member> members;
  members.reserve(entries.size());
  for (const auto& e : entries) {
    STRATA_ASSIGN_OR_RETURN(Member m, ParseMemberEntry(e.name, e.id, e.is_tree));
    members.push_back(std::move(m));
  }
  return members;
}

// Applies `changes` to the node `node` (absent: an empty one) at shard
// `level` of `shape`. Only the buckets that changes fall in are read, and in
// a flat node each change finds its entry by a binary search on its escaped
// name: the other entries keep their names as stored, neither unescaped nor
// escaped again, so a change costs about the same in a node of 5 members and
// in one of 500. A node sharded in another shape (written by another format)
// is read whole and written again in `shape`.
Result<NodeUpdate> UpdateNode(ObjectStore& store, const std::optional<ObjectId>& node, int level,
                              const ShardShape& shape, const std::vector<ChangeRef>& changes) {
  std::shared_ptr<const TreeIndex> index;
  std::optional<ShardShape> node_shape;
  if (node) {
    STRATA_ASSIGN_OR_RETURN(index, store.IndexTree(*node));
    STRATA_ASSIGN_OR_RETURN(node_shape, NodeShape(index->first_name(), *node));
  }
  if (node_shape && *node_shape != shape) {
    std::vector<Member> all;
    STRATA_RETURN_IF_ERROR(ReadMembersAt(store, *node, level, all));
    std::map<std::string, ValueRef, std::less<>> by_key;
    for (Member& m : all) by_key.emplace(std::move(m.key), m.ref);
    for (const ChangeRef& c : changes) {
      if (c.value()) {
        by_key.insert_or_assign(c.key(), *c.value());
      } else if (auto it = by_key.find(c.key()); it != by_key.end()) {
        by_key.erase(it);
      }
    }
    std::vector<Member> members;
    members.reserve(by_key.size());
    for (auto& [key, ref] : by_key) members.push_back({key, ref});
    if (members.size() <= shape.flat_max || level >= shape.levels()) {
      return NodeUpdate(FlatEntries(members));
    }
    STRATA_ASSIGN_OR_RETURN(ObjectId id, BuildNode(store, std::move(members), level, shape));
    return NodeUpdate(id);
  }
  if (node_shape) {
    std::map<std::string, std::vector<ChangeRef>> by_bucket;
    for (const ChangeRef& c : changes) {
      by_bucket[BucketName(KeyHash(c.key()), level, shape)].push_back(c);
    }
    std::map<std::string, TreeEntry> buckets;
    for (const auto& e : index->entries()) {
      if (!IsBucketName(e.name) || !e.is_tree) {
        return Status::Corruption("tree " + node->Hex() + " mixes shard buckets and members");
      }
      buckets[std::string(e.name)] = TreeEntry{std::string(e.name), e.id, true};
    }
    for (const auto& [name, sub] : by_bucket) {
      std::optional<ObjectId> child;
      if (auto it = buckets.find(name); it != buckets.end()) child = it->second.id;
      STRATA_ASSIGN_OR_RETURN(NodeUpdate updated, UpdateNode(store, child, level + 1, shape, sub));
      if (auto* flat = std::get_if<std::vector<TreeEntry>>(&updated)) {
        if (flat->empty()) {
          buckets.erase(name);
          continue;
        }
        STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteTree(std::move(*flat)));
        buckets[name] = TreeEntry{name, id, true};
      } else {
        buckets[name] = TreeEntry{name, std::get<ObjectId>(updated), true};
      }
    }
    // Collapse into a flat node when few members remain. A sharded bucket
    // alone holds more than shape.flat_max, so counting stops early; the
    // bucket indexes are cached, so counting reads nothing twice.
    std::size_t count = 0;
    std::vector<std::shared_ptr<const TreeIndex>> subs;
    for (const auto& [name, e] : buckets) {
      STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const TreeIndex> sub, store.IndexTree(e.id));
      if (IsBucketName(sub->first_name())) {
        count = shape.flat_max + 1;
        break;
      }
      count += sub->size();
      if (count > shape.flat_max) break;
      subs.push_back(std::move(sub));
    }
    if (count <= shape.flat_max) {
      std::vector<TreeEntry> all;
      all.reserve(count);
      for (const auto& sub : subs) {
        for (const auto& e : sub->entries()) all.push_back({std::string(e.name), e.id, e.is_tree});
      }
      return NodeUpdate(std::move(all));
    }
    std::vector<TreeEntry> out;
    out.reserve(buckets.size());
    for (auto& [name, e] : buckets) out.push_back(std::move(e));
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteTree(std::move(out)));
    return NodeUpdate(id);
  }
  // No node, and more members than a flat node holds (an import's): the
  // node is built from the changes, each key neither escaped nor parsed back.
  if (!index && changes.size() > shape.flat_max && level < shape.levels()) {
    std::vector<HashedMember> members;
    members.reserve(changes.size());
    for (const ChangeRef& c : changes) {
      if (c.value()) members.push_back({KeyHash(c.key()), &c.key(), &*c.value()});
    }
    if (members.size() > shape.flat_max) {
      STRATA_ASSIGN_OR_RETURN(ObjectId id,
                              BuildHashedNode(store, std::move(members), level, shape));
      return NodeUpdate(id);
    }
  }
  // A flat node: its entries as stored, each change replacing, removing or
  // adding one. A member is named by its escaped key, or by the key and the
  // "%[" mark for an array node: either name finds it.
  std::vector<TreeEntry> entries;
  std::vector<bool> removed;
  if (index) {
    entries.reserve(index->size() + changes.size());
    for (const auto& e : index->entries())
      entries.push_back({std::string(e.name), e.id, e.is_tree});
    removed.assign(entries.size(), false);
  }
  std::size_t count = entries.size();
  for (const ChangeRef& c : changes) {
    std::string name = EscapeKey(c.key());
    const TreeIndex::Entry* found = nullptr;
    if (index) {
      found = index->Find(name);
      if (!found) found = index->Find(name + "%[");
    }
    if (found) {
      const std::size_t at = static_cast<std::size_t>(found - index->entries().data());
      if (!c.value()) {
        removed[at] = true;
        --count;
        continue;
      }
      if (c.value()->is_array) name += "%[";
      entries[at] = TreeEntry{std::move(name), c.value()->id, c.value()->is_tree};
    } else if (c.value()) {
      if (c.value()->is_array) name += "%[";
      entries.push_back(TreeEntry{std::move(name), c.value()->id, c.value()->is_tree});
      removed.push_back(false);
      ++count;
    }
  }
  if (count != entries.size()) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (removed[i]) continue;
      if (kept != i) entries[kept] = std::move(entries[i]);
      ++kept;
    }
    entries.resize(kept);
  }
  if (entries.size() > shape.flat_max && level < shape.levels()) {
    STRATA_ASSIGN_OR_RETURN(std::vector<Member> members, MembersOf(entries));
    STRATA_ASSIGN_OR_RETURN(ObjectId id, BuildNode(store, std::move(members), level, shape));
    return NodeUpdate(id);
  }
  return NodeUpdate(std::move(entries));
}

Result<json::value> DecodeAt(ObjectStore& store, const ValueRef& ref, int depth);

// ---- Array nodes ----

// One item of an array node being built: a run blob, an inner level
// (suffix ""), or an element node (suffix "{" or "[").
struct Item {
  ObjectId id;
  bool is_tree = false;
  char suffix = 0;  // 0, '{' or '['
};

std::string ItemName(std::size_t ordinal, char suffix) {
  std::string name(3, '0');
  name[0] = static_cast<char>('0' + ordinal / 100);
  name[1] = static_cast<char>('0' + ordinal / 10 % 10);
  name[2] = static_cast<char>('0' + ordinal % 10);
  if (suffix) name.push_back(suffix);
  return name;
}

Result<ObjectId> WriteItems(ObjectStore& store, const std::vector<Item>& items, std::size_t begin,
                            std::size_t end) {
  std::vector<TreeEntry> entries;
  entries.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    entries.push_back({ItemName(i - begin, items[i].suffix), items[i].id, items[i].is_tree});
  }
  return store.WriteTree(std::move(entries));
}

std::uint64_t IdHash(const ObjectId& id) {
  std::uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | id.bytes[i];
  return h;
}

// Stores the array `a` (found `depth` trees below the root) as an array node.
Result<ObjectId> BuildArray(ObjectStore& store, const json::array& a, int depth) {
  std::vector<Item> items;
  std::string run;  // "[e1,e2," while open
  auto close_run = [&]() -> Status {
    if (run.empty()) return Status::Ok();
    run.back() = ']';
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteBlob(run));
    items.push_back(Item{id, false, 0});
    run.clear();
    return Status::Ok();
  };
  for (const json::value& e : a) {
    const bool node = (e.is_object() || e.is_array()) && depth + 1 < kMaxTreeDepth &&
                      CanonicalSize(e, kBlobMaxBytes) > kBlobMaxBytes &&
                      (e.is_object() || store.array_nodes());
    if (node) {
      STRATA_RETURN_IF_ERROR(close_run());
      STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeValue(store, e, depth + 1));
      items.push_back(Item{ref.id, true, ref.is_array ? '[' : '{'});
      continue;
    }
    std::string bytes = CanonicalJson(e);
    // The run as it would be closed: "[" + elements + "]".
    if (!run.empty() && run.size() + bytes.size() + 1 > kRunMaxBytes) {
      STRATA_RETURN_IF_ERROR(close_run());
    }
    if (run.empty()) run.push_back('[');
    run += bytes;
    run.push_back(',');
    if (run.size() >= kRunMinBytes && KeyHash(bytes) % kRunCutModulus == 0) {
      STRATA_RETURN_IF_ERROR(close_run());
    }
  }
  STRATA_RETURN_IF_ERROR(close_run());
  // Inner levels, cut by the items' ids, while one node cannot hold them.
  while (items.size() > kFlatMaxEntries) {
    std::vector<Item> level;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::size_t count = i + 1 - begin;
      const bool last = i + 1 == items.size();
      if (last || count == kFlatMaxEntries ||
          (count >= kLevelMinEntries && IdHash(items[i].id) % kLevelCutModulus == 0)) {
        STRATA_ASSIGN_OR_RETURN(ObjectId id, WriteItems(store, items, begin, i + 1));
        level.push_back(Item{id, true, 0});
        begin = i + 1;
      }
    }
    items = std::move(level);
  }
  return WriteItems(store, items, 0, items.size());
}

// The items of array node `id` (inner level `level` of its array), checked:
// names in sequence, a suffix ("{" or "[") only on a tree. Calls
// `visit(entry, suffix)` for each, in order.
template <typename Visit>
Status ForEachArrayItem(ObjectStore& store, const ObjectId& id, int level, Visit&& visit) {
  if (level > kMaxArrayLevels)
    return Status::Corruption("array node " + id.Hex() + " has too many levels");
  STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries, store.ReadTree(id));
  if (entries.empty()) return Status::Corruption("array node " + id.Hex() + " is empty");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const TreeEntry& e = entries[i];
    const std::string_view name = e.name;
    const char suffix = name.size() == 4 ? name[3] : 0;
    const bool ok_name =
        (name.size() == 3 || (name.size() == 4 && (suffix == '{' || suffix == '['))) &&
        name.substr(0, 3) == ItemName(i, 0) && (e.is_tree || suffix == 0);
    if (!ok_name) {
      return Status::Corruption("array node " + id.Hex() + " has an unexpected entry '" +
                                std::string(name) + "'");
    }
    STRATA_RETURN_IF_ERROR(visit(e, suffix));
  }
  return Status::Ok();
}

// The value of blob `id`; Corruption if it is not JSON.
Result<json::value> ReadBlobValue(ObjectStore& store, const ObjectId& id) {
  STRATA_ASSIGN_OR_RETURN(std::string data, store.ReadBlob(id));
  Result<json::value> v = ParseJson(data, "blob " + id.Hex());
  if (!v.ok()) return Status::Corruption(v.status().message());
  return v;
}

// The elements of run blob `run` in array node `node`; Corruption unless it
// is a non-empty JSON array.
Result<json::array> ReadRun(ObjectStore& store, const ObjectId& run, const ObjectId& node) {
  STRATA_ASSIGN_OR_RETURN(json::value v, ReadBlobValue(store, run));
  if (!v.is_array() || v.get_array().empty()) {
    return Status::Corruption("blob " + run.Hex() + " in array node " + node.Hex() +
                              " is not a run of elements");
  }
  return std::move(v.get_array());
}

// Appends the elements of array node `id` (an inner level `level` of its
// array) to `out`.
Status DecodeArrayLevel(ObjectStore& store, const ObjectId& id, int depth, int level,
                        json::array& out) {
  return ForEachArrayItem(store, id, level, [&](const TreeEntry& e, char suffix) -> Status {
    if (!e.is_tree) {
      STRATA_ASSIGN_OR_RETURN(json::array run, ReadRun(store, e.id, id));
      for (json::value& v : run) out.push_back(std::move(v));
      return Status::Ok();
    }
    if (suffix == 0) return DecodeArrayLevel(store, e.id, depth, level + 1, out);
    STRATA_ASSIGN_OR_RETURN(json::value v,
                            DecodeAt(store, ValueRef{e.id, true, suffix == '['}, depth + 1));
    out.push_back(std::move(v));
    return Status::Ok();
  });
}

Result<json::value> DecodeAt(ObjectStore& store, const ValueRef& ref, int depth) {
  if (!ref.is_tree) return ReadBlobValue(store, ref.id);
  if (depth > kMaxTreeDepth)
    return Status::Corruption("tree " + ref.id.Hex() + " is nested too deep");
  if (ref.is_array) {
    json::array a;
    STRATA_RETURN_IF_ERROR(DecodeArrayLevel(store, ref.id, depth, 0, a));
    return json::value(std::move(a));
  }
  std::vector<Member> members;
  STRATA_RETURN_IF_ERROR(ReadMembers(store, ref.id, members));
  json::object o;
  o.reserve(members.size());
  for (auto& m : members) {
    STRATA_ASSIGN_OR_RETURN(json::value v, DecodeAt(store, m.ref, depth + 1));
    o.emplace(m.key, std::move(v));
  }
  return json::value(std::move(o));
}

// WriteValueText's walk: DecodeAt's, writing text where DecodeAt builds a
// value. It holds one object node's members per tree level and one blob's
// value; its text goes to the sink in pieces of about kPieceBytes.
class TextWriter {
 public:
  static constexpr std::size_t kPieceBytes = std::size_t{64} << 10;

  TextWriter(ObjectStore& store, const FormatOptions& options, const TextSink& sink)
      : store_(store), options_(options), sink_(sink) {}

  // The value `ref`, `depth` trees below the value written, inside `level`
  // containers.
  Status Value(const ValueRef& ref, int depth, std::size_t level) {
    if (!ref.is_tree) {
      STRATA_ASSIGN_OR_RETURN(json::value v, ReadBlobValue(store_, ref.id));
      AppendFormattedJson(out_, v, options_, level);
      return Spill();
    }
    if (depth > kMaxTreeDepth)
      return Status::Corruption("tree " + ref.id.Hex() + " is nested too deep");
    if (ref.is_array) {
      out_.push_back('[');
      bool first = true;
      STRATA_RETURN_IF_ERROR(ArrayLevel(ref.id, depth, level + 1, 0, first));
      AppendFormattedClose(out_, true, options_, level, first);
      return Spill();
    }
    std::vector<Member> members;
    STRATA_RETURN_IF_ERROR(ReadMembers(store_, ref.id, members));
    // Sorted by key, as FormatJson prints; a key given twice (a corrupt
    // node) keeps its first member, as DecodeAt's object does.
    std::stable_sort(members.begin(), members.end(),
                     [](const Member& a, const Member& b) { return a.key < b.key; });
    out_.push_back('{');
    bool first = true;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0 && members[i].key == members[i - 1].key) continue;
      AppendFormattedKey(out_, members[i].key, options_, level + 1, first);
      first = false;
      STRATA_RETURN_IF_ERROR(Value(members[i].ref, depth + 1, level + 1));
    }
    AppendFormattedClose(out_, false, options_, level, first);
    return Spill();
  }

  Status Finish() {
    if (out_.empty()) return Status::Ok();
    Status s = sink_(out_);
    out_.clear();
    return s;
  }

 private:
  // The elements of array node `id` (inner level `array_level`), each inside
  // `level` containers; `first` until one is written.
  Status ArrayLevel(const ObjectId& id, int depth, std::size_t level, int array_level,
                    bool& first) {
    return ForEachArrayItem(store_, id, array_level,
                            [&](const TreeEntry& e, char suffix) -> Status {
                              if (!e.is_tree) {
                                STRATA_ASSIGN_OR_RETURN(json::array run, ReadRun(store_, e.id, id));
                                for (const json::value& v : run) {
                                  AppendFormattedSeparator(out_, options_, level, first);
                                  first = false;
                                  AppendFormattedJson(out_, v, options_, level);
                                }
                                return Spill();
                              }
                              if (suffix == 0)
                                return ArrayLevel(e.id, depth, level, array_level + 1, first);
                              AppendFormattedSeparator(out_, options_, level, first);
                              first = false;
                              return Value(ValueRef{e.id, true, suffix == '['}, depth + 1, level);
                            });
  }

  Status Spill() { return out_.size() >= kPieceBytes ? Finish() : Status::Ok(); }

  ObjectStore& store_;
  const FormatOptions& options_;
  const TextSink& sink_;
  std::string out_;
};

}  // namespace

std::string EscapeKey(std::string_view key) {
  static const char kHex[] = "0123456789ABCDEF";
  if (key.empty()) return "%";
  // git fsck skips these code points when it looks for ".git" (HFS+ ignores
  // them), so one at the start must not leave a '.' first in effect.
  std::size_t leading = HfsIgnorableLength(key);
  std::string out;
  out.reserve(key.size());
  for (std::size_t i = 0; i < key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c == '%' || c == '/' || c == '~' || c == '\\' || c < 0x20 || c == 0x7f ||
        (i == 0 && c == '.') || i < leading) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string MemberEntryName(std::string_view key, const ValueRef& ref) {
  std::string name = EscapeKey(key);
  if (ref.is_array) name += "%[";
  return name;
}

std::string_view MemberEntryKey(std::string_view name, bool* is_array) {
  const bool marked = name.size() > 2 && name.substr(name.size() - 2) == "%[";
  if (is_array) *is_array = marked;
  return marked ? name.substr(0, name.size() - 2) : name;
}

Result<Member> ParseMemberEntry(std::string_view name, const ObjectId& id, bool is_tree) {
  bool is_array = false;
  std::string_view escaped = MemberEntryKey(name, &is_array);
  if (is_array && !is_tree) {
    return Status::Corruption("tree entry '" + std::string(name) +
                              "' marks a blob as an array node");
  }
  STRATA_ASSIGN_OR_RETURN(std::string key, UnescapeKey(escaped));
  return Member{std::move(key), ValueRef{id, is_tree, is_array}};
}

Result<std::string> UnescapeKey(std::string_view name) {
  if (name == "%") return std::string();
  if (name.empty() || name[0] == '.') {
    return Status::Corruption("tree entry '" + std::string(name) + "' is not an escaped key");
  }
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '%') {
      out.push_back(name[i]);
      continue;
    }
    int hi = i + 2 < name.size() ? HexValue(name[i + 1]) : -1;
    int lo = i + 2 < name.size() ? HexValue(name[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Status::Corruption("tree entry '" + std::string(name) + "' has a bad escape");
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::uint64_t KeyHash(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;  // MurmurHash3 fmix64
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

std::string BucketName(std::uint64_t hash, int level, const ShardShape& shape) {
  static const char kHex[] = "0123456789abcdef";
  const int shift = 64 - shape.bits * (level + 1);
  const unsigned digits = static_cast<unsigned>(hash >> shift) & ((1u << shape.bits) - 1);
  if (shape.bits == 4) return std::string{'.', kHex[digits]};
  return std::string{'.', kHex[digits >> 4], kHex[digits & 15]};
}

std::optional<ShardShape> ShapeOfBucket(std::string_view name) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  if (name.size() < 2 || name[0] != '.' || !hex(name[1])) return std::nullopt;
  if (name.size() == 2) return kNibbleShards;
  if (name.size() == 3 && hex(name[2])) return kByteShards;
  return std::nullopt;
}

ShardShape WriteShape(const ObjectStore& store) {
  return store.format() >= 3 ? kNibbleShards : kByteShards;
}

namespace {

// EncodeValue's walk, for `Value` const json::value or, freeing members as
// they are stored, json::value.
template <class Value>
Result<ValueRef> EncodeAt(ObjectStore& store, Value& v, int depth) {
  constexpr bool kRelease = !std::is_const_v<Value>;
  const bool container = v.is_object() || (v.is_array() && store.array_nodes());
  if (!container || depth >= kMaxTreeDepth) {
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteBlob(CanonicalJson(v)));
    return ValueRef{id, false};
  }
  if (std::optional<std::string> text = CanonicalJsonUpTo(v, kBlobMaxBytes)) {
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteBlob(*text));
    return ValueRef{id, false};
  }
  if (v.is_array()) {
    STRATA_ASSIGN_OR_RETURN(ObjectId id, BuildArray(store, v.get_array(), depth));
    return ValueRef{id, true, true};
  }
  auto& o = v.get_object();
  std::vector<Member> members;
  members.reserve(o.size());
  for (auto& kv : o) {
    STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeAt(store, kv.value(), depth + 1));
    members.push_back({std::string(kv.key()), ref});
    if constexpr (kRelease) kv.value() = nullptr;
  }
  if constexpr (kRelease) v = nullptr;
  return BuildObject(store, std::move(members), /*force_tree=*/true);
}

}  // namespace

Result<ValueRef> EncodeValue(ObjectStore& store, const json::value& v, int depth) {
  return EncodeAt(store, v, depth);
}

Result<ValueRef> EncodeValue(ObjectStore& store, json::value&& v, int depth) {
  return EncodeAt(store, v, depth);
}

Result<ObjectId> EncodeState(ObjectStore& store, const json::object& state) {
  std::vector<Member> members;
  members.reserve(state.size());
  for (const auto& kv : state) {
    if (!IsValidUtf8(kv.key())) return Status::InvalidArgument("a document id is not valid UTF-8");
    Status storable = CheckStorable(kv.value());
    if (!storable.ok()) {
      return storable.WithContext("in '/" + EscapePointerToken(kv.key()) + "'");
    }
    STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeValue(store, kv.value(), 1));
    members.push_back({std::string(kv.key()), ref});
  }
  STRATA_ASSIGN_OR_RETURN(ValueRef root, BuildObject(store, std::move(members), true));
  return root.id;
}

Result<json::value> DecodeValue(ObjectStore& store, const ValueRef& ref) {
  return DecodeAt(store, ref, 0);
}

Status WriteValueText(ObjectStore& store, const ValueRef& ref, const FormatOptions& options,
                      const TextSink& sink) {
  TextWriter writer(store, options, sink);
  STRATA_RETURN_IF_ERROR(writer.Value(ref, 0, 0));
  return writer.Finish();
}

Status ReadMembers(ObjectStore& store, const ObjectId& node, std::vector<Member>& out) {
  return ReadMembersAt(store, node, 0, out);
}

Result<std::optional<ValueRef>> FindMember(ObjectStore& store, const ObjectId& node,
                                           std::string_view key) {
  ObjectId cur = node;
  std::string name = EscapeKey(key);
  std::uint64_t hash = KeyHash(key);
  std::optional<ShardShape> shape;  // the node's, from its top shard tree
  for (int level = 0; level <= kMaxShardLevels; ++level) {
    // A binary search in the node's cached index; a node is a shard if its
    // first entry is a bucket. A member is named by its escaped key, or, for
    // an array node, by the key and the "%[" marker.
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const TreeIndex> index, store.IndexTree(cur));
    STRATA_ASSIGN_OR_RETURN(std::optional<ShardShape> here, NodeShape(index->first_name(), cur));
    if (here) {
      if (!shape) shape = here;
      if (*here != *shape || level >= shape->levels()) {
        return Status::Corruption("tree " + node.Hex() +
                                  " mixes shard shapes or is sharded too deep");
      }
      const TreeIndex::Entry* bucket = index->Find(BucketName(hash, level, *shape));
      if (!bucket) return std::optional<ValueRef>();
      cur = bucket->id;
      continue;
    }
    if (const TreeIndex::Entry* hit = index->Find(name)) {
      return std::optional<ValueRef>(ValueRef{hit->id, hit->is_tree});
    }
    const TreeIndex::Entry* array = index->Find(MemberEntryName(key, ValueRef{{}, true, true}));
    if (!array || !array->is_tree) return std::optional<ValueRef>();
    return std::optional<ValueRef>(ValueRef{array->id, true, true});
  }
  return Status::Corruption("tree " + node.Hex() + " is sharded too deep");
}

namespace {

// Whether node `id` holds at most `limit` members (`count` so far), counted
// through cached indexes and stopping past the limit.
Result<bool> CountMembersUpTo(ObjectStore& store, const ObjectId& id, std::size_t limit, int level,
                              std::size_t& count) {
  if (level > kMaxShardLevels)
    return Status::Corruption("tree " + id.Hex() + " is sharded too deep");
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const TreeIndex> index, store.IndexTree(id));
  if (!IsBucketName(index->first_name())) {
    count += index->size();
    return count <= limit;
  }
  for (const auto& e : index->entries()) {
    STRATA_ASSIGN_OR_RETURN(bool within, CountMembersUpTo(store, e.id, limit, level + 1, count));
    if (!within) return false;
  }
  return true;
}

}  // namespace

namespace {

Result<ValueRef> UpdateObjectWith(ObjectStore& store, const std::optional<ObjectId>& base,
                                  const std::vector<ChangeRef>& list, bool force_tree) {
  STRATA_ASSIGN_OR_RETURN(NodeUpdate updated, UpdateNode(store, base, 0, WriteShape(store), list));
  if (auto* id = std::get_if<ObjectId>(&updated)) {
    // A sharded object of few members may be small enough for a blob (a
    // flat node's limit, 128 members in format 3, is below kSmallMaxMembers).
    std::size_t count = 0;
    if (force_tree) return ValueRef{*id, true};
    STRATA_ASSIGN_OR_RETURN(bool few, CountMembersUpTo(store, *id, kSmallMaxMembers, 0, count));
    if (!few) return ValueRef{*id, true};
    std::vector<Member> members;
    STRATA_RETURN_IF_ERROR(ReadMembers(store, *id, members));
    return BuildObject(store, std::move(members), false);
  }
  auto& entries = std::get<std::vector<TreeEntry>>(updated);
  if (force_tree) {
    // What BuildObject would write for a flat node's members.
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteTree(std::move(entries)));
    return ValueRef{id, true};
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<Member> members, MembersOf(entries));
  return BuildObject(store, std::move(members), force_tree);
}

}  // namespace

Result<ValueRef> UpdateObject(ObjectStore& store, const std::optional<ObjectId>& base,
                              const MemberChanges& changes, bool force_tree) {
  std::vector<ChangeRef> list;
  list.reserve(changes.size());
  for (const auto& [key, value] : changes) list.push_back({&key, &value});
  return UpdateObjectWith(store, base, list, force_tree);
}

Result<ValueRef> UpdateObject(ObjectStore& store, const std::optional<ObjectId>& base,
                              std::span<const MemberChange> changes, bool force_tree) {
  std::vector<ChangeRef> list;
  list.reserve(changes.size());
  for (const auto& [key, value] : changes) list.push_back({&key, &value});
  return UpdateObjectWith(store, base, list, force_tree);
}

Result<ValueRef> EncodeMembers(ObjectStore& store, std::vector<Member> members, bool force_tree) {
  return BuildObject(store, std::move(members), force_tree);
}

}  // namespace strata
