// patch_bench: strata's in-memory JSON Patch apply and structural diff
// (strata/json_patch.h, objects/json_diff.h) on documents of growing size,
// for comparison with npm's fast-json-patch (bench/node/patch_bench.js).
//
//   patch_bench --out DIR [--json FILE] [--seed S]
//
// Each case is a document A (bench/doc_gen.h), a document B that differs
// from A in a few members (10 replaced, 1 added, 1 removed), and the patch
// from A to B. They are written to DIR/<case>.{a,b,patch}.json so the node
// benchmark times the same inputs. Measured per case:
//   diff:        DiffValues(A, B)
//   apply:       ApplyPatch(A, patch), the atomic form (copies A first)
//   apply-inplace: ApplyPatch on a ValueTarget over a copy made outside the timing
// Each figure is the median of 7 batches, each long enough to time reliably
// (>= 50 ms of work, or >= 0.5 s with setup); times are per operation.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "bench/doc_gen.h"
#include "objects/json_diff.h"
#include "strata/json.h"
#include "strata/json_patch.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;

namespace {

using Clock = std::chrono::steady_clock;

struct Case {
  std::string name;
  bench::DocShape shape;
};

// Seconds per call of `op`, the median of 7 batches. `setup` runs before
// each call, outside the timing.
double TimePerOp(const std::function<void()>& setup, const std::function<void()>& op) {
  std::size_t iters = 1;
  // Grow the batch until it takes at least 50 ms (or 0.5 s with setup).
  for (;;) {
    double spent = 0;
    auto start = Clock::now();
    for (std::size_t i = 0; i < iters; ++i) {
      setup();
      auto t = Clock::now();
      op();
      spent += std::chrono::duration<double>(Clock::now() - t).count();
    }
    double wall = std::chrono::duration<double>(Clock::now() - start).count();
    if (spent >= 0.05 || wall >= 0.5 || iters >= (1u << 20)) break;
    iters *= 4;
  }
  std::vector<double> per;
  for (int b = 0; b < 7; ++b) {
    double spent = 0;
    for (std::size_t i = 0; i < iters; ++i) {
      setup();
      auto t = Clock::now();
      op();
      spent += std::chrono::duration<double>(Clock::now() - t).count();
    }
    per.push_back(spent / iters);
  }
  std::sort(per.begin(), per.end());
  return per[per.size() / 2];
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text << "\n";
  if (!f) {
    std::cerr << "patch_bench: error: cannot write " << p << "\n";
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir, json_path;
  std::uint64_t seed = 1;
  po::options_description options("patch_bench options");
  options.add_options()("help,h", "print this help")(
      "out", po::value(&out_dir)->required(),
      "folder for the cases (read by bench/node/patch_bench.js)")(
      "json", po::value(&json_path), "write the figures as JSON to this file")(
      "seed", po::value(&seed)->default_value(seed), "data set seed");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("help")) {
      std::cout << "usage: patch_bench --out DIR [options]\n\n" << options;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "patch_bench: error: " << e.what() << "\n";
    return 2;
  }
  fs::create_directories(out_dir);

  std::vector<Case> cases = {
      {"doc-1KB-depth3", {1000, 3, 0}}, {"doc-100KB-depth3", {100000, 3, 0}},
      {"keys-1k", {0, 1, 1000}},        {"keys-10k", {0, 1, 10000}},
      {"keys-100k", {0, 1, 100000}},
  };
  json::array results;
  json::array names;
  std::cout << "| case | bytes | patch ops | strata diff | strata apply (atomic) | strata apply "
               "(in place) |\n"
            << "| --- | --- | --- | --- | --- | --- |\n";
  for (const Case& c : cases) {
    json::value a = bench::MakeDocument(seed, 0, c.shape);
    json::value b = a;
    json::object& ob = b.get_object();
    // 10 members replaced, 1 added, 1 removed, spread over the members.
    std::vector<std::string> keys;
    for (const auto& kv : ob) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    bench::Rng rng(seed + 99);
    for (int i = 0; i < 10; ++i) ob[keys[(i * keys.size()) / 10]] = bench::MakeScalar(rng);
    ob["added"] = json::object{{"x", 1}, {"y", json::array{1, 2, 3}}};
    ob.erase(keys[keys.size() / 2 + 1]);
    Patch patch = DiffValues(a, b);
    {
      json::value check = a;
      if (!ApplyPatch(check, patch).ok() || !Equal(check, b)) {
        std::cerr << "patch_bench: error: the diff of case " << c.name << " does not apply\n";
        return 1;
      }
    }
    std::string a_text = CanonicalJson(a);
    WriteFile(fs::path(out_dir) / (c.name + ".a.json"), a_text);
    WriteFile(fs::path(out_dir) / (c.name + ".b.json"), CanonicalJson(b));
    WriteFile(fs::path(out_dir) / (c.name + ".patch.json"), CanonicalJson(PatchToJson(patch)));
    names.push_back(json::value(c.name));

    double diff_s = TimePerOp([] {},
                              [&] {
                                Patch p = DiffValues(a, b);
                                if (p.empty()) std::abort();
                              });
    json::value doc;
    double apply_s = TimePerOp([&] { doc = a; },
                               [&] {
                                 if (!ApplyPatch(doc, patch).ok()) std::abort();
                               });
    double inplace_s = TimePerOp([&] { doc = a; },
                                 [&] {
                                   ValueTarget target(doc);
                                   if (!ApplyPatch(target, patch).ok()) std::abort();
                                 });
    auto us = [](double s) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
      return std::string(buf);
    };
    std::cout << "| " << c.name << " | " << a_text.size() << " | " << patch.size() << " | "
              << us(diff_s) << " | " << us(apply_s) << " | " << us(inplace_s) << " |\n";
    results.push_back(json::object{{"case", c.name},
                                   {"bytes", a_text.size()},
                                   {"patch_ops", patch.size()},
                                   {"diff_s", diff_s},
                                   {"apply_s", apply_s},
                                   {"apply_inplace_s", inplace_s}});
  }
  WriteFile(fs::path(out_dir) / "cases.json", FormatJson(names, FormatOptions{0}));
  if (!json_path.empty()) {
    std::ofstream(json_path) << FormatJson(json::object{{"results", results}}, FormatOptions{0})
                             << "\n";
  }
  return 0;
}
