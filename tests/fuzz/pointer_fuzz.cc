// JSON Pointer (RFC 6901). Oracles: a pointer that parses prints back as the
// same text; array index tokens round-trip; resolving never crashes.
#include "strata/json_pointer.h"
#include "tests/fuzz/fuzz.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const json::value doc =
      *ParseJson(R"({"a":[1,{"b":2},[3]],"":{"":3},"a/b":4,"m~n":5,"0":[[],{}]})");
  const std::string_view text = fuzz::AsText(data, size);
  auto p = JsonPointer::Parse(text);
  if (!p.ok()) return 0;
  FUZZ_CHECK(p->ToString() == text, p->ToString());
  auto again = JsonPointer::Parse(p->ToString());
  FUZZ_CHECK(again.ok() && *again == *p, p->ToString());
  for (const std::string& token : p->tokens()) {
    if (auto index = ParseArrayIndex(token)) {
      FUZZ_CHECK(std::to_string(*index) == token, token);
    }
  }
  (void)ResolvePointer(doc, *p);
  FUZZ_CHECK(p->Parent().IsPrefixOf(*p), p->ToString());
  return 0;
}
