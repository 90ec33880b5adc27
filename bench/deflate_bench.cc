// deflate_bench: what compressing a small version's pack entries costs, with
// the zlib streams WritePack used before libdeflate and with libdeflate as
// it uses it now (docs/performance.md, "Less CPU a version").
//
//   deflate_bench [--docs 1000] [--versions 20] [--rounds 200] [--runs 5]
//                 [--workdir DIR]
//
// It makes a repository of --docs documents and --versions one-field
// versions through the library, takes the objects each version added (`git
// rev-list --objects NEW ^OLD`, their contents from `git cat-file --batch`),
// and compresses every version's objects --rounds times with each way:
//
//   zlib, new streams:  deflateInit2 per version (a 4 KiB window for objects
//                       of 4 KiB or less, zlib's defaults above), as before
//                       773bc34;
//   zlib, kept streams: the same streams made once and reset per object, as
//                       from 773bc34 to d6c8536;
//   libdeflate:         one compressor made once, each object compressed
//                       whole, as from d6c8536 for every pack;
//   libdeflate, objects of N bytes or more: the same, objects under N bytes
//                       stored (level 0), as WritePack does now for a pack
//                       of 64 objects or fewer, with N = 512.
//
// All at level 1 (WritePack's). It prints, per way, the median over --runs
// of the microseconds a version's objects take and their compressed bytes.
// Nothing here is a test: no time is asserted.
#include <libdeflate.h>
#include <zlib.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "strata/repository.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

constexpr int kLevel = 1;                      // WritePack's kPackZlibLevel
constexpr std::size_t kSmallBytes = 1u << 12;  // its 4 KiB-window stream's limit

using Version = std::vector<std::string>;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}  // the contents of the objects a version added

// The contents of the objects `new_id` has and `old_id` has not.
Version AddedObjects(const std::string& git_dir, const std::string& old_id,
                     const std::string& new_id) {
  const std::string git = "git --git-dir='" + git_dir + "' ";
  std::string out = Shell(git + "rev-list --objects " + new_id + " ^" + old_id +
                          " | cut -d' ' -f1 | " + git + "cat-file --batch");
  Version objects;
  std::size_t at = 0;
  while (at < out.size()) {
    const std::size_t eol = out.find('\n', at);
    if (eol == std::string::npos) Die("cat-file: a header without its end");
    std::istringstream header(out.substr(at, eol - at));
    std::string id, type;
    std::size_t size = 0;
    if (!(header >> id >> type >> size)) Die("cat-file: " + out.substr(at, eol - at));
    if (eol + 1 + size > out.size()) Die("cat-file: " + id + " cut short");
    objects.push_back(out.substr(eol + 1, size));
    at = eol + 1 + size + 1;  // the content, then a newline
  }
  return objects;
}

// `data` through `zs`, reset first, into `out`; the compressed size.
std::size_t Deflate(z_stream& zs, const std::string& data, std::string& out) {
  deflateReset(&zs);
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) Die("deflate");
  return out.size() - zs.avail_out;
}

struct ZlibStreams {
  z_stream small{}, large{};
  ZlibStreams() {
    if (deflateInit2(&small, kLevel, Z_DEFLATED, 12, 4, Z_DEFAULT_STRATEGY) != Z_OK ||
        deflateInit(&large, kLevel) != Z_OK) {
      Die("deflateInit");
    }
  }
  ~ZlibStreams() {
    deflateEnd(&small);
    deflateEnd(&large);
  }
  ZlibStreams(const ZlibStreams&) = delete;
  ZlibStreams& operator=(const ZlibStreams&) = delete;
  // The compressed size of `data`, written into `out`.
  std::size_t Compress(const std::string& data, std::string& out) {
    return Deflate(data.size() <= kSmallBytes ? small : large, data, out);
  }
};

// A version's objects compressed whole by `c`; their compressed bytes.
std::size_t CompressWhole(libdeflate_compressor* c, const Version& version, std::string& out) {
  std::size_t bytes = 0;
  for (const std::string& o : version) {
    out.resize(libdeflate_zlib_compress_bound(c, o.size()));
    const std::size_t n = libdeflate_zlib_compress(c, o.data(), o.size(), out.data(), out.size());
    if (n == 0) Die("libdeflate_zlib_compress");
    bytes += n;
  }
  return bytes;
}

// The same with a compressor of `level` made for the version, as a strata
// process makes one for its one version: allocated (and its pages first
// touched) each time.
std::size_t CompressWithNew(int level, const Version& version, std::string& out) {
  libdeflate_compressor* fresh = libdeflate_alloc_compressor(level);
  if (fresh == nullptr) Die("libdeflate_alloc_compressor");
  const std::size_t bytes = CompressWhole(fresh, version, out);
  libdeflate_free_compressor(fresh);
  return bytes;
}

// The same, but an object under `compress_from` bytes is stored (level 0,
// `stored`): libdeflate's level 1 clears a 128 KiB hash table for every
// object, which costs more than a small tree gains from compression.
std::size_t CompressLargeOnly(libdeflate_compressor* c, libdeflate_compressor* stored,
                              std::size_t compress_from, const Version& version, std::string& out) {
  std::size_t bytes = 0;
  for (const std::string& o : version) {
    libdeflate_compressor* use = o.size() >= compress_from ? c : stored;
    out.resize(libdeflate_zlib_compress_bound(use, o.size()));
    const std::size_t n = libdeflate_zlib_compress(use, o.data(), o.size(), out.data(), out.size());
    if (n == 0) Die("libdeflate_zlib_compress");
    bytes += n;
  }
  return bytes;
}

struct Way {
  std::string name;
  // Compresses one version's objects; returns their compressed bytes.
  std::function<std::size_t(const Version&)> run;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t docs = 1000, versions = 20, rounds = 200;
  int runs = 5;
  std::string workdir = "/tmp/strata-deflate-bench";
  po::options_description desc("deflate_bench options");
  desc.add_options()("help,h", "print this help")("docs", po::value(&docs)->default_value(docs),
                                                  "documents in the repository")(
      "versions", po::value(&versions)->default_value(versions), "one-field versions to compress")(
      "rounds", po::value(&rounds)->default_value(rounds),
      "times each version is compressed a run")("runs", po::value(&runs)->default_value(runs),
                                                "runs (median)")(
      "workdir", po::value(&workdir)->default_value(workdir), "where the repository is made");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }

  std::error_code ec;
  fs::remove_all(workdir, ec);
  fs::create_directories(workdir);
  auto repo = Check(Repository::Init(workdir), "init " + workdir);
  std::vector<std::pair<std::string, json::value>> all;
  for (std::size_t i = 0; i < docs; ++i) {
    all.emplace_back("doc/" + std::to_string(i),
                     json::object{{"v", 0}, {"name", "doc/" + std::to_string(i)}});
  }
  Check(repo->Import(std::move(all), Opts(1700000000)), "import");
  const std::string git_dir = workdir + "/.strata";
  auto head = [&] { return Trim(Shell("git --git-dir='" + git_dir + "' rev-parse main")); };
  std::vector<Version> added;
  std::size_t objects = 0, raw = 0;
  for (std::size_t v = 0; v < versions; ++v) {
    const std::string before = head();
    Check(repo->Set("doc/" + std::to_string(v * 37 % docs), Check(JsonPointer::Parse("/v"), "/v"),
                    json::value(v + 1), Opts(1700000001 + static_cast<std::int64_t>(v))),
          "set");
    added.push_back(AddedObjects(git_dir, before, head()));
    for (const std::string& o : added.back()) raw += o.size();
    objects += added.back().size();
  }
  repo.reset();

  std::string out;
  ZlibStreams kept;
  libdeflate_compressor* whole = libdeflate_alloc_compressor(kLevel);
  libdeflate_compressor* stored = libdeflate_alloc_compressor(0);
  if (whole == nullptr || stored == nullptr) Die("libdeflate_alloc_compressor");
  std::vector<Way> ways = {
      {"zlib, new streams",
       [&](const Version& version) {
         ZlibStreams fresh;
         std::size_t bytes = 0;
         for (const std::string& o : version) bytes += fresh.Compress(o, out);
         return bytes;
       }},
      {"zlib, kept streams",
       [&](const Version& version) {
         std::size_t bytes = 0;
         for (const std::string& o : version) bytes += kept.Compress(o, out);
         return bytes;
       }},
      {"libdeflate, a compressor a version",
       [&](const Version& version) { return CompressWithNew(kLevel, version, out); }},
      {"zlib, a small stream a version (1 KiB window, memLevel 1)",
       [&](const Version& version) {
         z_stream zs{};
         if (deflateInit2(&zs, kLevel, Z_DEFLATED, 10, 1, Z_DEFAULT_STRATEGY) != Z_OK) {
           Die("deflateInit2");
         }
         std::size_t bytes = 0;
         for (const std::string& o : version) bytes += Deflate(zs, o, out);
         deflateEnd(&zs);
         return bytes;
       }},
      {"libdeflate, level 0 (stored), a compressor a version",
       [&](const Version& version) { return CompressWithNew(0, version, out); }},
      {"libdeflate", [&](const Version& version) { return CompressWhole(whole, version, out); }},
      {"libdeflate, objects of 512 bytes or more (smaller ones stored)",
       [&](const Version& version) { return CompressLargeOnly(whole, stored, 512, version, out); }},
      {"libdeflate, objects of 1 KiB or more (smaller ones stored)",
       [&](const Version& version) {
         return CompressLargeOnly(whole, stored, 1024, version, out);
       }},
      {"libdeflate, objects of 2 KiB or more (smaller ones stored)",
       [&](const Version& version) {
         return CompressLargeOnly(whole, stored, 2048, version, out);
       }},
  };

  std::cout << "deflate_bench: " << versions << " one-field versions of a repository of " << docs
            << " documents: " << objects << " objects, " << raw << " bytes (" << std::fixed
            << std::setprecision(1) << static_cast<double>(objects) / versions << " objects, "
            << static_cast<double>(raw) / versions << " bytes a version); " << rounds
            << " rounds, median of " << runs << " runs\n\n"
            << "| way | us a version | compressed bytes a version |\n| --- | --- | --- |\n";
  for (const Way& way : ways) {
    std::vector<double> per_version;
    std::size_t bytes = 0;
    for (int r = -1; r < runs; ++r) {  // a warm-up run, then the timed ones
      bytes = 0;
      auto t = Clock::now();
      for (std::size_t k = 0; k < rounds; ++k) {
        for (const Version& version : added) bytes += way.run(version);
      }
      if (r >= 0) per_version.push_back(Seconds(t) / static_cast<double>(rounds * versions));
    }
    std::cout << "| " << way.name << " | " << std::setprecision(1) << Median(per_version) * 1e6
              << " | " << std::setprecision(0)
              << static_cast<double>(bytes) / static_cast<double>(rounds * versions) << " |\n";
  }
  libdeflate_free_compressor(whole);
  libdeflate_free_compressor(stored);
  fs::remove_all(workdir, ec);
  return 0;
}
