// perspective_bench: what applying a perspective to one large document costs
// (strata/perspective.h; no repository, no storage).
//
//   perspective_bench [--values 1000000] [--runs 5]
//
// Builds one document of about --values values: {"sNNNNN": {"name", "db":
// {"host", "password", "pool"}, "secrets": {"owner", "token"}, "replicas":
// [3 numbers]}} (10 values per member), and a perspective that shows
// everything, hides /*/secrets/** and masks /*/db/password, then times
// (median of --runs; wall clock): a plain copy of the document (the floor),
// View, Check, Reapply of the unchanged view (a write-back), HiddenEqual of
// the document with itself, and Decide on every leaf pointer one call at a
// time (what a caller that walks pointers pays). Nothing is asserted.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>

#include "bench_util.h"
#include "strata/perspective.h"

namespace po = boost::program_options;
using namespace strata;
using namespace strata::bench;

namespace {

double Time(int runs, const std::function<void()>& f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return Median(t);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description o("perspective_bench");
  o.add_options()("values", po::value<std::size_t>()->default_value(1000000), "about how many")(
      "runs", po::value<int>()->default_value(5), "runs per measure (median)")("help", "help");
  po::variables_map args;
  po::store(po::parse_command_line(argc, argv, o), args);
  if (args.count("help")) {
    std::cout << o;
    return 0;
  }
  const std::size_t members = std::max<std::size_t>(1, args["values"].as<std::size_t>() / 10);
  const int runs = std::max(1, args["runs"].as<int>());

  json::object doc;
  doc.reserve(members);
  std::vector<JsonPointer> leaves;
  for (std::size_t i = 0; i < members; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "s%07zu", i);
    doc[key] =
        json::object{{"name", key},
                     {"db", json::object{{"host", "db.example"}, {"password", "pw"}, {"pool", 10}}},
                     {"secrets", json::object{{"owner", "ops"}, {"token", "tok"}}},
                     {"replicas", json::array{1, 2, 3}}};
    if (i < 10000) {
      for (const char* p : {"/name", "/db/host", "/db/password", "/db/pool", "/secrets/owner",
                            "/secrets/token", "/replicas/0", "/replicas/1", "/replicas/2"}) {
        leaves.push_back(*JsonPointer::Parse("/" + std::string(key) + p));
      }
    }
  }
  const json::value value(std::move(doc));
  const json::value defs = *ParseJson(R"({"perspectives": {"p": {"rules": [
      {"path": "/**", "action": "show"}, {"path": "/*/secrets/**", "action": "hide"},
      {"path": "/*/db/password", "action": "mask"}]}}})");
  const Perspective p = *Perspective::Resolve(&defs, "p");
  const std::optional<json::value> view = p.View(value);

  std::printf("document: %zu members, %zu values; runs: %d (median)\n", members, members * 10,
              runs);
  auto row = [&](const char* what, double seconds, std::size_t per) {
    std::printf("%-34s %9.3f s  %8.1f ns/value\n", what, seconds, seconds * 1e9 / per);
  };
  const std::size_t n = members * 10;
  row("copy (the floor)", Time(runs, [&] { json::value c = value; }), n);
  row("View", Time(runs, [&] { auto v = p.View(value); }), n);
  row("Check", Time(runs, [&] { auto c = p.Check(value); }), n);
  row("Reapply(stored, its view)", Time(runs, [&] { auto r = p.Reapply(value, view); }), n);
  row("HiddenEqual(stored, stored)", Time(runs, [&] { (void)p.HiddenEqual(value, value); }), n);
  row("Decide, one call per leaf pointer",
      Time(runs,
           [&] {
             std::size_t shown = 0;
             for (const JsonPointer& l : leaves) shown += p.Decide(l) == ViewAction::kShow;
             if (shown == 0) std::puts("");
           }) *
          (static_cast<double>(n) / leaves.size()),
      n);
  return 0;
}
