#include "objects/delta_codec.h"

#include <zstd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tests/objects/test_util.h"

namespace strata {
namespace {

using testing::J;
using testing::Nested;
using testing::P;

BOOST_AUTO_TEST_SUITE(objects)
BOOST_AUTO_TEST_SUITE(delta_codec)

BOOST_AUTO_TEST_CASE(round_trips) {
  std::vector<Patch> patches = {
      Patch{},
      P(R"([{"op":"add","path":"/a~1b","value":{"x":[1,1.5,"s",null,true]}},
            {"op":"remove","path":"/c"},{"op":"replace","path":"","value":{}},
            {"op":"move","from":"/d","path":"/e"},{"op":"copy","from":"/f","path":"/g/-"},
            {"op":"test","path":"/h","value":18446744073709551615}])"),
  };
  Patch big;
  for (int i = 0; i < 5000; ++i) {
    big.push_back(PatchOp{PatchOpKind::kAdd,
                          JsonPointer({"doc" + std::to_string(i), "field"}),
                          {},
                          json::value("value " + std::to_string(i % 10))});
  }
  patches.push_back(big);
  for (const Patch& patch : patches) {
    std::string bytes = EncodeDelta(patch);
    BOOST_TEST_REQUIRE(!bytes.empty());
    Result<Patch> back = DecodeDelta(bytes);
    STRATA_CHECK_OK(back);
    BOOST_TEST(CanonicalJson(PatchToJson(*back)) == CanonicalJson(PatchToJson(patch)));
  }
  // The frame is compressed canonical JSON.
  BOOST_TEST(EncodeDelta(big).size() < CanonicalJson(PatchToJson(big)).size() / 5);
  BOOST_TEST(ZstdDecompress(EncodeDelta(patches[1])).value() ==
             CanonicalJson(PatchToJson(patches[1])));
}

BOOST_AUTO_TEST_CASE(the_encoding_is_deterministic) {
  Patch p = P(R"([{"op":"add","path":"/a","value":{"b":1,"a":2}}])");
  Patch q = P(R"([{"op":"add","path":"/a","value":{"a":2.0,"b":1}}])");
  BOOST_TEST(EncodeDelta(p) == EncodeDelta(q));
}

BOOST_AUTO_TEST_CASE(corrupt_bytes_are_corruption) {
  std::string good = EncodeDelta(P(R"([{"op":"add","path":"/a","value":1}])"));
  std::string unknown_size(ZSTD_COMPRESSBOUND(64), '\0');
  {
    // A valid frame that does not record its size.
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
    ZSTD_inBuffer in{"[]", 2, 0};
    ZSTD_outBuffer out{unknown_size.data(), unknown_size.size(), 0};
    std::size_t rc = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
    BOOST_TEST_REQUIRE(rc == 0u);
    unknown_size.resize(out.pos);
    ZSTD_freeCCtx(cctx);
  }
  // A raw block holding "[]" in a frame whose header claims 8 GiB.
  std::string huge_claim("\x28\xb5\x2f\xfd\xc0\x00", 6);
  unsigned long long claimed = 1ULL << 33;
  for (int i = 0; i < 8; ++i) huge_claim.push_back(static_cast<char>((claimed >> (8 * i)) & 0xff));
  huge_claim += std::string("\x11\x00\x00[]", 5);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"not zstd", "[{\"op\":\"add\"}]"},
      {"truncated", good.substr(0, good.size() - 3)},
      {"bad magic", "\x29\xb5\x2f\xfd" + good.substr(4)},
      {"zstd of invalid JSON", ZstdCompress("[{\"op\":", 3)},
      {"zstd of a non-patch", ZstdCompress("{\"op\":\"add\"}", 3)},
      {"zstd of an invalid op", ZstdCompress("[{\"op\":\"add\",\"path\":\"x\",\"value\":1}]", 3)},
      {"zstd of an empty text", ZstdCompress("", 3)},
      {"size not recorded", unknown_size},
      {"claims 8 GiB", huge_claim},
      {"bytes after the frame", good + "x"},
      {"two frames", good + good},
  };
  for (const auto& [what, bytes] : cases) {
    Result<Patch> p = DecodeDelta(bytes);
    BOOST_TEST_CONTEXT(what) {
      BOOST_TEST_REQUIRE(!p.ok());
      BOOST_TEST((p.status().code() == Code::kCorruption), p.status().message());
    }
  }
}

// Regression: a document exactly as deep as the parser allows was stored, but
// its delta holds it two levels deeper (in the patch array and an op object)
// and was refused on reading, so strata verify and show failed.
BOOST_AUTO_TEST_CASE(a_value_at_the_depth_limit_round_trips) {
  testing::OnLargeStack([] {
    const std::vector<std::pair<std::string, std::string>> shapes = {{"[", "]"}, {"{\"a\":", "}"}};
    for (const auto& [open, close] : shapes) {
      BOOST_TEST_CONTEXT("nested " << open << close) {
        std::string text = Nested(kMaxJsonDepth, open, close, "1");
        Result<json::value> v = ParseJson(text);
        STRATA_CHECK_OK(v);
        for (PatchOpKind kind : {PatchOpKind::kAdd, PatchOpKind::kReplace, PatchOpKind::kTest}) {
          Patch patch{PatchOp{kind, JsonPointer({"doc"}), {}, *v}};
          Result<Patch> back = DecodeDelta(EncodeDelta(patch));
          STRATA_CHECK_OK(back);
          BOOST_TEST_REQUIRE(back->size() == 1u);
          BOOST_TEST(CanonicalJson((*back)[0].value) == text);
        }
        // One level deeper is refused when parsed, so no delta holds it ...
        Result<json::value> deeper = ParseJson(Nested(kMaxJsonDepth + 1, open, close, "1"));
        BOOST_TEST_REQUIRE(!deeper.ok());
        BOOST_TEST(
            deeper.status().message().find("nesting deeper than 100000") != std::string::npos,
            deeper.status().message());
        // ... and a delta that does is not one strata wrote.
        std::string forged = "[{\"op\":\"add\",\"path\":\"/doc\",\"value\":" +
                             Nested(kMaxJsonDepth + 1, open, close, "1") + "}]";
        Result<Patch> refused = DecodeDelta(ZstdCompress(forged, kDeltaCompressionLevel));
        BOOST_TEST_REQUIRE(!refused.ok());
        BOOST_TEST((refused.status().code() == Code::kCorruption));
        BOOST_TEST(
            refused.status().message().find("nesting deeper than " +
                                            std::to_string(kMaxDeltaDepth)) != std::string::npos,
            refused.status().message());
      }
    }
  });
}

// DeltaWriter gives EncodeDelta's bytes while its text fits in memory, and
// past kSpillBytes (a temporary file, compressed a chunk at a time) a frame
// that decodes to the same operations.
BOOST_AUTO_TEST_CASE(delta_writer_streams_what_encode_delta_stores) {
  struct Case {
    const char* name;
    Patch patch;
    bool spills;
  };
  Patch large;  // ~2.5 MB of text in 3,000 operations
  for (int i = 0; i < 3000; ++i) {
    large.push_back(PatchOp{PatchOpKind::kAdd,
                            JsonPointer({"doc" + std::to_string(i)}),
                            {},
                            json::value(std::string(800, static_cast<char>('a' + i % 26)))});
  }
  Patch one_huge;  // one operation longer than kSpillBytes by itself
  one_huge.push_back(
      PatchOp{PatchOpKind::kReplace, JsonPointer({"d", "x"}), {}, J(R"({"k":[1,2,3]})")});
  one_huge.push_back(
      PatchOp{PatchOpKind::kAdd, JsonPointer({"big"}), {}, json::value(std::string(3 << 20, 'z'))});
  one_huge.push_back(PatchOp{PatchOpKind::kRemove, JsonPointer({"gone"}), {}, {}});
  const std::vector<Case> cases = {
      {"empty", Patch{}, false},
      {"every kind", P(R"([{"op":"add","path":"/a~1b","value":{"x":[1,1.5,"s",null,true]}},
            {"op":"remove","path":"/c"},{"op":"replace","path":"","value":{}},
            {"op":"move","from":"/d","path":"/e"},{"op":"copy","from":"/f","path":"/g/-"},
            {"op":"test","path":"/h","value":18446744073709551615}])"),
       false},
      {"large", large, true},
      {"one huge", one_huge, true},
      {"pointers to escape",
       P(R"([{"op":"add","path":"/q\"uote/back\\slash/~0~1","value":"\u0001\u001f\t"},
            {"op":"move","from":"/\u00e9t\u00e9/\u0000","path":"/\ud83d\ude00"},
            {"op":"remove","path":"/ctl\u007f\n"},{"op":"test","path":"","value":[]}])"),
       false},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      DeltaWriter writer;
      // The same operations, each value given as its canonical text.
      DeltaWriter canonical;
      // The same, each value's text given in pieces (AddStreamed): of one
      // byte, of 7, and of 64 KiB, in turn.
      DeltaWriter streamed;
      // The same, finished into a file (FinishTo).
      DeltaWriter to_file;
      std::size_t piece = 0;
      for (const PatchOp& op : c.patch) {
        BOOST_TEST_REQUIRE(writer.Add(op).ok());
        BOOST_TEST_REQUIRE(to_file.Add(op).ok());
        if (op.kind != PatchOpKind::kMove && op.kind != PatchOpKind::kCopy &&
            op.kind != PatchOpKind::kRemove) {
          const std::string text = CanonicalJson(op.value);
          BOOST_TEST_REQUIRE(canonical.AddCanonical(op.kind, op.path, text).ok());
          const std::size_t size = std::vector<std::size_t>{1, 7, 65536}[piece++ % 3];
          BOOST_TEST_REQUIRE(
              streamed
                  .AddStreamed(op.kind, op.path,
                               [&](const TextSink& sink) -> Status {
                                 for (std::size_t at = 0; at < text.size(); at += size) {
                                   STRATA_RETURN_IF_ERROR(
                                       sink(std::string_view(text).substr(at, size)));
                                 }
                                 return Status::Ok();
                               })
                  .ok());
        } else {
          BOOST_TEST_REQUIRE(canonical.Add(op).ok());
          BOOST_TEST_REQUIRE(streamed.Add(op).ok());
        }
      }
      Result<std::string> bytes = writer.Finish();
      BOOST_TEST_REQUIRE(bytes.ok());
      Result<std::string> canonical_bytes = canonical.Finish();
      BOOST_TEST_REQUIRE(canonical_bytes.ok());
      BOOST_TEST(*canonical_bytes == *bytes);
      Result<std::string> streamed_bytes = streamed.Finish();
      BOOST_TEST_REQUIRE(streamed_bytes.ok());
      BOOST_TEST(*streamed_bytes == *bytes);
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), std::fclose);
      BOOST_TEST_REQUIRE(file != nullptr);
      std::fputs("kept", file.get());  // FinishTo writes at the file's position
      BOOST_TEST_REQUIRE(to_file.FinishTo(file.get()).ok());
      BOOST_TEST_REQUIRE(std::fflush(file.get()) == 0);
      std::rewind(file.get());
      std::string in_file;
      char buffer[65536];
      for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) {
        in_file.append(buffer, n);
      }
      BOOST_TEST((in_file == "kept" + *bytes));
      if (!c.spills) BOOST_TEST(*bytes == EncodeDelta(c.patch));
      Result<std::string> text = ZstdDecompress(*bytes);
      BOOST_TEST_REQUIRE(text.ok());
      BOOST_TEST((text->size() > DeltaWriter::kSpillBytes) == c.spills);
      BOOST_TEST(*text == CanonicalJson(PatchToJson(c.patch)));
      Result<Patch> back = DecodeDelta(*bytes);
      BOOST_TEST_REQUIRE(back.ok());
      BOOST_TEST(back->size() == c.patch.size());
    }
  }
}

// A streamed value whose writer fails stops the operation with its error.
BOOST_AUTO_TEST_CASE(a_streamed_value_that_fails_is_the_error) {
  DeltaWriter writer;
  Status s = writer.AddStreamed(PatchOpKind::kAdd, JsonPointer({"doc"}), [](const TextSink& sink) {
    STRATA_RETURN_IF_ERROR(sink("{\"a\":"));
    return Status::Corruption("tree 1234 is not a node");
  });
  BOOST_TEST((s.code() == Code::kCorruption));
  BOOST_TEST(s.message() == "tree 1234 is not a node");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace strata
