// seed_bench: the seed's workload (../shared/bench/seed_reference.py) through
// strata: create documents, update them, read them through a perspective.
//
//   seed_bench [--docs 100000] [--updates 100000] [--durable-ops 200]
//              [--cli-ops 50] [--runs 3] [--workdir DIR] [--cli build/cli/strata]
//              [--json FILE]
//
// The seed keeps its state in memory (pyrsistent maps, marshmallow schemas);
// strata's every figure is durable (fsync'd before the call returns). The
// document is the seed's: {document_id, title, content (200 bytes), author,
// version}; an update sets the title and increments the version; the
// "public" perspective shows document_id and title only. Three ways:
//   batched  (library): --docs creates in one Import, --updates updates in
//            one Patch (two replace operations each), then every document
//            read through "public" from one snapshot;
//   one version per call (library): --durable-ops Puts, then as many
//            Patches, each its own durable version;
//   CLI: --cli-ops `strata put`, `strata patch` and `strata get
//            --perspective public` processes, one after another.
// Each figure is the median of --runs runs, each on a fresh repository.
// Nothing here is a test: no time is asserted.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "strata/json.h"
#include "strata/repository.h"
#include "strata/snapshot.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace strata;
using namespace strata::bench;

namespace {

const char* kPerspectives = R"({"perspectives": {
  "public": {"docs": ["doc/**"],
             "rules": [{"path": "/**", "action": "hide"},
                       {"path": "/document_id", "action": "show"},
                       {"path": "/title", "action": "show"}]}}})";

std::string DocName(std::size_t i) { return "doc/" + std::to_string(i); }

json::value MakeDoc(std::size_t i) {
  return json::object{{"document_id", DocName(i)},
                      {"title", "t" + std::to_string(i)},
                      {"content", std::string(200, 'x')},
                      {"author", "a"},
                      {"version", 1}};
}

// The update the seed makes: a new title and the next version number.
void AddUpdate(strata::Patch& patch, const std::string& prefix, std::size_t k,
               std::int64_t version) {
  PatchOp title;
  title.kind = PatchOpKind::kReplace;
  title.path = Check(JsonPointer::Parse(prefix + "/title"), "pointer");
  title.value = "t" + std::to_string(k);
  PatchOp ver;
  ver.kind = PatchOpKind::kReplace;
  ver.path = Check(JsonPointer::Parse(prefix + "/version"), "pointer");
  ver.value = version;
  patch.push_back(std::move(title));
  patch.push_back(std::move(ver));
}

std::unique_ptr<Repository> Fresh(const fs::path& dir) {
  fs::remove_all(dir);
  auto repo = Check(Repository::Init(dir.string()), "init");
  Check(repo->Put(".perspectives", Check(ParseJson(kPerspectives), "perspectives"),
                  Opts(1700000000, "perspectives")),
        "put .perspectives");
  return repo;
}

struct Rates {
  std::vector<double> create, update, get;
};

// One Import, one Patch, then every document read through "public".
void Batched(const fs::path& dir, std::size_t docs, std::size_t updates, Rates& out) {
  auto repo = Fresh(dir);
  std::vector<std::pair<std::string, json::value>> all;
  all.reserve(docs);
  for (std::size_t i = 0; i < docs; ++i) all.emplace_back(DocName(i), MakeDoc(i));
  auto start = Clock::now();
  Check(repo->Import(std::move(all), Opts(1700000001, "create")), "import");
  out.create.push_back(static_cast<double>(docs) / Seconds(start));

  strata::Patch patch;
  patch.reserve(2 * updates);
  for (std::size_t k = 0; k < updates; ++k) {
    // The seed updates ids[k % n]; its version goes 2, 3, ... per document.
    // In a state-wide patch the first token is the document id: "/" escaped.
    AddUpdate(patch, "/doc~1" + std::to_string(k % docs), k,
              static_cast<std::int64_t>(2 + k / docs));
  }
  start = Clock::now();
  WriteResult w = Check(repo->Patch(std::nullopt, patch, Opts(1700000002, "update")), "patch");
  out.update.push_back(static_cast<double>(updates) / Seconds(start));
  if (w.operations == 0) Die("the update patch changed nothing");

  start = Clock::now();
  Check(repo->UsePerspective("public"), "perspective");
  Snapshot s = Check(repo->Read("HEAD"), "read");
  for (std::size_t i = 0; i < docs; ++i) {
    json::value v = Check(s.Get(DocName(i)), "get " + DocName(i));
    if (!v.is_object() || v.as_object().size() != 2) Die("public view of " + DocName(i));
  }
  out.get.push_back(static_cast<double>(docs) / Seconds(start));
}

// Each create and each update its own durable version.
void PerCall(const fs::path& dir, std::size_t ops, Rates& out) {
  auto repo = Fresh(dir);
  std::int64_t t = 1700000001;
  auto start = Clock::now();
  for (std::size_t i = 0; i < ops; ++i, ++t) {
    Check(repo->Put(DocName(i), MakeDoc(i), Opts(t, "create")), "put");
  }
  out.create.push_back(static_cast<double>(ops) / Seconds(start));
  start = Clock::now();
  for (std::size_t k = 0; k < ops; ++k, ++t) {
    strata::Patch patch;
    AddUpdate(patch, "", k, 2);
    Check(repo->Patch(DocName(k), patch, Opts(t, "update")), "patch");
  }
  out.update.push_back(static_cast<double>(ops) / Seconds(start));
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

// One process per call, as a script would run them.
void Cli(const fs::path& dir, const std::string& cli, std::size_t ops, Rates& out) {
  Fresh(dir);
  const fs::path files = dir.string() + "-files";
  fs::remove_all(files);
  fs::create_directories(files);
  for (std::size_t i = 0; i < ops; ++i) {
    std::ofstream(files / ("d" + std::to_string(i) + ".json")) << CanonicalJson(MakeDoc(i));
    std::ofstream(files / ("p" + std::to_string(i) + ".json"))
        << R"([{"op":"replace","path":"/title","value":"u)" << i
        << R"("},{"op":"replace","path":"/version","value":2}])";
  }
  const std::string base = Quote(cli) + " --repo " + Quote(dir.string()) + " ";
  // One shell runs all the calls, so the shell's start-up is paid once.
  auto run = [&](const std::string& what, const std::function<std::string(std::size_t)>& cmd) {
    std::string script;
    for (std::size_t i = 0; i < ops; ++i) script += base + cmd(i) + " >/dev/null\n";
    const fs::path file = files / (what + ".sh");
    std::ofstream(file) << "set -e\n" << script;
    auto start = Clock::now();
    Shell("sh " + Quote(file.string()));
    return static_cast<double>(ops) / Seconds(start);
  };
  out.create.push_back(run("put", [&](std::size_t i) {
    return "put " + DocName(i) + " " +
           Quote((files / ("d" + std::to_string(i) + ".json")).string());
  }));
  out.update.push_back(run("patch", [&](std::size_t i) {
    return "patch --doc " + DocName(i) + " " +
           Quote((files / ("p" + std::to_string(i) + ".json")).string());
  }));
  out.get.push_back(
      run("get", [&](std::size_t i) { return "get --perspective public " + DocName(i); }));
  fs::remove_all(files);
}

std::string Rate(const std::vector<double>& v) {
  if (v.empty()) return "-";
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(0);
  o << Median(v) << "/s";
  return o.str();
}

json::value RatesJson(const Rates& r) {
  json::object o;
  if (!r.create.empty()) o["create_per_s"] = Median(r.create);
  if (!r.update.empty()) o["update_per_s"] = Median(r.update);
  if (!r.get.empty()) o["get_public_per_s"] = Median(r.get);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description o("seed_bench");
  o.add_options()("help", "this text")("docs", po::value<std::size_t>()->default_value(100000),
                                       "documents created (batched)")(
      "updates", po::value<std::size_t>()->default_value(100000), "updates (batched)")(
      "durable-ops", po::value<std::size_t>()->default_value(200),
      "creates and updates, one version each")(
      "cli-ops", po::value<std::size_t>()->default_value(50), "CLI processes of each kind")(
      "runs", po::value<int>()->default_value(3), "runs (median)")(
      "workdir", po::value<std::string>()->default_value("/tmp/strata-seed-bench"),
      "scratch folder")("cli", po::value<std::string>()->default_value("build/cli/strata"),
                        "the strata binary")("json", po::value<std::string>(),
                                             "also write the figures as JSON here");
  po::variables_map args;
  try {
    po::store(po::parse_command_line(argc, argv, o), args);
  } catch (const po::error& e) {
    Die(e.what());
  }
  if (args.count("help")) {
    std::cout << o;
    return 0;
  }
  const std::size_t docs = args["docs"].as<std::size_t>();
  const std::size_t updates = args["updates"].as<std::size_t>();
  const std::size_t durable = args["durable-ops"].as<std::size_t>();
  const std::size_t cli_ops = args["cli-ops"].as<std::size_t>();
  const int runs = args["runs"].as<int>();
  const fs::path work = args["workdir"].as<std::string>();
  const std::string cli = fs::absolute(args["cli"].as<std::string>()).string();
  if (docs == 0 || runs < 1) Die("--docs and --runs must be at least 1");
  fs::create_directories(work);

  Rates batched, per_call, by_cli;
  for (int r = 0; r < runs; ++r) {
    Batched(work / "batched", docs, updates, batched);
    if (durable > 0) PerCall(work / "per-call", durable, per_call);
    if (cli_ops > 0) Cli(work / "cli", cli, cli_ops, by_cli);
  }
  fs::remove_all(work);

  std::cout << "| strata, " << docs << " documents, " << updates << " updates | create | update"
            << " | get(public) |\n| --- | --- | --- | --- |\n";
  std::cout << "| library, batched (one version for all creates, one for all updates) | "
            << Rate(batched.create) << " | " << Rate(batched.update) << " | " << Rate(batched.get)
            << " |\n";
  if (durable > 0) {
    std::cout << "| library, one durable version per call (" << durable << " calls) | "
              << Rate(per_call.create) << " | " << Rate(per_call.update) << " | - |\n";
  }
  if (cli_ops > 0) {
    std::cout << "| CLI, one process per call (" << cli_ops << " calls) | " << Rate(by_cli.create)
              << " | " << Rate(by_cli.update) << " | " << Rate(by_cli.get) << " |\n";
  }
  if (args.count("json")) {
    json::object j{{"docs", docs},
                   {"updates", updates},
                   {"runs", runs},
                   {"batched", RatesJson(batched)},
                   {"per_call", RatesJson(per_call)},
                   {"cli", RatesJson(by_cli)}};
    std::ofstream(args["json"].as<std::string>()) << CanonicalJson(j) << "\n";
  }
  return 0;
}
