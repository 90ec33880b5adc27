// The tree decoder on hostile trees: entries out of order, duplicated,
// with bad names, modes or bucket names, shards that lie, nesting past the
// limits. The input builds objects bottom-up, so entries can name objects
// made before them by index (the fuzzer cannot guess SHA-1 ids):
//
//   object := 0 len:u8 bytes            a blob of `len` bytes
//           | 1 n:u8 entry{n}           a tree
//           | 2 len:u8 bytes            a tree of raw bytes
//   entry  := namelen:u8 name mode:u8 child:u8
//             mode: 0 "100644", 1 "40000", 2 "100755", 3 "120000", else "160000"
//             child: an earlier object (modulo their count); none yet: a
//             made-up id
//
// The last object is the root, decoded as a value and printed as text (a
// tree read as an object node and as an array node, or a blob of JSON).
// Oracle: no crash, no hang; a value decoded from a tree encodes back to a
// value that decodes equal, and encodes to the same ids again (canonical).
#include <vector>

#include "objects/tree_codec.h"
#include "tests/fuzz/store.h"

using namespace strata;

namespace {

constexpr const char* kModes[] = {"100644", "40000", "100755", "120000", "160000"};

struct Made {
  ObjectId id;
  bool is_tree = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ObjectStore& store = fuzz::ScratchStore();
  fuzz::Bytes in(data, size);
  std::vector<Made> made;
  while (!in.empty() && made.size() < 64) {
    const std::uint8_t kind = in.Byte() % 3;
    std::string bytes;
    if (kind == 1) {
      const std::uint8_t n = in.Byte();
      for (int i = 0; i < n && !in.empty(); ++i) {
        std::string_view name = in.Take(in.Byte());
        const std::uint8_t mode = in.Byte();
        const std::uint8_t child = in.Byte();
        ObjectId id;
        if (made.empty()) {
          std::memset(id.bytes, child, sizeof id.bytes);
        } else {
          id = made[child % made.size()].id;
        }
        bytes += kModes[std::min<std::size_t>(mode, 4)];
        bytes += ' ';
        bytes += name;
        bytes += '\0';
        bytes.append(reinterpret_cast<const char*>(id.bytes), sizeof id.bytes);
      }
    } else {
      bytes = std::string(in.Take(in.Byte()));
    }
    const bool is_tree = kind != 0;
    auto id = store.WriteObject(bytes, is_tree ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB);
    if (!id.ok()) fuzz::Fail("WriteObject", id.status().message());
    made.push_back(Made{*id, is_tree});
  }
  if (!made.empty()) {
    // A tree root is read both as an object node and as an array node.
    const bool tree = made.back().is_tree;
    for (bool as_array : {false, true}) {
      if (as_array && !tree) break;
      const ValueRef root{made.back().id, tree, as_array};
      // Printed as text, compact (leaves copied verbatim) and indented
      // (each member parsed): whatever the status, no crash.
      for (const FormatOptions& options : {FormatOptions{0, false}, FormatOptions{2, true}}) {
        std::size_t printed = 0;
        (void)WriteValueText(store, root, options, [&](std::string_view piece) {
          printed += piece.size();
          return Status::Ok();
        });
      }
      auto value = DecodeValue(store, root);
      if (value.ok() && CheckStorable(*value).ok()) {
        auto stored = EncodeValue(store, *value, 1);
        if (stored.ok()) {
          auto back = DecodeValue(store, *stored);
          FUZZ_CHECK(back.ok() && Equal(*back, *value), CanonicalJson(*value));
          // Canonical: what was written encodes to the same ids again.
          auto again = EncodeValue(store, *back, 1);
          FUZZ_CHECK(again.ok() && *again == *stored, CanonicalJson(*value));
        }
      }
    }
    std::vector<Member> members;
    if (tree) (void)ReadMembers(store, made.back().id, members);
  }
  store.Discard();
  return 0;
}
