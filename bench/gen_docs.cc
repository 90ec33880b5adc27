// strata_gen: writes a reproducible data set of JSON documents.
//
//   strata_gen --count 100000 --size 200 --depth 2 --seed 1 --format jsonl --out docs.jsonl
//   strata_gen --count 1 --keys 1000000 --format dir --out big/
//
// jsonl: one {"id": ..., "doc": ...} per line (strata import FILE.jsonl).
// dir:   one <id>.json file per document; ids hold '/', so "doc/0000042"
//        becomes OUT/doc/0000042.json (strata import DIR).
// The same flags give byte-identical output: documents come from
// bench/doc_gen.h and are written in canonical JSON.
#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bench/doc_gen.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;

int main(int argc, char** argv) {
  std::size_t count = 1000;
  bench::DocShape shape;
  std::uint64_t seed = 1;
  std::string format = "jsonl";
  std::string out;
  po::options_description options("strata_gen options");
  options.add_options()("help,h", "print this help")(
      "count", po::value(&count)->default_value(count), "number of documents")(
      "size", po::value(&shape.size)->default_value(shape.size), "approximate bytes per document")(
      "depth", po::value(&shape.depth)->default_value(shape.depth),
      "object nesting levels (1: flat)")(
      "keys", po::value(&shape.keys)->default_value(0),
      "if > 0, each document has exactly this many top-level keys (--size is then ignored)")(
      "seed", po::value(&seed)->default_value(seed), "seed; the same seed gives the same bytes")(
      "format", po::value(&format)->default_value(format), "jsonl | dir")(
      "out", po::value(&out)->required(), "output file (jsonl, '-' for stdout) or folder (dir)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("help")) {
      std::cout << "usage: strata_gen --out PATH [options]\n\n" << options;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "strata_gen: error: " << e.what() << "\n";
    return 2;
  }
  if (format != "jsonl" && format != "dir") {
    std::cerr << "strata_gen: error: --format must be jsonl or dir, not '" << format << "'\n";
    return 2;
  }
  if (shape.depth < 1) {
    std::cerr << "strata_gen: error: --depth must be at least 1\n";
    return 2;
  }

  if (format == "jsonl") {
    std::ofstream file;
    std::ostream* os = &std::cout;
    if (out != "-") {
      file.open(out, std::ios::binary | std::ios::trunc);
      if (!file) {
        std::cerr << "strata_gen: error: cannot write " << out << "\n";
        return 1;
      }
      os = &file;
    }
    std::string line;
    for (std::size_t i = 0; i < count; ++i) {
      line = "{\"id\":";
      AppendJsonString(line, bench::DocId(i));
      line += ",\"doc\":";
      line += CanonicalJson(bench::MakeDocument(seed, i, shape));
      line += "}\n";
      os->write(line.data(), static_cast<std::streamsize>(line.size()));
    }
    os->flush();
    if (!*os) {
      std::cerr << "strata_gen: error: cannot write " << out << "\n";
      return 1;
    }
    return 0;
  }

  std::error_code ec;
  for (std::size_t i = 0; i < count; ++i) {
    fs::path path = fs::path(out) / (bench::DocId(i) + ".json");
    if (i == 0 ||
        path.parent_path() != (fs::path(out) / (bench::DocId(i - 1) + ".json")).parent_path()) {
      fs::create_directories(path.parent_path(), ec);
      if (ec) {
        std::cerr << "strata_gen: error: cannot create " << path.parent_path() << ": "
                  << ec.message() << "\n";
        return 1;
      }
    }
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    std::string text = CanonicalJson(bench::MakeDocument(seed, i, shape)) + "\n";
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!f) {
      std::cerr << "strata_gen: error: cannot write " << path << "\n";
      return 1;
    }
  }
  return 0;
}
