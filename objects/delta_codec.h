// The delta codec: a version's RFC 6902 patch, as stored in its tree.
//
//   delta.zst := zstd_frame(canonical JSON of the patch array)
//   patch     := [ op* ]        op := {"op": ..., "path": ..., "value": value}
//
// The frame records its content size, so decoding allocates once. A value is
// stored two levels deeper than it was given (inside the array and an op), so
// the decoder accepts kMaxDeltaDepth: every document the parser accepted
// (kMaxJsonDepth) reads back from its delta.
#pragma once

#include <string>
#include <string_view>

#include "strata/json_patch.h"

namespace strata {

// zstd level for deltas: fast, and deltas are small.
inline constexpr int kDeltaCompressionLevel = 3;

// Deepest nesting in a delta: a value of kMaxJsonDepth inside the patch
// array and its op object.
inline constexpr std::size_t kMaxDeltaDepth = kMaxJsonDepth + 2;

std::string EncodeDelta(const Patch& patch);
// Corruption if the bytes are not a zstd frame of a valid patch, or the
// patch is nested deeper than kMaxDeltaDepth.
Result<Patch> DecodeDelta(std::string_view bytes);

// zstd helpers, exposed for tests and tools.
std::string ZstdCompress(std::string_view data, int level);
Result<std::string> ZstdDecompress(std::string_view frame);

}  // namespace strata
