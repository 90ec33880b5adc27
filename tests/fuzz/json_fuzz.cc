// JSON parse and canonical encode. Oracles: the canonical text of a parsed
// value parses back to an equal value and is a fixed point; the printed
// (indented) form parses back equal; CanonicalSize agrees with the text.
// The parser fed in pieces (PieceParser, as import reads a large file) cut
// at places the input's last byte chooses agrees with ParseValue on the
// whole text: the same value, or an error for both; splitting the top
// object into members gives its members, the last of a key kept.
#include <algorithm>

#include "objects/json_parse.h"
#include "tests/fuzz/fuzz.h"

using namespace strata;

namespace {

// Parses `text` in pieces of 1..8 bytes (the sizes cycle from `seed`); with
// `split`, a top-level object is put together from its members.
json::value ParseInPieces(std::string_view text, unsigned seed, bool split, json::error_code& ec) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  PieceParser parser(options);
  json::object assembled;
  if (split) {
    parser.SplitTopObject([&](std::string key, json::value value) {
      assembled[key] = std::move(value);
      return true;
    });
  }
  std::size_t at = 0;
  while (at < text.size() && !ec) {
    const std::size_t n = std::min<std::size_t>(1 + (seed++ % 8), text.size() - at);
    parser.Write(text.substr(at, n), ec);
    at += n;
  }
  if (ec) return nullptr;
  json::value v = parser.Finish(ec);
  if (ec) return nullptr;
  if (parser.split()) {
    FUZZ_CHECK(split, "split without SplitTopObject");
    return assembled;
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::AsText(data, size);
  {
    json::parse_options options;
    options.max_depth = kMaxJsonDepth;
    json::error_code whole_ec;
    std::size_t consumed = 0;
    std::string refused;
    const json::value whole = ParseValue(text, options, whole_ec, consumed, refused);
    const unsigned seed = size ? data[size - 1] : 0;
    for (const bool split : {false, true}) {
      json::error_code ec;
      const json::value pieces = ParseInPieces(text, seed, split, ec);
      FUZZ_CHECK(static_cast<bool>(ec) == static_cast<bool>(whole_ec),
                 std::string(split ? "split: " : "") + "whole: " + whole_ec.message() +
                     ", in pieces: " + ec.message());
      if (!whole_ec) FUZZ_CHECK(Equal(whole, pieces), CanonicalJson(whole));
    }
  }
  auto v = ParseJson(text);
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
