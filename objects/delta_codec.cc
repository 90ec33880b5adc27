#include "objects/delta_codec.h"

#include <zstd.h>

namespace strata {

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  // Compression into a buffer of ZSTD_compressBound bytes cannot fail.
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view frame) {
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption("delta is not a zstd frame with a known size");
  }
  if (size > (1ULL << 34)) return Status::Corruption("delta claims an implausible size");
  std::string out(size, '\0');
  std::size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) {
    return Status::Corruption(std::string("cannot decompress delta: ") +
                              (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame"));
  }
  return out;
}

std::string EncodeDelta(const Patch& patch) {
  return ZstdCompress(CanonicalJson(PatchToJson(patch)), kDeltaCompressionLevel);
}

Result<Patch> DecodeDelta(std::string_view bytes) {
  STRATA_ASSIGN_OR_RETURN(std::string text, ZstdDecompress(bytes));
  Result<json::value> v = ParseJson(text, "delta");
  if (!v.ok()) return Status::Corruption(v.status().message());
  Result<Patch> p = ParsePatch(*v);
  if (!p.ok()) return Status::Corruption("delta: " + p.status().message());
  return p;
}

}  // namespace strata
