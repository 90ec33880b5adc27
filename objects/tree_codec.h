// The tree codec: how a JSON value is stored as git objects.
//
//   value      := blob(canonical JSON)           if small, a scalar, or too deep
//               | node                           an object larger than kBlobMaxBytes
//               | array                          an array larger than kBlobMaxBytes
//                                                (format 2: ObjectStore::array_nodes)
//   node       := flat | shard
//   flat       := tree of member*                at most shape.flat_max members
//   member     := entry(EscapeKey(key) -> value)   an array node's name ends "%["
//   array      := tree of item*                  at most kFlatMaxEntries items
//   item       := entry(ord3 -> blob(JSON array of elements, spliced: a run))
//               | entry(ord3 -> array)           an inner level of the same array
//               | entry(ord3 "{" -> node)        one element, an object node
//               | entry(ord3 "[" -> array)       one element, an array node
//   ord3       := three decimal digits, 000 up, the item's place in its node
//   shard      := tree of bucket*                more than shape.flat_max members
//   bucket     := entry("." hex(bits L of KeyHash(key)) -> node)    L: shard level
//               | entry("." hex(...) -> blob(leaf))                 format 4, L >= 1
//   leaf       := the canonical JSON object of the bucket's members, all of
//                 them blob values, at most kLeafMaxBytes (or one member)
//
// The shard shape is the store's: format 3 splits a node of more than 128
// members 16 ways per level (one hex digit, ".a"); formats 1 and 2 split a
// node of more than 512 members 256 ways (two, ".ab"). Readers know both by
// the bucket names' length.
//
// Format 4 stores the small members of a large object in leaves: a shard
// bucket (below a node's top shard tree, inside a document: never in a
// state's or metadata's own tree) whose members are all blob values and
// whose canonical JSON fits in kLeafMaxBytes is one blob of that JSON, not
// a tree of one blob per member. A bucket of blob values too large for a
// leaf is split again, whatever its member count, so a 1M-member object is
// some 10^4-10^5 leaves instead of 10^6 blobs. A member read from a leaf
// has no object of its own: its ValueRef carries its text.
//
// Every choice depends on the value alone, so the same value always gives
// the same object ids (content addressing). An unchanged member keeps its id,
// so an edit rewrites only the objects on the path from it to the root, and
// sharding bounds each of them. Runs and array levels are cut by content
// (see kRunMinBytes), so an insert or delete moves only nearby cuts.
// docs/format.md explains the thresholds.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "objects/object_store.h"
#include "strata/json.h"

namespace strata {

// An object whose canonical JSON is longer than this is stored as a tree.
inline constexpr std::size_t kBlobMaxBytes = 2048;
// An array node holds at most this many items (and format 1-2's flat object
// node this many members: kByteShards).
inline constexpr std::size_t kFlatMaxEntries = 512;
// Shard levels a reader follows before it calls a node corrupt: the 64 bits
// of the key hash, one hex digit (format 3) per level.
inline constexpr int kMaxShardLevels = 16;

// How an object node with too many members for one tree is split: `bits`
// of the key hash per shard level (16 or 256 buckets), sharded past
// `flat_max` members. The store's format chooses (ObjectStore::format).
struct ShardShape {
  int bits = 4;
  std::size_t flat_max = 128;
  int levels() const { return 64 / bits; }
  friend bool operator==(const ShardShape&, const ShardShape&) = default;
};
// Format 3: 16 buckets per level, at most 128 members per flat node, so a
// change rewrites a few small trees (~0.5 KiB per shard level, at most ~5 KiB
// of members) where a 256-way level is ~7.7 KiB and a bucket up to ~20 KiB.
inline constexpr ShardShape kNibbleShards{4, 128};
// Formats 1 and 2.
inline constexpr ShardShape kByteShards{8, 512};
// The shape a store writes.
ShardShape WriteShape(const ObjectStore& store);
// The shape of a shard tree whose first bucket is named `name` (".a": 16
// ways, ".ab": 256), or nullopt if it is no bucket name.
std::optional<ShardShape> ShapeOfBucket(std::string_view name);
// Objects nested deeper than this many trees are stored as blobs.
inline constexpr int kMaxTreeDepth = 32;
// Format 4: a shard bucket whose members are blob values is one blob (a
// leaf) when their canonical JSON object is at most this long, as a run of
// an array node may be: a one-field change rewrites at most this much of
// its object's members.
inline constexpr std::size_t kLeafMaxBytes = 8192;

// Array nodes (format 2). A run of small elements ends after an element
// whose canonical JSON hashes (KeyHash) to 0 mod kRunCutModulus once the run
// holds kRunMinBytes, and before an element that would take it past
// kRunMaxBytes; an element that is itself a node stands alone. Items are
// grouped into inner levels while more than kFlatMaxEntries remain: a group
// ends after an item whose id's first 8 bytes are 0 mod kLevelCutModulus
// once it holds kLevelMinEntries, or at kFlatMaxEntries.
inline constexpr std::size_t kRunMinBytes = 512;
inline constexpr std::size_t kRunMaxBytes = 8192;
inline constexpr std::uint64_t kRunCutModulus = 16;
inline constexpr std::size_t kLevelMinEntries = 4;
inline constexpr std::uint64_t kLevelCutModulus = 16;
// Inner levels a reader follows before it calls an array node corrupt
// (4^24 * 512 runs: far more than any array a store can hold).
inline constexpr int kMaxArrayLevels = 24;
static_assert(kFlatMaxEntries <= 1000, "array items are named by three digits");

// A member takes at least 5 canonical bytes ("":0 and a comma): an object of
// more than kSmallMaxMembers members is never a small blob.
inline constexpr std::size_t kSmallMaxMembers = (kBlobMaxBytes + 1) / 5;
static_assert(kByteShards.flat_max > kSmallMaxMembers);

// The text a ValueRef carries: bytes in a block shared by many texts,
// which lives while a CarriedText into it does (8 bytes a ref; a text costs
// its bytes and 8 more, no allocation of its own). Copies of it share it.
class CarriedText {
 public:
  CarriedText() = default;
  // A copy of `text`, in the calling thread's current block.
  static CarriedText Copy(std::string_view text);
  CarriedText(const CarriedText& other);
  CarriedText(CarriedText&& other) noexcept {
    std::memcpy(at_, other.at_, sizeof at_);
    other.set(nullptr);
  }
  CarriedText& operator=(CarriedText other) noexcept {
    std::swap(at_, other.at_);
    return *this;
  }
  ~CarriedText();

  explicit operator bool() const { return get() != nullptr; }
  std::string_view view() const;

 private:
  // The text's header in its block (its size, then its offset in the
  // block), held as bytes: a ValueRef stays byte-aligned, 30 bytes, where a
  // pointer would pad it to 32 and an optional of it to 40 (an import keeps
  // several lists of them, one entry a document).
  const char* get() const {
    const char* p;
    std::memcpy(&p, at_, sizeof p);
    return p;
  }
  void set(const char* p) { std::memcpy(at_, &p, sizeof p); }
  unsigned char at_[sizeof(const char*)] = {};
};

// A stored value: a blob of canonical JSON, an object node (is_tree), or an
// array node (is_tree and is_array). A walker that knows only object nodes
// must test is_object_node(): an array node is a leaf to it (compare ids;
// DecodeValue when the value is needed).
//
// A blob value may come with its text: a member of a leaf (format 4),
// which has no object of its own, or a value EncodeMember did not write.
// A member read from a leaf has the id it has as a blob all the same, so
// refs compare alike however a value is held; one EncodeMember carries has
// no id yet (zero): it is only for UpdateObject and EncodeMembers, which
// write it if they place it in a tree. Read either with DecodeValue, never
// by id from the store.
struct ValueRef {
  ValueRef() = default;
  ValueRef(const ObjectId& id, bool is_tree = false, bool is_array = false)
      : id(id), is_tree(is_tree), is_array(is_array) {}
  // A blob value carried as `text`.
  static ValueRef Carrying(const ObjectId& id, CarriedText text) {
    ValueRef ref(id);
    ref.text_ = std::move(text);
    return ref;
  }

  ObjectId id;
  bool is_tree = false;
  bool is_array = false;
  bool is_object_node() const { return is_tree && !is_array; }
  bool carries_text() const { return static_cast<bool>(text_); }
  std::string_view text() const { return text_.view(); }
  friend bool operator==(const ValueRef& a, const ValueRef& b) {
    return a.id == b.id && a.is_tree == b.is_tree && a.is_array == b.is_array;
  }

 private:
  CarriedText text_;
};

struct Member {
  std::string key;
  ValueRef ref;
};

// Object keys as git entry names that `git fsck --strict` accepts: '%', '/',
// '\\' (a separator to NTFS), '~' (NTFS short names: "GIT~1"), control bytes
// and DEL become %XX; a leading '.' becomes %2E (so no name is ".", "..",
// ".git" or a shard bucket), and so does a leading code point that HFS+
// ignores (U+200C ".git"); the empty key is "%". Reversible.
std::string EscapeKey(std::string_view key);
Result<std::string> UnescapeKey(std::string_view name);

// The name of the entry holding member `key` whose value is `ref`:
// EscapeKey(key), plus "%[" for an array node (an escaped name never holds
// '%' before a non-hex byte, so the suffix is unambiguous).
std::string MemberEntryName(std::string_view key, const ValueRef& ref);
// The other way: a member entry's key and value. Corruption if the name is
// not one MemberEntryName gives, or a blob is marked as an array node.
Result<Member> ParseMemberEntry(std::string_view name, const ObjectId& id, bool is_tree);
// The escaped key of a member entry name (the "%[" mark removed), and
// whether it was there.
std::string_view MemberEntryKey(std::string_view name, bool* is_array = nullptr);

// The 64-bit hash that places a key in shard buckets (FNV-1a, then
// MurmurHash3's finaliser for spread). Part of the format: never change it.
std::uint64_t KeyHash(std::string_view key);
// The bucket of `hash` at shard `level` of a node of `shape`.
std::string BucketName(std::uint64_t hash, int level, const ShardShape& shape);

// Stores `v`, found `depth` object-trees below the state root (documents are
// at depth 1).
Result<ValueRef> EncodeValue(ObjectStore& store, const json::value& v, int depth);
// The same, freeing each member of an object once it is stored, and the
// object once all are (`v` is left unspecified): an import's large document
// is not held whole beside its member list while its nodes are written.
Result<ValueRef> EncodeValue(ObjectStore& store, json::value&& v, int depth);
// `v` as a member of an object node `depth` trees below the state root, for
// UpdateObject or EncodeMembers only: in format 4 a blob value is neither
// written nor hashed but carried as text (a leaf may hold it); elsewhere as
// EncodeValue.
Result<ValueRef> EncodeMember(ObjectStore& store, const json::value& v, int depth);
Result<ValueRef> EncodeMember(ObjectStore& store, json::value&& v, int depth);
// Stores a state: always a tree, one member per document. InvalidArgument
// if a document cannot be stored (CheckStorable) or an id is not UTF-8.
Result<ObjectId> EncodeState(ObjectStore& store, const json::object& state);

// An object made of `members` (their values stored already, or carried as
// text), as EncodeValue stores it: a blob if small (unless force_tree), else
// a node in the store's shard shape. force_tree marks a state's or
// metadata's own tree, which has no leaves. Repository::Upgrade re-encodes
// nodes with it.
Result<ValueRef> EncodeMembers(ObjectStore& store, std::vector<Member> members, bool force_tree);

// Reads a stored value back.
Result<json::value> DecodeValue(ObjectStore& store, const ValueRef& ref);
// Gives the text of a stored value, exactly FormatJson(DecodeValue(store,
// ref), options), to `sink` in pieces of about 64 KiB, without decoding it
// whole: at once it holds one object node's member list (keys and ids, and
// its leaves' text) per tree level and one blob's value. A failed sink stops
// it and is returned.
Status WriteValueText(ObjectStore& store, const ValueRef& ref, const FormatOptions& options,
                      const TextSink& sink);

// All members of an object node, shards flattened, in no particular order.
Status ReadMembers(ObjectStore& store, const ObjectId& node, std::vector<Member>& out);
// The members of one part of an object node: a tree at shard `level` (0:
// the node itself), or, if not `is_tree`, a leaf (format 4). With `hashed`
// false a leaf's members carry their text but no id (zero): for a caller
// that compares texts and hashes only the refs it keeps (HashCarried).
Status ReadNodeMembers(ObjectStore& store, const ObjectId& id, bool is_tree, int level,
                       std::vector<Member>& out, bool hashed = true);
// `ref` with its id set from its text, if it carries text.
void HashCarried(ValueRef& ref);
// One member of an object node, or nullopt.
Result<std::optional<ValueRef>> FindMember(ObjectStore& store, const ObjectId& node,
                                           std::string_view key);

// Changes to an object's members: key -> new value, or nullopt to remove.
using MemberChanges = std::map<std::string, std::optional<ValueRef>, std::less<>>;

// The object node `base` (none: an empty object) with `changes` applied,
// re-encoded: only the shards holding changed keys are read and rewritten.
// The result is a blob when the object becomes small, unless `force_tree`
// (the state root is always a tree, and has no leaves).
Result<ValueRef> UpdateObject(ObjectStore& store, const std::optional<ObjectId>& base,
                              const MemberChanges& changes, bool force_tree);
// The same, from a list of changes that names each key once, in any order:
// a large write's (an import's metadata) costs a vector, not a map's node
// per member.
using MemberChange = std::pair<std::string, std::optional<ValueRef>>;
Result<ValueRef> UpdateObject(ObjectStore& store, const std::optional<ObjectId>& base,
                              std::span<const MemberChange> changes, bool force_tree);

}  // namespace strata
