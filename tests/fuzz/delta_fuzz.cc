// The delta decoder (a version's stored RFC 6902 patch, zstd-compressed).
// The first byte picks the mode: odd, the rest is compressed first, so the
// fuzzer reaches the patch layer; even, the rest is decoded as it is.
// Oracle: a delta that decodes encodes and decodes back to the same patch.
#include "objects/delta_codec.h"
#include "strata/json_patch.h"
#include "tests/fuzz/fuzz.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string bytes(fuzz::AsText(data + 1, size - 1));
  if (data[0] & 1) bytes = ZstdCompress(bytes, 1);
  auto patch = DecodeDelta(bytes);
  if (!patch.ok()) return 0;
  const std::string text = CanonicalJson(PatchToJson(*patch));
  auto again = DecodeDelta(EncodeDelta(*patch));
  FUZZ_CHECK(again.ok(), again.status().message());
  FUZZ_CHECK(CanonicalJson(PatchToJson(*again)) == text, text);
  return 0;
}
