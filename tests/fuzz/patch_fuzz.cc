// JSON Patch (RFC 6902) apply. Input: [document, patch]. Oracles: a patch
// that fails leaves the document untouched (all or nothing); one that applies
// gives the same result again after a round trip through its JSON form and
// through the delta codec (what a version stores).
#include "objects/delta_codec.h"
#include "strata/json_patch.h"
#include "tests/fuzz/fuzz.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  json::array in;
  if (!fuzz::SplitArray(data, size, 2, in)) return 0;
  auto patch = ParsePatch(in[1]);
  if (!patch.ok()) return 0;
  json::value doc = in[0];
  Status applied = ApplyPatch(doc, *patch);
  if (!applied.ok()) {
    FUZZ_CHECK(Equal(doc, in[0]), "a failed patch changed the document: " + applied.message());
    return 0;
  }
  auto reparsed = ParsePatch(PatchToJson(*patch));
  FUZZ_CHECK(reparsed.ok(), CanonicalJson(PatchToJson(*patch)));
  json::value again = in[0];
  FUZZ_CHECK(ApplyPatch(again, *reparsed).ok() && Equal(again, doc), CanonicalJson(in[1]));
  auto decoded = DecodeDelta(EncodeDelta(*patch));
  FUZZ_CHECK(decoded.ok(), decoded.status().message());
  FUZZ_CHECK(CanonicalJson(PatchToJson(*decoded)) == CanonicalJson(PatchToJson(*patch)),
             CanonicalJson(in[1]));
  return 0;
}
