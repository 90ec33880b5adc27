#include "objects/tree_codec.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <variant>

#include "objects/key_sort.h"
#include "objects/pod_array.h"
#include "objects/sha1.h"
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

// The id of a value's blob: its own, or, for a value carried as text, the
// blob written now (a tree entry names an object that exists).
Result<ObjectId> StoredId(ObjectStore& store, const ValueRef& ref) {
  if (!ref.carries_text() || ref.is_tree) return ref.id;
  return store.WriteBlob(ref.text());
}

// A value carried as text, not written: `id` is its blob's, or left zero
// when nothing outside the codec sees the ref (`hashed` false).
ValueRef TextRef(std::string_view text, bool hashed) {
  ObjectId id;
  if (hashed) id = HashObject(text, GIT_OBJECT_BLOB);
  return ValueRef::Carrying(id, CarriedText::Copy(text));
}

// The text of a blob value, and what keeps it alive.
Result<std::pair<std::shared_ptr<const void>, std::string_view>> TextOf(ObjectStore& store,
                                                                        const ValueRef& ref) {
  using Text = std::pair<std::shared_ptr<const void>, std::string_view>;
  if (ref.carries_text()) return Text(nullptr, ref.text());
  STRATA_ASSIGN_OR_RETURN(std::string text, store.ReadBlob(ref.id));
  auto own = std::make_shared<const std::string>(std::move(text));
  return Text(own, *own);
}

// Moves `i` past the JSON string that starts at s[i] ('"'); false if it
// does not end. `escaped` is set if it holds a backslash.
bool SkipString(std::string_view s, std::size_t& i, bool& escaped) {
  // By memchr, which looks at 32 bytes a step: a leaf is mostly strings.
  for (++i; i < s.size();) {
    const char* at = s.data() + i;
    const char* quote = static_cast<const char*>(std::memchr(at, '"', s.size() - i));
    if (quote == nullptr) return false;
    const char* backslash = static_cast<const char*>(std::memchr(at, '\\', quote - at));
    if (backslash == nullptr) {
      i = static_cast<std::size_t>(quote - s.data()) + 1;
      return true;
    }
    escaped = true;
    i = static_cast<std::size_t>(backslash - s.data()) + 2;  // past the escaped byte
  }
  return false;
}

// Moves `i` past the JSON value that starts at s[i], by its structure only
// (strings, brackets, and scalars up to the next ',' or '}'); false if it
// does not end or is empty.
bool SkipValue(std::string_view s, std::size_t& i) {
  bool escaped = false;
  if (i >= s.size()) return false;
  if (s[i] == '"') return SkipString(s, i, escaped);
  if (s[i] == '{' || s[i] == '[') {
    std::size_t depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        if (!SkipString(s, i, escaped)) return false;
        continue;
      }
      ++i;
      if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return true;
      }
    }
    return false;
  }
  const std::size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}') ++i;
  return i > start;
}

// Calls visit(key, value text, member text) for each member of the leaf
// `text` (blob `id`), the member text being `"key":value` as the leaf has it,
// splitting the canonical JSON a leaf is by its structure: a leaf is
// written canonical, so each value's text is its canonical JSON (a value
// that is not JSON fails where it is parsed; `strata verify` finds a leaf
// that is not canonical, as its state's ids differ from a fresh encoding's).
// Corruption unless it is an object of at least one member.
template <typename Visit>
Status ScanLeaf(std::string_view text, const ObjectId& id, Visit&& visit) {
  auto bad = [&] {
    return Status::Corruption("leaf " + id.Hex() + " is not an object of members");
  };
  const std::size_t n = text.size();
  if (n < 2 || text[0] != '{' || text[n - 1] != '}' || text[1] == '}') return bad();
  std::size_t i = 1;
  std::string unescaped;
  while (true) {
    if (i >= n || text[i] != '"') return bad();
    const std::size_t key_at = i;
    bool escaped = false;
    if (!SkipString(text, i, escaped)) return bad();
    std::string_view key = text.substr(key_at + 1, i - key_at - 2);
    if (escaped) {
      Result<json::value> k = ParseJson(text.substr(key_at, i - key_at), "leaf " + id.Hex());
      if (!k.ok() || !k->is_string()) return bad();
      unescaped.assign(k->get_string().data(), k->get_string().size());
      key = unescaped;
    }
    if (i >= n || text[i] != ':') return bad();
    const std::size_t value_at = ++i;
    if (!SkipValue(text, i)) return bad();
    STRATA_RETURN_IF_ERROR(
        visit(key, text.substr(value_at, i - value_at), text.substr(key_at, i - key_at)));
    if (i + 1 == n && text[i] == '}') return Status::Ok();
    if (i >= n || text[i] != ',') return bad();
    ++i;
  }
}

// The members of leaf `id`, each carried as its canonical text; Corruption
// unless the leaf is a non-empty JSON object.
Status ReadLeaf(ObjectStore& store, const ObjectId& id, bool hashed, std::vector<Member>& out) {
  STRATA_ASSIGN_OR_RETURN(std::string leaf, store.ReadBlob(id));
  return ScanLeaf(leaf, id, [&](std::string_view key, std::string_view value, std::string_view) {
    out.push_back(Member{std::string(key), TextRef(value, hashed)});
    return Status::Ok();
  });
}

// How a set of members is stored at one shard level of a node.
enum class Form { kLeaf, kFlat, kShard };

// What a node writer knows of where it writes: the store's shard shape, and
// whether this node may have leaves (format 4, inside a document).
struct NodeRules {
  ShardShape shape;
  bool leaves = false;
};

NodeRules RulesFor(const ObjectStore& store, bool leaves) {
  return NodeRules{WriteShape(store), leaves && store.format() >= 4};
}

// Members seen of a set, for its Form: their count, and while all are blob
// values, the canonical bytes of each "key":value.
struct Tally {
  std::size_t count = 0;
  std::size_t member_bytes = 0;
  bool all_blobs = true;
  // The canonical JSON object of the members: braces, members, commas.
  std::size_t leaf_bytes() const { return 2 + member_bytes + (count > 0 ? count - 1 : 0); }
};

// How the members tallied are stored at shard `level`: a leaf if they may
// be (format 4, below a node's top, all blob values) and fit in
// kLeafMaxBytes or are one; else, for blob values that do not fit, a shard;
// else flat up to the shape's member count. The deepest level is flat.
Form FormOf(const Tally& t, int level, const NodeRules& rules) {
  const bool leafy = rules.leaves && level >= 1 && t.all_blobs;
  if (leafy && (t.count == 1 || t.leaf_bytes() <= kLeafMaxBytes)) return Form::kLeaf;
  if (level >= rules.shape.levels()) return Form::kFlat;
  if (leafy) return Form::kShard;
  return t.count <= rules.shape.flat_max ? Form::kFlat : Form::kShard;
}

// Whether every set holding the members tallied is a shard at `level`: a
// tally may stop there.
bool SurelySharded(const Tally& t, int level, const NodeRules& rules) {
  if (level >= rules.shape.levels()) return false;
  const bool past_count = t.count > rules.shape.flat_max;
  if (!rules.leaves || level < 1 || !t.all_blobs) return past_count;
  return past_count && t.leaf_bytes() > kLeafMaxBytes;
}

// Adds member `key` with value `ref` to `t`; the bytes only count while
// they can make a leaf.
Status AddToTally(ObjectStore& store, Tally& t, std::string_view key, const ValueRef& ref,
                  const NodeRules& rules) {
  ++t.count;
  if (ref.is_tree) t.all_blobs = false;
  if (!rules.leaves || !t.all_blobs) return Status::Ok();
  std::size_t value_bytes = 0;
  if (ref.carries_text()) {
    value_bytes = ref.text().size();
  } else {
    STRATA_ASSIGN_OR_RETURN(value_bytes, store.BlobSize(ref.id));
  }
  t.member_bytes += JsonStringSize(key) + 1 + value_bytes;
  return Status::Ok();
}

// A member, its key and value held elsewhere, and the key's KeyHash. Sorted
// by hash, the members of every shard bucket, at every level, are one run (a
// level's digit is the hash's next bits, most significant first). 32 bytes:
// a node of a million members is built beside its member list. Where
// leaves may be, `bytes` is the member's `"key":value` length, counted in
// the members' own order, so a tally in hash order reads this list alone.
struct HashedMember {
  std::uint64_t hash;
  const std::string* key;
  const ValueRef* ref;
  std::uint32_t bytes = 0;
  bool is_tree = false;
};

// `key` with value `ref` as a HashedMember for a node of `rules`.
Result<HashedMember> Hashed(ObjectStore& store, const std::string& key, const ValueRef& ref,
                            const NodeRules& rules) {
  HashedMember m{KeyHash(key), &key, &ref, 0, ref.is_tree};
  if (rules.leaves && !ref.is_tree) {
    Tally t;
    STRATA_RETURN_IF_ERROR(AddToTally(store, t, key, ref, rules));
    // A member past 4 GiB counts as that: far past any leaf either way.
    m.bytes = static_cast<std::uint32_t>(std::min<std::size_t>(t.member_bytes, UINT32_MAX));
  }
  return m;
}

// The Form of `members` at `level`, tallying no further than it must.
Form FormOfMembers(std::span<const HashedMember> members, int level, const NodeRules& rules) {
  Tally t;
  if (!rules.leaves) {
    t.count = members.size();
    return FormOf(t, level, rules);
  }
  for (const HashedMember& m : members) {
    ++t.count;
    if (m.is_tree) t.all_blobs = false;
    t.member_bytes += m.bytes;
    if (SurelySharded(t, level, rules)) break;
  }
  return FormOf(t, level, rules);
}

// The leaf of `members`: their canonical JSON object, keys in order.
Result<ObjectId> WriteLeaf(ObjectStore& store, std::span<const HashedMember> members) {
  std::vector<const HashedMember*> by_key;
  by_key.reserve(members.size());
  for (const HashedMember& m : members) by_key.push_back(&m);
  std::sort(by_key.begin(), by_key.end(),
            [](const HashedMember* a, const HashedMember* b) { return *a->key < *b->key; });
  std::string out = "{";
  for (const HashedMember* m : by_key) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(out, *m->key);
    out.push_back(':');
    STRATA_ASSIGN_OR_RETURN(auto text, TextOf(store, *m->ref));
    out += text.second;
  }
  out.push_back('}');
  return store.WriteBlob(std::move(out));
}

Result<std::vector<TreeEntry>> FlatEntries(ObjectStore& store,
                                           std::span<const HashedMember> members) {
  std::vector<TreeEntry> entries;
  entries.reserve(members.size());
  for (const HashedMember& m : members) {
    STRATA_ASSIGN_OR_RETURN(ObjectId id, StoredId(store, *m.ref));
    entries.push_back({MemberEntryName(*m.key, *m.ref), id, m.ref->is_tree});
  }
  return entries;
}

// A written node, or leaf: what its parent's entry names. `surely_sharded`:
// the node is a shard whose members tallied so far make every set holding
// them a shard (SurelySharded at its level, hence at any level above), so
// its parent is one too without tallying anything.
struct Built {
  ObjectId id;
  bool is_tree = true;
  bool surely_sharded = false;
};

// Writes the node for `members` (sorted by hash) at shard `level`: a leaf,
// flat, or sharded, as FormOf says. No bucket copies its members.
Result<Built> BuildHashedNode(ObjectStore& store, std::span<const HashedMember> members, int level,
                              const NodeRules& rules) {
  const Form form = FormOfMembers(members, level, rules);
  if (form == Form::kLeaf) {
    STRATA_ASSIGN_OR_RETURN(ObjectId id, WriteLeaf(store, members));
    return Built{id, false};
  }
  if (form == Form::kFlat) {
    STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries, FlatEntries(store, members));
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteTree(std::move(entries)));
    return Built{id, true};
  }
  const ShardShape& shape = rules.shape;
  const int shift = 64 - shape.bits * (level + 1);
  auto digit = [&](const HashedMember& m) { return m.hash >> shift; };
  std::vector<TreeEntry> entries;
  for (std::size_t begin = 0; begin < members.size();) {
    std::size_t end = begin + 1;
    while (end < members.size() && digit(members[end]) == digit(members[begin])) ++end;
    STRATA_ASSIGN_OR_RETURN(
        Built bucket,
        BuildHashedNode(store, members.subspan(begin, end - begin), level + 1, rules));
    entries.push_back({BucketName(members[begin].hash, level, shape), bucket.id, bucket.is_tree});
    begin = end;
  }
  STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteTree(std::move(entries)));
  return Built{id, true};
}

// Sorts `members` by hash and writes their node at shard `level`.
Result<Built> BuildHashedNode(ObjectStore& store, std::vector<HashedMember> members, int level,
                              const NodeRules& rules) {
  std::sort(members.begin(), members.end(),
            [](const HashedMember& a, const HashedMember& b) { return a.hash < b.hash; });
  return BuildHashedNode(store, std::span<const HashedMember>(members), level, rules);
}

Result<std::vector<HashedMember>> Hashed(ObjectStore& store, const std::vector<Member>& members,
                                         const NodeRules& rules) {
  std::vector<HashedMember> hashed;
  hashed.reserve(members.size());
  for (const Member& m : members) {
    STRATA_ASSIGN_OR_RETURN(HashedMember h, Hashed(store, m.key, m.ref, rules));
    hashed.push_back(h);
  }
  return hashed;
}

// Writes the node for `members` at shard `level`.
Result<Built> BuildNode(ObjectStore& store, const std::vector<Member>& members, int level,
                        const NodeRules& rules) {
  STRATA_ASSIGN_OR_RETURN(std::vector<HashedMember> hashed, Hashed(store, members, rules));
  return BuildHashedNode(store, std::move(hashed), level, rules);
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
    std::size_t value_size = 0;
    if (m.ref.carries_text()) {
      value_size = m.ref.text().size();
    } else {
      STRATA_ASSIGN_OR_RETURN(value_size, store.BlobSize(m.ref.id));
    }
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
    STRATA_ASSIGN_OR_RETURN(auto value, TextOf(store, members[i].ref));
    out += value.second;
  }
  out.push_back('}');
  return std::optional<std::string>(std::move(out));
}

// An object made of `members`: a blob if small (unless force_tree), else a
// node, with leaves if `leaves` (and the store's format has them).
Result<ValueRef> BuildObject(ObjectStore& store, std::vector<Member> members, bool force_tree,
                             bool leaves) {
  if (!force_tree) {
    STRATA_ASSIGN_OR_RETURN(std::optional<std::string> small, SmallObjectJson(store, members));
    if (small) {
      STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteBlob(*small));
      return ValueRef{id, false};
    }
  }
  STRATA_ASSIGN_OR_RETURN(Built node, BuildNode(store, members, 0, RulesFor(store, leaves)));
  return ValueRef{node.id, true};
}

// Walks node `id` (a tree at shard `level`, or a leaf) through its shard
// buckets: on_leaf(leaf id) for each leaf, on_entries(entries) for each flat
// tree's member entries.
template <typename OnLeaf, typename OnEntries>
Status WalkNode(ObjectStore& store, const ObjectId& id, bool is_tree, int level, OnLeaf&& on_leaf,
                OnEntries&& on_entries) {
  if (level > kMaxShardLevels)
    return Status::Corruption("tree " + id.Hex() + " is sharded too deep");
  if (!is_tree) return on_leaf(id);
  STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries, store.ReadTree(id));
  if (!IsShardNode(entries)) return on_entries(entries);
  for (const auto& e : entries) {
    if (!IsBucketName(e.name)) {
      return Status::Corruption("tree " + id.Hex() + " mixes shard buckets and members");
    }
    STRATA_RETURN_IF_ERROR(WalkNode(store, e.id, e.is_tree, level + 1, on_leaf, on_entries));
  }
  return Status::Ok();
}

// Appends the members of node `node` (a tree at shard `level`, or a leaf)
// to `out`; a leaf's are carried as text, their ids set if `hashed`.
Status ReadMembersAt(ObjectStore& store, const ObjectId& node, bool is_tree, int level, bool hashed,
                     std::vector<Member>& out) {
  return WalkNode(
      store, node, is_tree, level,
      [&](const ObjectId& leaf) { return ReadLeaf(store, leaf, hashed, out); },
      [&](const std::vector<TreeEntry>& entries) -> Status {
        for (const auto& e : entries) {
          STRATA_ASSIGN_OR_RETURN(Member m, ParseMemberEntry(e.name, e.id, e.is_tree));
          out.push_back(std::move(m));
        }
        return Status::Ok();
      });
}

Status ReadMembersAt(ObjectStore& store, const ObjectId& node, int level,
                     std::vector<Member>& out) {
  return ReadMembersAt(store, node, true, level, true, out);
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
// writes it, or turns it into a blob), or what it became otherwise: a tree
// (a shard; a flat node too, below a node's top in format 4) or a leaf.
using NodeUpdate = std::variant<std::vector<TreeEntry>, Built>;

Result<std::vector<Member>> MembersOf(const std::vector<TreeEntry>& entries) {
  std::vector<Member> members;
  members.reserve(entries.size());
  for (const auto& e : entries) {
    STRATA_ASSIGN_OR_RETURN(Member m, ParseMemberEntry(e.name, e.id, e.is_tree));
    members.push_back(std::move(m));
  }
  return members;
}

// `members` with `changes` applied: by key, each key once.
std::vector<Member> Applied(std::vector<Member> members, const std::vector<ChangeRef>& changes) {
  std::map<std::string, ValueRef, std::less<>> by_key;
  for (Member& m : members) by_key.emplace(std::move(m.key), std::move(m.ref));
  for (const ChangeRef& c : changes) {
    if (c.value()) {
      by_key.insert_or_assign(c.key(), *c.value());
    } else if (auto it = by_key.find(c.key()); it != by_key.end()) {
      by_key.erase(it);
    }
  }
  std::vector<Member> out;
  out.reserve(by_key.size());
  for (auto& [key, ref] : by_key) out.push_back({key, std::move(ref)});
  return out;
}

// The node of `members` at shard `level`, as UpdateNode returns it: flat
// entries unwritten at a node's top, else written.
Result<NodeUpdate> RebuiltNode(ObjectStore& store, const std::vector<Member>& members, int level,
                               const NodeRules& rules) {
  if (members.empty()) return NodeUpdate(std::vector<TreeEntry>());
  STRATA_ASSIGN_OR_RETURN(std::vector<HashedMember> hashed, Hashed(store, members, rules));
  std::sort(hashed.begin(), hashed.end(),
            [](const HashedMember& a, const HashedMember& b) { return a.hash < b.hash; });
  const Form form = FormOfMembers(hashed, level, rules);
  if (form == Form::kFlat && level == 0) {
    STRATA_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries,
                            FlatEntries(store, std::span<const HashedMember>(hashed)));
    return NodeUpdate(std::move(entries));
  }
  STRATA_ASSIGN_OR_RETURN(
      Built built, BuildHashedNode(store, std::span<const HashedMember>(hashed), level, rules));
  return NodeUpdate(built);
}

// Tallies the members of node `id` (a tree at shard `level`, or a leaf)
// into `t`, stopping once the node that holds them surely stays a shard at
// `top`.
Status TallyNode(ObjectStore& store, const ObjectId& id, bool is_tree, int level, int top,
                 const NodeRules& rules, Tally& t) {
  if (level > kMaxShardLevels)
    return Status::Corruption("tree " + id.Hex() + " is sharded too deep");
  if (!is_tree) {
    std::vector<Member> members;
    STRATA_RETURN_IF_ERROR(ReadLeaf(store, id, false, members));
    for (const Member& m : members) {
      STRATA_RETURN_IF_ERROR(AddToTally(store, t, m.key, m.ref, rules));
    }
    return Status::Ok();
  }
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const TreeIndex> index, store.IndexTree(id));
  if (IsBucketName(index->first_name())) {
    for (const auto& e : index->entries()) {
      if (SurelySharded(t, top, rules)) return Status::Ok();
      STRATA_RETURN_IF_ERROR(TallyNode(store, e.id, e.is_tree, level + 1, top, rules, t));
    }
    return Status::Ok();
  }
  for (const auto& e : index->entries()) {
    if (e.is_tree) t.all_blobs = false;
  }
  if (!rules.leaves || !t.all_blobs) {
    t.count += index->size();
    return Status::Ok();
  }
  for (const auto& e : index->entries()) {
    STRATA_ASSIGN_OR_RETURN(Member m, ParseMemberEntry(e.name, e.id, e.is_tree));
    STRATA_RETURN_IF_ERROR(AddToTally(store, t, m.key, m.ref, rules));
  }
  return Status::Ok();
}

// Applies `changes` to the node `node` (absent: an empty one; a leaf if not
// `is_tree`) at shard `level`. Only the buckets that changes fall in are
// read, and in a flat node each change finds its entry by a binary search
// on its escaped name: the other entries keep their names as stored,
// neither unescaped nor escaped again, so a change costs about the same in
// a node of 5 members and in one of 500. A node sharded in another shape
// (written by another format) is read whole and written again in `shape`;
// a leaf, or a flat node where leaves may be, is read whole (it is small)
// and written again as its members now make it.
Result<NodeUpdate> UpdateNode(ObjectStore& store, const std::optional<ObjectId>& node, bool is_tree,
                              int level, const NodeRules& rules,
                              const std::vector<ChangeRef>& changes) {
  const ShardShape& shape = rules.shape;
  if (node && !is_tree) {
    std::vector<Member> members;
    STRATA_RETURN_IF_ERROR(ReadLeaf(store, *node, false, members));
    return RebuiltNode(store, Applied(std::move(members), changes), level, rules);
  }
  std::shared_ptr<const TreeIndex> index;
  std::optional<ShardShape> node_shape;
  if (node) {
    STRATA_ASSIGN_OR_RETURN(index, store.IndexTree(*node));
    STRATA_ASSIGN_OR_RETURN(node_shape, NodeShape(index->first_name(), *node));
  }
  if (node_shape && *node_shape != shape) {
    std::vector<Member> all;
    STRATA_RETURN_IF_ERROR(ReadMembersAt(store, *node, true, level, false, all));
    return RebuiltNode(store, Applied(std::move(all), changes), level, rules);
  }
  if (node_shape) {
    std::map<std::string, std::vector<ChangeRef>> by_bucket;
    for (const ChangeRef& c : changes) {
      by_bucket[BucketName(KeyHash(c.key()), level, shape)].push_back(c);
    }
    std::map<std::string, TreeEntry> buckets;
    for (const auto& e : index->entries()) {
      if (!IsBucketName(e.name)) {
        return Status::Corruption("tree " + node->Hex() + " mixes shard buckets and members");
      }
      buckets[std::string(e.name)] = TreeEntry{std::string(e.name), e.id, e.is_tree};
    }
    // A bucket that stays a shard for members it surely holds makes this
    // node one: no sibling needs reading to tell (a one-field change reads
    // siblings at the deepest shard level only, not at every level).
    bool surely_sharded = false;
    for (const auto& [name, sub] : by_bucket) {
      std::optional<ObjectId> child;
      bool child_is_tree = true;
      if (auto it = buckets.find(name); it != buckets.end()) {
        child = it->second.id;
        child_is_tree = it->second.is_tree;
      }
      STRATA_ASSIGN_OR_RETURN(NodeUpdate updated,
                              UpdateNode(store, child, child_is_tree, level + 1, rules, sub));
      if (auto* flat = std::get_if<std::vector<TreeEntry>>(&updated)) {
        if (flat->empty()) {
          buckets.erase(name);
          continue;
        }
        STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteTree(std::move(*flat)));
        buckets[name] = TreeEntry{name, id, true};
      } else {
        const Built& built = std::get<Built>(updated);
        buckets[name] = TreeEntry{name, built.id, built.is_tree};
        surely_sharded = surely_sharded || built.surely_sharded;
      }
    }
    // Whether the node stays a shard: its members are tallied until it
    // surely does (a shard of blob values past kLeafMaxBytes, or of more
    // than shape.flat_max members), so counting reads little; the bucket
    // indexes are cached, so it reads nothing twice.
    Tally t;
    for (const auto& [name, e] : buckets) {
      if (surely_sharded || SurelySharded(t, level, rules)) break;
      STRATA_RETURN_IF_ERROR(TallyNode(store, e.id, e.is_tree, level + 1, level, rules, t));
    }
    if (!surely_sharded && t.count > 0 && FormOf(t, level, rules) != Form::kShard) {
      std::vector<Member> all;
      for (const auto& [name, e] : buckets) {
        STRATA_RETURN_IF_ERROR(ReadMembersAt(store, e.id, e.is_tree, level + 1, false, all));
      }
      return RebuiltNode(store, all, level, rules);
    }
    std::vector<TreeEntry> out;
    out.reserve(buckets.size());
    for (auto& [name, e] : buckets) out.push_back(std::move(e));
    if (out.empty()) return NodeUpdate(std::move(out));
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteTree(std::move(out)));
    return NodeUpdate(Built{id, true, surely_sharded || SurelySharded(t, level, rules)});
  }
  // Where leaves may be, below a node's top, a flat node (one that holds an
  // object node) is read whole and written again as its members make it.
  if (rules.leaves && level >= 1) {
    std::vector<Member> members;
    if (index) {
      std::vector<TreeEntry> entries;
      entries.reserve(index->size());
      for (const auto& e : index->entries())
        entries.push_back({std::string(e.name), e.id, e.is_tree});
      STRATA_ASSIGN_OR_RETURN(members, MembersOf(entries));
    }
    return RebuiltNode(store, Applied(std::move(members), changes), level, rules);
  }
  // No node, and more members than a flat node holds (an import's): the
  // node is built from the changes, each key neither escaped nor parsed back.
  if (!index && changes.size() > shape.flat_max && level < shape.levels()) {
    std::vector<HashedMember> members;
    members.reserve(changes.size());
    for (const ChangeRef& c : changes) {
      if (!c.value()) continue;
      STRATA_ASSIGN_OR_RETURN(HashedMember m, Hashed(store, c.key(), *c.value(), rules));
      members.push_back(m);
    }
    if (members.size() > shape.flat_max) {
      STRATA_ASSIGN_OR_RETURN(Built built,
                              BuildHashedNode(store, std::move(members), level, rules));
      return NodeUpdate(built);
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
      STRATA_ASSIGN_OR_RETURN(ObjectId id, StoredId(store, *c.value()));
      entries[at] = TreeEntry{std::move(name), id, c.value()->is_tree};
    } else if (c.value()) {
      if (c.value()->is_array) name += "%[";
      STRATA_ASSIGN_OR_RETURN(ObjectId id, StoredId(store, *c.value()));
      entries.push_back(TreeEntry{std::move(name), id, c.value()->is_tree});
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
    STRATA_ASSIGN_OR_RETURN(Built built, BuildNode(store, members, level, rules));
    return NodeUpdate(built);
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

// Adds the members of object node `node`, `depth` trees deep, to `o`; a
// leaf's values go in as parsed.
Status DecodeNodeInto(ObjectStore& store, const ObjectId& node, int depth, json::object& o) {
  auto on_leaf = [&](const ObjectId& id) -> Status {
    STRATA_ASSIGN_OR_RETURN(json::value leaf, ReadBlobValue(store, id));
    if (!leaf.is_object() || leaf.get_object().empty()) {
      return Status::Corruption("leaf " + id.Hex() + " is not an object of members");
    }
    for (auto& kv : leaf.get_object()) o.emplace(kv.key(), std::move(kv.value()));
    return Status::Ok();
  };
  auto on_entries = [&](const std::vector<TreeEntry>& entries) -> Status {
    o.reserve(o.size() + entries.size());
    for (const auto& e : entries) {
      STRATA_ASSIGN_OR_RETURN(Member m, ParseMemberEntry(e.name, e.id, e.is_tree));
      STRATA_ASSIGN_OR_RETURN(json::value v, DecodeAt(store, m.ref, depth + 1));
      o.emplace(m.key, std::move(v));
    }
    return Status::Ok();
  };
  return WalkNode(store, node, true, 0, on_leaf, on_entries);
}

Result<json::value> DecodeAt(ObjectStore& store, const ValueRef& ref, int depth) {
  if (!ref.is_tree && ref.carries_text()) {
    Result<json::value> v = ParseJson(ref.text(), "a leaf's member");
    if (!v.ok()) return Status::Corruption(v.status().message());
    return v;
  }
  if (!ref.is_tree) return ReadBlobValue(store, ref.id);
  if (depth > kMaxTreeDepth)
    return Status::Corruption("tree " + ref.id.Hex() + " is nested too deep");
  if (ref.is_array) {
    json::array a;
    STRATA_RETURN_IF_ERROR(DecodeArrayLevel(store, ref.id, depth, 0, a));
    return json::value(std::move(a));
  }
  json::object o;
  STRATA_RETURN_IF_ERROR(DecodeNodeInto(store, ref.id, depth, o));
  return json::value(std::move(o));
}

// Texts kept for as long as a print needs them, copied into chunks that
// never move (PodArray: huge pages for a large node's leaves, a few faults
// where each leaf's own string took one every 4 KiB). A text is named by
// its offset, 32 bits: the chunks are whole strides of a power of two.
class TextArena {
 public:
  static constexpr int kMinShift = 16;  // 64 KiB
  static constexpr int kMaxShift = 24;  // 16 MiB
  // About how many bytes will be kept: the stride.
  void Expect(std::size_t bytes) {
    shift_ = kMinShift;
    while (shift_ < kMaxShift && (std::size_t{1} << shift_) < bytes) ++shift_;
  }
  // The offset of a copy of `text`; nullopt if the offsets are used up (4 GiB).
  std::optional<std::uint32_t> Keep(std::string_view text) {
    const std::size_t stride = std::size_t{1} << shift_;
    // Even an empty text is given an offset inside a chunk, where At finds it.
    if (chunks_.empty() || chunks_.back().size() - used_ < std::max<std::size_t>(text.size(), 1)) {
      const std::size_t strides = std::max<std::size_t>(1, (text.size() + stride - 1) / stride);
      if ((slots_.size() + strides) * stride > (std::size_t{1} << 32)) return std::nullopt;
      next_ = slots_.size() * stride;
      char* base = chunks_.emplace_back(strides * stride).data();
      for (std::size_t i = 0; i < strides; ++i) slots_.push_back(base + i * stride);
      used_ = 0;
    }
    if (!text.empty()) std::memcpy(chunks_.back().data() + used_, text.data(), text.size());
    used_ += text.size();
    const std::size_t at = next_;
    next_ += text.size();
    return static_cast<std::uint32_t>(at);
  }
  // The text kept at `offset`.
  const char* At(std::uint32_t offset) const {
    return slots_[offset >> shift_] + (offset & ((std::uint32_t{1} << shift_) - 1));
  }

 private:
  std::deque<PodArray<char>> chunks_;
  std::vector<char*> slots_;  // where each stride of the offsets is
  std::size_t used_ = 0;      // of the last chunk
  std::size_t next_ = 0;      // the next text's offset
  int shift_ = kMinShift;
};

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
      STRATA_ASSIGN_OR_RETURN(json::value v, DecodeAt(store_, ref, depth));
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
    // The node's members, sorted by key as FormatJson prints them; a key
    // given twice (a corrupt node) keeps its first member, as DecodeAt's
    // object does.
    Members m;
    STRATA_RETURN_IF_ERROR(Collect(ref.id, m));
    PodArray<KeySortEntry>& order = m.entries;
    PodArray<KeySortEntry> scratch(order.size());
    SortByKey(
        order.begin(), order.end(), scratch.data(),
        [&](const KeySortEntry& e) { return m.KeyOf(e); }, m.shared.size());
    // A leaf's text is canonical, which is what compact printing gives.
    const bool verbatim = options_.indent == 0 && !options_.color;
    out_.push_back('{');
    if (verbatim && m.refs.empty() && order.size() >= kLaneMembers) {
      // Copied in two lanes, the second half on a thread of its own, into
      // the sort's scratch if it fits there.
      const std::size_t half = order.size() / 2;
      std::size_t bytes = 0;
      for (std::size_t i = half; i < order.size(); ++i) {
        if (!(order[i].data & kRepeat)) bytes += (order[i].data & kSizeMask) + 1;
      }
      std::string spare;
      char* second = reinterpret_cast<char*>(scratch.data());
      if (bytes > scratch.size() * sizeof(KeySortEntry)) {
        spare.resize(bytes);
        second = spare.data();
      }
      STRATA_RETURN_IF_ERROR(Beside(
          [&] {
            char* at = second;
            CopyMembers(m, half, order.size(), [&](const char* member, std::size_t size) {
              *at++ = ',';
              std::memcpy(at, member, size);
              at += size;
            });
          },
          [&]() -> Status {
            Status s;
            bool first = true;
            CopyMembers(m, 0, half, [&](const char* member, std::size_t size) {
              if (!first) out_.push_back(',');
              first = false;
              out_.append(member, size);
              if (out_.size() >= kPieceBytes && s.ok()) s = Finish();
            });
            return s;
          }));
      STRATA_RETURN_IF_ERROR(Finish());
      if (bytes != 0) STRATA_RETURN_IF_ERROR(sink_(std::string_view(second, bytes)));
      out_.push_back('}');
      return Spill();
    }
    bool first = true;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (i + 16 < order.size() && order[i + 16].data & kSizeMask) {
        __builtin_prefetch(m.arena.At(order[i + 16].index));
      }
      const KeySortEntry& e = order[i];
      if (e.data & kRepeat) continue;
      const std::size_t size = e.data & kSizeMask;
      if (verbatim && size != 0) {
        if (!first) out_.push_back(',');
        first = false;
        out_.append(m.arena.At(e.index), size);
        STRATA_RETURN_IF_ERROR(Spill());
        continue;
      }
      AppendFormattedKey(out_, m.KeyOf(e), options_, level + 1, first);
      first = false;
      if (size == 0) {
        STRATA_RETURN_IF_ERROR(Value(m.refs[m.RefIndex(e)].ref, depth + 1, level + 1));
      } else {
        Result<json::value> v =
            ParseJson(MemberValue(std::string_view(m.arena.At(e.index), size)), "a leaf's member");
        if (!v.ok()) return Status::Corruption(v.status().message());
        AppendFormattedJson(out_, *v, options_, level + 1);
        STRATA_RETURN_IF_ERROR(Spill());
      }
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

  // An object node's members are sort entries (objects/key_sort.h), 16
  // bytes each: a document's million are sorted and copied through these.
  // `index` is where the member lies in the arena: `"key":value` as its
  // leaf has it, or, for a member stored in a tree, 4 bytes giving its
  // place in Members::refs (kept in the walk's order, so offsets order
  // members as the walk met them). `data` holds the member's size (0 for a
  // member in a tree), kEscaped if its leaf escapes its key, and
  // SortByKey's kRepeat.
  static constexpr std::uint32_t kEscaped = std::uint32_t{1} << 30;
  static constexpr std::uint32_t kSizeMask = kEscaped - 1;
  static constexpr std::size_t kMaxShared = 64;
  struct Members {
    TextArena arena;
    std::vector<Member> refs;
    std::unordered_map<std::uint32_t, std::string> keys;  // escaped keys, by offset
    PodArray<KeySortEntry> entries;
    // The bytes every key begins with (at most kMaxShared), and how many
    // entries, the first, were made with a longer guess of them.
    std::string shared;
    std::size_t stale = 0;

    // Adds the entry of a member whose key is `key`, sorting its bytes
    // past those all keys share (so far: a key that begins otherwise
    // shortens them, and the entries made before are done again).
    void Add(std::string_view key, std::uint32_t index, std::uint32_t data) {
      if (entries.empty()) {
        shared.assign(key.substr(0, kMaxShared));
      } else if (key.substr(0, shared.size()) != shared) {
        std::size_t n = 0;
        while (n < shared.size() && n < key.size() && key[n] == shared[n]) ++n;
        shared.resize(n);
        stale = entries.size();
      }
      entries.push_back({KeyPrefix(key, shared.size()), index, data});
    }
    // Once every member is added: the prefixes of entries made with a
    // longer guess of the shared bytes, made again.
    void FinishEntries() {
      for (std::size_t i = 0; i < stale; ++i) {
        entries[i].prefix = KeyPrefix(KeyOf(entries[i]), shared.size());
      }
    }

    std::size_t RefIndex(const KeySortEntry& e) const {
      std::uint32_t r;
      std::memcpy(&r, arena.At(e.index), sizeof r);
      return r;
    }
    std::string_view KeyOf(const KeySortEntry& e) const {
      const std::size_t size = e.data & kSizeMask;
      if (size == 0) return refs[RefIndex(e)].key;
      if (e.data & kEscaped) return keys.at(e.index);
      // A key with no escape ends at its second '"'.
      const char* member = arena.At(e.index);
      const char* end = static_cast<const char*>(std::memchr(member + 1, '"', size - 1));
      return {member + 1, static_cast<std::size_t>(end - member - 1)};
    }
  };
  // A node's leaves are read on this thread (the store is not shared) and
  // scanned on another when it has at least kLaneLeaves; an object of at
  // least kLaneMembers is copied out in two lanes.
  static constexpr std::size_t kLaneLeaves = 64;
  static constexpr std::size_t kLaneMembers = 16384;

  static Status TooLarge() {
    return Status::InvalidArgument(
        "an object of more than 4 GiB of members, or with a member of 1 GiB or more, is not "
        "printed");
  }

  // The value text of a leaf's member `"key":value`.
  static std::string_view MemberValue(std::string_view member) {
    std::size_t i = 0;
    bool escaped = false;
    SkipString(member, i, escaped);  // ScanLeaf found it whole
    return member.substr(i + 1);
  }

  // Runs `beside` on a thread of its own while `here` runs on this one;
  // `here`'s status, or what either threw, once both are done.
  template <typename There, typename Here>
  static Status Beside(There&& beside, Here&& here) {
    std::exception_ptr thrown;
    std::thread lane([&] {
      try {
        beside();
      } catch (...) {
        thrown = std::current_exception();
      }
    });
    Status s;
    try {
      s = here();
    } catch (...) {
      lane.join();
      throw;
    }
    lane.join();
    if (thrown) std::rethrow_exception(thrown);
    return s;
  }

  // Calls copy(member, size) for the sorted members [begin, end) of `m`,
  // all in leaves, but for repeated keys.
  template <typename Copy>
  static void CopyMembers(const Members& m, std::size_t begin, std::size_t end, Copy&& copy) {
    const PodArray<KeySortEntry>& order = m.entries;
    for (std::size_t i = begin; i < end; ++i) {
      // Members are met in no order: asked for ahead, their cache misses
      // overlap.
      if (i + 16 < end) __builtin_prefetch(m.arena.At(order[i + 16].index));
      if (order[i].data & kRepeat) continue;
      copy(m.arena.At(order[i].index), order[i].data & kSizeMask);
    }
  }

  // One step of an object node's walk: a leaf (`begin` its index in the
  // walk's leaves) or the members refs[begin, end) of a tree.
  struct Segment {
    bool is_leaf;
    std::size_t begin, end;
  };

  // Gathers the members of object node `id` into `m`, its entries in the
  // walk's order.
  Status Collect(const ObjectId& id, Members& m) {
    std::vector<ObjectId> leaf_ids;
    std::vector<Segment> segments;
    auto on_leaf = [&](const ObjectId& leaf_id) -> Status {
      segments.push_back({true, leaf_ids.size(), leaf_ids.size() + 1});
      leaf_ids.push_back(leaf_id);
      return Status::Ok();
    };
    auto on_entries = [&](const std::vector<TreeEntry>& entries) -> Status {
      const std::size_t begin = m.refs.size();
      for (const auto& e : entries) {
        STRATA_ASSIGN_OR_RETURN(Member member, ParseMemberEntry(e.name, e.id, e.is_tree));
        m.refs.push_back(std::move(member));
      }
      segments.push_back({false, begin, m.refs.size()});
      return Status::Ok();
    };
    STRATA_RETURN_IF_ERROR(WalkNode(store_, id, true, 0, on_leaf, on_entries));
    if (m.refs.size() > UINT32_MAX) return TooLarge();
    m.arena.Expect(leaf_ids.size() * (kLeafMaxBytes / 2));
    // Each segment as kept: a leaf's text and offset, a ref's offset.
    std::vector<std::string_view> leaves(leaf_ids.size());
    std::vector<std::uint32_t> leaf_at(leaf_ids.size()), ref_at(m.refs.size());
    std::string text;  // each leaf as read, then kept in the arena
    auto keep = [&](const Segment& segment) -> Status {
      if (segment.is_leaf) {
        STRATA_RETURN_IF_ERROR(store_.ReadBlob(leaf_ids[segment.begin], text));
        std::optional<std::uint32_t> at = m.arena.Keep(text);
        if (!at) return TooLarge();
        leaves[segment.begin] = std::string_view(m.arena.At(*at), text.size());
        leaf_at[segment.begin] = *at;
        return Status::Ok();
      }
      for (std::size_t r = segment.begin; r < segment.end; ++r) {
        const std::uint32_t index = static_cast<std::uint32_t>(r);
        std::optional<std::uint32_t> at =
            m.arena.Keep(std::string_view(reinterpret_cast<const char*>(&index), sizeof index));
        if (!at) return TooLarge();
        ref_at[r] = *at;
      }
      return Status::Ok();
    };
    auto scan = [&](const Segment& segment) -> Status {
      if (!segment.is_leaf) {
        for (std::size_t r = segment.begin; r < segment.end; ++r) {
          m.Add(m.refs[r].key, ref_at[r], 0);
        }
        return Status::Ok();
      }
      const std::string_view leaf = leaves[segment.begin];
      const std::uint32_t leaf_offset = leaf_at[segment.begin];
      return ScanLeaf(leaf, leaf_ids[segment.begin],
                      [&](std::string_view key, std::string_view, std::string_view member) {
                        if (member.size() > kSizeMask) return TooLarge();
                        const auto at =
                            static_cast<std::uint32_t>(leaf_offset + (member.data() - leaf.data()));
                        std::uint32_t data = static_cast<std::uint32_t>(member.size());
                        if (key.data() != member.data() + 1) {
                          // Unescaped into ScanLeaf's buffer: kept here.
                          m.keys.emplace(at, key);
                          data |= kEscaped;
                        }
                        m.Add(key, at, data);
                        return Status::Ok();
                      });
    };
    if (leaf_ids.size() < kLaneLeaves) {
      for (const Segment& segment : segments) STRATA_RETURN_IF_ERROR(keep(segment));
      for (const Segment& segment : segments) STRATA_RETURN_IF_ERROR(scan(segment));
      m.FinishEntries();
      return Status::Ok();
    }
    // Segments [0, ready) are kept; handed over in batches.
    std::mutex mu;
    std::condition_variable cv;
    std::size_t ready = 0;
    bool stopped = false;                 // the reads ended: no more will be ready
    std::atomic<bool> scan_ended{false};  // read no more
    Status scanned;
    STRATA_RETURN_IF_ERROR(Beside(
        [&] {
          // Whatever ends the scan (an error, an exception) ends the reads.
          struct Stop {
            std::atomic<bool>& ended;
            ~Stop() { ended = true; }
          } stop{scan_ended};
          for (std::size_t s = 0; s < segments.size() && scanned.ok(); ++s) {
            {
              std::unique_lock lock(mu);
              cv.wait(lock, [&] { return ready > s || stopped; });
              if (ready <= s) return;
            }
            scanned = scan(segments[s]);
          }
        },
        [&]() -> Status {
          // Whatever ends the reads (an error, an exception) wakes the scan.
          struct Stop {
            std::mutex& mu;
            std::condition_variable& cv;
            bool& stopped;
            ~Stop() {
              std::lock_guard lock(mu);
              stopped = true;
              cv.notify_one();
            }
          } stop{mu, cv, stopped};
          constexpr std::size_t kBatch = 8;
          for (std::size_t s = 0; s < segments.size() && !scan_ended; ++s) {
            STRATA_RETURN_IF_ERROR(keep(segments[s]));
            if ((s + 1) % kBatch == 0 || s + 1 == segments.size()) {
              std::lock_guard lock(mu);
              ready = s + 1;
              cv.notify_one();
            }
          }
          return Status::Ok();
        }));
    if (scanned.ok()) m.FinishEntries();
    return scanned;
  }

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

// A blob value: written, or (`carried`) carried as text, not even hashed
// (most go into a leaf; one placed in a tree is written then).
Result<ValueRef> BlobRef(ObjectStore& store, std::string text, bool carried) {
  if (carried) return TextRef(text, false);
  STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteBlob(std::move(text)));
  return ValueRef{id, false};
}

// EncodeValue's walk, for `Value` const json::value or, freeing members as
// they are stored, json::value. A blob value is carried as text, not
// written, if `carried` (a member of a node that may put it in a leaf).
template <class Value>
Result<ValueRef> EncodeAt(ObjectStore& store, Value& v, int depth, bool carried) {
  constexpr bool kRelease = !std::is_const_v<Value>;
  const bool container = v.is_object() || (v.is_array() && store.array_nodes());
  if (!container || depth >= kMaxTreeDepth) return BlobRef(store, CanonicalJson(v), carried);
  // An object of more members than a small one can hold (an array of more
  // elements) is no blob: CanonicalJsonUpTo would sort its keys to find so.
  const bool too_many = v.is_object() ? v.get_object().size() > kSmallMaxMembers
                                      : v.get_array().size() > (kBlobMaxBytes + 1) / 2;
  if (!too_many) {
    if (std::optional<std::string> text = CanonicalJsonUpTo(v, kBlobMaxBytes)) {
      return BlobRef(store, std::move(*text), carried);
    }
  }
  if (v.is_array()) {
    STRATA_ASSIGN_OR_RETURN(ObjectId id, BuildArray(store, v.get_array(), depth));
    return ValueRef{id, true, true};
  }
  auto& o = v.get_object();
  // Inside a document (depth 1 and below) a node may have leaves.
  const bool leaves = depth >= 1 && store.format() >= 4;
  std::vector<Member> members;
  members.reserve(o.size());
  for (auto& kv : o) {
    STRATA_ASSIGN_OR_RETURN(ValueRef ref, EncodeAt(store, kv.value(), depth + 1, leaves));
    members.push_back({std::string(kv.key()), std::move(ref)});
    if constexpr (kRelease) kv.value() = nullptr;
  }
  if constexpr (kRelease) v = nullptr;
  return BuildObject(store, std::move(members), /*force_tree=*/true, leaves);
}

}  // namespace

Result<ValueRef> EncodeValue(ObjectStore& store, const json::value& v, int depth) {
  return EncodeAt(store, v, depth, false);
}

Result<ValueRef> EncodeValue(ObjectStore& store, json::value&& v, int depth) {
  return EncodeAt(store, v, depth, false);
}

Result<ValueRef> EncodeMember(ObjectStore& store, const json::value& v, int depth) {
  return EncodeAt(store, v, depth, store.format() >= 4);
}

Result<ValueRef> EncodeMember(ObjectStore& store, json::value&& v, int depth) {
  return EncodeAt(store, v, depth, store.format() >= 4);
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
  STRATA_ASSIGN_OR_RETURN(ValueRef root, BuildObject(store, std::move(members), true, false));
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

Status ReadNodeMembers(ObjectStore& store, const ObjectId& id, bool is_tree, int level,
                       std::vector<Member>& out, bool hashed) {
  return ReadMembersAt(store, id, is_tree, level, hashed, out);
}

void HashCarried(ValueRef& ref) {
  if (ref.carries_text() && !ref.is_tree) ref.id = HashObject(ref.text(), GIT_OBJECT_BLOB);
}

namespace {

// Member `key` of leaf `leaf`, carried as text, or nullopt.
Result<std::optional<ValueRef>> FindInLeaf(ObjectStore& store, const ObjectId& leaf,
                                           std::string_view key) {
  STRATA_ASSIGN_OR_RETURN(std::string data, store.ReadBlob(leaf));
  std::optional<ValueRef> found;
  STRATA_RETURN_IF_ERROR(
      ScanLeaf(data, leaf, [&](std::string_view k, std::string_view value, std::string_view) {
        if (!found && k == key) found = TextRef(value, true);
        return Status::Ok();
      }));
  return found;
}

}  // namespace

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
      if (!bucket->is_tree) return FindInLeaf(store, bucket->id, key);
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
Result<bool> CountMembersUpTo(ObjectStore& store, const ObjectId& id, bool is_tree,
                              std::size_t limit, int level, std::size_t& count) {
  if (level > kMaxShardLevels)
    return Status::Corruption("tree " + id.Hex() + " is sharded too deep");
  if (!is_tree) {
    std::vector<Member> members;
    STRATA_RETURN_IF_ERROR(ReadLeaf(store, id, false, members));
    count += members.size();
    return count <= limit;
  }
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const TreeIndex> index, store.IndexTree(id));
  if (!IsBucketName(index->first_name())) {
    count += index->size();
    return count <= limit;
  }
  for (const auto& e : index->entries()) {
    STRATA_ASSIGN_OR_RETURN(bool within,
                            CountMembersUpTo(store, e.id, e.is_tree, limit, level + 1, count));
    if (!within) return false;
  }
  return true;
}

}  // namespace

namespace {

Result<ValueRef> UpdateObjectWith(ObjectStore& store, const std::optional<ObjectId>& base,
                                  const std::vector<ChangeRef>& list, bool force_tree) {
  // A state's or metadata's own tree (force_tree) has no leaves.
  const bool leaves = !force_tree;
  STRATA_ASSIGN_OR_RETURN(NodeUpdate updated,
                          UpdateNode(store, base, true, 0, RulesFor(store, leaves), list));
  if (auto* built = std::get_if<Built>(&updated)) {
    if (!built->is_tree) return Status::Corruption("an object node came out as a leaf");
    const ObjectId& id = built->id;
    // A sharded object of few members may be small enough for a blob (a
    // flat node's limit, 128 members in format 3, is below kSmallMaxMembers).
    std::size_t count = 0;
    if (force_tree) return ValueRef{id, true};
    STRATA_ASSIGN_OR_RETURN(bool few,
                            CountMembersUpTo(store, id, true, kSmallMaxMembers, 0, count));
    if (!few) return ValueRef{id, true};
    std::vector<Member> members;
    STRATA_RETURN_IF_ERROR(ReadMembersAt(store, id, true, 0, false, members));
    return BuildObject(store, std::move(members), false, leaves);
  }
  auto& entries = std::get<std::vector<TreeEntry>>(updated);
  if (force_tree) {
    // What BuildObject would write for a flat node's members.
    STRATA_ASSIGN_OR_RETURN(ObjectId id, store.WriteTree(std::move(entries)));
    return ValueRef{id, true};
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<Member> members, MembersOf(entries));
  return BuildObject(store, std::move(members), force_tree, leaves);
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
  return BuildObject(store, std::move(members), force_tree, /*leaves=*/!force_tree);
}

// ---- CarriedText ----
//
// A block: its header (a count of the CarriedTexts into it, plus one while
// it is its thread's current block), then texts, each after an 8-byte header
// of its size and its offset in the block. A text larger than a quarter of a
// block gets a block of its own.

namespace {

constexpr std::size_t kTextBlockBytes = std::size_t{256} << 10;

struct TextBlockHeader {
  std::atomic<std::uint32_t> refs{1};
};
constexpr std::size_t kTextBlockHead = 8;  // TextBlockHeader, padded
constexpr std::size_t kTextHead = 8;       // size, offset in the block
static_assert(sizeof(TextBlockHeader) <= kTextBlockHead);

TextBlockHeader* NewTextBlock(std::size_t bytes) {
  void* raw = ::operator new(bytes);
  return new (raw) TextBlockHeader();
}

void Unref(TextBlockHeader* block) {
  if (block->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block->~TextBlockHeader();
    ::operator delete(block);
  }
}

TextBlockHeader* BlockOf(const char* at) {
  std::uint32_t offset;
  std::memcpy(&offset, at + 4, 4);
  return reinterpret_cast<TextBlockHeader*>(const_cast<char*>(at) - offset);
}

// The calling thread's current block, which it lets go of when full.
struct CurrentTextBlock {
  TextBlockHeader* block = nullptr;
  std::size_t used = 0;
  ~CurrentTextBlock() {
    if (block) Unref(block);
  }
};

}  // namespace

CarriedText CarriedText::Copy(std::string_view text) {
  thread_local CurrentTextBlock current;
  if (text.size() > UINT32_MAX - kTextBlockBytes) throw std::bad_alloc();
  const std::size_t need = (kTextHead + text.size() + 7) & ~std::size_t{7};
  TextBlockHeader* block = nullptr;
  std::size_t at = kTextBlockHead;
  if (need > kTextBlockBytes / 4) {
    block = NewTextBlock(kTextBlockHead + need);  // its own; the text's ref is its only one
  } else {
    if (!current.block || current.used + need > kTextBlockBytes) {
      if (current.block) Unref(current.block);
      current.block = NewTextBlock(kTextBlockBytes);
      current.used = kTextBlockHead;
    }
    block = current.block;
    at = current.used;
    current.used += need;
    block->refs.fetch_add(1, std::memory_order_relaxed);
  }
  char* p = reinterpret_cast<char*>(block) + at;
  const std::uint32_t size = static_cast<std::uint32_t>(text.size());
  const std::uint32_t offset = static_cast<std::uint32_t>(at);
  std::memcpy(p, &size, 4);
  std::memcpy(p + 4, &offset, 4);
  std::memcpy(p + kTextHead, text.data(), text.size());
  CarriedText out;
  out.set(p);
  return out;
}

CarriedText::CarriedText(const CarriedText& other) {
  std::memcpy(at_, other.at_, sizeof at_);
  if (const char* p = get()) BlockOf(p)->refs.fetch_add(1, std::memory_order_relaxed);
}

CarriedText::~CarriedText() {
  if (const char* p = get()) Unref(BlockOf(p));
}

std::string_view CarriedText::view() const {
  const char* p = get();
  if (!p) return {};
  std::uint32_t size;
  std::memcpy(&size, p, 4);
  return {p + kTextHead, size};
}

}  // namespace strata
