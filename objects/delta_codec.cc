#include "objects/delta_codec.h"

#include <zstd.h>

#include <algorithm>
#include <functional>
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

DeltaWriter::DeltaWriter() {
  text_.push_back('[');  // not `= "["`: GCC 12 warns of an overlapping copy (-Wrestrict)
  size_ = 1;
}

DeltaWriter::~DeltaWriter() {
  if (file_) std::fclose(file_);
}

Status DeltaWriter::Spill() {
  if (!file_) {
    file_ = std::tmpfile();
    if (!file_) return Status::IOError("cannot make a temporary file for a delta");
  }
  if (!text_.empty() && std::fwrite(text_.data(), 1, text_.size(), file_) != text_.size()) {
    return Status::IOError("cannot write a delta's temporary file");
  }
  text_.clear();
  return Status::Ok();
}

Status DeltaWriter::Append(std::string_view text) {
  size_ += text.size();
  if (text_.size() + text.size() > kSpillBytes) {
    STRATA_RETURN_IF_ERROR(Spill());
    if (text.size() > kSpillBytes) {
      if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
        return Status::IOError("cannot write a delta's temporary file");
      }
      return Status::Ok();
    }
  }
  text_.append(text);
  return Status::Ok();
}

Status DeltaWriter::Add(const PatchOp& op) {
  if (!PatchOpHasValue(op.kind)) return AppendOp(op.kind, op.path, op.from, std::nullopt);
  return AppendOp(op.kind, op.path, op.from, CanonicalJson(op.value));
}

Status DeltaWriter::AddCanonical(PatchOpKind kind, const JsonPointer& path,
                                 std::string_view canonical_value) {
  return AppendOp(kind, path, JsonPointer(), canonical_value);
}

Status DeltaWriter::AddStreamed(PatchOpKind kind, const JsonPointer& path,
                                const std::function<Status(const TextSink&)>& write_value) {
  STRATA_RETURN_IF_ERROR(AppendHead(kind, path, JsonPointer(), true));
  STRATA_RETURN_IF_ERROR(write_value([this](std::string_view piece) { return Append(piece); }));
  return Append("}");
}

Status DeltaWriter::AppendOp(PatchOpKind kind, const JsonPointer& path, const JsonPointer& from,
                             std::optional<std::string_view> value) {
  STRATA_RETURN_IF_ERROR(AppendHead(kind, path, from, value.has_value()));
  if (!value) return Status::Ok();
  STRATA_RETURN_IF_ERROR(Append(*value));
  return Append("}");
}

Status DeltaWriter::AppendHead(PatchOpKind kind, const JsonPointer& path, const JsonPointer& from,
                               bool with_value) {
  // The canonical JSON of PatchOpToJson's object, written straight out: its
  // members sort "from", "op", "path", "value", so a value goes last.
  head_.clear();
  if (ops_++ > 0) head_ += ',';
  head_ += '{';
  if (PatchOpHasFrom(kind)) {
    head_ += "\"from\":";
    AppendJsonString(head_, from.ToString());
    head_ += ',';
  }
  head_ += "\"op\":";
  AppendJsonString(head_, PatchOpName(kind));
  head_ += ",\"path\":";
  AppendJsonString(head_, path.ToString());
  head_ += with_value ? ",\"value\":" : "}";
  return Append(head_);
}

Result<std::string> DeltaWriter::Finish() {
  STRATA_RETURN_IF_ERROR(Append("]"));
  if (!file_) return ZstdCompress(text_, kDeltaCompressionLevel);  // EncodeDelta's one call
  // Reserved, not touched: only the pages the frame fills become resident,
  // and it never moves to grow.
  std::string out;
  out.reserve(ZSTD_compressBound(size_));
  STRATA_RETURN_IF_ERROR(CompressSpilled([&](std::string_view piece) {
    out.append(piece);
    return Status::Ok();
  }));
  return out;
}

Status DeltaWriter::FinishTo(std::FILE* out) {
  auto put = [&](std::string_view piece) {
    if (std::fwrite(piece.data(), 1, piece.size(), out) != piece.size()) {
      return Status::IOError("cannot write a compressed delta's temporary file");
    }
    return Status::Ok();
  };
  STRATA_RETURN_IF_ERROR(Append("]"));
  if (!file_) return put(ZstdCompress(text_, kDeltaCompressionLevel));
  return CompressSpilled(put);
}

Status DeltaWriter::CompressSpilled(const std::function<Status(std::string_view)>& sink) {
  STRATA_RETURN_IF_ERROR(Spill());
  if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0) {
    return Status::IOError("cannot read a delta's temporary file");
  }
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!cctx) return Status::IOError("cannot allocate a zstd context");
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kDeltaCompressionLevel);
  ZSTD_CCtx_setPledgedSrcSize(cctx.get(), size_);
  std::string in(ZSTD_CStreamInSize(), '\0');
  std::string out(ZSTD_CStreamOutSize(), '\0');
  std::uint64_t left = size_;
  while (true) {
    std::size_t n = std::fread(in.data(), 1, in.size(), file_);
    if (n == 0 && std::ferror(file_))
      return Status::IOError("cannot read a delta's temporary file");
    left -= std::min<std::uint64_t>(left, n);
    const ZSTD_EndDirective mode = n == 0 || left == 0 ? ZSTD_e_end : ZSTD_e_continue;
    ZSTD_inBuffer ib{in.data(), n, 0};
    bool done = false;
    while (!done) {
      ZSTD_outBuffer ob{out.data(), out.size(), 0};
      std::size_t rc = ZSTD_compressStream2(cctx.get(), &ob, &ib, mode);
      if (ZSTD_isError(rc)) {
        return Status::IOError(std::string("cannot compress a delta: ") + ZSTD_getErrorName(rc));
      }
      STRATA_RETURN_IF_ERROR(sink(std::string_view(out.data(), ob.pos)));
      done = mode == ZSTD_e_end ? rc == 0 : ib.pos == ib.size;
    }
    if (mode == ZSTD_e_end) break;
  }
  std::fclose(file_);
  file_ = nullptr;
  return Status::Ok();
}

}  // namespace strata
