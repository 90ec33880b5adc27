// The tree codec: how a JSON value is stored as git objects.
//
//   value      := blob(canonical JSON)           if small, not an object, or too deep
//               | node                           an object larger than kBlobMaxBytes
//   node       := flat | shard
//   flat       := tree of member*                at most kFlatMaxEntries members
//   member     := entry(EscapeKey(key) -> value)
//   shard      := tree of bucket*                more than kFlatMaxEntries members
//   bucket     := entry("." hex2(byte L of KeyHash(key)) -> node)   L: shard level
//
// Every choice depends on the value alone, so the same value always gives
// the same object ids (content addressing). An unchanged member keeps its id,
// so an edit rewrites only the objects on the path from it to the root, and
// sharding bounds each of them. docs/format.md explains the thresholds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "objects/object_store.h"
#include "strata/json.h"

namespace strata {

// An object whose canonical JSON is longer than this is stored as a tree.
inline constexpr std::size_t kBlobMaxBytes = 2048;
// A tree node holds at most this many members; a larger object is sharded.
inline constexpr std::size_t kFlatMaxEntries = 512;
// Fan-out levels available from the 64-bit key hash (one byte each).
inline constexpr int kMaxShardLevels = 8;
// Objects nested deeper than this many trees are stored as blobs.
inline constexpr int kMaxTreeDepth = 32;

// Every sharded object is larger than kBlobMaxBytes: a member takes at least
// 5 bytes ("":0 and a comma), so an object never flips between the two.
static_assert(kFlatMaxEntries * 5 > kBlobMaxBytes);

// A stored value: a blob of canonical JSON, or an object node.
struct ValueRef {
  ObjectId id;
  bool is_tree = false;
  friend bool operator==(const ValueRef&, const ValueRef&) = default;
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

// The 64-bit hash that places a key in shard buckets (FNV-1a, then
// MurmurHash3's finaliser for spread). Part of the format: never change it.
std::uint64_t KeyHash(std::string_view key);
std::string BucketName(std::uint64_t hash, int level);

// Stores `v`, found `depth` object-trees below the state root (documents are
// at depth 1).
Result<ValueRef> EncodeValue(ObjectStore& store, const json::value& v, int depth);
// Stores a state: always a tree, one member per document. InvalidArgument
// if a document cannot be stored (CheckStorable) or an id is not UTF-8.
Result<ObjectId> EncodeState(ObjectStore& store, const json::object& state);

// Reads a stored value back.
Result<json::value> DecodeValue(ObjectStore& store, const ValueRef& ref);

// All members of an object node, shards flattened, in no particular order.
Status ReadMembers(ObjectStore& store, const ObjectId& node, std::vector<Member>& out);
// One member of an object node, or nullopt.
Result<std::optional<ValueRef>> FindMember(ObjectStore& store, const ObjectId& node,
                                           std::string_view key);

// Changes to an object's members: key -> new value, or nullopt to remove.
using MemberChanges = std::map<std::string, std::optional<ValueRef>, std::less<>>;

// The object node `base` (none: an empty object) with `changes` applied,
// re-encoded: only the shards holding changed keys are read and rewritten.
// The result is a blob when the object becomes small, unless `force_tree`
// (the state root is always a tree).
Result<ValueRef> UpdateObject(ObjectStore& store, const std::optional<ObjectId>& base,
                              const MemberChanges& changes, bool force_tree);

}  // namespace strata
