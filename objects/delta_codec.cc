#include "objects/delta_codec.h"

#include <zstd.h>

#include <algorithm>
#include <memory>

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
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return Status::IOError("cannot allocate a zstd context");
  // The output grows as it is produced: a corrupt header that claims
  // gigabytes must not allocate them.
  constexpr std::size_t kChunk = 1 << 16;
  std::string out;
  out.reserve(static_cast<std::size_t>(std::min<unsigned long long>(size, 1 << 24)));
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  std::size_t rc = 1;
  while (rc != 0) {
    std::size_t used = out.size();
    out.resize(used + kChunk);
    ZSTD_outBuffer o{out.data() + used, kChunk, 0};
    rc = ZSTD_decompressStream(dctx.get(), &o, &in);
    out.resize(used + o.pos);
    if (ZSTD_isError(rc)) {
      return Status::Corruption(std::string("cannot decompress delta: ") + ZSTD_getErrorName(rc));
    }
    if (out.size() > size) return Status::Corruption("delta is longer than its frame says");
    if (rc != 0 && in.pos == in.size && o.pos == 0) {
      return Status::Corruption("delta frame is truncated");
    }
  }
  if (out.size() != size) return Status::Corruption("delta is shorter than its frame says");
  if (in.pos != in.size) return Status::Corruption("delta has bytes after its frame");
  return out;
}

std::string EncodeDelta(const Patch& patch) {
  return ZstdCompress(CanonicalJson(PatchToJson(patch)), kDeltaCompressionLevel);
}

Result<Patch> DecodeDelta(std::string_view bytes) {
  STRATA_ASSIGN_OR_RETURN(std::string text, ZstdDecompress(bytes));
  Result<json::value> v = ParseJson(text, ParseOptions{"delta", 1, kMaxDeltaDepth});
  if (!v.ok()) return Status::Corruption(v.status().message());
  Result<Patch> p = ParsePatch(*v);
  if (!p.ok()) return Status::Corruption("delta: " + p.status().message());
  return p;
}

}  // namespace strata
