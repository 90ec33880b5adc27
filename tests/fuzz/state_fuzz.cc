// States stored as trees and the pruned diff between them. Input: [a, b],
// two objects of documents. Oracles: each state decodes back equal;
// DiffStates(a, b) applied to a gives b; ChangedMembers names exactly the
// documents that differ.
#include <set>

#include "objects/tree_diff.h"
#include "strata/json_patch.h"
#include "tests/fuzz/store.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  json::array in;
  if (!fuzz::SplitArray(data, size, 2, in)) return 0;
  if (!in[0].is_object() || !in[1].is_object()) return 0;
  ObjectStore& store = fuzz::ScratchStore();
  auto a = EncodeState(store, in[0].as_object());
  auto b = EncodeState(store, in[1].as_object());
  if (a.ok() && b.ok()) {
    auto a_back = DecodeValue(store, ValueRef{*a, true});
    FUZZ_CHECK(a_back.ok() && Equal(*a_back, in[0]), CanonicalJson(in[0]));
    Patch patch;
    Status diffed = DiffStates(store, *a, *b, patch);
    FUZZ_CHECK(diffed.ok(), diffed.message());
    json::value state = in[0];
    Status applied = ApplyPatch(state, patch);
    FUZZ_CHECK(applied.ok() && Equal(state, in[1]),
               applied.message() + "\n" + CanonicalJson(PatchToJson(patch)));
    std::vector<MemberDiff> changed;
    FUZZ_CHECK(ChangedMembers(store, *a, *b, changed).ok(), "ChangedMembers failed");
    std::set<std::string> want, got;
    for (const auto& [key, value] : in[0].as_object()) {
      const json::value* other = in[1].as_object().if_contains(key);
      if (!other || !Equal(value, *other)) want.insert(std::string(key));
    }
    for (const auto& [key, value] : in[1].as_object()) {
      if (!in[0].as_object().contains(key)) want.insert(std::string(key));
    }
    for (const MemberDiff& m : changed) got.insert(m.key);
    FUZZ_CHECK(want == got, CanonicalJson(in[0]) + "\n" + CanonicalJson(in[1]));
  }
  store.Discard();
  return 0;
}
