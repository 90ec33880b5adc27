// sync_gen: a repository with a long history, for bench/sync_bench.py.
//
//   sync_gen DIR [--versions 10000] [--docs 1000]
//
// Writes, through the library in this one process: a `.perspectives`
// document defining "public" (every document, /secret hidden), --docs
// documents {"v": 0, "secret": "..."}, then --versions versions that each
// set /v of one document (a fixed pseudo-random sequence), each 1 second
// after the last. Every 10th version changes only /secret, so a projection
// through "public" leaves it out.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <random>

#include "bench_util.h"
#include "strata/repository.h"

namespace po = boost::program_options;
using namespace strata;
using namespace strata::bench;

namespace {

std::string DocName(std::size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "docs/d%05zu", i);
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description o("sync_gen DIR [options]");
  o.add_options()("help,h", "this help")("dir", po::value<std::string>(), "where to create it")(
      "versions", po::value<std::size_t>()->default_value(10000), "versions after the import")(
      "docs", po::value<std::size_t>()->default_value(1000), "documents");
  po::positional_options_description p;
  p.add("dir", 1);
  po::variables_map args;
  po::store(po::command_line_parser(argc, argv).options(o).positional(p).run(), args);
  if (args.count("help") || !args.count("dir")) {
    std::cout << o << "\n";
    return args.count("help") ? 0 : 2;
  }
  const std::size_t docs = args["docs"].as<std::size_t>();
  const std::size_t versions = args["versions"].as<std::size_t>();
  auto repo = Check(Repository::Init(args["dir"].as<std::string>()), "init");
  const std::int64_t t0 = 1700000000;
  std::vector<std::pair<std::string, json::value>> all;
  all.emplace_back(".perspectives",
                   ParseJson(R"({"perspectives": {"public": {"docs": ["**"], "rules": [
                     {"path": "/**", "action": "show"},
                     {"path": "/secret", "action": "hide"}]}}})")
                       .value());
  for (std::size_t i = 0; i < docs; ++i) {
    all.emplace_back(DocName(i), json::object{{"v", 0}, {"secret", "s0"}});
  }
  Check(repo->Import(std::move(all), Opts(t0, "import")), "import");
  std::mt19937_64 rng(42);
  const JsonPointer v = JsonPointer::Parse("/v").value();
  const JsonPointer secret = JsonPointer::Parse("/secret").value();
  for (std::size_t n = 1; n <= versions; ++n) {
    const bool hidden_only = n % 10 == 0;
    CommitOptions opts = Opts(t0 + static_cast<std::int64_t>(n), "version " + std::to_string(n));
    Check(repo->Set(DocName(rng() % docs), hidden_only ? secret : v,
                    hidden_only ? json::value("s" + std::to_string(n))
                                : json::value(static_cast<std::int64_t>(n)),
                    opts),
          "set");
    if (n % 2000 == 0) std::cerr << "  " << n << " versions\n";
  }
  return 0;
}
