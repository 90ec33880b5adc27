// The delta codec: a version's RFC 6902 patch, as stored in its tree.
//
//   delta.zst := zstd_frame(canonical JSON of the patch array)
//
// The frame records its content size, so decoding allocates once.
#pragma once

#include <string>
#include <string_view>

#include "objects/json_patch.h"

namespace strata {

// zstd level for deltas: fast, and deltas are small.
inline constexpr int kDeltaCompressionLevel = 3;

std::string EncodeDelta(const Patch& patch);
// Corruption if the bytes are not a zstd frame of a valid patch.
Result<Patch> DecodeDelta(std::string_view bytes);

// zstd helpers, exposed for tests and tools.
std::string ZstdCompress(std::string_view data, int level);
Result<std::string> ZstdDecompress(std::string_view frame);

}  // namespace strata
