// JSON parse and canonical encode. Oracles: the canonical text of a parsed
// value parses back to an equal value and is a fixed point; the printed
// (indented) form parses back equal; CanonicalSize agrees with the text.
#include "tests/fuzz/fuzz.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto v = ParseJson(fuzz::AsText(data, size));
  if (!v.ok()) return 0;
  FUZZ_CHECK(CheckStorable(*v).ok(), "a parsed value is not storable");
  const std::string canon = CanonicalJson(*v);
  auto again = ParseJson(canon, "canonical");
  FUZZ_CHECK(again.ok(), canon);
  FUZZ_CHECK(Equal(*v, *again), canon);
  FUZZ_CHECK(CanonicalJson(*again) == canon, canon);
  FUZZ_CHECK(CanonicalSize(*v, canon.size()) == canon.size(), canon);
  if (!canon.empty()) FUZZ_CHECK(CanonicalSize(*v, canon.size() - 1) > canon.size() - 1, canon);
  auto printed = ParseJson(FormatJson(*v, FormatOptions{}), "printed");
  FUZZ_CHECK(printed.ok() && Equal(*v, *printed), canon);
  return 0;
}
