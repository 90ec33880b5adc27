// Structural diff. Input: [a, b]. Oracles: applying diff(a, b) to a gives b;
// diff(a, a) is empty.
#include "objects/json_diff.h"
#include "strata/json_patch.h"
#include "tests/fuzz/fuzz.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  json::array in;
  if (!fuzz::SplitArray(data, size, 2, in)) return 0;
  const Patch patch = DiffValues(in[0], in[1]);
  json::value a = in[0];
  Status applied = ApplyPatch(a, patch);
  FUZZ_CHECK(applied.ok(), applied.message() + "\n" + CanonicalJson(PatchToJson(patch)));
  FUZZ_CHECK(Equal(a, in[1]), CanonicalJson(PatchToJson(patch)));
  FUZZ_CHECK(DiffValues(in[0], in[0]).empty(), CanonicalJson(in[0]));
  return 0;
}
