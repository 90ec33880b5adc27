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

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "strata/json.h"
#include "strata/json_patch.h"

namespace strata {

// zstd level for deltas: fast, and deltas are small.
inline constexpr int kDeltaCompressionLevel = 3;

// Deepest nesting in a delta: a value of kMaxJsonDepth inside the patch
// array and its op object.
inline constexpr std::size_t kMaxDeltaDepth = kMaxJsonDepth + 2;

std::string EncodeDelta(const Patch& patch);

// EncodeDelta one operation at a time, for a delta too large to hold: the
// canonical text goes to memory, then past kSpillBytes to an unlinked
// temporary file, and Finish compresses it a chunk at a time (the frame
// records its content size, as DecodeDelta requires). The bytes are
// EncodeDelta's for the same operations.
class DeltaWriter {
 public:
  static constexpr std::size_t kSpillBytes = std::size_t{1} << 20;
  DeltaWriter();
  ~DeltaWriter();
  DeltaWriter(const DeltaWriter&) = delete;
  DeltaWriter& operator=(const DeltaWriter&) = delete;

  // Appends `op`; its value is serialized, never copied. IOError if the
  // temporary file cannot be written.
  Status Add(const PatchOp& op);
  // Appends an "add" or "replace" of `path` whose value is `canonical_value`,
  // already the canonical JSON of a value (a stored blob's content): as Add
  // would write it, without parsing and printing it again.
  Status AddCanonical(PatchOpKind kind, const JsonPointer& path, std::string_view canonical_value);
  // The same, for a value too large to hold as text: `write_value` gives its
  // canonical JSON to the sink it is passed, in pieces (WriteValueText with
  // indent 0 does, from stored trees); its first error is returned.
  Status AddStreamed(PatchOpKind kind, const JsonPointer& path,
                     const std::function<Status(const TextSink&)>& write_value);
  // The compressed delta of every operation added. Touches nothing but this
  // writer: it may run on another thread once the last operation is added.
  Result<std::string> Finish();
  // The same, written to `out` (at its position) instead of returned: a
  // large delta (an import's) is never held compressed in memory whole, and
  // ObjectStore::WriteBlobFile stores it from there.
  Status FinishTo(std::FILE* out);
  // Whether the text has gone past kSpillBytes (Finish then compresses it
  // from the temporary file, a chunk at a time).
  bool spilled() const { return file_ != nullptr; }

 private:
  // Appends the operation (PatchOpToJson's object, in canonical JSON) with
  // `value`, canonical JSON text, as its value, or without one.
  Status AppendOp(PatchOpKind kind, const JsonPointer& path, const JsonPointer& from,
                  std::optional<std::string_view> value);
  // The operation up to its value: "{...,\"value\":" when `with_value`, else
  // the whole operation.
  Status AppendHead(PatchOpKind kind, const JsonPointer& path, const JsonPointer& from,
                    bool with_value);
  Status Append(std::string_view text);
  Status Spill();
  // Compresses the spilled text (the file, then text_) to one zstd frame,
  // handed to `sink` a piece at a time, and closes the file.
  Status CompressSpilled(const std::function<Status(std::string_view)>& sink);

  std::string text_;  // canonical text not yet in the file
  std::string head_;  // AppendOp's, kept for its capacity
  std::FILE* file_ = nullptr;
  std::uint64_t size_ = 0;  // canonical bytes so far, file and text_
  std::size_t ops_ = 0;
};
// Corruption if the bytes are not a zstd frame of a valid patch, or the
// patch is nested deeper than kMaxDeltaDepth.
Result<Patch> DecodeDelta(std::string_view bytes);

// zstd helpers, exposed for tests and tools.
std::string ZstdCompress(std::string_view data, int level);
Result<std::string> ZstdDecompress(std::string_view frame);

}  // namespace strata
